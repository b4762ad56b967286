"""Judge assignment (issue 3, item 1): settings, the draw, overrides and drop-outs, and
the checks the judging services make on every read and write.

Panel mode: every judge scores every pitch, and nothing here restricts anything
(``assigned_pitch_ids`` returns None). Split mode: a judge sees, opens and saves only the
pitches assigned to them (404 otherwise), and only scorecards of assigned pairs count in
the results and the progress totals.

Decisions:

- Mode, k and the cap can be changed, and the assignment drawn again, until scoring
  starts (the first scorecard of the event is saved). Changing a setting clears the
  current assignment, which no longer matches it.
- Overrides (assign or unassign one judge on one pitch) and drop-outs are allowed until
  moderation is locked or the results are published. An override may go past k or the
  cap (the page shows it), never against a conflict of interest.
- A judge who drops out loses every assignment; their pitches are redistributed by
  ``assignment.redistribute`` and their panel membership is marked ``dropped_out_at`` so
  they get nothing in later redistributions. Their scorecards are kept (nothing is
  deleted) but no longer count: in split mode only assigned pairs count. The same holds
  for a pair the organiser unassigns.
- A conflict that appears after the draw (a judge declares one, or the organiser decides
  a flagged pair is one) takes that judge off that pitch and gives the pitch another
  judge by the same rules (``assignment.replace_pair``), so it keeps k judges where the
  panel allows.
- A judge marked as dropped out can be put back on the panel; they return with no
  pitches, for the organiser to assign.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from flask import abort
from sqlalchemy import delete, func, select

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import AssignmentMode, Event, EventPhase, PanelMember
from extensions import db, utcnow
from judging import assignment as algorithm
from judging.conflicts import excluded_pairs
from judging.models import AssignmentSource, JudgeAssignment, Scorecard
from pitches import services as pitch_services
from pitches.models import Pitch


class AssignmentError(Exception):
    """A user-facing reason why an assignment action was refused."""


# --- enforcement (called by judging.services on every read and write) -------------------


def is_split(event: Event) -> bool:
    return event.assignment_mode == AssignmentMode.SPLIT


def assigned_pitch_ids(event: Event, judge: User) -> set[int] | None:
    """Return the pitches assigned to the judge, or None in panel mode (no restriction)."""
    if not is_split(event):
        return None
    return set(
        db.session.scalars(
            select(JudgeAssignment.pitch_id).where(
                JudgeAssignment.event_id == event.id,
                JudgeAssignment.judge_id == judge.id,
            )
        )
    )


def may_judge(event: Event, judge: User, pitch: Pitch) -> bool:
    """Whether the assignment lets this judge see and score this pitch.

    Always true in panel mode, and for the practice (calibration) pitch, which every
    judge scores and which never counts.
    """
    if not is_split(event) or getattr(pitch, "is_practice", False):
        return True
    pitch_id = pitch.id
    return (
        db.session.scalar(
            select(JudgeAssignment.id).where(
                JudgeAssignment.event_id == event.id,
                JudgeAssignment.pitch_id == pitch_id,
                JudgeAssignment.judge_id == judge.id,
            )
        )
        is not None
    )


def assigned_pairs(event: Event) -> set[tuple[int, int]] | None:
    """Return every assigned (pitch id, judge id), or None in panel mode."""
    if not is_split(event):
        return None
    return {
        (pitch_id, judge_id)
        for pitch_id, judge_id in db.session.execute(
            select(JudgeAssignment.pitch_id, JudgeAssignment.judge_id).where(
                JudgeAssignment.event_id == event.id
            )
        )
    }


def counted_cards(event: Event, cards: Iterable) -> list:
    """Keep the cards (anything with pitch_id and judge_id) of assigned pairs only."""
    pairs = assigned_pairs(event)
    if pairs is None:
        return list(cards)
    return [c for c in cards if (c.pitch_id, c.judge_id) in pairs]


# --- the organiser's view ----------------------------------------------------------------


def scoring_started(event: Event) -> bool:
    """Whether any scorecard has been saved for the event's pitches."""
    return bool(
        db.session.scalar(
            select(func.count(Scorecard.id))
            .join(Pitch, Pitch.id == Scorecard.pitch_id)
            .where(Pitch.event_id == event.id)
        )
    )


def can_change(event: Event) -> bool:
    """Whether overrides and drop-outs are still allowed."""
    return (
        event.phase.order < EventPhase.PUBLISHED.order
        and event.moderation_locked_at is None
    )


