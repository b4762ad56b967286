"""Saving a judge's scorecard: the busiest write in the product, in a handful of statements.

Every judge on a panel presses Save within seconds of the others at the end of a pitch
(bench/score_burst.py measures exactly that), so this path reads everything it checks in
one query and writes with table statements rather than the ORM's unit of work. The
statements are built once, at import, with bind parameters: a save reuses SQLAlchemy's
compiled form instead of building and compiling its queries again.

A save is three steps, so the route can build and check the scorecard form before it
takes SQLite's one write lock, and holds the lock only for what must agree:

- :func:`read_rubric` reads the event's rubric, outside the lock (see RubricShape);
- :func:`open_scorecard` takes the write lock and reads the event, the pitch, the judge's
  standing with it (panel, assignment, conflicts, the chair's lock) and their scorecard,
  and answers 404 for a pitch the judge may not score (R-04);
- :func:`save` checks the phase and the moderation lock on that locked row (R-06), applies
  the idempotency key and the revision check (R-42), validates, and writes the scorecard,
  its marks, the submission key and the audit line in the caller's transaction.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import Connection, and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.orm.util import identity_key

from auth import audit
from events import services as event_services
from events.models import AssignmentMode, Criterion, Event, EventPhase, PanelMember
from extensions import Prepared, db, utcnow
from judging import scoring
from judging.live_models import PitchSlot
from judging.models import (
    ConflictDecision,
    ConflictDeclaration,
    JudgeAssignment,
    Mark,
    Recommendation,
    Scorecard,
    ScoreSubmission,
)
from pitches.models import Pitch, PitchStatus, TeamMember


class JudgingError(Exception):
    """A user-facing reason why a judging action was refused."""


class StaleRevision(JudgingError):
    """The scorecard changed since the client loaded it: a newer edit must not be lost."""


VOIDED_MESSAGE = (
    "The organisers have voided your scores for this event, so you cannot score. "
    "Ask them if you think this is a mistake."
)

# A practice (calibration) pitch is scored before judging opens and never counts.
PRACTICE_PHASES = (EventPhase.SUBMISSIONS_CLOSED, EventPhase.JUDGING)
SCORING_PHASES = (EventPhase.JUDGING, EventPhase.MODERATION)


@dataclass(frozen=True)
class ScoreInput:
    marks: dict[int, int]
    feedback: str
    recommendation: Recommendation | None
    submission_key: str
    base_revision: int  # 0 for a new scorecard
    reason: str = ""  # required during moderation
    conditions: str = ""  # required when recommending "fund with conditions"
    private_notes: str = ""  # only ever shown to the judge who wrote them


@dataclass(frozen=True)
class SaveOutcome:
    scorecard_id: int
    replayed: bool
    saved_at: datetime
    revision: int


@dataclass(frozen=True)
class CriterionRow:
    """The parts of a criterion the scorecard form and the mark check need."""

    id: int
    code: str
    name: str
    weight: object
    tie_break_rank: int | None


@dataclass(frozen=True)
class RubricShape:
    """An event's rubric as a save needs it: to build the scorecard form and check marks.

    Read before the write lock is taken (:func:`read_rubric`), because nothing in it can
    change what a save stores: an event's criteria and its scale are fixed when the event
    is created (events.services.create_event), and the parts an organiser may still edit
    before judging (names, weights, tie-break) are not stored with a mark. The phase read
    here only decides whether the form asks for a reason; :func:`save` checks the phase
    again on the locked row.
    """

    event_id: int
    phase: EventPhase
    criteria: tuple[CriterionRow, ...]
    scale_min: int
    scale_max: int

    @property
    def moderating(self) -> bool:
        return self.phase == EventPhase.MODERATION


@dataclass(frozen=True)
class ScoringContext:
    """What one save needs to know, read in one query with the event row locked."""

    event_id: int
    phase: EventPhase
    moderation_locked: bool
    pitch_id: int
    is_practice: bool
    chair_locked: bool  # the live-mode chair locked this pitch
    judge_id: int
    scorecard_id: int | None
    revision: int  # 0 when the judge has no scorecard yet
    shape: RubricShape
    # The submission key the client sent, and (judge, scorecard) if it was used already.
    key: str = ""
    key_used_by: tuple[int, int] | None = None
    # An organiser voided the judge's scores (judging.voiding): they cannot score.
    voided: bool = False

    @property
    def moderating(self) -> bool:
        return self.phase == EventPhase.MODERATION

    @property
    def criteria(self) -> tuple[CriterionRow, ...]:
        return self.shape.criteria

    @property
    def rubric(self) -> scoring.Rubric:
        return scoring.Rubric(
            criteria=tuple(
                scoring.CriterionSpec(c.id, c.code, c.name, c.weight, c.tie_break_rank)
                for c in self.shape.criteria
            ),
            scale_min=self.shape.scale_min,
            scale_max=self.shape.scale_max,
        )


_events = Event.__table__
_pitches = Pitch.__table__
_cards = Scorecard.__table__
_marks = Mark.__table__
_keys = ScoreSubmission.__table__
_criteria = Criterion.__table__
_panel = PanelMember.__table__
_assigned = JudgeAssignment.__table__
_declared = ConflictDeclaration.__table__
_decided = ConflictDecision.__table__
_members = TeamMember.__table__
_slots = PitchSlot.__table__

_JUDGE = bindparam("judge_id")
_PITCH = bindparam("pitch_id")

_CONTEXT = Prepared(
    select(
        _events.c.id,
        _events.c.phase,
        _events.c.moderation_locked_at,
        _events.c.assignment_mode,
        _pitches.c.status,
        _pitches.c.is_practice,
        # Read from the judge's panel row itself, which is locked too: on PostgreSQL a
        # save that waited for an organiser voiding the judge sees the void.
        _panel.c.scores_voided_at.is_not(None).label("voided"),
        exists()
        .where(
            _assigned.c.event_id == _events.c.id,
            _assigned.c.pitch_id == _pitches.c.id,
            _assigned.c.judge_id == _JUDGE,
        )
        .label("assigned"),
        or_(
            exists().where(
                _declared.c.pitch_id == _pitches.c.id,
                _declared.c.judge_id == _JUDGE,
            ),
            exists().where(
                _members.c.team_id == _pitches.c.team_id, _members.c.user_id == _JUDGE
            ),
            exists().where(
                _decided.c.pitch_id == _pitches.c.id,
                _decided.c.judge_id == _JUDGE,
                _decided.c.is_conflict.is_(True),
            ),
        ).label("conflicted"),
        exists()
        .where(_slots.c.pitch_id == _pitches.c.id, _slots.c.locked_at.is_not(None))
        .label("chair_locked"),
        _cards.c.id.label("scorecard_id"),
        _cards.c.revision,
        select(_keys.c.judge_id)
        .where(_keys.c.key == bindparam("key"))
        .scalar_subquery()
        .label("key_judge_id"),
        select(_keys.c.scorecard_id)
        .where(_keys.c.key == bindparam("key"))
        .scalar_subquery()
        .label("key_scorecard_id"),
    )
    .select_from(
        _events.join(
            _pitches,
            and_(_pitches.c.event_id == _events.c.id, _pitches.c.id == _PITCH),
        )
        # No row for a judge who is not on the event's panel.
        .join(
            _panel,
            and_(_panel.c.event_id == _events.c.id, _panel.c.user_id == _JUDGE),
        )
        .outerjoin(
            _cards,
            and_(_cards.c.pitch_id == _pitches.c.id, _cards.c.judge_id == _JUDGE),
        )
    )
    .where(_events.c.slug == bindparam("slug"))
    # PostgreSQL: phase checks and the write share one transaction, and a void
    # (judging.voiding) that commits while this waits is seen on the locked panel row;
    # SQLite's BEGIN IMMEDIATE already holds the write lock.
    .with_for_update(of=[_events, _panel])
)

_RUBRIC = Prepared(
    select(
        _events.c.id.label("event_id"),
        _events.c.phase,
        _events.c.scale_min,
        _events.c.scale_max,
        _criteria.c.id,
        _criteria.c.code,
        _criteria.c.name,
        _criteria.c.weight,
        _criteria.c.tie_break_rank,
    )
    .select_from(_events.join(_criteria, _criteria.c.event_id == _events.c.id))
    .where(_events.c.slug == bindparam("slug"))
    .order_by(_criteria.c.position)
)

_USED_KEY = select(_keys.c.judge_id, _keys.c.scorecard_id).where(
    _keys.c.key == bindparam("key")
)
_CARD_STATE = select(_cards.c.pitch_id, _cards.c.revision, _cards.c.updated_at).where(
    _cards.c.id == bindparam("card_id")
)
_OLD_MARKS = select(_marks.c.criterion_id, _marks.c.value).where(
    _marks.c.scorecard_id == bindparam("card_id")
)
_NEW_CARD = Prepared(
    insert(_cards).returning(_cards.c.id),
    [
        "pitch_id",
        "judge_id",
        "revision",
        "submitted_at",
        "updated_at",
        "feedback",
        "recommendation",
        "conditions",
        "private_notes",
    ],
)
_REVISE_CARD = (
    update(_cards)
    .where(_cards.c.id == bindparam("card_id"), _cards.c.revision == bindparam("base"))
    .values(
        revision=bindparam("new_revision"),
        feedback=bindparam("feedback"),
        recommendation=bindparam("recommendation"),
        conditions=bindparam("conditions"),
        private_notes=bindparam("private_notes"),
        updated_at=bindparam("now"),
    )
)
_NEW_MARKS = Prepared(insert(_marks), ["scorecard_id", "criterion_id", "value"])
_REVISE_MARK = (
    update(_marks)
    .where(
        _marks.c.scorecard_id == bindparam("card_id"),
        _marks.c.criterion_id == bindparam("criterion"),
    )
    .values(value=bindparam("mark"))
)
_NEW_KEY = Prepared(
    insert(_keys), ["key", "judge_id", "scorecard_id", "revision", "at"]
)


def _connection() -> Connection:
    """The session's connection, in its transaction: these table statements load no
    mapped objects, so they skip the ORM's execution pipeline (and the Prepared ones
    SQLAlchemy's, see extensions.Prepared)."""
    return db.session.connection()


