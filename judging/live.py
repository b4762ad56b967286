"""Live Dragons' Den mode: a seeded running order, the chair's timers and the next pitch.

The running order is drawn with Python's ``random.Random(seed)`` over the submitted
pitches sorted by team reference, so anyone with the recorded seed can reproduce it
(domain 4.4 rule 3). Timers are stored as the stage and the moment it started; every
screen works out the time left from the server's clock, so nothing is lost on a restart.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import select

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Event, EventPhase
from extensions import db, utcnow
from judging import assignment_service
from judging.live_models import LiveSession, LiveStage, PitchSlot
from judging.models import Scorecard
from pitches import services as pitch_services
from pitches.models import Pitch

WARNING_SECONDS = 30


class LiveError(Exception):
    """A user-facing reason why a live-mode action was refused."""


def is_chair(event: Event, user: User) -> bool:
    """Whether the user chairs this event's panel."""
    member = event_services.get_panel_member(event, user)
    return member is not None and member.is_chair


def get_session(event: Event) -> LiveSession:
    """Return the event's live session, creating it on first use."""
    session = db.session.scalar(
        select(LiveSession).where(LiveSession.event_id == event.id)
    )
    if session is None:
        session = LiveSession(event_id=event.id)
        db.session.add(session)
        db.session.flush()
    return session


def current_session(event: Event) -> LiveSession:
    """Return the event's live session for reading: a transient default if none exists
    yet (reads never write, R-20)."""
    session = db.session.scalar(
        select(LiveSession).where(LiveSession.event_id == event.id)
    )
    return session or LiveSession(
        event_id=event.id, pitch_seconds=240, qa_seconds=180, stage=LiveStage.IDLE
    )


def draw_order(user: User, event: Event, seed: str | None = None) -> str:
    """Draw the running order of the submitted pitches with a recorded seed.

    :raises LiveError: once the first pitch has started.
    """
    event = event_services.require_phase(
        event,
        EventPhase.SUBMISSIONS_CLOSED,
        EventPhase.JUDGING,
        action="draw the order",
    )
    session = get_session(event)
    if session.current_pitch_id is not None or _any_locked(event):
        raise LiveError("The order cannot be drawn again once the pitches have started")
    seed = seed or secrets.token_hex(8)
    pitches = sorted(pitch_services.list_submitted_pitches(event), key=_team_ref)
    order = list(pitches)
    random.Random(seed).shuffle(order)
    for position, pitch in enumerate(order, start=1):
        pitch.running_order = position
    session.order_seed, session.order_drawn_at = seed, utcnow()
    session.order_published_at = None
    audit.record(
        "live.order_drawn",
        actor=user,
        event_id=event.id,
        seed=seed,
        order=[p.team.ref or p.team.name for p in order],
    )
    return seed


def _team_ref(pitch: Pitch) -> tuple[str, int]:
    return (pitch.team.ref, pitch.team.id)


def _any_locked(event: Event) -> bool:
    return (
        db.session.scalar(
            select(PitchSlot.id)
            .join(Pitch, Pitch.id == PitchSlot.pitch_id)
            .where(Pitch.event_id == event.id, PitchSlot.locked_at.is_not(None))
            .limit(1)
        )
        is not None
    )


def publish_order(user: User, event: Event) -> None:
    """Make the drawn order public (event page and projector screen).

    :raises LiveError: if no order has been drawn.
    """
    session = get_session(event_services.lock_event(event))
    if session.order_drawn_at is None:
        raise LiveError("Draw the running order first")
    session.order_published_at = utcnow()
    audit.record(
        "live.order_published", actor=user, event_id=event.id, seed=session.order_seed
    )


def set_timers(user: User, event: Event, pitch_seconds: int, qa_seconds: int) -> None:
    """Set the pitch and Q&A lengths for the event."""
    session = get_session(event_services.lock_event(event))
    session.pitch_seconds, session.qa_seconds = pitch_seconds, qa_seconds
    audit.record(
        "live.timers_set",
        actor=user,
        event_id=event.id,
        pitch_seconds=pitch_seconds,
        qa_seconds=qa_seconds,
    )


def _slot(pitch: Pitch) -> PitchSlot:
    slot = db.session.scalar(select(PitchSlot).where(PitchSlot.pitch_id == pitch.id))
    if slot is None:
        slot = PitchSlot(pitch_id=pitch.id)
        db.session.add(slot)
        db.session.flush()
    return slot


def _open_pitches(event: Event) -> list[Pitch]:
    locked = set(
        db.session.scalars(
            select(PitchSlot.pitch_id)
            .join(Pitch, Pitch.id == PitchSlot.pitch_id)
            .where(Pitch.event_id == event.id, PitchSlot.locked_at.is_not(None))
        )
    )
    return [
        p for p in pitch_services.list_submitted_pitches(event) if p.id not in locked
    ]


def _judging_session(event: Event) -> tuple[Event, LiveSession]:
    event = event_services.require_phase(
        event, EventPhase.JUDGING, action="run the pitches"
    )
    return event, get_session(event)


