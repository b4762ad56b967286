"""Events, their organisers and judging panel, invitations, and the event's rubric."""

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.rubrics import AggregationMethod
from extensions import db, utcnow


class AssignmentMode(enum.Enum):
    """Who scores what: every judge every pitch, or k judges per pitch (issue 3)."""

    PANEL = "panel"
    SPLIT = "split"

    @property
    def label(self) -> str:
        return {
            "panel": "Panel: every judge scores every pitch",
            "split": "Split: each pitch gets a set number of judges",
        }[self.value]


class EventType(enum.Enum):
    HACKATHON = "hackathon"
    DRAGONS_DEN = "dragons_den"
    HACK_TO_FUND = "hack_to_fund"

    @property
    def label(self) -> str:
        return {
            "hackathon": "Hackathon",
            "dragons_den": "Dragons' Den",
            "hack_to_fund": "Hackathon with a Dragons' Den final",
        }[self.value]


class EventPhase(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    SUBMISSIONS_OPEN = "submissions_open"
    SUBMISSIONS_CLOSED = "submissions_closed"
    JUDGING = "judging"
    MODERATION = "moderation"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {
            "draft": "Draft",
            "open": "Open for problems and teams",
            "submissions_open": "Submissions open",
            "submissions_closed": "Submissions closed",
            "judging": "Judging",
            "moderation": "Moderation",
            "published": "Results published",
        }[self.value]

    @property
    def order(self) -> int:
        return list(EventPhase).index(self)


class CategoryBy(enum.Enum):
    """How the results are also ranked within categories (issue 4): not at all, by the
    kind of pitch, or by the setting of the problem it answers."""

    NONE = "none"
    PITCH_TYPE = "pitch_type"
    SETTING = "setting"

    @property
    def label(self) -> str:
        return {
            "none": "No categories",
            "pitch_type": "By kind of idea (digital tool, service change ...)",
            "setting": "By care setting of the problem (care home, community ...)",
        }[self.value]


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    # Store the lower-case values, as a CHECK-constrained string on every backend.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=30,
        values_callable=lambda e: [m.value for m in e],
    )


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("pot_pounds >= 0", name="pot_not_negative"),
        CheckConstraint("cap_pounds >= 0", name="cap_not_negative"),
        CheckConstraint("scale_min < scale_max", name="scale_order"),
        CheckConstraint("judges_per_pitch >= 1", name="judges_per_pitch_positive"),
        CheckConstraint("max_pitches_per_judge >= 1", name="max_pitches_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    event_type: Mapped[EventType] = mapped_column(enum_column(EventType, "event_type"))
    phase: Mapped[EventPhase] = mapped_column(
        enum_column(EventPhase, "event_phase"), default=EventPhase.DRAFT
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    submissions_close_at: Mapped[datetime]
    venue: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    pot_pounds: Mapped[int] = mapped_column(default=0)
    cap_pounds: Mapped[int] = mapped_column(default=0)
    rubric_preset: Mapped[str] = mapped_column(String(20))
    scale_min: Mapped[int] = mapped_column(default=1)
    scale_max: Mapped[int] = mapped_column(default=5)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    # Set when the panel chair locks moderation: no score, conflict or rubric change after.
    moderation_locked_at: Mapped[datetime | None]
    # Blind judging: judges see no team member names or organisations.
    is_blind: Mapped[bool] = mapped_column(default=False)
    # Judge assignment (issue 3): panel = every judge scores every pitch; split = each
    # pitch gets judges_per_pitch judges, at most max_pitches_per_judge each, drawn with
    # the recorded assignment_seed (judging/assignment.py).
    assignment_mode: Mapped[AssignmentMode] = mapped_column(
        enum_column(AssignmentMode, "assignment_mode"),
        default=AssignmentMode.PANEL,
        server_default=AssignmentMode.PANEL.value,
    )
    judges_per_pitch: Mapped[int | None]
    max_pitches_per_judge: Mapped[int | None]
    assignment_seed: Mapped[str | None] = mapped_column(String(32))
    # How judges' scores are combined; declared with the rubric, locked with it.
    results_method: Mapped[AggregationMethod] = mapped_column(
        enum_column(AggregationMethod, "aggregation_method"),
        default=AggregationMethod.MEAN,
        server_default=AggregationMethod.MEAN.value,
    )
    # Separate rankings per category, beside the overall one (judging/categories.py).
    category_by: Mapped[CategoryBy] = mapped_column(
        enum_column(CategoryBy, "category_by"),
        default=CategoryBy.NONE,
        server_default=CategoryBy.NONE.value,
    )
    # Scoring rule 8: declared with the method (locked with it), pitches still tied at
    # the funding line are ordered by lot; the seed is drawn when moderation is locked.
    funding_tie_draw: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )
    funding_tie_seed: Mapped[str | None] = mapped_column(String(32))
    # Issue 4: a funder approves the funding allocation, then the panel chair signs the
    # results off; publication needs both. A change to the allocation clears them.
    allocation_approved_at: Mapped[datetime | None]
    allocation_approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    signed_off_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="Criterion.position",
    )

    def __repr__(self) -> str:
        return f"<Event {self.slug} {self.phase.value}>"