def read_rubric(slug: str) -> RubricShape | None:
    """Return the rubric of the event with this slug, or None if there is no such event.

    Call it before the write lock (inside extensions.reading on a write request), so
    building and checking the scorecard form never holds the lock: see RubricShape.
    """
    rows = _RUBRIC.all(_connection(), {"slug": slug})
    if not rows:
        return None
    event_id, phase, scale_min, scale_max = rows[0][:4]
    return RubricShape(
        event_id=event_id,
        phase=phase,
        criteria=tuple(CriterionRow(*row[4:]) for row in rows),
        scale_min=scale_min,
        scale_max=scale_max,
    )


def open_scorecard(
    slug: str,
    pitch_id: int,
    judge_id: int,
    key: str = "",
    shape: RubricShape | None = None,
) -> ScoringContext:
    """Read what saving the judge's scorecard for a pitch needs, locking the event row,
    and whether the submission key was used already.

    ``shape`` is the event's rubric read earlier by :func:`read_rubric`; without it the
    rubric is read here, under the lock.

    :raises NotFound: if there is no such event, the pitch is not a submitted pitch of
        it, or the judge is not on its panel, not assigned it (split mode) or conflicted
        for it (R-04).
    """
    shape = shape or read_rubric(slug)
    if shape is None:
        abort(404)
    conn = _connection()
    row = _CONTEXT.mapping(
        conn, {"slug": slug, "pitch_id": pitch_id, "judge_id": judge_id, "key": key}
    )
    split = row is not None and row["assignment_mode"] == AssignmentMode.SPLIT
    if (
        row is None
        or row["id"] != shape.event_id
        or row["status"] != PitchStatus.SUBMITTED
        or row["conflicted"]
        or (split and not row["is_practice"] and not row["assigned"])
    ):
        abort(404)
    return ScoringContext(
        event_id=row["id"],
        phase=row["phase"],
        moderation_locked=row["moderation_locked_at"] is not None,
        pitch_id=pitch_id,
        is_practice=row["is_practice"],
        chair_locked=row["chair_locked"],
        judge_id=judge_id,
        scorecard_id=row["scorecard_id"],
        revision=row["revision"] or 0,
        shape=shape,
        key=key,
        key_used_by=None
        if row["key_scorecard_id"] is None
        else (row["key_judge_id"], row["key_scorecard_id"]),
        voided=row["voided"],
    )


