"""Moderation (domain 4.4 rules 5, 6 and 10), reminders to judges and the audit log.

The chair's console lists the pitches that need discussion, with the spread of marks per
criterion under anonymous letters. Revisions during moderation are recorded by
judging.services.record_scorecard; the chair's lock ends them, and publication needs it.
"""

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import abort
from sqlalchemy import func, select

from auth import audit
from auth.models import AuditEntry, User
from events import services as event_services
from events.models import Criterion, Event, EventPhase, PanelMember
from events.templating import london
from exports import to_csv
from extensions import db, utcnow
from judging import scoring, services
from judging.models import Mark, Scorecard

AUDIT_PAGE_SIZE = 100
REMINDED = "judge.reminded"
AUDIT_CSV_HEADER = (
    "Time (UK)",
    "Actor",
    "Action",
    "Target type",
    "Target id",
    "Detail",
    "Request id",
)


# --- who may moderate ------------------------------------------------------------------


def is_chair(event: Event, user: User) -> bool:
    """Whether the user chairs the event's judging panel."""
    member = event_services.get_panel_member(event, user)
    return member is not None and member.is_chair


def console_open(event: Event) -> bool:
    """Whether the console shows marks: from moderation on, never while judges score."""
    return event.phase.order >= EventPhase.MODERATION.order


# --- the console -----------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionSpread:
    criterion: Criterion
    marks: tuple[int, ...]  # one per judge, in the order of FlaggedPitch.judges

    @property
    def lowest(self) -> int:
        return min(self.marks)

    @property
    def highest(self) -> int:
        return max(self.marks)

    @property
    def spread(self) -> int:
        return self.highest - self.lowest

    @property
    def flagged(self) -> bool:
        return self.spread >= scoring.CRITERION_RANGE_FLAG


@dataclass(frozen=True)
class FlaggedPitch:
    row: services.ResultRow
    flags: tuple[scoring.Flag, ...]
    judges: tuple[str, ...]  # "Judge A", "Judge B" ... (no names)
    weighted: tuple[Decimal, ...]
    criteria: tuple[CriterionSpread, ...]


@dataclass(frozen=True)
class Console:
    event: Event
    pitches: tuple[FlaggedPitch, ...]
    ranked: int
    chair: PanelMember | None

    @property
    def unflagged(self) -> int:
        return self.ranked - len(self.pitches)


def _letters(n: int) -> list[str]:
    return [
        f"Judge {chr(ord('A') + i)}" if i < 26 else f"Judge {i + 1}" for i in range(n)
    ]


def flags_for(results: services.Results) -> list[scoring.Flag]:
    """The moderation flags (domain 4.4 rule 5) of computed results."""
    asks = {row.pitch.id: row.pitch.funding_requested or 0 for row in results.rows}
    method = results.event.results_method
    return scoring.moderation_flags(
        [row.ranked for row in results.rows],
        results.rubric or services.rubric_for(results.event),
        asks,
        results.event.pot_pounds,
        scores=results.declared_exact or None,
        basis="" if not results.declared_exact else method.short.lower(),
    )


def moderation_console(event: Event) -> Console:
    """Return the flagged pitches with their spread of marks, judges anonymised.

    Letters are given per pitch, highest weighted score first, so they cannot be
    followed from one pitch to the next to identify a judge.
    """
    results = services.compute_results(event)
    ranked = [row.ranked for row in results.rows]
    by_pitch: dict[int, list[scoring.Flag]] = {}
    for flag in flags_for(results):
        by_pitch.setdefault(flag.pitch_id, []).append(flag)
    marks = _counted_marks(results, set(by_pitch))
    pitches = []
    for row in results.rows:
        if row.pitch.id not in by_pitch:
            continue
        judges = sorted(row.result.judge_scores, key=lambda js: (-js[1], js[0]))
        cards = [marks.get((row.pitch.id, judge_id), {}) for judge_id, _ in judges]
        pitches.append(
            FlaggedPitch(
                row=row,
                flags=tuple(by_pitch[row.pitch.id]),
                judges=tuple(_letters(len(judges))),
                weighted=tuple(score for _, score in judges),
                criteria=tuple(
                    CriterionSpread(c, tuple(card.get(c.id, 0) for card in cards))
                    for c in results.criteria
                ),
            )
        )
    return Console(
        event=event,
        pitches=tuple(pitches),
        ranked=sum(1 for r in ranked if r.rank is not None),
        chair=next((m for m in results.judges if m.is_chair), None),
    )