@dataclass(frozen=True)
class Overview:
    event: Event
    pitches: tuple[Pitch, ...]
    panel: tuple[PanelMember, ...]
    pairs: frozenset[tuple[int, int]]
    conflicts: frozenset[tuple[int, int]]
    scored: frozenset[tuple[int, int]]
    loads: dict[int, int]
    connected: bool
    groups: int
    locked_settings: bool
    can_change: bool
    # Judges whose scores are void (judging.voiding): their places do not count.
    voided: frozenset[int] = frozenset()

    def assigned(self, pitch: Pitch, member: PanelMember) -> bool:
        return (pitch.id, member.user_id) in self.pairs

    def conflicted(self, pitch: Pitch, member: PanelMember) -> bool:
        return (pitch.id, member.user_id) in self.conflicts

    def has_scored(self, pitch: Pitch, member: PanelMember) -> bool:
        return (pitch.id, member.user_id) in self.scored

    def count(self, pitch: Pitch) -> int:
        """The judges who will score the pitch: a voided judge's place is empty."""
        return sum(1 for p, j in self.pairs if p == pitch.id and j not in self.voided)

    @property
    def short(self) -> list[Pitch]:
        k = self.event.judges_per_pitch or 0
        return [p for p in self.pitches if self.count(p) < k]

    @property
    def spread(self) -> int:
        active = [
            self.loads.get(m.user_id, 0)
            for m in self.panel
            if not m.dropped_out_at and not m.scores_voided
        ]
        return max(active) - min(active) if active else 0


def overview(event: Event) -> Overview:
    """Everything the assignment page shows, in a fixed number of queries."""
    pitches = tuple(pitch_services.list_submitted_pitches(event))
    panel = tuple(event_services.list_panel(event))
    ids = {p.id for p in pitches}
    pairs = frozenset(
        (p, j)
        for p, j in db.session.execute(
            select(JudgeAssignment.pitch_id, JudgeAssignment.judge_id).where(
                JudgeAssignment.event_id == event.id
            )
        )
        if p in ids
    )
    scored = frozenset(
        (p, j)
        for p, j in db.session.execute(
            select(Scorecard.pitch_id, Scorecard.judge_id)
            .join(Pitch, Pitch.id == Scorecard.pitch_id)
            .where(Pitch.event_id == event.id)
        )
    )
    by_pitch: dict[int, set[int]] = {}
    for p, j in pairs:
        by_pitch.setdefault(p, set()).add(j)
    groups = len(algorithm.components(by_pitch))
    return Overview(
        event=event,
        pitches=pitches,
        panel=panel,
        pairs=pairs,
        conflicts=frozenset(excluded_pairs(event)),
        scored=scored,
        loads=algorithm.judge_loads(by_pitch, [m.user_id for m in panel]),
        connected=groups <= 1,
        groups=groups,
        locked_settings=scoring_started(event),
        can_change=can_change(event),
        voided=frozenset(m.user_id for m in panel if m.scores_voided),
    )


# --- settings and the draw ---------------------------------------------------------------


def _clear(event: Event) -> int:
    result = db.session.execute(
        delete(JudgeAssignment).where(JudgeAssignment.event_id == event.id)
    )
    return result.rowcount or 0


def update_settings(
    actor: User,
    event: Event,
    mode: AssignmentMode,
    judges_per_pitch: int | None,
    max_pitches_per_judge: int | None,
) -> None:
    """Set the mode, k and the cap; clear the assignment if anything changed (audited).

    :raises AssignmentError: once scoring has started, or if split mode has no k, or a
        number is below 1.
    """
    event = event_services.lock_event(event)
    if scoring_started(event):
        raise AssignmentError(
            "Scoring has started: the assignment mode and numbers can no longer change"
        )
    if mode == AssignmentMode.SPLIT and not judges_per_pitch:
        raise AssignmentError("Enter how many judges score each pitch")
    for value in (judges_per_pitch, max_pitches_per_judge):
        if value is not None and value < 1:
            raise AssignmentError("Numbers of judges and pitches must be at least 1")
    before = (
        event.assignment_mode,
        event.judges_per_pitch,
        event.max_pitches_per_judge,
    )
    after = (mode, judges_per_pitch, max_pitches_per_judge)
    if before == after:
        return
    event.assignment_mode, event.judges_per_pitch, event.max_pitches_per_judge = after
    cleared = _clear(event)
    event.assignment_seed = None
    audit.record(
        "assignment.settings_changed",
        actor=actor,
        event_id=event.id,
        target=event,
        mode=mode.value,
        judges_per_pitch=judges_per_pitch,
        max_pitches_per_judge=max_pitches_per_judge,
        cleared=cleared,
    )


def active_judge_ids(event: Event) -> list[int]:
    """The judges who can be given pitches: on the panel, not dropped out, and their
    scores not void (judging.voiding: they cannot score)."""
    return sorted(
        m.user_id
        for m in event_services.list_panel(event)
        if m.dropped_out_at is None and not m.scores_voided
    )


