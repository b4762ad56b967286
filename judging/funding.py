"""Funding allocation against the pot, the funder's approval and the chair's sign-off.

Rules (issue 4; domain 6 and 12.7):

1. Decisions are recorded once the panel chair has locked moderation (the ranking is
   final) and until the results are published. Every write re-reads the event row under
   the write lock (R-06), so two organisers working at once cannot over-allocate.
2. Money is in whole pounds. *Fund in full* awards exactly the amount asked. *Fund in part*
   awards more than nothing and less than asked, with the reduced scope agreed (or where
   the rest of the money comes from). *Fund with conditions* awards more than nothing and
   at most the amount asked, with at least one condition. *Support, not cash*, *signpost
   elsewhere* and *decline* award nothing and need a note for the team: the help offered,
   where to go, or why.
3. No award is above the event's per-team cap (when a cap is set).
4. The cash awards together never exceed the pot: a decision that would is refused, and
   the message says by how much.
5. The funder approves the allocation once every pitch has a decision; the chair then signs
   the results off. A change to any decision after either withdraws both (audited): they
   approved a different table.
6. The chair's sign-off needs moderation locked and, when the event has a pot, the
   funder's approval. Publication needs the sign-off (judging.services.publish_results).
7. Conditions are marked met, or not met again after a mis-tap, by organisers at any time
   after the decision, publication included: release of the money is tracked by them.
8. Every decision, approval, sign-off and condition change writes an audit row with the
   old and new values (R-07, R-36).
"""

import hashlib
import json
from dataclasses import dataclass

from flask import abort
from sqlalchemy import select

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Event, EventFunder, EventOrganiser, EventPhase
from extensions import db, utcnow
from judging import services
from judging.funding_models import FundingCondition, FundingDecision, FundingKind
from pitches import services as pitch_services

MAX_CONDITIONS = 10


class FundingError(event_services.EventError):
    """A decision refused, with the form field it concerns (or None for the whole form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Choice:
    """What the organiser chose for one pitch, as entered."""

    kind: FundingKind
    amount: int | None = None
    scope: str = ""
    note: str = ""
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllocationRow:
    row: services.ResultRow
    asked: int
    decision: FundingDecision | None

    @property
    def awarded(self) -> int:
        return self.decision.amount_pounds if self.decision else 0


@dataclass(frozen=True)
class Allocation:
    event: Event
    rows: tuple[AllocationRow, ...]
    approved_by: User | None
    signed_off_by: User | None

    @property
    def pot(self) -> int:
        return self.event.pot_pounds

    @property
    def cap(self) -> int:
        return self.event.cap_pounds

    @property
    def asked(self) -> int:
        return sum(r.asked for r in self.rows)

    @property
    def allocated(self) -> int:
        return sum(r.awarded for r in self.rows)

    @property
    def left(self) -> int:
        return self.pot - self.allocated

    @property
    def undecided(self) -> int:
        return sum(1 for r in self.rows if r.decision is None)

    @property
    def funded(self) -> int:
        return sum(1 for r in self.rows if r.decision and r.decision.kind.is_cash)


def decisions_by_pitch(event: Event) -> dict[int, FundingDecision]:
    return {
        d.pitch_id: d
        for d in db.session.scalars(
            select(FundingDecision).where(FundingDecision.event_id == event.id)
        )
    }


def allocation(event: Event, results: services.Results | None = None) -> Allocation:
    """The ranked list with each pitch's ask and decision, and the running totals."""
    results = results or services.compute_results(event)
    decisions = decisions_by_pitch(event)
    rows = tuple(
        AllocationRow(r, r.pitch.funding_requested or 0, decisions.get(r.pitch.id))
        for r in results.rows
    )
    return Allocation(
        event,
        rows,
        db.session.get(User, event.allocation_approved_by_id)
        if event.allocation_approved_by_id
        else None,
        db.session.get(User, event.signed_off_by_id)
        if event.signed_off_by_id
        else None,
    )


