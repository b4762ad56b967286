"""Business rules for judging: the judge's queue, scorecards, conflicts and results."""

import gc
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Criterion, Event, EventPhase, PanelMember
from extensions import db
from judging import assignment_service, methods, saving, scoring
from judging.conflicts import (
    automatic_conflicts,
    conflicted_pitch_ids,
    declared_conflicts,
    excluded_pairs,
    organiser_conflicts,
    organiser_reason,
)
from judging.models import (
    ConflictDeclaration,
    Mark,
    Recommendation,
    Scorecard,
)

# The save path lives in judging.saving; its types are part of this module's interface.
from judging.saving import PRACTICE_PHASES as PRACTICE_PHASES
from judging.saving import JudgingError as JudgingError
from judging.saving import SaveOutcome as SaveOutcome
from judging.saving import ScoreInput as ScoreInput
from judging.saving import StaleRevision as StaleRevision
from pitches import services as pitch_services
from pitches.models import Pitch, PitchStatus, Team


def rubric_for(event: Event) -> scoring.Rubric:
    """Convert the event's criteria to the pure scoring module's rubric."""
    return scoring.Rubric(
        criteria=tuple(
            scoring.CriterionSpec(c.id, c.code, c.name, c.weight, c.tie_break_rank)
            for c in event.criteria
        ),
        scale_min=event.scale_min,
        scale_max=event.scale_max,
    )


# --- conflicts -------------------------------------------------------------------------


def declare_conflict(judge: User, event: Event, pitch: Pitch, reason: str) -> None:
    """Record the judge's conflict with a pitch; from now on it is hidden from them, and
    in split mode another judge takes their place on it.

    :raises JudgingError: if no reason is given.
    """
    reason = reason.strip()
    if not reason:
        raise JudgingError("Say briefly why you have a conflict of interest")
    event = event_services.lock_event(event)
    event_services.require_unlocked(event, action="declare a conflict of interest")
    existing = db.session.scalar(
        select(ConflictDeclaration).where(
            ConflictDeclaration.pitch_id == pitch.id,
            ConflictDeclaration.judge_id == judge.id,
        )
    )
    if existing is None:
        db.session.add(
            ConflictDeclaration(
                pitch_id=pitch.id, judge_id=judge.id, reason=reason[:500]
            )
        )
        audit.record(
            "conflict.declared",
            actor=judge,
            event_id=event.id,
            target=pitch,
            reason=reason[:500],
        )
        # Split mode: the pitch gets another judge in this one's place.
        assignment_service.replace_after_conflict(judge, event, pitch.id, judge.id)


# --- the judge's queue -----------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    position: int  # 0 for a practice pitch, which has no place in the running order
    pitch: Pitch
    scorecard: Scorecard | None

    @property
    def scored(self) -> bool:
        return self.scorecard is not None

    @property
    def is_practice(self) -> bool:
        return self.pitch.is_practice


@dataclass(frozen=True)
class Queue:
    items: tuple[QueueItem, ...]
    conflicted: int

    @property
    def scored(self) -> int:
        """Real pitches scored: a practice pitch never counts."""
        return sum(1 for i in self.items if i.scored and not i.is_practice)

    @property
    def total(self) -> int:
        return sum(1 for i in self.items if not i.is_practice)


def judge_queue(event: Event, judge: User) -> Queue:
    """Return the judge's pitches in running order with their own scorecards; practice
    pitches come first."""
    pitches = pitch_services.list_submitted_pitches(event, practice=True)
    assigned = assignment_service.assigned_pitch_ids(event, judge)  # None: panel mode
    if assigned is not None:
        pitches = [p for p in pitches if p.is_practice or p.id in assigned]
    hidden = conflicted_pitch_ids(event, judge)
    mine = {
        card.pitch_id: card
        for card in db.session.scalars(
            select(Scorecard)
            .join(Pitch, Pitch.id == Scorecard.pitch_id)
            .where(Pitch.event_id == event.id, Scorecard.judge_id == judge.id)
        )
    }
    visible = [p for p in pitches if p.id not in hidden]
    practice = [p for p in visible if p.is_practice]
    real = [p for p in visible if not p.is_practice]
    items = tuple(QueueItem(0, p, mine.get(p.id)) for p in practice) + tuple(
        QueueItem(n, p, mine.get(p.id)) for n, p in enumerate(real, start=1)
    )
    return Queue(items, conflicted=len(pitches) - len(visible))


def get_pitch_for_judge_or_404(event: Event, pitch_id: int, judge: User) -> Pitch:
    """Return a submitted pitch this judge may score.

    :raises NotFound: if it is not a submitted pitch of this event, or the judge is
        conflicted for it (R-04).
    """
    pitch = pitch_services.get_pitch_or_404(event, pitch_id)
    if pitch.status != PitchStatus.SUBMITTED or pitch.id in conflicted_pitch_ids(
        event, judge
    ):
        abort(404)
    if not assignment_service.may_judge(event, judge, pitch):  # split mode
        abort(404)
    return pitch


