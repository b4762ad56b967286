"""Business rules for events: creation, phases, the rubric, organisers and the panel."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import abort, current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from auth import audit
from auth.models import User
from auth.services import revoke_sessions
from events.models import (
    Criterion,
    CriterionLevel,
    Event,
    EventFunder,
    EventOrganiser,
    EventPhase,
    EventType,
    JudgeInvitation,
    PanelMember,
)
from events.rubrics import LEVEL_LABELS, PRESETS, AggregationMethod
from extensions import db, utcnow

P = EventPhase
# Legal phase changes: forward one step, plus reopening submissions before judging starts.
TRANSITIONS: dict[EventPhase, tuple[EventPhase, ...]] = {
    P.DRAFT: (P.OPEN,),
    P.OPEN: (P.SUBMISSIONS_OPEN, P.DRAFT),
    P.SUBMISSIONS_OPEN: (P.SUBMISSIONS_CLOSED, P.OPEN),
    P.SUBMISSIONS_CLOSED: (P.JUDGING, P.SUBMISSIONS_OPEN),
    P.JUDGING: (P.MODERATION,),
    P.MODERATION: (P.PUBLISHED, P.JUDGING),
    P.PUBLISHED: (),
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
INVITE_SALT = "judge-invitation"


class EventError(Exception):
    """A user-facing reason why an event change was refused."""


@dataclass(frozen=True)
class EventDetails:
    """The organiser-editable fields of an event, as validated by EventForm."""

    name: str
    slug: str
    event_type: EventType
    starts_at: datetime
    ends_at: datetime
    submissions_close_at: datetime
    venue: str
    description: str
    pot_pounds: int
    cap_pounds: int
    is_blind: bool = False


def get_event_or_404(slug: str) -> Event:
    """Return the event with this slug.

    :raises NotFound: if there is none.
    """
    return db.one_or_404(select(Event).where(Event.slug == slug))


def lock_event(event: Event) -> Event:
    """Re-read the event row under a write lock, so phase checks and writes agree (R-06)."""
    return db.session.execute(
        select(Event)
        .where(Event.id == event.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def require_phase(event: Event, *phases: EventPhase, action: str) -> Event:
    """Lock the event and check it is in one of the phases; return the locked event.

    :raises EventError: naming the action and the current phase.
    """
    event = lock_event(event)
    if event.phase not in phases:
        raise EventError(
            f"You cannot {action} while the event is '{event.phase.label}'"
        )
    return event


def require_unlocked(event: Event, *, action: str) -> None:
    """Refuse a change once the panel chair has locked moderation (domain 4.4 rule 10).

    Call it on the row returned by lock_event, so the check and the write share one
    transaction (R-06).

    :raises EventError: naming the action, if moderation is locked.
    """
    if event.moderation_locked_at is not None:
        raise EventError(f"You cannot {action}: the chair has locked moderation")


def _validate_details(details: EventDetails, event: Event | None) -> None:
    if not SLUG_RE.match(details.slug):
        raise EventError("Slug must be lower-case letters, numbers and single hyphens")
    clash = db.session.scalar(select(Event.id).where(Event.slug == details.slug))
    if clash is not None and (event is None or clash != event.id):
        raise EventError("Another event already uses that slug")
    if details.ends_at < details.starts_at:
        raise EventError("The event must end after it starts")
    if details.cap_pounds > details.pot_pounds:
        raise EventError("The per-team cap cannot be more than the funding pot")


def create_event(user: User, details: EventDetails, preset_key: str) -> Event:
    """Create a draft event with a copy of the chosen rubric; its creator organises it.

    :raises EventError: if the details break a rule.
    """
    _validate_details(details, None)
    preset = PRESETS[preset_key]
    event = Event(
        **details.__dict__,
        rubric_preset=preset.key,
        scale_min=preset.scale_min,
        scale_max=preset.scale_max,
        phase=EventPhase.DRAFT,
    )
    for position, spec in enumerate(preset.criteria, start=1):
        criterion = Criterion(
            code=spec.code,
            name=spec.name,
            question=spec.question,
            weight=spec.weight,
            position=position,
            tie_break_rank=spec.tie_break_rank,
        )
        criterion.levels = [
            CriterionLevel(score=s, label=LEVEL_LABELS.get(s, str(s)), descriptor=d)
            for s, d in sorted(spec.descriptors.items(), reverse=True)
        ]
        event.criteria.append(criterion)
    db.session.add(event)
    db.session.flush()
    db.session.add(EventOrganiser(event_id=event.id, user_id=user.id))
    audit.record("event.created", actor=user, event_id=event.id, target=event)
    return event


def update_event(user: User, event: Event, details: EventDetails) -> None:
    """Change an event's details; money and dates are frozen once judging starts.

    :raises EventError: if the details break a rule or judging has started.
    """
    event = lock_event(event)
    _validate_details(details, event)
    if event.phase.order >= EventPhase.JUDGING.order:
        raise EventError("Event details are locked once judging has started")
    old = {k: str(getattr(event, k)) for k in details.__dict__}
    for key, value in details.__dict__.items():
        setattr(event, key, value)
    changed = {
        k: [old[k], str(v)] for k, v in details.__dict__.items() if old[k] != str(v)
    }
    audit.record(
        "event.updated", actor=user, event_id=event.id, target=event, **changed
    )


def allowed_transitions(event: Event) -> tuple[EventPhase, ...]:
    """Return the phases this event may move to next."""
    return TRANSITIONS[event.phase]


def change_phase(user: User, event: Event, target: EventPhase) -> None:
    """Move the event to another phase, if that step is legal from where it is now.

    :raises EventError: if the step is not allowed or a precondition fails.
    """
    event = lock_event(event)
    if target not in TRANSITIONS[event.phase]:
        raise EventError(
            f"An event cannot go from '{event.phase.label}' to '{target.label}'"
        )
    if target != EventPhase.PUBLISHED:
        # Once moderation is locked the only way on is publication: no going back.
        require_unlocked(event, action=f"move the event back to '{target.label}'")
    if target == EventPhase.JUDGING:
        _check_rubric(event)
    old = event.phase
    event.phase = target
    if target == EventPhase.PUBLISHED:
        event.published_at = utcnow()
    audit.record(
        "event.phase_changed",
        actor=user,
        event_id=event.id,
        target=event,
        old=old.value,
        new=target.value,
    )


def _check_rubric(event: Event) -> None:
    total = sum(c.weight for c in event.criteria)
    if not event.criteria or total != 100:
        raise EventError(
            f"The rubric's weights must add up to 100 (they add up to {total})"
        )


def can_edit_rubric(event: Event) -> bool:
    """Whether the rubric may still change (until judging starts)."""
    return event.phase.order < EventPhase.JUDGING.order


def declare_results_method(
    user: User, event: Event, method: AggregationMethod, tie_draw: bool = False
) -> None:
    """Declare how the judges' scores are combined, and whether pitches still tied at
    the funding line are ordered by lot (scoring rule 8); audited, locked with the rubric.

    :raises EventError: once judging has started or moderation is locked.
    """
    event = lock_event(event)
    require_unlocked(event, action="change how scores are combined")
    if not can_edit_rubric(event):
        raise EventError(
            "How the scores are combined is locked once judging has started"
        )
    if (event.results_method, event.funding_tie_draw) == (method, tie_draw):
        return
    previous = event.results_method, event.funding_tie_draw
    event.results_method, event.funding_tie_draw = method, tie_draw
    audit.record(
        "results_method.declared",
        actor=user,
        event_id=event.id,
        target=event,
        method=method.value,
        tie_draw=tie_draw,
        previous={"method": previous[0].value, "tie_draw": previous[1]},
    )


@dataclass(frozen=True)
class CriterionEdit:
    criterion_id: int
    name: str
    question: str
    weight: int
    tie_break_rank: int | None
    descriptors: dict[int, str]


def update_rubric(user: User, event: Event, edits: list[CriterionEdit]) -> None:
    """Apply the organiser's edits to the rubric: names, weights, descriptors, tie-break.

    :raises EventError: if judging has started, weights do not add to 100, or the
        tie-break positions repeat.
    """
    event = lock_event(event)
    require_unlocked(event, action="change the rubric")
    if not can_edit_rubric(event):
        raise EventError("The rubric is locked once judging has started")
    by_id = {c.id: c for c in event.criteria}
    if sorted(e.criterion_id for e in edits) != sorted(by_id):
        raise EventError("Every criterion of the rubric must be submitted")
    if sum(e.weight for e in edits) != 100:
        raise EventError(
            f"The weights must add up to 100 (they add up to {sum(e.weight for e in edits)})"
        )
    ranks = [e.tie_break_rank for e in edits if e.tie_break_rank is not None]
    if len(ranks) != len(set(ranks)):
        raise EventError("Each tie-break position can be used by one criterion only")
    for edit in edits:
        criterion = by_id[edit.criterion_id]
        criterion.name, criterion.question = edit.name, edit.question
        criterion.weight, criterion.tie_break_rank = edit.weight, edit.tie_break_rank
        for level in criterion.levels:
            level.descriptor = edit.descriptors.get(level.score, level.descriptor)
    audit.record(
        "rubric.updated",
        actor=user,
        event_id=event.id,
        target=event,
        weights={by_id[e.criterion_id].code: e.weight for e in edits},
        tie_break=[
            by_id[e.criterion_id].code
            for e in sorted(
                (e for e in edits if e.tie_break_rank), key=lambda e: e.tie_break_rank
            )
        ],
    )


def tie_break_chain(event: Event) -> list[Criterion]:
    """Return the criteria used to break ties, in order."""
    chain = [c for c in event.criteria if c.tie_break_rank is not None]
    return sorted(chain, key=lambda c: c.tie_break_rank)


# --- organisers and panel ------------------------------------------------------------


def is_organiser(user: User, event: Event) -> bool:
    """Whether the user organises this event."""
    return (
        db.session.scalar(
            select(EventOrganiser.id).where(
                EventOrganiser.event_id == event.id, EventOrganiser.user_id == user.id
            )
        )
        is not None
    )


def list_events_for_user(user: User) -> list[Event]:
    """Return the events the user organises or judges, newest first."""
    organised = select(EventOrganiser.event_id).where(EventOrganiser.user_id == user.id)
    judged = select(PanelMember.event_id).where(PanelMember.user_id == user.id)
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.id.in_(organised) | Event.id.in_(judged))
            .order_by(Event.starts_at.desc())
        )
    )


def list_public_events() -> list[Event]:
    """Return the events anyone may see (all but drafts), newest first."""
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.phase != EventPhase.DRAFT)
            .order_by(Event.starts_at.desc())
        )
    )


def list_panel(event: Event) -> list[PanelMember]:
    """Return the event's judges, the chair first, then by name."""
    return list(
        db.session.scalars(
            select(PanelMember)
            .join(PanelMember.user)
            .options(contains_eager(PanelMember.user))
            .where(PanelMember.event_id == event.id)
            .order_by(PanelMember.is_chair.desc(), User.display_name)
        )
    )