def can_allocate(event: Event) -> bool:
    return (
        event.phase == EventPhase.MODERATION and event.moderation_locked_at is not None
    )


def _require_allocating(event: Event) -> Event:
    locked = event_services.lock_event(event)
    if locked.phase == EventPhase.PUBLISHED:
        raise FundingError("The results are published: the funding decisions are final")
    if not can_allocate(locked):
        raise FundingError(
            "Funding is allocated once the panel chair has locked moderation"
        )
    return locked


def _decidable_pitch(event: Event, pitch_id: int):
    for pitch in pitch_services.list_submitted_pitches(event):
        if pitch.id == pitch_id:
            return pitch
    abort(404)


def _check(choice: Choice, asked: int, cap: int) -> int:
    """Return the amount to award, or raise FundingError naming the field at fault."""
    kind, amount = choice.kind, choice.amount
    if kind.is_cash:
        if kind == FundingKind.FULL:
            amount = asked if amount is None else amount
            if amount != asked:
                raise FundingError(
                    f"Fund in full awards the £{asked:,} asked for; choose fund in part "
                    "for less",
                    "amount",
                )
        if amount is None or amount <= 0:
            raise FundingError("Enter the amount to award, in whole pounds", "amount")
        if kind == FundingKind.PART and amount >= asked:
            raise FundingError(
                f"Fund in part awards less than the £{asked:,} asked for", "amount"
            )
        if kind == FundingKind.CONDITIONS and amount > asked:
            raise FundingError(
                f"The award cannot be more than the £{asked:,} asked for", "amount"
            )
        if cap and amount > cap:
            raise FundingError(
                f"The award cannot be more than the £{cap:,} cap per team", "amount"
            )
    elif amount:
        raise FundingError(f"{kind.label} awards no money from the pot", "amount")
    if kind == FundingKind.PART and not choice.scope:
        raise FundingError(
            "Describe the reduced scope agreed with the team, or where the rest of the "
            "money comes from",
            "scope",
        )
    if kind == FundingKind.CONDITIONS and not choice.conditions:
        raise FundingError("Add at least one condition, one per line", "conditions")
    if kind == FundingKind.CONDITIONS and len(choice.conditions) > MAX_CONDITIONS:
        raise FundingError(f"Give at most {MAX_CONDITIONS} conditions", "conditions")
    if kind in (FundingKind.SUPPORT, FundingKind.SIGNPOST, FundingKind.DECLINE) and (
        not choice.note
    ):
        raise FundingError(
            {
                FundingKind.SUPPORT: "Say what support the team gets instead of money",
                FundingKind.SIGNPOST: "Say where the team can get funding instead",
                FundingKind.DECLINE: "Give the team feedback on why it is declined",
            }[kind],
            "note",
        )
    return amount if kind.is_cash else 0


def _snapshot(decision: FundingDecision | None) -> dict | None:
    if decision is None:
        return None
    return {
        "kind": decision.kind.value,
        "amount": decision.amount_pounds,
        "scope": decision.scope,
        "note": decision.note,
        "conditions": [
            {"text": c.text, "met_at": c.met_at.isoformat() if c.met_at else None}
            for c in decision.conditions
        ],
    }


def _proposed(choice: Choice, amount: int, current: FundingDecision) -> dict:
    """The snapshot the decision would have after this choice (met dates kept)."""
    met = {c.text: c.met_at for c in current.conditions}
    texts = choice.conditions if choice.kind == FundingKind.CONDITIONS else ()
    return {
        "kind": choice.kind.value,
        "amount": amount,
        "scope": choice.scope if choice.kind == FundingKind.PART else "",
        "note": choice.note,
        "conditions": [
            {"text": t, "met_at": met[t].isoformat() if met.get(t) else None}
            for t in texts
        ],
    }