def get_scorecard(pitch: Pitch, judge: User) -> Scorecard | None:
    """Return the judge's own scorecard for the pitch, if any."""
    return db.session.scalar(
        select(Scorecard)
        .where(Scorecard.pitch_id == pitch.id, Scorecard.judge_id == judge.id)
        .options(selectinload(Scorecard.marks))
    )


def can_score(event: Event, pitch: Pitch | None = None) -> bool:
    """Whether scorecards may be written or revised: while judging is open, and during
    moderation (with a reason) until the chair locks it. A practice pitch may be scored
    once submissions close and until judging ends, so judges calibrate first."""
    if pitch is not None and pitch.is_practice:
        return event.phase in PRACTICE_PHASES
    return event.phase == EventPhase.JUDGING or (
        event.phase == EventPhase.MODERATION and event.moderation_locked_at is None
    )


def needs_reason(event: Event) -> bool:
    """Whether a score change must give a reason (during moderation, domain 4.4 rule 6)."""
    return event.phase == EventPhase.MODERATION


def record_scorecard(
    judge: User, event: Event, pitch: Pitch, data: ScoreInput
) -> SaveOutcome:
    """Create or revise the judge's scorecard for a pitch (see judging.saving.save).

    :raises NotFound: if the judge may not score the pitch.
    :raises EventError: if judging is not open, or moderation is locked.
    :raises JudgingError: if a mark, the feedback or the reason is missing or invalid.
    :raises StaleRevision: if the scorecard changed since the client loaded it.
    """
    ctx = saving.open_scorecard(event.slug, pitch.id, judge.id, data.submission_key)
    return saving.save(ctx, data)


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    ranked: scoring.RankedPitch
    pitch: Pitch
    team: Team

    @property
    def rank(self) -> int | None:
        return self.ranked.rank

    @property
    def result(self) -> scoring.PitchResult:
        return self.ranked.result


@dataclass(frozen=True)
class ConflictNote:
    pitch: Pitch
    judge: User
    reason: str
    automatic: bool


@dataclass(frozen=True)
class VoidNote:
    """A judge whose scores an organiser voided (judging.voiding): none of them count."""

    judge: User
    reason: str
    at: datetime
    scorecards: int  # how many of their scorecards were left out


@dataclass(frozen=True)
class Results:
    event: Event
    criteria: tuple[Criterion, ...]
    tie_break: tuple[Criterion, ...]
    rows: tuple[ResultRow, ...]
    conflicts: tuple[ConflictNote, ...]
    judges: tuple[PanelMember, ...]
    scorecards_counted: int
    # What the ranking was computed from, for the other methods (judging.analysis).
    rubric: scoring.Rubric | None = None
    cards: tuple[scoring.Card, ...] = ()
    excluded: frozenset[tuple[int, int]] = frozenset()
    # The counted scores as whole numbers, made once for every method and check.
    table: methods.ScoreTable | None = None
    # The declared method's score per pitch, when it is not the mean (shown in a column).
    declared_scores: dict[int, Decimal | None] = field(default_factory=dict)
    # ... and exactly, for the moderation flags (None: the pitch has no such score).
    declared_exact: dict[int, Fraction | None] = field(default_factory=dict)
    # The draw among pitches tied at the funding line, when one was made (rule 8).
    draw: scoring.Draw | None = None
    # Judges whose scores were voided: their cards are not in ``cards`` at all.
    voided: tuple[VoidNote, ...] = ()

    @property
    def voided_judge_ids(self) -> frozenset[int]:
        return frozenset(note.judge.id for note in self.voided)

    @property
    def has_unresolved_ties(self) -> bool:
        return any(r.ranked.tied for r in self.rows)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for the block (as a decorator: for the call).

    Computing results makes a few hundred thousand short-lived, acyclic objects (marks,
    cards, fractions), freed by reference counting as they go; the cycle collector,
    triggered by the allocations alone, kept rescanning everything else in the worker
    and took a third of the time for 500 pitches (bench/results_bench.py). It runs
    again as usual once the block ends, and never stays paused after an error.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@collector_paused()