def get_panel_member(event: Event, user: User) -> PanelMember | None:
    """Return the user's panel membership for this event, if any."""
    return db.session.scalar(
        select(PanelMember).where(
            PanelMember.event_id == event.id, PanelMember.user_id == user.id
        )
    )


def add_judge(actor: User | None, event: Event, judge: User) -> PanelMember:
    """Put a user on the event's panel (idempotent)."""
    member = get_panel_member(event, judge)
    if member is None:
        member = PanelMember(event_id=event.id, user_id=judge.id)
        db.session.add(member)
        db.session.flush()
        audit.record(
            "panel.judge_added",
            actor=actor,
            event_id=event.id,
            target=member,
            judge_id=judge.id,
        )
    return member


def list_funders(event: Event) -> list[EventFunder]:
    """Return the event's funders, in the order they joined."""
    return list(
        db.session.scalars(
            select(EventFunder)
            .where(EventFunder.event_id == event.id)
            .order_by(EventFunder.joined_at, EventFunder.id)
        )
    )


def add_funder(actor: User | None, event: Event, funder: User) -> EventFunder:
    """Make a user one of the event's funders (idempotent); they approve the allocation."""
    existing = db.session.scalar(
        select(EventFunder).where(
            EventFunder.event_id == event.id, EventFunder.user_id == funder.id
        )
    )
    if existing is not None:
        return existing
    row = EventFunder(event_id=event.id, user_id=funder.id)
    db.session.add(row)
    db.session.flush()
    audit.record(
        "funders.added", actor=actor, event_id=event.id, target=row, user_id=funder.id
    )
    return row


