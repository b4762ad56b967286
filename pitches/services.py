"""Business rules for problem statements, teams and pitches."""

from dataclasses import dataclass, fields

from flask import abort
from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import contains_eager, selectinload

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Event, EventFunder, EventOrganiser, EventPhase, PanelMember
from extensions import Prepared, db, utcnow
from pitches.models import (
    Background,
    Pitch,
    PitchStatus,
    PitchType,
    ProblemStatement,
    ProblemStatus,
    Setting,
    Team,
    TeamMember,
)

P = EventPhase
PROBLEM_PHASES = (P.OPEN, P.SUBMISSIONS_OPEN)
TEAM_PHASES = (P.OPEN, P.SUBMISSIONS_OPEN)
DRAFT_PHASES = (P.OPEN, P.SUBMISSIONS_OPEN)


class PitchError(Exception):
    """A user-facing reason why a problem, team or pitch change was refused."""


# --- roles -------------------------------------------------------------------------------


def _roles_statement():
    event_id = select(Event.id).where(Event.slug == bindparam("slug")).scalar_subquery()
    user_id = bindparam("user_id")
    return select(
        exists().where(
            EventOrganiser.event_id == event_id, EventOrganiser.user_id == user_id
        ),
        exists().where(
            PanelMember.event_id == event_id, PanelMember.user_id == user_id
        ),
        exists().where(
            TeamMember.user_id == user_id,
            TeamMember.team_id == Team.id,
            Team.event_id == event_id,
        ),
        exists().where(
            ProblemStatement.event_id == event_id, ProblemStatement.owner_id == user_id
        ),
        exists().where(
            EventFunder.event_id == event_id, EventFunder.user_id == user_id
        ),
    )


# Built once, and run on the driver's cursor: this runs on every request to an event's
# pages, every scorecard save included (see extensions.Prepared).
_ROLES = Prepared(_roles_statement())
_ROLE_NAMES = ("organiser", "judge", "team", "problem_owner", "funder")


def event_roles(user: User, slug: str) -> frozenset[str]:
    """Return the user's roles in the event with this slug, in one query."""
    row = _ROLES.first(db.session.connection(), {"slug": slug, "user_id": user.id})
    return frozenset(name for name, has in zip(_ROLE_NAMES, row, strict=True) if has)


# --- problem statements -----------------------------------------------------------------


@dataclass(frozen=True)
class ProblemDetails:
    title: str
    one_sentence: str
    who_affected: str
    setting: Setting
    story: str
    scale: str
    tried: str
    better: str
    owner_name: str
    owner_role: str
    owner_contact: str
    willing_to_pitch: str
    publish_consent: bool


def submit_problem(
    user: User, event: Event, details: ProblemDetails
) -> ProblemStatement:
    """Post a problem statement; it stays private until an organiser approves it.

    :raises EventError: if the event is not taking problem statements.
    """
    event = event_services.require_phase(
        event, *PROBLEM_PHASES, action="post a problem statement"
    )
    if not details.publish_consent:
        raise PitchError("You must give permission to publish the problem statement")
    problem = ProblemStatement(event_id=event.id, owner_id=user.id, **details.__dict__)
    db.session.add(problem)
    db.session.flush()
    audit.record("problem.submitted", actor=user, event_id=event.id, target=problem)
    return problem


def decide_problem(user: User, event: Event, problem_id: int, approve: bool) -> None:
    """Approve (publish) or decline a problem statement.

    :raises NotFound: if it is not this event's.
    """
    problem = get_problem_or_404(event, problem_id)
    event_services.lock_event(event)
    problem.status = ProblemStatus.APPROVED if approve else ProblemStatus.DECLINED
    problem.decided_at = utcnow()
    if approve and not problem.ref:
        count = db.session.scalar(
            select(func.count()).where(
                ProblemStatement.event_id == event.id, ProblemStatement.ref != ""
            )
        )
        problem.ref = f"P{count + 1}"
    audit.record(
        "problem.decided",
        actor=user,
        event_id=event.id,
        target=problem,
        status=problem.status.value,
    )


def get_problem_or_404(event: Event, problem_id: int) -> ProblemStatement:
    """Return one of the event's problem statements.

    :raises NotFound: if the id is not one of this event's.
    """
    problem = db.session.get(ProblemStatement, problem_id)
    if problem is None or problem.event_id != event.id:
        abort(404)
    return problem


def get_visible_problem_or_404(
    event: Event, problem_id: int, user: User | None, roles: frozenset[str]
) -> ProblemStatement:
    """Return a problem the viewer may see: approved ones, or their own, or any to organisers.

    :raises NotFound: otherwise.
    """
    problem = get_problem_or_404(event, problem_id)
    own = user is not None and user.is_authenticated and problem.owner_id == user.id
    if (
        problem.status != ProblemStatus.APPROVED
        and not own
        and "organiser" not in roles
    ):
        abort(404)
    if event.phase == EventPhase.DRAFT and "organiser" not in roles:
        abort(404)
    return problem


