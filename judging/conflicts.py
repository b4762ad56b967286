"""Conflicts of interest (R-04): automatic, declared by the judge, or decided by an
organiser when a judge shares an organisation with a team member; the judges'
declarations of interests; and the register organisers can export."""

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import select, union

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Event, EventPhase, PanelMember
from exports import to_csv
from extensions import db, utcnow
from judging.models import ConflictDecision, ConflictDeclaration
from pitches.models import Pitch, Team, TeamMember

AUTOMATIC_REASON = "Member of the team"
REGISTER_HEADER = (
    "Judge",
    "Organisation",
    "Declared interests",
    "Pitch",
    "Team",
    "Kind",
    "Reason",
    "Date (UTC)",
)


class ConflictError(Exception):
    """A user-facing reason why a conflict action was refused."""


def normalise_organisation(value: str | None) -> str:
    """Return an organisation name for comparison: trimmed, spaces collapsed, casefolded."""
    return " ".join((value or "").split()).casefold()


def organiser_reason(organisation: str, *, is_conflict: bool = True) -> str:
    """The reason shown on the result sheet and register for an organiser's decision."""
    if is_conflict:
        return f"Organiser decision: same organisation ({organisation})"
    return f"Organiser decision: not a conflict, same organisation ({organisation})"


# --- the three kinds of conflict ---------------------------------------------------------