def compute_results(event: Event) -> Results:
    """Load the event's scores in a fixed number of queries and rank its pitches."""
    pitches = pitch_services.list_submitted_pitches(event, members=False)
    by_id = {p.id: p for p in pitches}
    marks: dict[tuple[int, int], dict[int, int]] = {}
    # A table read (no mapped objects) on the session's connection, skipping the ORM's
    # execution pipeline; and, as the four columns are whole numbers that need no
    # conversion, fetched straight from the driver's cursor: SQLAlchemy's row objects
    # cost a third of the load on 70,000 marks (bench/results_bench.py).
    result = db.session.connection().execute(
        select(Scorecard.pitch_id, Scorecard.judge_id, Mark.criterion_id, Mark.value)
        .join(Mark, Mark.scorecard_id == Scorecard.id)
        .join(Pitch, Pitch.id == Scorecard.pitch_id)
        .where(Pitch.event_id == event.id)
    )
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    for pitch_id, judge_id, criterion_id, value in rows:
        marks.setdefault((pitch_id, judge_id), {})[criterion_id] = value
    cards = [scoring.Card(p, j, m) for (p, j), m in marks.items() if p in by_id]
    judges = tuple(event_services.list_panel(event))
    # An organiser voided these judges' scores (judging.voiding): none of them count.
    voided = {m.user_id: m for m in judges if m.scores_voided}
    left_out = Counter(c.judge_id for c in cards if c.judge_id in voided)
    if voided:
        cards = [c for c in cards if c.judge_id not in voided]
    # Split mode: only the cards of assigned pairs count (issue 3, assignment).
    cards = assignment_service.counted_cards(event, cards)
    declared = declared_conflicts(event)
    automatic = automatic_conflicts(event)
    decided = organiser_conflicts(event)
    noted = {(c.pitch_id, c.judge_id) for c in declared} | automatic
    pairs = noted | {(d.pitch_id, d.judge_id) for d in decided}
    rubric = rubric_for(event)
    # Rule 1 (complete, valid cards) and the conflicts are applied once, by the table.
    table = methods.ScoreTable.counted(cards, rubric, pairs)
    ranked = scoring.rank_counted(
        list(by_id), table.marks, rubric, pairs, points=table.points
    )
    declared_exact: dict[int, Fraction | None] = {}
    if event.results_method != methods.Method.MEAN:
        ranked, declared_exact = _rank_by_declared(
            ranked, list(by_id), cards, rubric, table, event.results_method
        )
    ranked, draw = scoring.draw_at_funding_line(
        ranked,
        {p.id: p.funding_requested or 0 for p in pitches},
        event.pot_pounds,
        event.funding_tie_seed if event.funding_tie_draw else None,
        {p.id: p.team.ref for p in pitches},
    )
    users = {m.user_id: m.user for m in judges}
    notes = [
        ConflictNote(
            by_id[c.pitch_id],
            users.get(c.judge_id) or db.session.get(User, c.judge_id),
            c.reason,
            False,
        )
        for c in declared
        if c.pitch_id in by_id
    ]
    notes += [
        ConflictNote(by_id[p], users[j], "Member of the team", True)
        for p, j in sorted(automatic - {(c.pitch_id, c.judge_id) for c in declared})
        if p in by_id and j in users
    ]
    notes += [
        ConflictNote(
            by_id[d.pitch_id],
            users.get(d.judge_id) or db.session.get(User, d.judge_id),
            organiser_reason(d.organisation),
            False,
        )
        for d in decided
        if d.pitch_id in by_id and (d.pitch_id, d.judge_id) not in noted
    ]
    return Results(
        event=event,
        criteria=tuple(event.criteria),
        tie_break=tuple(event_services.tie_break_chain(event)),
        rows=tuple(
            ResultRow(r, by_id[r.result.pitch_id], by_id[r.result.pitch_id].team)
            for r in ranked
        ),
        conflicts=tuple(notes),
        judges=judges,
        scorecards_counted=sum(r.result.judges_counted for r in ranked),
        rubric=rubric,
        cards=tuple(cards),
        excluded=frozenset(pairs),
        table=table,
        declared_scores={
            p: None if v is None else scoring.to_display(v)
            for p, v in declared_exact.items()
        },
        declared_exact=declared_exact,
        draw=draw,
        voided=tuple(
            sorted(
                (
                    VoidNote(
                        m.user,
                        m.scores_voided_reason,
                        m.scores_voided_at,
                        left_out[m.user_id],
                    )
                    for m in voided.values()
                ),
                key=lambda n: (n.judge.display_name, n.judge.id),
            )
        ),
    )


