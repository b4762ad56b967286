"""Special prizes an event awards beside the ranking (for example "Best patient
co-production"), each decided by the panel and recorded by its chair (judging/prizes.py)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db, utcnow
from pitches.models import Pitch


class SpecialPrize(db.Model):
    __tablename__ = "special_prizes"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The panel's decision, recorded by the chair: the winning pitch and why.
    pitch_id: Mapped[int | None] = mapped_column(
        ForeignKey("pitches.id", ondelete="SET NULL")
    )
    citation: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]

    pitch: Mapped[Pitch | None] = relationship()

    def __repr__(self) -> str:
        return f"<SpecialPrize {self.id} {self.name!r}>"