def fingerprint(event: Event) -> str:
    """A digest of every decision as it stands: an approval names the table it saw."""
    rows = sorted(
        (pitch_id, _snapshot(d)) for pitch_id, d in decisions_by_pitch(event).items()
    )
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:32]


def other_roles_conflict(roles: frozenset[str]) -> bool:
    """A funder who also organises, judges, pitches or owns a problem in the event may
    not approve (or see) its allocation as funder: the second pair of eyes must be
    independent (R-07)."""
    return bool(roles & {"organiser", "judge", "team", "problem_owner"})


def _withdraw_approvals(user: User, event: Event, why: str) -> bool:
    """Clear the funder's approval and the chair's sign-off; return whether any was set."""
    if event.allocation_approved_at is None and event.signed_off_at is None:
        return False
    audit.record(
        "funding.approvals_withdrawn",
        actor=user,
        event_id=event.id,
        target=event,
        reason=why,
        approved_at=event.allocation_approved_at,
        signed_off_at=event.signed_off_at,
    )
    event.allocation_approved_at = event.allocation_approved_by_id = None
    event.signed_off_at = event.signed_off_by_id = None
    return True


def decide(user: User, event: Event, pitch_id: int, choice: Choice) -> bool:
    """Record (or change) the decision for one pitch; return True when it withdrew the
    funder's approval or the chair's sign-off.

    :raises FundingError: for any rule above the choice breaks.
    :raises NotFound: if the pitch is not one of the event's submitted pitches.
    """
    event = _require_allocating(event)
    pitch = _decidable_pitch(event, pitch_id)
    amount = _check(choice, pitch.funding_requested or 0, event.cap_pounds)
    decisions = decisions_by_pitch(event)
    current = decisions.get(pitch.id)
    others = sum(d.amount_pounds for p, d in decisions.items() if p != pitch.id)
    if others + amount > event.pot_pounds:
        over = others + amount - event.pot_pounds
        raise FundingError(
            f"That would allocate £{others + amount:,}, £{over:,} more than the "
            f"£{event.pot_pounds:,} pot. £{event.pot_pounds - others:,} is left.",
            "amount",
        )
    before = _snapshot(current)
    if before is not None and before == _proposed(choice, amount, current):
        return False  # nothing changed: keep who decided it and when
    if current is None:
        current = FundingDecision(event_id=event.id, pitch_id=pitch.id)
        db.session.add(current)
    current.kind = choice.kind
    current.amount_pounds = amount
    current.scope = choice.scope if choice.kind == FundingKind.PART else ""
    current.note = choice.note
    current.decided_by_id = user.id
    current.decided_at = utcnow()
    texts = list(choice.conditions) if choice.kind == FundingKind.CONDITIONS else []
    if [c.text for c in current.conditions] != texts:
        # A condition kept (same text) keeps when it was met; the audit row shows both.
        met = {c.text: (c.met_at, c.met_by_id) for c in current.conditions}
        current.conditions.clear()
        db.session.flush()
        for n, text in enumerate(texts, start=1):
            met_at, met_by = met.get(text, (None, None))
            current.conditions.append(
                FundingCondition(position=n, text=text, met_at=met_at, met_by_id=met_by)
            )
    db.session.flush()
    after = _snapshot(
        current
    )  # differs from before: an unchanged choice returned above
    audit.record(
        "funding.decided",
        actor=user,
        event_id=event.id,
        target=current,
        pitch_id=pitch.id,
        old=before,
        new=after,
    )
    return _withdraw_approvals(user, event, f"decision changed for pitch {pitch.id}")