def _rank_by_declared(
    ranked: list[scoring.RankedPitch],
    pitch_ids: list[int],
    cards: list[scoring.Card],
    rubric: scoring.Rubric,
    table: methods.ScoreTable,
    method: methods.Method,
) -> tuple[list[scoring.RankedPitch], dict[int, Fraction | None]]:
    """Re-rank by the event's declared method (judging.methods); each row keeps its
    mean, median and criterion means for the table. Ties still equal after the
    tie-break chain share a rank, for the chair to decide. Also returns each pitch's
    exact score by the method (z-scores: their 28-digit value, as a fraction)."""
    results = {r.result.pitch_id: r.result for r in ranked}
    rows = methods.rank_by(pitch_ids, cards, rubric, method, scores=table)
    reranked = [
        scoring.RankedPitch(
            row.rank,
            results[row.pitch_id],
            row.tied,
            scoring.CHAIR_DECIDES
            if row.tied
            else ("" if row.rank is not None else "No complete scorecards"),
        )
        for row in rows
    ]
    return reranked, {
        row.pitch_id: None if row.score.exact is None else Fraction(row.score.exact)
        for row in rows
    }


def publish_results(user: User, event: Event) -> None:
    """Publish the results: the event moves from moderation to published (R-07).

    :raises EventError: if the event is not in moderation, or the chair has not yet
        locked moderation (domain 4.4 rule 10) and signed the results off (which, for an
        event with a pot, needs the funder's approval: judging.funding).
    """
    locked = event_services.lock_event(event)
    if locked.phase == EventPhase.MODERATION and locked.moderation_locked_at is None:
        raise event_services.EventError(
            "The panel chair must lock moderation before the results can be published"
        )
    if locked.phase == EventPhase.MODERATION and locked.signed_off_at is None:
        raise event_services.EventError(
            "The panel chair must sign the results off before they can be published"
        )
    event_services.change_phase(user, event, EventPhase.PUBLISHED)
    audit.record("results.published", actor=user, event_id=event.id, target=event)


@dataclass(frozen=True)
class PanelJudge:
    """A judge on the panel, as the progress table names them: plain values, so the
    results page can keep the table between views (judging.results_cache)."""

    id: int  # the PanelMember's id
    user_id: int
    name: str
    is_chair: bool
    scores_voided: bool = False  # judging.voiding: none of their scores count


class JudgeProgress(NamedTuple):
    judge: PanelJudge
    scored: int
    total: int  # the pitches they are to score: assigned, submitted, not conflicted


def progress_by_judge(event: Event) -> list[JudgeProgress]:
    """Return each judge's progress, the chair first, leaving out their conflicts."""
    pitch_ids = pitch_services.submitted_pitch_ids(event)
    # Each judge's pitches as sets, so the counting below is set arithmetic.
    excluded = _by_judge(excluded_pairs(event))
    scored = _by_judge(
        db.session.execute(
            select(Scorecard.pitch_id, Scorecard.judge_id)
            .join(Pitch, Pitch.id == Scorecard.pitch_id)
            .where(Pitch.event_id == event.id)
        )
    )
    assigned = assignment_service.assigned_pairs(event)  # None: panel mode
    assigned_to = None if assigned is None else _by_judge(assigned)
    none: frozenset[int] = frozenset()
    out = []
    for member in event_services.list_panel(event):
        judge_id = member.user_id
        if assigned_to is not None:  # split mode: their assigned pitches only
            mine = assigned_to.get(judge_id, none) & pitch_ids
        else:
            mine = pitch_ids
        mine = mine - excluded.get(judge_id, none)
        judge = PanelJudge(
            member.id,
            judge_id,
            member.user.display_name,
            member.is_chair,
            member.scores_voided,
        )
        out.append(
            JudgeProgress(judge, len(mine & scored.get(judge_id, none)), len(mine))
        )
    return out


def _by_judge(pairs: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    """Group (pitch id, judge id) pairs into {judge id: pitch ids}."""
    out: dict[int, set[int]] = defaultdict(set)
    for pitch_id, judge_id in pairs:
        out[judge_id].add(pitch_id)
    return out


def conditions_by_pitch(event: Event) -> dict[int, list[str]]:
    """Return {pitch id: conditions} from the counted "fund with conditions" scorecards,
    without the judges' names, for the organisers' results page. Neither a conflicted
    judge's nor a voided judge's (judging.voiding) conditions count."""
    pitch_ids = pitch_services.submitted_pitch_ids(event)
    conflicts = excluded_pairs(event)
    voided = {m.user_id for m in event_services.list_panel(event) if m.scores_voided}
    out: dict[int, list[str]] = {}
    for pitch_id, judge_id, text in db.session.execute(
        select(Scorecard.pitch_id, Scorecard.judge_id, Scorecard.conditions)
        .join(Pitch, Pitch.id == Scorecard.pitch_id)
        .where(
            Pitch.event_id == event.id,
            Scorecard.recommendation == Recommendation.FUND_WITH_CONDITIONS,
            Scorecard.conditions != "",
        )
        .order_by(Scorecard.pitch_id, Scorecard.id)
    ):
        if (
            pitch_id in pitch_ids
            and (pitch_id, judge_id) not in conflicts
            and judge_id not in voided
        ):
            out.setdefault(pitch_id, []).append(text)
    return out