def automatic_conflicts(event: Event) -> set[tuple[int, int]]:
    """Return (pitch_id, judge_id) pairs where a judge is a member of the pitch's team."""
    rows = db.session.execute(
        select(Pitch.id, TeamMember.user_id)
        .join(Team, Team.id == Pitch.team_id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .join(
            PanelMember,
            (PanelMember.user_id == TeamMember.user_id)
            & (PanelMember.event_id == event.id),
        )
        .where(Pitch.event_id == event.id)
    )
    return {(pitch_id, user_id) for pitch_id, user_id in rows}


def declared_conflicts(event: Event) -> list[ConflictDeclaration]:
    """Return every conflict declared for the event's pitches."""
    return list(
        db.session.scalars(
            select(ConflictDeclaration)
            .join(Pitch, Pitch.id == ConflictDeclaration.pitch_id)
            .where(Pitch.event_id == event.id)
            .order_by(ConflictDeclaration.declared_at)
        )
    )


def decisions(event: Event) -> list[ConflictDecision]:
    """Return every organiser decision (conflicted or not) for the event's pitches."""
    return list(
        db.session.scalars(
            select(ConflictDecision)
            .join(Pitch, Pitch.id == ConflictDecision.pitch_id)
            .where(Pitch.event_id == event.id)
            .order_by(ConflictDecision.decided_at, ConflictDecision.id)
        )
    )


def organiser_conflicts(event: Event) -> list[ConflictDecision]:
    """Return the organiser decisions that found a conflict: they exclude scores."""
    return [d for d in decisions(event) if d.is_conflict]


def excluded_pairs(event: Event) -> set[tuple[int, int]]:
    """Return every (pitch_id, judge_id) whose scores do not count, of any kind."""
    return (
        {(c.pitch_id, c.judge_id) for c in declared_conflicts(event)}
        | automatic_conflicts(event)
        | {(d.pitch_id, d.judge_id) for d in organiser_conflicts(event)}
    )


def conflicted_pitch_ids(event: Event, judge: User) -> set[int]:
    """Return the pitches this judge may not see or score (declared, automatic or
    decided by an organiser)."""
    # One round trip: this runs on every scorecard read and save.
    declared = (
        select(ConflictDeclaration.pitch_id)
        .join(Pitch, Pitch.id == ConflictDeclaration.pitch_id)
        .where(Pitch.event_id == event.id, ConflictDeclaration.judge_id == judge.id)
    )
    automatic = (
        select(Pitch.id)
        .join(TeamMember, TeamMember.team_id == Pitch.team_id)
        .where(Pitch.event_id == event.id, TeamMember.user_id == judge.id)
    )
    decided = (
        select(ConflictDecision.pitch_id)
        .join(Pitch, Pitch.id == ConflictDecision.pitch_id)
        .where(
            Pitch.event_id == event.id,
            ConflictDecision.judge_id == judge.id,
            ConflictDecision.is_conflict.is_(True),
        )
    )
    return set(db.session.scalars(union(declared, automatic, decided)))


# --- the judge's declaration of interests ------------------------------------------------


def get_member_or_404(event: Event, judge: User) -> PanelMember:
    """Return the judge's panel membership of this event.

    :raises NotFound: if the user is not on the panel.
    """
    member = event_services.get_panel_member(event, judge)
    if member is None:
        abort(404)
    return member


def save_declaration(
    judge: User, event: Event, organisation: str, interests: str
) -> PanelMember:
    """Record the judge's organisation and declared interests for this event.

    :raises ConflictError: once results are published, or without an organisation.
    """
    event = event_services.lock_event(event)
    if event.phase == EventPhase.PUBLISHED or event.moderation_locked_at is not None:
        raise ConflictError(
            "Declarations cannot change once moderation is locked or results published"
        )
    organisation = " ".join((organisation or "").split())[:120]
    if not organisation:
        raise ConflictError(
            "Enter your organisation, or 'None' if you do not work for one"
        )
    member = get_member_or_404(event, judge)
    first = member.declared_at is None
    member.organisation = organisation
    member.interests = (interests or "").strip()
    member.declared_at = utcnow()
    audit.record(
        "conflict.interests_declared",
        actor=judge,
        event_id=event.id,
        target=member,
        organisation=organisation,
        first=first,
    )
    return member


# --- organisation matches for the organiser to decide ------------------------------------


@dataclass(frozen=True)
class Flag:
    """A judge who shares an organisation with a member of a pitch's team."""

    pitch: Pitch
    member: PanelMember
    organisation: str
    decision: ConflictDecision | None

    @property
    def judge(self) -> User:
        return self.member.user

    @property
    def pending(self) -> bool:
        return self.decision is None


def flagged_pairs(event: Event) -> list[Flag]:
    """Return the judge-pitch pairs with a shared organisation, decided or not.

    Pairs already conflicted automatically or by the judge's own declaration need no
    decision and are left out.
    """
    judges = [
        m
        for m in event_services.list_panel(event)
        if normalise_organisation(m.organisation)
        and normalise_organisation(m.organisation) != "none"
    ]
    if not judges:
        return []
    orgs_by_pitch: dict[int, set[str]] = {}
    pitches: dict[int, Pitch] = {}
    rows = db.session.execute(
        select(Pitch, TeamMember.organisation)
        .join(Team, Team.id == Pitch.team_id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(Pitch.event_id == event.id, TeamMember.organisation != "")
        .order_by(Team.name, Pitch.id)
    )
    for pitch, organisation in rows:
        key = normalise_organisation(organisation)
        if key:
            pitches[pitch.id] = pitch
            orgs_by_pitch.setdefault(pitch.id, set()).add(key)
    settled = automatic_conflicts(event) | {
        (c.pitch_id, c.judge_id) for c in declared_conflicts(event)
    }
    decided = {(d.pitch_id, d.judge_id): d for d in decisions(event)}
    flags = []
    for pitch_id, pitch in pitches.items():
        for member in judges:
            pair = (pitch_id, member.user_id)
            if pair in settled:
                continue
            if normalise_organisation(member.organisation) in orgs_by_pitch[pitch_id]:
                shown = " ".join(member.organisation.split())
                flags.append(Flag(pitch, member, shown, decided.get(pair)))
    return flags


def decide_conflict(
    organiser: User, event: Event, pitch_id: int, judge_id: int, is_conflict: bool
) -> ConflictDecision:
    """Record the organiser's decision on a flagged pair; it applies from the next request.

    :raises NotFound: if the pair is not flagged in this event (R-02).
    :raises ConflictError: once results are published.
    """
    event = event_services.lock_event(event)
    if event.phase == EventPhase.PUBLISHED or event.moderation_locked_at is not None:
        raise ConflictError(
            "Conflicts cannot change once moderation is locked or results published"
        )
    flag = next(
        (
            f
            for f in flagged_pairs(event)
            if f.pitch.id == pitch_id and f.member.user_id == judge_id
        ),
        None,
    )
    if flag is None:
        abort(404)
    decision = flag.decision
    previous = None if decision is None else decision.is_conflict
    if decision is None:
        decision = ConflictDecision(pitch_id=pitch_id, judge_id=judge_id)
        db.session.add(decision)
    decision.is_conflict = is_conflict
    decision.organisation = flag.organisation
    decision.decided_by_id = organiser.id
    decision.decided_at = utcnow()
    db.session.flush()
    audit.record(
        "conflict.decided",
        actor=organiser,
        event_id=event.id,
        target=flag.pitch,
        judge_id=judge_id,
        decision="conflicted" if is_conflict else "not_conflict",
        previous=None
        if previous is None
        else ("conflicted" if previous else "not_conflict"),
        organisation=flag.organisation,
    )
    return decision


# --- the register ------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    judge: User
    member: PanelMember | None
    pitch: Pitch | None
    kind: str  # "interests" | "declared" | "automatic" | "organiser"
    reason: str
    at: datetime | None


def conflict_register(event: Event) -> list[RegisterRow]:
    """Return every declaration of interests and every conflict of the event."""
    panel = {m.user_id: m for m in event_services.list_panel(event)}
    pitches = {
        p.id: p
        for p in db.session.scalars(select(Pitch).where(Pitch.event_id == event.id))
    }

    def judge(user_id: int) -> User:
        member = panel.get(user_id)
        return member.user if member else db.session.get(User, user_id)

    rows = [
        RegisterRow(
            m.user, m, None, "interests", "Declaration of interests", m.declared_at
        )
        for m in panel.values()
        if m.declared_at is not None
    ]
    rows += [
        RegisterRow(
            judge(c.judge_id),
            panel.get(c.judge_id),
            pitches[c.pitch_id],
            "declared",
            c.reason,
            c.declared_at,
        )
        for c in declared_conflicts(event)
    ]
    rows += [
        RegisterRow(
            judge(j), panel.get(j), pitches[p], "automatic", AUTOMATIC_REASON, None
        )
        for p, j in sorted(automatic_conflicts(event))
    ]
    rows += [
        RegisterRow(
            judge(d.judge_id),
            panel.get(d.judge_id),
            pitches[d.pitch_id],
            "organiser",
            organiser_reason(d.organisation, is_conflict=d.is_conflict),
            d.decided_at,
        )
        for d in decisions(event)
    ]
    return rows


def register_csv(event: Event) -> str:
    """Return the register as spreadsheet-safe CSV (R-27)."""
    return to_csv(
        REGISTER_HEADER,
        (
            (
                r.judge.display_name if r.judge else "",
                " ".join(r.member.organisation.split()) if r.member else "",
                r.member.interests if r.member else "",
                r.pitch.title if r.pitch else "",
                r.pitch.team.name if r.pitch else "",
                r.kind,
                r.reason,
                r.at,
            )
            for r in conflict_register(event)
        ),
    )