def save(ctx: ScoringContext, data: ScoreInput) -> SaveOutcome:
    """Create or revise the judge's scorecard, atomically and idempotently.

    A submission key already applied is answered without writing again, and an edit based
    on an older revision is refused, so a late retry never overwrites a newer edit (R-42).
    During moderation a change needs a reason, is audited as
    "score.revised_in_moderation" with the old and new marks, and is refused once the
    chair has locked moderation. The caller commits.

    :raises EventError: if scoring is closed, moderation is locked, the chair locked
        the pitch, or an organiser voided the judge's scores.
    :raises JudgingError: if a mark, the feedback, the conditions or the reason is
        missing or invalid, or the submission key belongs to another scorecard.
    :raises StaleRevision: if the scorecard changed since the client loaded it.
    """
    _check_open(ctx)
    conn = _connection()
    replay = _replayed(conn, ctx, data.submission_key)
    if replay is not None:
        return replay
    if ctx.voided:
        raise event_services.EventError(VOIDED_MESSAGE)
    if ctx.chair_locked and not ctx.moderating:  # moderation has its own rules
        raise event_services.EventError(
            "The chair has locked this pitch: its scores can no longer change"
        )
    reason, conditions = _validate(ctx, data)
    if data.base_revision != ctx.revision:
        raise StaleRevision(
            "This scorecard was changed on another device or tab since you opened it. "
            "Your latest saved scores are shown: check them and save again."
        )
    now = utcnow()
    fields = {
        "feedback": data.feedback.strip(),
        "recommendation": data.recommendation,
        "conditions": conditions,
        # The audit line below records marks only: private notes never leave the card.
        "private_notes": data.private_notes.strip(),
    }
    if ctx.scorecard_id is None:
        card_id, old = _create(conn, ctx, data.marks, fields, now), {}
    else:
        card_id, old = ctx.scorecard_id, _revise(conn, ctx, data.marks, fields, now)
    revision = ctx.revision + 1
    _NEW_KEY.run(
        conn,
        {
            "key": data.submission_key,
            "judge_id": ctx.judge_id,
            "scorecard_id": card_id,
            "revision": revision,
            "at": now,
        },
    )
    audit.write(
        conn,
        "score.revised_in_moderation" if ctx.moderating else "score.saved",
        actor_id=ctx.judge_id,
        event_id=ctx.event_id,
        target_type="Scorecard",
        target_id=card_id,
        at=now,
        pitch_id=ctx.pitch_id,
        revision=revision,
        old={str(k): v for k, v in sorted(old.items())},
        new={str(k): v for k, v in sorted(data.marks.items())},
        **({"reason": reason} if ctx.moderating else {}),
    )
    _forget_loaded_card(card_id)
    return SaveOutcome(card_id, False, now, revision)


