"""Large document packs, made in the background with their progress shown (R-30).

Every team's feedback sheet in one PDF (200 teams: about fifteen seconds of layout) and
every judge's paper scoring sheets take too long to make inside a request: the request
would hold one of the few workers that serve judges' saves, and could outlive the
server's timeout. So an organiser *asks* for a pack:

1. the request records it (:func:`request_pack`, queued and audited) and starts a
   separate process, ``python -m judging.pack_runner ID`` (:func:`start`), which detaches
   at once so the request returns;
2. that process (:func:`run`) reads the data in a read transaction, writes the HTML,
   and has the same limited layout child as every PDF (judging.pdf_worker, memory
   limit, PACK_TIMEOUT_SECONDS) lay it out. The child reports each page; the process
   records the step and the page count (a short write each, at most twice a second);
3. the PDF is stored with its row, and the pack page (which polls, judging/pack_routes)
   offers it for download. An earlier finished pack of the same kind is then deleted.

One pack of a kind per event is made at a time: asking again while one is under way
shows that one. A pack whose progress has not moved for PACK_STALLED_SECONDS has
failed (its process died: a restart, the memory limit), and can be asked for again.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import delete, select, update

from auth import audit
from auth.models import User
from events.models import Event
from extensions import db, reading, utcnow
from judging import feedback, paper, pdf
from judging.pack_models import DocumentPack, PackKind, PackStatus, PackStep

ROOT = Path(__file__).resolve().parent.parent
UNDER_WAY = (PackStatus.QUEUED, PackStatus.RUNNING)
REPORT_EVERY = 0.5  # seconds between progress writes

# The progress bar's share of each step, in per cent: where the step starts and ends.
# Laying out pages is most of the time; writing the PDF takes about a quarter.
SHARES = {
    PackStep.WAITING: (0, 0),
    PackStep.PREPARING: (0, 5),
    PackStep.LAYOUT: (5, 75),
    PackStep.WRITING: (75, 99),
    PackStep.FINISHED: (100, 100),
}


@dataclass(frozen=True)
class PackView:
    """What the pack page and the results page show of a pack."""

    pack: DocumentPack
    stalled: bool

    @property
    def under_way(self) -> bool:
        return self.pack.status in UNDER_WAY and not self.stalled

    @property
    def failed(self) -> bool:
        return self.pack.status == PackStatus.FAILED or self.stalled

    @property
    def done(self) -> bool:
        return self.pack.status == PackStatus.DONE

    @property
    def percent(self) -> int:
        """An estimate for the progress bar: the step, and the pages within it."""
        start, end = SHARES[self.pack.step]
        if self.pack.step == PackStep.LAYOUT and self.pack.pages_expected:
            share = min(self.pack.pages_done / self.pack.pages_expected, 1)
            return start + int((end - start) * share)
        return start

    @property
    def message(self) -> str:
        """The step in words, for people and for screen readers."""
        pack = self.pack
        if self.stalled:
            return "Stopped: the process making the pack ended before it finished"
        if pack.status == PackStatus.FAILED:
            return pack.message or "The pack could not be made"
        if pack.status == PackStatus.DONE:
            return "Ready"
        return {
            PackStep.WAITING: "Waiting to start",
            PackStep.PREPARING: "Preparing the pages",
            PackStep.LAYOUT: f"Laying out page {pack.pages_done} of about "
            f"{pack.pages_expected}",
            PackStep.WRITING: "Writing the PDF",
            PackStep.FINISHED: "Ready",
        }[pack.step]


def view(pack: DocumentPack) -> PackView:
    stalled_after = timedelta(seconds=current_app.config["PACK_STALLED_SECONDS"])
    last = pack.heartbeat_at or pack.created_at
    stalled = pack.status in UNDER_WAY and utcnow() - last > stalled_after
    return PackView(pack, stalled)


def latest(event: Event) -> dict[PackKind, PackView]:
    """The newest pack of each kind the event has (under way, done or failed)."""
    out: dict[PackKind, PackView] = {}
    for pack in db.session.scalars(
        select(DocumentPack)
        .where(DocumentPack.event_id == event.id)
        .order_by(DocumentPack.id.desc())
    ):
        out.setdefault(pack.kind, view(pack))
    return out


def get_pack(event: Event, pack_id: int) -> DocumentPack | None:
    pack = db.session.get(DocumentPack, pack_id)
    return pack if pack is not None and pack.event_id == event.id else None


def request_pack(
    user: User, event: Event, kind: PackKind, base_url: str
) -> tuple[DocumentPack, bool]:
    """Record a request for a pack; returns (pack, new). A pack of the kind already
    under way for the event is returned instead of a second one. The caller commits,
    then :func:`start` s a new one."""
    current = latest(event).get(kind)
    if current is not None and current.under_way:
        return current.pack, False
    pack = DocumentPack(
        event_id=event.id,
        kind=kind,
        requested_by_id=user.id,
        base_url=base_url[:200],
    )
    db.session.add(pack)
    db.session.flush()
    audit.record(
        "pack.requested", actor=user, event_id=event.id, target=pack, kind=kind.value
    )
    return pack, True


def start(app: Flask, pack_id: int) -> None:
    """Start the process that makes the pack; it detaches, so this returns at once.

    It gets this app's database and secret key in its environment (nothing else of
    the request), and writes its errors to this process's standard error (the server's
    log).
    """
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
    }
    if app.testing:  # the suite waits for every pack a test started (tests/conftest.py)
        app.extensions.setdefault("packs_started", []).append(pack_id)
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-m", "judging.pack_runner", str(pack_id)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        timeout=30,
        check=True,
    )


# --- in the pack's own process --------------------------------------------------------


def _set(pack_id: int, **values) -> None:
    """Write the pack's progress in a short transaction of its own."""
    db.session.execute(
        update(DocumentPack).where(DocumentPack.id == pack_id).values(**values)
    )
    db.session.commit()


