"""Scorecards, their marks, the idempotency record of score submissions, and conflicts."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.models import enum_column
from extensions import db, utcnow


class Recommendation(enum.Enum):
    FUND = "fund"
    FUND_WITH_CONDITIONS = "fund_with_conditions"
    SUPPORT_NOT_CASH = "support_not_cash"
    DO_NOT_FUND = "do_not_fund"

    @property
    def label(self) -> str:
        return {
            "fund": "Fund",
            "fund_with_conditions": "Fund with conditions",
            "support_not_cash": "Support, not cash",
            "do_not_fund": "Do not fund",
        }[self.value]


class Scorecard(db.Model):
    """One judge's scores for one pitch. Complete when every criterion has a mark."""

    __tablename__ = "scorecards"
    __table_args__ = (
        UniqueConstraint("pitch_id", "judge_id"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (pitch_id, judge_id) index serves lookups by pitch,
    # and every scorecard saved skips one index write.
    pitch_id: Mapped[int] = mapped_column(ForeignKey("pitches.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    feedback: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[Recommendation | None] = mapped_column(
        enum_column(Recommendation, "recommendation")
    )
    # The judge's conditions when recommending "fund with conditions"; organisers see
    # them on the results page without the judge's name.
    conditions: Mapped[str] = mapped_column(Text, default="")
    # Only the judge who wrote them ever sees these: never organisers, results or audit.
    private_notes: Mapped[str] = mapped_column(Text, default="")
    # Bumped on every saved change; a client must name the revision it edited.
    revision: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    marks: Mapped[list["Mark"]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return (
            f"<Scorecard pitch={self.pitch_id} judge={self.judge_id} r{self.revision}>"
        )


class Mark(db.Model):
    __tablename__ = "marks"
    __table_args__ = (
        UniqueConstraint("scorecard_id", "criterion_id"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("value <= 100", name="value_bounded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (scorecard_id, criterion_id) index serves lookups by scorecard.
    scorecard_id: Mapped[int] = mapped_column(
        ForeignKey("scorecards.id", ondelete="CASCADE")
    )
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("criteria.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[int]

    scorecard: Mapped[Scorecard] = relationship(back_populates="marks")


class ScoreSubmission(db.Model):
    """A client submission key that has been applied, so a retry is answered, not redone."""

    __tablename__ = "score_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    judge_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    scorecard_id: Mapped[int] = mapped_column(
        ForeignKey("scorecards.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ConflictDeclaration(db.Model):
    """A judge's declared conflict of interest with one pitch (R-04)."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("pitch_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(
        ForeignKey("pitches.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(500))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConflictDecision(db.Model):
    """An organiser's decision on a flagged judge-pitch pair (same organisation).

    ``is_conflict`` True excludes the judge's scores for the pitch exactly like a
    declared conflict; False records that the organiser saw the flag and cleared it.
    """

    __tablename__ = "conflict_decisions"
    __table_args__ = (UniqueConstraint("pitch_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pitch_id: Mapped[int] = mapped_column(
        ForeignKey("pitches.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    is_conflict: Mapped[bool]
    # The organisation the judge and a team member share, as the judge wrote it.
    organisation: Mapped[str] = mapped_column(String(120), default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssignmentSource(enum.Enum):
    DRAW = "draw"
    ORGANISER = "organiser"
    REDISTRIBUTION = "redistribution"


class JudgeAssignment(db.Model):
    """In a split event, one judge assigned to score one pitch (issue 3, assignment).

    Ignored in panel mode, where every judge scores every pitch.
    """

    __tablename__ = "judge_assignments"
    __table_args__ = (UniqueConstraint("pitch_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    pitch_id: Mapped[int] = mapped_column(
        ForeignKey("pitches.id", ondelete="CASCADE"), index=True
    )
    judge_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    source: Mapped[AssignmentSource] = mapped_column(
        enum_column(AssignmentSource, "assignment_source")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