def _check_open(ctx: ScoringContext) -> None:
    phases = PRACTICE_PHASES if ctx.is_practice else SCORING_PHASES
    if ctx.phase not in phases:
        raise event_services.EventError(
            f"You cannot score pitches while the event is '{ctx.phase.label}'"
        )
    if ctx.moderation_locked:
        raise event_services.EventError(
            "You cannot change scores: the chair has locked moderation"
        )


def _replayed(conn: Connection, ctx: ScoringContext, key: str) -> SaveOutcome | None:
    """Answer a submission key that was already applied, without writing again."""
    if key == ctx.key:
        used = ctx.key_used_by
    else:
        used = conn.execute(_USED_KEY, {"key": key}).one_or_none()
    if used is None:
        return None
    judge_id, card_id = used
    if judge_id != ctx.judge_id or card_id != ctx.scorecard_id:
        raise JudgingError("This submission key has already been used")
    card = conn.execute(_CARD_STATE, {"card_id": card_id}).one()
    return SaveOutcome(card_id, True, card.updated_at, card.revision)


def _validate(ctx: ScoringContext, data: ScoreInput) -> tuple[str, str]:
    """Check the scorecard is complete; return the reason and the conditions to store."""
    reason = data.reason.strip()[:500]
    if ctx.moderating and not reason:
        raise JudgingError("Give a reason for changing your scores during moderation")
    try:
        scoring.validate_marks(data.marks, ctx.rubric)
    except scoring.ScoringError as error:
        raise JudgingError(str(error)) from None
    if not data.feedback.strip():
        raise JudgingError("Write feedback for the team")
    with_conditions = data.recommendation == Recommendation.FUND_WITH_CONDITIONS
    conditions = data.conditions.strip() if with_conditions else ""
    if with_conditions and not conditions:
        raise JudgingError("Write the conditions of your recommendation")
    return reason, conditions