def list_problems(
    event: Event, *, include_unapproved: bool = False, owner: User | None = None
) -> list[ProblemStatement]:
    """Return the event's problems: approved ones, or all for organisers, or an owner's."""
    query = select(ProblemStatement).where(ProblemStatement.event_id == event.id)
    if owner is not None:
        query = query.where(ProblemStatement.owner_id == owner.id)
    elif not include_unapproved:
        query = query.where(ProblemStatement.status == ProblemStatus.APPROVED)
    return list(
        db.session.scalars(query.order_by(ProblemStatement.ref, ProblemStatement.id))
    )


# --- teams -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberDetails:
    name: str
    background: Background
    organisation: str
    role_title: str


def create_team(
    user: User, event: Event, name: str, problem_id: int, lead: MemberDetails
) -> Team:
    """Form a team around an approved problem; its creator becomes the lead.

    :raises PitchError: if the name is taken or the problem is not approved.
    :raises EventError: if teams cannot form in this phase.
    """
    event = event_services.require_phase(event, *TEAM_PHASES, action="form a team")
    problem = get_problem_or_404(event, problem_id)
    if problem.status != ProblemStatus.APPROVED:
        raise PitchError("Choose one of the approved problem statements")
    taken = db.session.scalar(
        select(Team.id).where(
            Team.event_id == event.id, func.lower(Team.name) == name.lower()
        )
    )
    if taken is not None:
        raise PitchError("Another team in this event already has that name")
    count = db.session.scalar(select(func.count()).where(Team.event_id == event.id))
    team = Team(
        event_id=event.id,
        name=name,
        problem_id=problem.id,
        created_by_id=user.id,
        ref=f"T{count + 1:02d}",
    )
    team.members.append(TeamMember(user_id=user.id, is_lead=True, **lead.__dict__))
    team.pitch = Pitch(event_id=event.id)
    db.session.add(team)
    db.session.flush()
    audit.record("team.created", actor=user, event_id=event.id, target=team)
    return team


def get_team_or_404(event: Event, team_id: int) -> Team:
    """Return one of the event's teams.

    :raises NotFound: if the id is not one of this event's teams.
    """
    team = db.session.get(Team, team_id)
    if team is None or team.event_id != event.id:
        abort(404)
    return team


def is_member(user: User, team: Team) -> bool:
    """Whether the user's account is one of the team's members."""
    return any(m.user_id == user.id for m in team.members)


def get_team_for_user_or_404(
    event: Event, team_id: int, user: User, roles: frozenset[str]
) -> Team:
    """Return a team its member or an organiser of the event may see.

    :raises NotFound: for anyone else (R-02).
    """
    team = get_team_or_404(event, team_id)
    if not is_member(user, team) and "organiser" not in roles:
        abort(404)
    return team


def list_teams_for_user(event: Event, user: User) -> list[Team]:
    """Return the teams of this event the user belongs to."""
    return list(
        db.session.scalars(
            select(Team)
            .join(TeamMember, TeamMember.team_id == Team.id)
            .where(Team.event_id == event.id, TeamMember.user_id == user.id)
            .order_by(Team.name)
        )
    )


def list_teams(event: Event) -> list[Team]:
    """Return every team of the event, but the practice pitch's, with members and pitch."""
    return list(
        db.session.scalars(
            select(Team)
            .outerjoin(Pitch, Pitch.team_id == Team.id)
            .where(Team.event_id == event.id, Pitch.is_practice.is_not(True))
            .options(
                selectinload(Team.members),
                selectinload(Team.pitch),
                selectinload(Team.problem),
            )
            .order_by(Team.ref, Team.name)
        )
    )


def add_member(
    user: User, event: Event, team: Team, member: MemberDetails
) -> TeamMember:
    """Add a person to a team.

    :raises EventError: if the team can no longer change.
    """
    event_services.require_phase(event, *TEAM_PHASES, action="change the team")
    row = TeamMember(team_id=team.id, **member.__dict__)
    db.session.add(row)
    db.session.flush()
    audit.record(
        "team.member_added",
        actor=user,
        event_id=event.id,
        target=team,
        member_id=row.id,
    )
    return row