def draw(actor: User, event: Event, seed: str | None = None) -> algorithm.Draw:
    """Draw a fresh assignment for a split event, replacing any earlier one (audited).

    :raises AssignmentError: if the event is not split, scoring has started, there are
        no judges or pitches, or the numbers cannot be met.
    """
    event = event_services.lock_event(event)
    if not is_split(event) or not event.judges_per_pitch:
        raise AssignmentError(
            "Choose split mode and a number of judges per pitch first"
        )
    if scoring_started(event):
        raise AssignmentError(
            "Scoring has started: a new draw would throw away judges' work. Use the "
            "overrides or redistribute a judge who drops out instead"
        )
    pitches = [p.id for p in pitch_services.list_submitted_pitches(event)]
    judges = active_judge_ids(event)
    if not pitches or not judges:
        raise AssignmentError("There must be submitted pitches and judges to assign")
    seed = seed or secrets.token_hex(8)
    try:
        result = algorithm.draw(
            pitches,
            judges,
            event.judges_per_pitch,
            seed=seed,
            cap=event.max_pitches_per_judge,
            excluded=excluded_pairs(event),
        )
    except algorithm.AssignmentError as error:
        raise AssignmentError(str(error)) from None
    _clear(event)
    for pitch_id, judge_id in sorted(result.pairs()):
        db.session.add(
            JudgeAssignment(
                event_id=event.id,
                pitch_id=pitch_id,
                judge_id=judge_id,
                assigned_by_id=actor.id,
                source=AssignmentSource.DRAW,
            )
        )
    event.assignment_seed = result.seed[:32]
    audit.record(
        "assignment.drawn",
        actor=actor,
        event_id=event.id,
        target=event,
        seed=result.seed,
        judges_per_pitch=event.judges_per_pitch,
        max_pitches_per_judge=event.max_pitches_per_judge,
        pairs=len(result.pairs()),
        shortfall={str(p): n for p, n in result.shortfall.items()},
        connected=result.connected,
    )
    db.session.flush()
    return result


# --- overrides and drop-outs -------------------------------------------------------------


def _require_changeable(event: Event) -> Event:
    event = event_services.lock_event(event)
    if not is_split(event):
        raise AssignmentError("Assignments apply only in split mode")
    if not can_change(event):
        raise AssignmentError(
            "The assignment can no longer change: moderation is locked or results "
            "are published"
        )
    return event


def _member_or_404(event: Event, judge_id: int) -> PanelMember:
    """The judge's seat on this event's panel.

    :raises NotFound: if they have none.
    """
    member = db.session.scalar(
        select(PanelMember).where(
            PanelMember.event_id == event.id, PanelMember.user_id == judge_id
        )
    )
    if member is None:
        abort(404)
    return member


def _pitch_and_member(
    event: Event, pitch_id: int, judge_id: int
) -> tuple[Pitch, PanelMember]:
    return pitch_services.get_pitch_or_404(event, pitch_id), _member_or_404(
        event, judge_id
    )


def override(
    actor: User, event: Event, pitch_id: int, judge_id: int, assign: bool
) -> None:
    """Assign or unassign one judge on one pitch (audited).

    :raises NotFound: if the pitch or judge is not in this event.
    :raises AssignmentError: if not in split mode, the event is locked, or assigning
        would put a judge on a pitch they are conflicted for.
    """
    event = _require_changeable(event)
    pitch, member = _pitch_and_member(event, pitch_id, judge_id)
    existing = db.session.scalar(
        select(JudgeAssignment).where(
            JudgeAssignment.pitch_id == pitch.id, JudgeAssignment.judge_id == judge_id
        )
    )
    if assign:
        if member.scores_voided:
            raise AssignmentError(
                "This judge's scores are void, so they cannot be given pitches"
            )
        if (pitch.id, judge_id) in excluded_pairs(event):
            raise AssignmentError(
                "This judge has a conflict of interest with this pitch and cannot be "
                "assigned to it"
            )
        if existing is not None:
            return
        db.session.add(
            JudgeAssignment(
                event_id=event.id,
                pitch_id=pitch.id,
                judge_id=judge_id,
                assigned_by_id=actor.id,
                source=AssignmentSource.ORGANISER,
            )
        )
    else:
        if existing is None:
            return
        db.session.delete(existing)
    audit.record(
        "assignment.assigned" if assign else "assignment.unassigned",
        actor=actor,
        event_id=event.id,
        target=pitch,
        pitch_id=pitch.id,
        judge_id=judge_id,
    )
    db.session.flush()


