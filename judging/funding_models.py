"""Funding decisions against the event's pot, their conditions, and the event's funders.

The organiser walks down the ranked list and records one decision per pitch
(judging/funding.py holds the rules); one of the event's funders (events.models.EventFunder)
approves the whole allocation, the panel chair signs the results off, and only then can the
organiser publish (R-07).
"""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.models import enum_column
from extensions import db, utcnow


class FundingKind(enum.Enum):
    """The six outcomes of domain 6; the first three put money against the pot."""

    FULL = "full"
    PART = "part"
    CONDITIONS = "conditions"
    SUPPORT = "support"
    SIGNPOST = "signpost"
    DECLINE = "decline"

    @property
    def label(self) -> str:
        return {
            "full": "Fund in full",
            "part": "Fund in part",
            "conditions": "Fund with conditions",
            "support": "Support, not cash",
            "signpost": "Signpost elsewhere",
            "decline": "Decline with feedback",
        }[self.value]

    @property
    def is_cash(self) -> bool:
        return self in (FundingKind.FULL, FundingKind.PART, FundingKind.CONDITIONS)

    @property
    def hint(self) -> str:
        """What the organiser records with this outcome."""
        return {
            "full": "The whole amount asked for.",
            "part": "Less than asked for: give the amount and the reduced scope agreed "
            "with the team (or where the rest comes from).",
            "conditions": "Money released only once each condition is met, for example "
            "a clinical-safety review or a DPIA.",
            "support": "No money: say what help the team gets instead (mentoring, "
            "information governance, project management).",
            "signpost": "No money from this pot: say where the team can get it.",
            "decline": "No money: the reasons, as feedback the team will read.",
        }[self.value]


class FundingDecision(db.Model):
    """The organiser's decision for one pitch; money in whole pounds."""

    __tablename__ = "funding_decisions"
    __table_args__ = (
        CheckConstraint("amount_pounds >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    pitch_id: Mapped[int] = mapped_column(
        ForeignKey("pitches.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[FundingKind] = mapped_column(enum_column(FundingKind, "funding_kind"))
    amount_pounds: Mapped[int] = mapped_column(default=0)
    # Fund in part: the reduced scope agreed, or where the rest of the money comes from.
    scope: Mapped[str] = mapped_column(Text, default="")
    # What the team reads: the feedback, the support offered, where to go instead.
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    conditions: Mapped[list["FundingCondition"]] = relationship(
        back_populates="decision",
        cascade="all, delete-orphan",
        order_by="FundingCondition.position",
    )

    def __repr__(self) -> str:
        return f"<FundingDecision pitch={self.pitch_id} {self.kind.value} £{self.amount_pounds}>"


class FundingCondition(db.Model):
    """One condition on a conditional award, tracked until an organiser marks it met."""

    __tablename__ = "funding_conditions"
    __table_args__ = (UniqueConstraint("decision_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("funding_decisions.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    met_at: Mapped[datetime | None]
    met_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    decision: Mapped[FundingDecision] = relationship(back_populates="conditions")