def _document(kind: PackKind, event: Event, parts: int) -> tuple[list[str], str, int]:
    """The pack's HTML in up to ``parts`` parts (runs of whole sheets, in order), its
    stylesheet and its expected page count."""
    if kind == PackKind.FEEDBACK:
        items = feedback.all_feedback(event)
        return (
            [
                pdf.feedback_html([items[i] for i in run])
                for run in _runs_by_weight([1] * len(items), parts)
            ],
            pdf.feedback_css(),
            len(items),
        )
    sheets = paper.all_judge_sheets(event)
    pages = [len(s.sheets) for s in sheets]
    return (
        [
            paper.sheets_html(event, [sheets[i] for i in run])
            for run in _runs_by_weight(pages, parts)
        ],
        paper.sheets_css(),
        sum(pages),
    )


def _runs_by_weight(weights: list[int], parts: int) -> list[list[int]]:
    """The indices of ``weights`` cut into at most ``parts`` runs, in order, each
    about an equal share of the total (a team's feedback sheet weighs 1; a judge's
    scoring sheets, one page each, stay in one run). An item of no weight joins the
    run before it, so no run is only such items unless every item is."""
    total = sum(weights)
    runs: list[list[int]] = [[]]
    done = 0
    for index, weight in enumerate(weights):
        if (
            weight
            and len(runs) < parts
            and done >= total * len(runs) / parts
            and any(weights[i] for i in runs[-1])
        ):
            runs.append([])
        runs[-1].append(index)
        done += weight
    return runs


def run(pack_id: int) -> None:
    """Make a queued pack (the body of judging.pack_runner). Never raises for a
    failed layout: the pack records why."""
    claimed = db.session.execute(
        update(DocumentPack)
        .where(DocumentPack.id == pack_id, DocumentPack.status == PackStatus.QUEUED)
        .values(
            status=PackStatus.RUNNING,
            step=PackStep.PREPARING,
            started_at=utcnow(),
            heartbeat_at=utcnow(),
        )
    ).rowcount
    db.session.commit()
    if not claimed:  # made or claimed already
        return
    try:
        # The data is read in a read transaction of its own: the write lock judges'
        # saves need is never held while the pack is made.
        with reading():
            pack = db.session.get(DocumentPack, pack_id)
            event = db.session.get(Event, pack.event_id)
            event_id, kind = event.id, pack.kind
            with current_app.test_request_context(base_url=pack.base_url):
                parts, css, expected = _document(
                    kind, event, current_app.config["PACK_PROCESSES"]
                )
        _set(pack_id, pages_expected=expected, heartbeat_at=utcnow())
        document = pdf.parts_to_pdf(
            parts,
            css,
            on_progress=_Reporter(pack_id),
            timeout=current_app.config["PACK_TIMEOUT_SECONDS"],
        )
    except pdf.PdfError as error:
        _failed(pack_id, str(error))
        return
    except Exception:
        current_app.logger.exception("pack %s could not be made", pack_id)
        _failed(pack_id, "The pack could not be made")
        return
    _set(
        pack_id,
        status=PackStatus.DONE,
        step=PackStep.FINISHED,
        pdf=document,
        size=len(document),
        finished_at=utcnow(),
        heartbeat_at=utcnow(),
    )
    # The newest finished pack of a kind is the one offered: drop the older ones.
    db.session.execute(
        delete(DocumentPack).where(
            DocumentPack.event_id == event_id,
            DocumentPack.kind == kind,
            DocumentPack.status.in_((PackStatus.DONE, PackStatus.FAILED)),
            DocumentPack.id < pack_id,
        )
    )
    db.session.commit()


def _failed(pack_id: int, message: str) -> None:
    db.session.rollback()
    _set(pack_id, status=PackStatus.FAILED, message=message, finished_at=utcnow())


class _Reporter:
    """on_progress for the layout child: records the step at once when it changes,
    and the page count at most every REPORT_EVERY seconds."""

    def __init__(self, pack_id: int):
        self.pack_id = pack_id
        self.step = PackStep.PREPARING
        self.written = 0.0
        self.page = 0  # the furthest page: a second layout pass starts again at 1

    def __call__(self, step: str, page: int) -> None:
        try:
            now_step = PackStep(step)
        except ValueError:
            return
        self.page = max(self.page, page)
        now = time.monotonic()
        if now_step == self.step and now - self.written < REPORT_EVERY:
            return
        self.step, self.written = now_step, now
        _set(self.pack_id, step=now_step, pages_done=self.page, heartbeat_at=utcnow())