def start_stage(user: User, event: Event, stage: LiveStage) -> None:
    """Start the pitch timer or the Q&A timer for the current (or next) pitch.

    :raises LiveError: when every pitch is done.
    """
    event, session = _judging_session(event)
    if session.current_pitch_id is None:
        remaining = _open_pitches(event)
        if not remaining:
            raise LiveError("Every pitch has been heard")
        session.current_pitch_id = remaining[0].id
    session.stage, session.stage_started_at = stage, utcnow()
    session.updated_at = utcnow()
    audit.record(
        f"live.{stage.value}_started",
        actor=user,
        event_id=event.id,
        pitch_id=session.current_pitch_id,
    )


def finish_pitch(user: User, event: Event, *, absent: bool = False) -> None:
    """Lock the current pitch (no more score changes) or mark its team absent, and move on.

    :raises LiveError: if no pitch is current.
    """
    event, session = _judging_session(event)
    pitch = db.session.get(Pitch, session.current_pitch_id or 0)
    if pitch is None:
        raise LiveError("No pitch is under way")
    slot = _slot(pitch)
    slot.locked_at, slot.absent = utcnow(), absent
    remaining = _open_pitches(event)
    session.current_pitch_id = remaining[0].id if remaining else None
    session.stage, session.stage_started_at = LiveStage.IDLE, None
    session.updated_at = utcnow()
    audit.record(
        "live.team_absent" if absent else "live.pitch_locked",
        actor=user,
        event_id=event.id,
        target=pitch,
    )


def is_locked(pitch: Pitch) -> bool:
    """Whether the chair has locked this pitch: its scores can no longer change."""
    return (
        db.session.scalar(
            select(PitchSlot.id).where(
                PitchSlot.pitch_id == pitch.id, PitchSlot.locked_at.is_not(None)
            )
        )
        is not None
    )


@dataclass(frozen=True)
class Slot:
    position: int
    pitch_id: int
    team: str
    status: str  # "waiting" | "current" | "done" | "absent"


@dataclass(frozen=True)
class LiveState:
    order: tuple[Slot, ...]
    current: Slot | None
    stage: LiveStage
    seconds_left: int | None
    stage_seconds: int | None
    warning: bool
    published: bool
    seed: str | None
    now: datetime

    def as_public_json(self) -> dict:
        """What the projector may show: no scores, no judges."""
        return {
            "order": [
                {"position": s.position, "team": s.team, "status": s.status}
                for s in self.order
            ]
            if self.published
            else [],
            "current": self.current.team if self.current else None,
            "stage": self.stage.value,
            "stage_label": self.stage.label,
            "seconds_left": self.seconds_left,
            "warning": self.warning,
            "server_time": self.now.isoformat(),
        }


def state(event: Event) -> LiveState:
    """Work out the live state from the database and the server's clock."""
    session = current_session(event)
    slots = {
        s.pitch_id: s
        for s in db.session.scalars(
            select(PitchSlot)
            .join(Pitch, Pitch.id == PitchSlot.pitch_id)
            .where(Pitch.event_id == event.id)
        )
    }
    order = []
    for n, pitch in enumerate(pitch_services.list_submitted_pitches(event), start=1):
        slot = slots.get(pitch.id)
        status = (
            "current"
            if pitch.id == session.current_pitch_id
            else "absent"
            if slot and slot.absent
            else "done"
            if slot and slot.locked_at
            else "waiting"
        )
        order.append(Slot(pitch.running_order or n, pitch.id, pitch.team.name, status))
    current = next((s for s in order if s.status == "current"), None)
    now = utcnow()
    length = {
        LiveStage.PITCH: session.pitch_seconds,
        LiveStage.QA: session.qa_seconds,
    }.get(session.stage)
    left = None
    if length is not None and session.stage_started_at is not None:
        left = length - int((now - session.stage_started_at).total_seconds())
    return LiveState(
        tuple(order),
        current,
        session.stage,
        left,
        length,
        left is not None and left <= WARNING_SECONDS,
        session.order_published_at is not None,
        session.order_seed,
        now,
    )


def judges_submitted(event: Event, pitch_id: int) -> list[tuple[str, bool]]:
    """For the chair: each judge's name and whether their scorecard for the pitch is in."""
    done = set(
        db.session.scalars(
            select(Scorecard.judge_id).where(Scorecard.pitch_id == pitch_id)
        )
    )
    assigned = assignment_service.assigned_pairs(event)  # split mode: assigned only
    # A judge whose scores are void (judging.voiding) cannot score: not waited for.
    return [
        (m.user.display_name, m.user_id in done)
        for m in event_services.list_panel(event)
        if (assigned is None or (pitch_id, m.user_id) in assigned)
        and not m.scores_voided
    ]


def require_runner(event: Event, user: User, roles: frozenset[str]) -> None:
    """Allow organisers and the panel chair to run the room.

    :raises NotFound: for anyone else (other judges included).
    """
    if "organiser" not in roles and not is_chair(event, user):
        abort(404)
