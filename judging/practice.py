"""Calibration: an optional practice pitch that judges score before the real ones.

A practice pitch is an ordinary submitted pitch with ``is_practice`` set, on a synthetic
team with no members. It never counts: ``pitches.services.list_submitted_pitches`` leaves
it out of results, progress, moderation, the result sheet, the public page and the live
running order. The calibration view is the one place where judges' marks are compared
side by side, and it shows the practice pitch only. Private notes are never shown.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Criterion, Event, EventPhase, PanelMember
from extensions import db, utcnow
from judging import scoring
from judging.models import Recommendation, Scorecard
from judging.services import rubric_for
from pitches.models import Pitch, PitchStatus, PitchType, Team

PRACTICE_TEAM = "Practice pitch"
PRACTICE_REF = "PRACTICE"
# The practice pitch may be added or removed until judging ends.
CHANGEABLE_PHASES = (
    EventPhase.DRAFT,
    EventPhase.OPEN,
    EventPhase.SUBMISSIONS_OPEN,
    EventPhase.SUBMISSIONS_CLOSED,
    EventPhase.JUDGING,
)
SAMPLE = dict(
    title="Hydration Station (practice)",
    summary="A practice pitch for calibration: score it before the real ones. It "
    "does not count.",
    pitch_type=PitchType.SERVICE,
    problem_text="Residents in our nursing home often do not drink enough, especially "
    "those living with dementia. Fluid charts are half complete.",
    evidence="Seven hospital admissions for dehydration or urinary infection last "
    "winter across two units.",
    existing="Staff prompt residents when they can; there is no tool or routine.",
    plan="Marked cups, a tea-trolley round every two hours and a tablet tally the "
    "night staff can read. A three-month pilot on one unit, then compare admissions.",
    beneficiaries_count=40,
    beneficiaries_unit="residents",
    difference="Fewer admissions for dehydration and fewer falls at night.",
    funding_requested=3000,
)


def get_practice_pitch(event: Event) -> Pitch | None:
    """Return the event's practice pitch, if it has one."""
    return db.session.scalar(
        select(Pitch).where(Pitch.event_id == event.id, Pitch.is_practice.is_(True))
    )


def create_practice_pitch(user: User, event: Event) -> Pitch:
    """Add the event's practice pitch; if it already has one, return that (idempotent).

    :raises EventError: once judging has ended, or if a real team is called
        "Practice pitch".
    """
    event = event_services.require_phase(
        event, *CHANGEABLE_PHASES, action="add a practice pitch"
    )
    existing = get_practice_pitch(event)
    if existing is not None:
        return existing
    clash = db.session.scalar(
        select(Team.id).where(Team.event_id == event.id, Team.name == PRACTICE_TEAM)
    )
    if clash is not None:
        raise event_services.EventError(
            f"A team is already called '{PRACTICE_TEAM}': rename it first"
        )
    now = utcnow()
    team = Team(
        event_id=event.id, name=PRACTICE_TEAM, ref=PRACTICE_REF, created_by_id=user.id
    )
    team.pitch = Pitch(
        event_id=event.id,
        status=PitchStatus.SUBMITTED,
        is_practice=True,
        submitted_at=now,
        **SAMPLE,
    )
    db.session.add(team)
    db.session.flush()
    audit.record("practice.created", actor=user, event_id=event.id, target=team.pitch)
    return team.pitch


def delete_practice_pitch(user: User, event: Event) -> bool:
    """Remove the practice pitch and its scorecards; return whether there was one.

    :raises EventError: once judging has ended.
    """
    event = event_services.require_phase(
        event, *CHANGEABLE_PHASES, action="remove the practice pitch"
    )
    pitch = get_practice_pitch(event)
    if pitch is None:
        return False
    team = pitch.team
    audit.record("practice.deleted", actor=user, event_id=event.id, target=pitch)
    for card in db.session.scalars(
        select(Scorecard).where(Scorecard.pitch_id == pitch.id)
    ):
        db.session.delete(card)
    db.session.flush()  # the scorecards first: the ORM does not know they hang on it
    db.session.delete(pitch)
    db.session.flush()
    db.session.delete(team)
    db.session.flush()
    return True


@dataclass(frozen=True)
class CalibrationRow:
    judge: PanelMember
    marks: dict[int, int]  # {criterion id: mark}; empty until the judge has scored
    weighted: Decimal | None
    recommendation: Recommendation | None


@dataclass(frozen=True)
class Calibration:
    event: Event
    pitch: Pitch | None
    criteria: tuple[Criterion, ...]
    rows: tuple[CalibrationRow, ...]

    @property
    def scored(self) -> int:
        return sum(1 for r in self.rows if r.marks)


def calibration(event: Event) -> Calibration:
    """Return each judge's practice marks side by side (never their private notes)."""
    pitch = get_practice_pitch(event)
    panel = event_services.list_panel(event)
    cards = {}
    if pitch is not None:
        cards = {
            card.judge_id: card
            for card in db.session.scalars(
                select(Scorecard).where(Scorecard.pitch_id == pitch.id)
            )
        }
    rubric = rubric_for(event)
    rows = []
    for member in panel:
        card = cards.get(member.user_id)
        marks = {m.criterion_id: m.value for m in card.marks} if card else {}
        weighted = (
            scoring.to_display(scoring.weighted_score(marks, rubric))
            if scoring.is_complete(marks, rubric)
            else None
        )
        rows.append(
            CalibrationRow(
                member, marks, weighted, card.recommendation if card else None
            )
        )
    return Calibration(event, pitch, tuple(event.criteria), tuple(rows))