def remove_funder(actor: User, event: Event, funder_id: int) -> None:
    """Take a funder off the event, until the allocation is approved, and end their
    sessions (R-17): for example one invited by mistake, or who has left the funder.

    :raises NotFound: if the funder is not one of this event's.
    :raises EventError: once the allocation is approved: who approved it stays on record.
    """
    event = lock_event(event)
    funder = db.session.get(EventFunder, funder_id)
    if funder is None or funder.event_id != event.id:
        abort(404)
    if event.allocation_approved_at is not None:
        raise EventError(
            "Funders cannot be removed once the funding allocation is approved"
        )
    user_id = funder.user_id
    db.session.delete(funder)
    revoke_sessions(db.session.get(User, user_id))
    audit.record("funders.removed", actor=actor, event_id=event.id, user_id=user_id)


def set_chair(actor: User, event: Event, member_id: int) -> None:
    """Make one judge the panel chair; any previous chair stops being chair.

    :raises NotFound: if the judge is not on this event's panel.
    """
    lock_event(event)
    panel = list_panel(event)
    if member_id not in {m.id for m in panel}:
        abort(404)
    for member in panel:
        member.is_chair = member.id == member_id
    audit.record("panel.chair_set", actor=actor, event_id=event.id, member_id=member_id)


def remove_judge(actor: User, event: Event, member_id: int) -> None:
    """Take a judge off the panel, before judging starts, and end their sessions.

    :raises NotFound: if the judge is not on this event's panel.
    :raises EventError: once judging has started.
    """
    event = lock_event(event)
    member = db.session.get(PanelMember, member_id)
    if member is None or member.event_id != event.id:
        abort(404)
    if event.phase.order >= EventPhase.JUDGING.order:
        raise EventError("Judges cannot be removed once judging has started")
    db.session.delete(member)
    # Removing an assignment ends the judge's sessions, as the docstring says.
    revoke_sessions(db.session.get(User, member.user_id))
    audit.record(
        "panel.judge_removed", actor=actor, event_id=event.id, judge_id=member.user_id
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def create_invitation(
    actor: User, event: Event, note: str = "", *, for_funder: bool = False
) -> str:
    """Create a single-use invitation (a judge's, or a funder's) and return its token.

    The token carries 256 bits of randomness; only its hash is stored (R-12).
    """
    nonce = secrets.token_urlsafe(32)
    max_age = current_app.config["INVITATION_MAX_AGE"]
    invitation = JudgeInvitation(
        event_id=event.id,
        nonce_hash=_hash(nonce),
        note=note.strip()[:120],
        created_by_id=actor.id,
        expires_at=utcnow() + max_age,
        for_funder=for_funder,
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "panel.invitation_created",
        actor=actor,
        event_id=event.id,
        target=invitation,
        for_funder=for_funder,
    )
    return _serializer().dumps({"i": invitation.id, "n": nonce})


def list_open_invitations(event: Event) -> list[JudgeInvitation]:
    """Return invitations that can still be used, newest first."""
    return list(
        db.session.scalars(
            select(JudgeInvitation)
            .where(
                JudgeInvitation.event_id == event.id,
                JudgeInvitation.used_at.is_(None),
                JudgeInvitation.revoked_at.is_(None),
                JudgeInvitation.expires_at > utcnow(),
            )
            .order_by(JudgeInvitation.created_at.desc())
        )
    )


def revoke_invitation(actor: User, event: Event, invitation_id: int) -> None:
    """Withdraw an unused invitation.

    :raises NotFound: if it is not one of this event's invitations.
    """
    invitation = db.session.get(JudgeInvitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        abort(404)
    invitation.revoked_at = utcnow()
    audit.record(
        "panel.invitation_revoked", actor=actor, event_id=event.id, target=invitation
    )


def find_invitation(token: str) -> JudgeInvitation:
    """Return the invitation a token names, if it is genuine, unused and unexpired.

    :raises EventError: for any token that cannot be used, with one message for all.
    """
    max_age = current_app.config["INVITATION_MAX_AGE"].total_seconds()
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        raise EventError("This invitation link is not valid or has expired") from None
    invitation = (
        db.session.get(JudgeInvitation, data.get("i"))
        if isinstance(data, dict) and isinstance(data.get("i"), int)
        else None
    )
    if (
        invitation is None
        or not secrets.compare_digest(invitation.nonce_hash, _hash(str(data.get("n"))))
        or invitation.used_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= utcnow()
    ):
        raise EventError("This invitation link is not valid or has expired")
    return invitation


def redeem_invitation(user: User, token: str) -> Event:
    """Use an invitation: the signed-in user joins the event's panel, or its funders.

    :raises EventError: if the token cannot be used.
    """
    invitation = find_invitation(token)
    if invitation.for_funder:
        event = db.session.get(Event, invitation.event_id)
        if is_organiser(user, event) or get_panel_member(event, user) is not None:
            raise EventError(
                "You organise or judge this event, so you cannot also approve its "
                "funding: the approval must come from someone else"
            )
    # Claim it with a conditional UPDATE, so two simultaneous uses cannot both succeed.
    claimed = db.session.execute(
        update(JudgeInvitation)
        .where(JudgeInvitation.id == invitation.id, JudgeInvitation.used_at.is_(None))
        .values(used_at=utcnow(), used_by_id=user.id)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if claimed != 1:
        raise EventError("This invitation link is not valid or has expired")
    event = db.session.get(Event, invitation.event_id)
    if invitation.for_funder:
        add_funder(user, event, user)
    else:
        add_judge(user, event, user)
    audit.record(
        "panel.invitation_used", actor=user, event_id=event.id, target=invitation
    )
    return event