def drop_out(actor: User, event: Event, judge_id: int) -> algorithm.Draw:
    """Record that a judge dropped out and redistribute their pitches (audited).

    :raises NotFound: if the judge is not on this event's panel.
    :raises AssignmentError: if not in split mode or the event is locked.
    """
    event = _require_changeable(event)
    member = _member_or_404(event, judge_id)
    rows, current = _current(event)
    member.dropped_out_at = member.dropped_out_at or utcnow()
    try:
        result = algorithm.redistribute(
            current,
            judge_id,
            active_judge_ids(event),
            event.judges_per_pitch or 1,
            cap=event.max_pitches_per_judge,
            excluded=excluded_pairs(event),
            seed=event.assignment_seed or "",
        )
    except algorithm.AssignmentError as error:
        raise AssignmentError(str(error)) from None
    for row in rows:
        if row.judge_id == judge_id:
            db.session.delete(row)
    new_pairs = result.pairs() - {(r.pitch_id, r.judge_id) for r in rows}
    _add_redistributed(actor, event, new_pairs)
    audit.record(
        "assignment.judge_dropped_out",
        actor=actor,
        event_id=event.id,
        target=member,
        judge_id=judge_id,
        moved={str(p): j for p, j in sorted(new_pairs)},
        shortfall={str(p): n for p, n in result.shortfall.items()},
        connected=result.connected,
    )
    db.session.flush()
    return result


def replace_after_conflict(
    actor: User, event: Event, pitch_id: int, judge_id: int
) -> int | None:
    """Take a judge off a pitch they are now conflicted for, and give it another judge.

    Called when a judge declares a conflict after the draw, or an organiser decides a
    flagged pair is one. Nothing happens in panel mode, when the pair was not assigned,
    or once the assignment can no longer change. Returns the judge who took the place,
    or None when nobody could (the pitch shows as short on the assignment page).
    Audited as "assignment.replaced_after_conflict".
    """
    event = event_services.lock_event(event)
    if not is_split(event) or not can_change(event):
        return None
    rows, current = _current(event)
    gone = next(
        (r for r in rows if r.pitch_id == pitch_id and r.judge_id == judge_id), None
    )
    if gone is None:
        return None
    result = algorithm.replace_pair(
        current,
        pitch_id,
        judge_id,
        active_judge_ids(event),
        event.judges_per_pitch or 1,
        cap=event.max_pitches_per_judge,
        excluded=excluded_pairs(event),
        seed=event.assignment_seed or "",
    )
    db.session.delete(gone)
    added = sorted(result.assignment[pitch_id] - current[pitch_id])
    _add_redistributed(actor, event, [(pitch_id, j) for j in added])
    audit.record(
        "assignment.replaced_after_conflict",
        actor=actor,
        event_id=event.id,
        target=db.session.get(Pitch, pitch_id),
        pitch_id=pitch_id,
        judge_id=judge_id,
        replaced_by=added,
        short=result.shortfall.get(pitch_id, 0),
    )
    db.session.flush()
    return added[0] if added else None


def restore(actor: User, event: Event, judge_id: int) -> None:
    """Put a judge who was marked as dropped out back on the panel (audited).

    They come back with no pitches: the organiser assigns them by hand (or draws again
    before scoring starts), and from now on they can take part in redistributions.

    :raises NotFound: if the judge is not on this event's panel.
    :raises AssignmentError: if not in split mode, the event is locked, or the judge had
        not dropped out.
    """
    event = _require_changeable(event)
    member = _member_or_404(event, judge_id)
    if member.dropped_out_at is None:
        raise AssignmentError("This judge has not dropped out")
    member.dropped_out_at = None
    audit.record(
        "assignment.judge_restored",
        actor=actor,
        event_id=event.id,
        target=member,
        judge_id=judge_id,
    )
    db.session.flush()


def _current(event: Event) -> tuple[list[JudgeAssignment], dict[int, set[int]]]:
    """The event's assignment rows, and who is on each submitted pitch."""
    rows = list(
        db.session.scalars(
            select(JudgeAssignment).where(JudgeAssignment.event_id == event.id)
        )
    )
    current: dict[int, set[int]] = {
        p.id: set() for p in pitch_services.list_submitted_pitches(event)
    }
    for row in rows:
        current.setdefault(row.pitch_id, set()).add(row.judge_id)
    return rows, current


def _add_redistributed(
    actor: User, event: Event, pairs: Iterable[tuple[int, int]]
) -> None:
    for pitch_id, judge_id in sorted(pairs):
        db.session.add(
            JudgeAssignment(
                event_id=event.id,
                pitch_id=pitch_id,
                judge_id=judge_id,
                assigned_by_id=actor.id,
                source=AssignmentSource.REDISTRIBUTION,
            )
        )