def _create(
    conn: Connection, ctx: ScoringContext, marks: dict[int, int], fields: dict, now
) -> int:
    (card_id,) = _NEW_CARD.first(
        conn,
        {
            "pitch_id": ctx.pitch_id,
            "judge_id": ctx.judge_id,
            "revision": 1,
            "submitted_at": now,
            "updated_at": now,
            **fields,
        },
    )
    _NEW_MARKS.run_many(
        conn,
        [
            {"scorecard_id": card_id, "criterion_id": c, "value": v}
            for c, v in marks.items()
        ],
    )
    return card_id


def _revise(
    conn: Connection, ctx: ScoringContext, marks: dict[int, int], fields: dict, now
) -> dict[int, int]:
    """Write a new revision of the scorecard; return the marks it replaced."""
    changed = conn.execute(
        _REVISE_CARD,
        {
            "card_id": ctx.scorecard_id,
            "base": ctx.revision,
            "new_revision": ctx.revision + 1,
            "now": now,
            **fields,
        },
    ).rowcount
    if changed != 1:  # the row was read under the event lock: this cannot happen
        raise StaleRevision("This scorecard changed while it was being saved")
    old = dict(conn.execute(_OLD_MARKS, {"card_id": ctx.scorecard_id}).all())
    kept = [c for c in marks if c in old]
    if kept:
        conn.execute(
            _REVISE_MARK,
            [
                {"card_id": ctx.scorecard_id, "criterion": c, "mark": marks[c]}
                for c in kept
            ],
        )
    added = [c for c in marks if c not in old]
    if added:
        _NEW_MARKS.run_many(
            conn,
            [
                {"scorecard_id": ctx.scorecard_id, "criterion_id": c, "value": marks[c]}
                for c in added
            ],
        )
    return old


def _forget_loaded_card(card_id: int) -> None:
    """Expire a copy of the scorecard the session already holds: it was written around
    the ORM, so the next read must come from the database."""
    card = db.session.identity_map.get(identity_key(Scorecard, card_id))
    if card is None:
        return
    for mark in card.__dict__.get("marks", ()):
        db.session.expire(mark)
    db.session.expire(card)
