"""State of a live Dragons' Den session: the running order, the current pitch and timers.

All of it lives in the database, so a restart of any worker loses nothing (R-43).
"""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from events.models import enum_column
from extensions import db, utcnow


class LiveStage(enum.Enum):
    IDLE = "idle"
    PITCH = "pitch"
    QA = "qa"

    @property
    def label(self) -> str:
        return {"idle": "Waiting to start", "pitch": "Pitch", "qa": "Questions"}[
            self.value
        ]


class LiveSession(db.Model):
    """One per event: the drawn order, the timer lengths and what is happening now."""

    __tablename__ = "live_sessions"
    __table_args__ = (
        CheckConstraint("pitch_seconds > 0", name="pitch_seconds_positive"),
        CheckConstraint("qa_seconds >= 0", name="qa_seconds_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    pitch_seconds: Mapped[int] = mapped_column(default=240)
    qa_seconds: Mapped[int] = mapped_column(default=180)
    order_seed: Mapped[str | None] = mapped_column(String(32))
    order_drawn_at: Mapped[datetime | None]
    order_published_at: Mapped[datetime | None]
    current_pitch_id: Mapped[int | None] = mapped_column(
        ForeignKey("pitches.id", ondelete="SET NULL")
    )
    stage: Mapped[LiveStage] = mapped_column(
        enum_column(LiveStage, "live_stage"), default=LiveStage.IDLE
    )
    stage_started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PitchSlot(db.Model):
    """A pitch's place on the day: locked once the chair moves on, or marked absent."""

    __tablename__ = "pitch_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(
        ForeignKey("pitches.id", ondelete="CASCADE"), unique=True
    )
    locked_at: Mapped[datetime | None]
    absent: Mapped[bool] = mapped_column(default=False)
