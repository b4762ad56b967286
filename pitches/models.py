"""Problem statements, teams and their members, and pitches."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from events.models import enum_column
from extensions import db, utcnow


class ProblemStatus(enum.Enum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {
            "submitted": "Awaiting approval",
            "approved": "Approved",
            "declined": "Not approved",
        }[self.value]


class Setting(enum.Enum):
    CARE_HOME_RESIDENTIAL = "care_home_residential"
    CARE_HOME_NURSING = "care_home_nursing"
    COMMUNITY = "community"
    ACUTE_WARD = "acute_ward"
    EMERGENCY_DEPARTMENT = "emergency_department"
    GP_PCN = "gp_pcn"
    MENTAL_HEALTH = "mental_health"
    HOME = "home"

    @property
    def label(self) -> str:
        return {
            "care_home_residential": "Care home (residential)",
            "care_home_nursing": "Care home (nursing)",
            "community": "Community",
            "acute_ward": "Acute ward",
            "emergency_department": "Emergency department",
            "gp_pcn": "GP practice or PCN",
            "mental_health": "Mental health",
            "home": "At home",
        }[self.value]


class Background(enum.Enum):
    CLINICIAN = "clinician"
    NURSE_AHP = "nurse_ahp"
    CARE_STAFF = "care_staff"
    MANAGER = "manager"
    DEVELOPER = "developer"
    DESIGNER = "designer"
    LIVED_EXPERIENCE = "lived_experience"
    ACADEMIC = "academic"
    INDUSTRY = "industry"

    @property
    def label(self) -> str:
        return {
            "clinician": "Clinician",
            "nurse_ahp": "Nurse or allied health professional",
            "care_staff": "Care staff",
            "manager": "Manager",
            "developer": "Developer or data",
            "designer": "Designer",
            "lived_experience": "Patient, carer or lived experience",
            "academic": "Academic or student",
            "industry": "Industry",
        }[self.value]


class PitchType(enum.Enum):
    DIGITAL = "digital"
    SERVICE = "service"
    EQUIPMENT = "equipment"
    TRAINING = "training"
    ENVIRONMENT = "environment"

    @property
    def label(self) -> str:
        return {
            "digital": "Digital tool",
            "service": "Service or process change",
            "equipment": "Equipment",
            "training": "Training",
            "environment": "Environment",
        }[self.value]


class PitchStatus(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return {"draft": "Draft", "submitted": "Submitted"}[self.value]


class ProblemStatement(db.Model):
    """A problem posted by a clinician, member of staff, patient or carer (domain 5.2)."""

    __tablename__ = "problem_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(80))
    one_sentence: Mapped[str] = mapped_column(String(200))
    who_affected: Mapped[str] = mapped_column(Text)
    setting: Mapped[Setting] = mapped_column(enum_column(Setting, "setting"))
    story: Mapped[str] = mapped_column(Text)
    scale: Mapped[str] = mapped_column(Text, default="")
    tried: Mapped[str] = mapped_column(Text, default="")
    better: Mapped[str] = mapped_column(Text)
    owner_name: Mapped[str] = mapped_column(String(120))
    owner_role: Mapped[str] = mapped_column(String(120))
    owner_contact: Mapped[str] = mapped_column(String(254))
    willing_to_pitch: Mapped[str] = mapped_column(String(20))
    publish_consent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ProblemStatus] = mapped_column(
        enum_column(ProblemStatus, "problem_status"), default=ProblemStatus.SUBMITTED
    )
    ref: Mapped[str] = mapped_column(String(10), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<ProblemStatement {self.id} {self.title!r}>"


class Team(db.Model):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    problem_id: Mapped[int | None] = mapped_column(
        ForeignKey("problem_statements.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    ref: Mapped[str] = mapped_column(String(10), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    problem: Mapped[ProblemStatement | None] = relationship()
    members: Mapped[list["TeamMember"]] = relationship(
        back_populates="team",
        cascade="all, delete-orphan",
        order_by="(TeamMember.is_lead.desc(), TeamMember.id)",
    )
    pitch: Mapped["Pitch | None"] = relationship(back_populates="team", uselist=False)

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name!r}>"


class TeamMember(db.Model):
    """A person in a team; linked to an account when they have one."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    background: Mapped[Background] = mapped_column(
        enum_column(Background, "background")
    )
    organisation: Mapped[str] = mapped_column(String(120), default="")
    role_title: Mapped[str] = mapped_column(String(120), default="")
    is_lead: Mapped[bool] = mapped_column(default=False)

    team: Mapped[Team] = relationship(back_populates="members")


class Pitch(db.Model):
    """A team's pitch and funding application (domain 5.3, parts A to C)."""

    __tablename__ = "pitches"
    __table_args__ = (
        CheckConstraint("funding_requested >= 0", name="funding_not_negative"),
        CheckConstraint("beneficiaries_count >= 0", name="beneficiaries_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), unique=True
    )
    # A: the project
    title: Mapped[str] = mapped_column(String(80), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    pitch_type: Mapped[PitchType | None] = mapped_column(
        enum_column(PitchType, "pitch_type")
    )
    # B: the problem
    problem_text: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    existing: Mapped[str] = mapped_column(Text, default="")
    # C: the solution and its benefit
    plan: Mapped[str] = mapped_column(Text, default="")
    beneficiaries_count: Mapped[int | None]
    beneficiaries_unit: Mapped[str] = mapped_column(String(120), default="")
    difference: Mapped[str] = mapped_column(Text, default="")
    # Funding requested, in whole pounds; never more than the event's cap.
    funding_requested: Mapped[int | None]

    status: Mapped[PitchStatus] = mapped_column(
        enum_column(PitchStatus, "pitch_status"), default=PitchStatus.DRAFT
    )
    running_order: Mapped[int | None]
    # A calibration pitch judges score before the real ones; it never counts.
    is_practice: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]

    team: Mapped[Team] = relationship(back_populates="pitch")

    def __repr__(self) -> str:
        return f"<Pitch {self.id} {self.title!r}>"