def _counted_marks(
    results: services.Results, pitch_ids: set[int]
) -> dict[tuple[int, int], dict[int, int]]:
    """Return {(pitch, judge): {criterion: mark}} for the counted cards of some pitches."""
    counted = {
        (row.pitch.id, judge_id)
        for row in results.rows
        if row.pitch.id in pitch_ids
        for judge_id, _ in row.result.judge_scores
    }
    out: dict[tuple[int, int], dict[int, int]] = {}
    if not counted:
        return out
    rows = db.session.execute(
        select(Scorecard.pitch_id, Scorecard.judge_id, Mark.criterion_id, Mark.value)
        .join(Mark, Mark.scorecard_id == Scorecard.id)
        .where(Scorecard.pitch_id.in_(pitch_ids))
    )
    for pitch_id, judge_id, criterion_id, value in rows:
        if (pitch_id, judge_id) in counted:
            out.setdefault((pitch_id, judge_id), {})[criterion_id] = value
    return out


def lock_moderation(user: User, event: Event) -> None:
    """The chair ends moderation: from now on no score, conflict or rubric changes.

    :raises NotFound: if the user is not the panel chair.
    :raises EventError: if the event is not in moderation or is already locked.
    """
    event = event_services.require_phase(
        event, EventPhase.MODERATION, action="lock moderation"
    )
    if not is_chair(event, user):
        abort(404)
    event_services.require_unlocked(event, action="lock moderation again")
    event.moderation_locked_at = utcnow()
    if event.funding_tie_draw:
        # Drawn now, when no score can change any more (scoring rule 8).
        event.funding_tie_seed = secrets.token_hex(8)
    audit.record(
        "moderation.locked",
        actor=user,
        event_id=event.id,
        target=event,
        **({"tie_draw_seed": event.funding_tie_seed} if event.funding_tie_draw else {}),
    )


# --- reminders -------------------------------------------------------------------------


def remind_judge(
    actor: User, event: Event, member_id: int
) -> tuple[PanelMember, int, int]:
    """Record a reminder to a judge who has not finished scoring; return their progress.

    :raises NotFound: if the judge is not on this event's panel.
    :raises EventError: if scoring is not possible now (closed or locked).
    :raises JudgingError: if the judge has already scored everything.
    """
    event = event_services.lock_event(event)
    if not services.can_score(event):
        raise event_services.EventError(
            "Judges can only be reminded while scoring is open"
        )
    progress = {p.judge.id: p for p in services.progress_by_judge(event)}
    if member_id not in progress:
        abort(404)
    _, done, total = progress[member_id]
    member = db.session.get(PanelMember, member_id)
    if member.scores_voided:
        raise services.JudgingError(
            f"{member.user.display_name}'s scores are void: they cannot score"
        )
    if done >= total:
        raise services.JudgingError(
            f"{member.user.display_name} has already scored every pitch"
        )
    audit.record(
        REMINDED,
        actor=actor,
        event_id=event.id,
        target=member.user,
        scored=done,
        total=total,
    )
    return member, done, total


def pending_reminder(event: Event, judge: User) -> datetime | None:
    """Return when the judge was last reminded, while they can still act on it.

    The queue page shows the banner only while the judge has pitches left to score.
    """
    if not services.can_score(event):
        return None
    return db.session.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.event_id == event.id,
            AuditEntry.action == REMINDED,
            AuditEntry.target_type == "User",
            AuditEntry.target_id == judge.id,
        )
    )


# --- the audit log (read-only: the app has no path that edits it, R-36) ----------------


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    actor: str

    @property
    def target(self) -> str:
        e = self.entry
        return f"{e.target_type} {e.target_id}" if e.target_type else ""


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    page: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _audit_query(event: Event):
    return (
        select(AuditEntry, User.display_name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.event_id == event.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )


def audit_page(event: Event, page: int) -> AuditPage:
    """Return one page of the event's audit log, newest first.

    :raises NotFound: for a page number past the end.
    """
    total = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.event_id == event.id)
    )
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    if page < 1 or page > pages:
        abort(404)
    rows = db.session.execute(
        _audit_query(event).limit(AUDIT_PAGE_SIZE).offset((page - 1) * AUDIT_PAGE_SIZE)
    )
    return AuditPage(
        rows=tuple(AuditRow(entry, name or "") for entry, name in rows),
        page=page,
        pages=pages,
        total=total,
    )


def _audit_csv_rows(event: Event) -> Iterator[tuple]:
    for entry, name in db.session.execute(_audit_query(event)):
        yield (
            london(entry.at, "%Y-%m-%d %H:%M:%S"),
            name or "",
            entry.action,
            entry.target_type or "",
            entry.target_id,
            entry.detail,
            entry.request_id or "",
        )


def audit_csv(event: Event) -> str:
    """Return the event's whole audit log as spreadsheet-safe CSV (R-27), newest first."""
    return to_csv(AUDIT_CSV_HEADER, _audit_csv_rows(event))