def remove_member(user: User, event: Event, team: Team, member_id: int) -> None:
    """Remove a person from a team; the lead cannot be removed.

    :raises NotFound: if the member is not in this team.
    :raises PitchError: for the lead.
    """
    event_services.require_phase(event, *TEAM_PHASES, action="change the team")
    member = db.session.get(TeamMember, member_id)
    if member is None or member.team_id != team.id:
        abort(404)
    if member.is_lead:
        raise PitchError("The team lead cannot be removed")
    db.session.delete(member)
    audit.record(
        "team.member_removed",
        actor=user,
        event_id=event.id,
        target=team,
        member_id=member_id,
    )


# --- pitches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PitchDetails:
    title: str
    summary: str
    pitch_type: PitchType | None
    problem_text: str
    evidence: str
    existing: str
    plan: str
    beneficiaries_count: int | None
    beneficiaries_unit: str
    difference: str
    funding_requested: int | None


REQUIRED_TO_SUBMIT = {f.name for f in fields(PitchDetails)}


def submissions_are_open(event: Event) -> bool:
    """Whether pitches can be submitted now: the right phase and before the deadline."""
    return event.phase == P.SUBMISSIONS_OPEN and utcnow() < event.submissions_close_at


def can_edit_pitch(event: Event) -> bool:
    """Whether a team may still change its pitch (drafts before and during submissions)."""
    if event.phase == P.OPEN:
        return True
    return submissions_are_open(event)


def missing_for_submission(pitch: Pitch | PitchDetails) -> list[str]:
    """Return the names of required fields that are still empty."""
    return sorted(
        name for name in REQUIRED_TO_SUBMIT if getattr(pitch, name) in (None, "")
    )


def save_pitch(
    user: User, event: Event, team: Team, details: PitchDetails, *, submit: bool
) -> Pitch:
    """Save the team's pitch as a draft, or submit it, before the deadline.

    A submitted pitch may be edited until the deadline and stays submitted, so every
    change is checked for completeness again.

    :raises PitchError: if the deadline has passed, a field is missing or the ask is
        over the cap.
    """
    event = event_services.lock_event(event)
    if not can_edit_pitch(event):
        raise PitchError("The submission deadline has passed: this pitch is locked")
    if (
        details.funding_requested is not None
        and details.funding_requested > event.cap_pounds
    ):
        raise PitchError(
            f"The funding requested cannot be more than the cap of £{event.cap_pounds:,}"
        )
    pitch = team.pitch
    will_be_submitted = submit or pitch.status == PitchStatus.SUBMITTED
    if will_be_submitted:
        if not submissions_are_open(event):
            raise PitchError("Submissions are not open yet: save your pitch as a draft")
        missing = missing_for_submission(details)
        if missing:
            raise PitchError("Complete every section before submitting")
    for key, value in details.__dict__.items():
        setattr(pitch, key, value)
    pitch.updated_at = utcnow()
    if submit and pitch.status != PitchStatus.SUBMITTED:
        pitch.status = PitchStatus.SUBMITTED
        pitch.submitted_at = utcnow()
        audit.record("pitch.submitted", actor=user, event_id=event.id, target=pitch)
    else:
        audit.record(
            "pitch.saved",
            actor=user,
            event_id=event.id,
            target=pitch,
            status=pitch.status.value,
        )
    return pitch


def get_pitch_or_404(event: Event, pitch_id: int) -> Pitch:
    """Return one of the event's pitches.

    :raises NotFound: if the id is not one of this event's pitches.
    """
    pitch = db.session.get(Pitch, pitch_id)
    if pitch is None or pitch.event_id != event.id:
        abort(404)
    return pitch


def submitted_pitch_ids(event: Event) -> set[int]:
    """The ids of the event's submitted pitches that count (no practice pitch): one
    column, for what needs no pitch objects."""
    return set(
        db.session.scalars(
            select(Pitch.id).where(
                Pitch.event_id == event.id,
                Pitch.status == PitchStatus.SUBMITTED,
                Pitch.is_practice.is_(False),
            )
        )
    )


def list_submitted_pitches(
    event: Event, *, practice: bool = False, members: bool = True
) -> list[Pitch]:
    """Return the event's submitted pitches in running order (then by team reference),
    each with its team, and the team's members unless ``members`` is false.

    Practice (calibration) pitches never count, so they are left out unless
    ``practice`` is true; then they come first, as judges score them before the rest.
    """
    team = contains_eager(Pitch.team)  # from the join the order needs
    query = (
        select(Pitch)
        .join(Team, Team.id == Pitch.team_id)
        .where(Pitch.event_id == event.id, Pitch.status == PitchStatus.SUBMITTED)
        .options(team.selectinload(Team.members) if members else team)
    )
    if not practice:
        query = query.where(Pitch.is_practice.is_(False))
    return list(
        db.session.scalars(
            query.order_by(
                Pitch.is_practice.desc(),
                Pitch.running_order.is_(None),
                Pitch.running_order,
                Team.ref,
            )
        )
    )