class EventOrganiser(db.Model):
    __tablename__ = "event_organisers"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )

    user = relationship("User")


class EventFunder(db.Model):
    """Someone who approves the event's funding allocation on the funder's behalf (the
    second person of R-07's two-person rule); joins through a funder invitation."""

    __tablename__ = "event_funders"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User")


class PanelMember(db.Model):
    """A judge on an event's panel; at most one of them is the chair."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    is_chair: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The judge's declaration of interests for this event (issue 3, conflicts).
    organisation: Mapped[str] = mapped_column(String(120), default="")
    interests: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime | None]
    # Set when the organiser records that the judge dropped out of a split event: their
    # pitches were redistributed and they get none in later redistributions.
    dropped_out_at: Mapped[datetime | None]
    # Set when an organiser voids the judge's scores: none of their scorecards
    # count, and they can no longer score. Kept with the reason; restoring clears it.
    scores_voided_at: Mapped[datetime | None]
    scores_voided_reason: Mapped[str] = mapped_column(String(500), default="")

    user = relationship("User")

    @property
    def scores_voided(self) -> bool:
        return self.scores_voided_at is not None

    def __repr__(self) -> str:
        return f"<PanelMember event={self.event_id} user={self.user_id}>"


class JudgeInvitation(db.Model):
    """A single-use, expiring invitation to join an event's panel, or (for_funder) to
    approve its funding allocation (R-12)."""

    __tablename__ = "judge_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the random nonce carried by the signed link; the nonce itself is not kept.
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(120), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]
    # A funder invitation makes its user one of the event's funders, not a judge.
    for_funder: Mapped[bool] = mapped_column(default=False, server_default=false())


class Criterion(db.Model):
    """One criterion of an event's rubric, copied from a preset and editable until judging."""

    __tablename__ = "criteria"
    __table_args__ = (
        UniqueConstraint("event_id", "code"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    question: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int]
    position: Mapped[int]
    # Position in the tie-break chain (1 = first), or None if not used to break ties.
    tie_break_rank: Mapped[int | None]

    event: Mapped[Event] = relationship(back_populates="criteria")
    levels: Mapped[list["CriterionLevel"]] = relationship(
        back_populates="criterion",
        cascade="all, delete-orphan",
        order_by="CriterionLevel.score.desc()",
    )

    def __repr__(self) -> str:
        return f"<Criterion {self.code} {self.weight}%>"


class CriterionLevel(db.Model):
    """The descriptor of one score on one criterion (e.g. 5 = Outstanding: ...)."""

    __tablename__ = "criterion_levels"
    __table_args__ = (UniqueConstraint("criterion_id", "score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("criteria.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[int]
    label: Mapped[str] = mapped_column(String(40))
    descriptor: Mapped[str] = mapped_column(Text, default="")

    criterion: Mapped[Criterion] = relationship(back_populates="levels")
