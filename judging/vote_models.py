"""People's Choice: the audience vote of an event, its ballots and their picks.

judging/votes.py holds the rules. A ballot belongs to a device, not a person: the voter's
browser holds a random token and the database keeps only its SHA-256 digest, unique per
event, so one device casts one ballot and nobody can tell from the table who voted.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db, utcnow


class PeoplesChoice(db.Model):
    """An event's audience vote: declared (picks and blend), then opened and closed."""

    __tablename__ = "peoples_choice"
    __table_args__ = (
        CheckConstraint("picks BETWEEN 1 AND 6", name="picks_bounded"),
        CheckConstraint("blend_percent BETWEEN 0 AND 50", name="blend_bounded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    # Each ballot names exactly this many different pitches (domain 4.4: Q Exchange
    # voters must choose six, so people do not just back the one they know).
    picks: Mapped[int] = mapped_column(default=1)
    # 0: shown separately from the panel result; otherwise the audience's weight in a
    # blended ranking, declared before the vote opens.
    blend_percent: Mapped[int] = mapped_column(default=0)
    declared_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    opened_at: Mapped[datetime | None]
    opened_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None

    def __repr__(self) -> str:
        return f"<PeoplesChoice event={self.event_id} picks={self.picks}>"


class Ballot(db.Model):
    """One device's ballot in an event's vote."""

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("event_id", "device_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint, which leads with it.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # SHA-256 (hex) of the device token kept in the voter's browser.
    device_digest: Mapped[str] = mapped_column(String(64))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)

    picks: Mapped[list["BallotPick"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class BallotPick(db.Model):
    """One pitch a ballot voted for; a ballot names each pitch at most once."""

    __tablename__ = "ballot_picks"
    __table_args__ = (UniqueConstraint("ballot_id", "pitch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint, which leads with it.
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"))
    pitch_id: Mapped[int] = mapped_column(
        ForeignKey("pitches.id", ondelete="CASCADE"), index=True
    )