def set_condition_met(user: User, event: Event, condition_id: int, met: bool) -> None:
    """Mark one condition met (or not met again after a mis-tap).

    :raises NotFound: if the condition is not on one of this event's decisions.
    """
    event = event_services.lock_event(event)
    condition = db.session.get(FundingCondition, condition_id)
    if condition is None or condition.decision.event_id != event.id:
        abort(404)
    if (condition.met_at is not None) == met:
        return
    old = condition.met_at
    condition.met_at = utcnow() if met else None
    condition.met_by_id = user.id if met else None
    audit.record(
        "funding.condition_met" if met else "funding.condition_reopened",
        actor=user,
        event_id=event.id,
        target=condition,
        pitch_id=condition.decision.pitch_id,
        old=old,
        new=condition.met_at,
    )


def is_funder(user: User, event: Event) -> bool:
    return (
        db.session.scalar(
            select(EventFunder.id).where(
                EventFunder.event_id == event.id, EventFunder.user_id == user.id
            )
        )
        is not None
    )


def approve(user: User, event: Event, seen: str, roles: frozenset[str]) -> None:
    """The funder approves the allocation they saw (``seen``, its fingerprint).

    :raises FundingError: if allocation is not open, a pitch has no decision yet, the
        allocation changed since the funder's page was loaded, the funder has another
        role in the event or recorded a decision, or it is already approved.
    """
    event = _require_allocating(event)
    if not is_funder(user, event):
        abort(404)
    decisions = decisions_by_pitch(event)
    if other_roles_conflict(roles) or user.id in {
        d.decided_by_id for d in decisions.values()
    }:
        raise FundingError(
            "You have another role in this event, so you cannot approve its funding: "
            "ask another funder"
        )
    if seen != fingerprint(event):
        raise FundingError(
            "The allocation changed while you were reading it. Check it again, then "
            "approve"
        )
    undecided = [
        p for p in pitch_services.list_submitted_pitches(event) if p.id not in decisions
    ]
    if undecided:
        raise FundingError(
            f"{len(undecided)} pitch{'es have' if len(undecided) > 1 else ' has'} no "
            "funding decision yet"
        )
    if event.allocation_approved_at is not None:
        raise FundingError("The allocation is already approved")
    event.allocation_approved_at = utcnow()
    event.allocation_approved_by_id = user.id
    audit.record(
        "funding.approved",
        actor=user,
        event_id=event.id,
        target=event,
        old=None,
        new=event.allocation_approved_at,
        fingerprint=seen,
        allocated=sum(d.amount_pounds for d in decisions.values()),
        pot=event.pot_pounds,
    )


def sign_off(user: User, event: Event) -> None:
    """The panel chair signs the results (and the approved allocation) off.

    :raises FundingError: if moderation is not locked, the funder has not approved the
        allocation of an event with a pot, or it is already signed off.
    :raises NotFound: if the user is not the event's panel chair.
    """
    event = event_services.lock_event(event)
    member = event_services.get_panel_member(event, user)
    if member is None or not member.is_chair:
        abort(404)
    if event.phase != EventPhase.MODERATION or event.moderation_locked_at is None:
        raise FundingError("The results are signed off once moderation is locked")
    if event.pot_pounds and event.allocation_approved_at is None:
        raise FundingError(
            "The funder must approve the funding allocation before you sign off"
        )
    if event.signed_off_at is not None:
        raise FundingError("The results are already signed off")
    event.signed_off_at = utcnow()
    event.signed_off_by_id = user.id
    audit.record(
        "results.signed_off",
        actor=user,
        event_id=event.id,
        target=event,
        old=None,
        new=event.signed_off_at,
        fingerprint=fingerprint(event),
    )


def first_organiser(event: Event) -> User | None:
    """The organiser who signs letters: the first to organise the event."""
    return db.session.scalar(
        select(User)
        .join(EventOrganiser, EventOrganiser.user_id == User.id)
        .where(EventOrganiser.event_id == event.id)
        .order_by(EventOrganiser.id)
        .limit(1)
    )


def allocation_approver(event: Event) -> User | None:
    if event.allocation_approved_by_id is None:
        return None
    return db.session.get(User, event.allocation_approved_by_id)
