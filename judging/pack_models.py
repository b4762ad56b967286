"""Large document packs made in the background (judging/packs.py): every team's feedback
sheet in one PDF, every judge's paper scoring sheets. A row is the request, its progress
while a separate process lays it out, and then the PDF itself."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from auth.models import User
from events.models import enum_column
from extensions import db, utcnow


class PackKind(enum.Enum):
    FEEDBACK = "feedback"
    PAPER = "paper"

    @property
    def label(self) -> str:
        return {
            "feedback": "Every team's feedback sheet in one PDF",
            "paper": "Every judge's paper scoring sheets in one PDF",
        }[self.value]

    def filename(self, slug: str) -> str:
        return {
            "feedback": f"{slug}-feedback-all-teams.pdf",
            "paper": f"{slug}-scoring-sheets.pdf",
        }[self.value]


class PackStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class PackStep(enum.Enum):
    """Where the layout process is; the progress bar's share of each step is in
    judging/packs.py."""

    WAITING = "waiting"
    PREPARING = "preparing"  # reading the data, writing the HTML, applying the CSS
    LAYOUT = "layout"  # laying out pages, one progress line each
    WRITING = "writing"  # writing the PDF
    FINISHED = "finished"


class DocumentPack(db.Model):
    __tablename__ = "document_packs"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[PackKind] = mapped_column(enum_column(PackKind, "pack_kind"))
    status: Mapped[PackStatus] = mapped_column(
        enum_column(PackStatus, "pack_status"), default=PackStatus.QUEUED
    )
    step: Mapped[PackStep] = mapped_column(
        enum_column(PackStep, "pack_step"), default=PackStep.WAITING
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Where the request came from: the QR codes on scoring sheets link back to it.
    base_url: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    # Moved on by the layout process as it goes; a pack whose heartbeat stops has failed.
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    pages_done: Mapped[int] = mapped_column(default=0)
    pages_expected: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(300), default="")
    size: Mapped[int] = mapped_column(default=0)
    # Loaded only for the download.
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    requested_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<DocumentPack {self.id} {self.kind.value} {self.status.value}>"
