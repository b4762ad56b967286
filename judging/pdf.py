"""PDF documents: render an autoescaped template, then lay it out in a child process.

The child (judging.pdf_worker) runs with an address-space limit and a wall-clock timeout,
so a runaway layout can never stall a worker that is serving judges (R-30), and it fetches
nothing but inline data (R-29). Stylesheets are read from static/css and passed as strings.
"""

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from flask import Response, current_app, render_template, send_file
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from events.templating import london, london_date
from extensions import utcnow
from judging import (
    analysis,
    categories,
    feedback,
    funding,
    moderation,
    prizes,
    votes,
)
from judging.services import Results

ROOT = Path(__file__).resolve().parent.parent
PRINT_CSS = ROOT / "static" / "css" / "print.css"


class PdfError(Exception):
    """The document could not be rendered in time or within its memory limit."""


# Progress of a layout in the child: (step, pages laid out so far); see pdf_worker.
Progress = Callable[[str, int], None]


def html_to_pdf(html: str, css: str | None = None) -> bytes:
    """Lay out app-built HTML as a PDF in a limited child process.

    ``css`` is the stylesheet as a string; print.css when not given. Large packs go
    through :func:`parts_to_pdf` instead, with their progress reported.

    :raises PdfError: if the HTML is too large, or rendering fails or runs out of time.
    """
    cfg = current_app.config
    if len(html.encode("utf-8")) > cfg["PDF_MAX_HTML_BYTES"]:
        raise PdfError("The document is too large to render")
    css = PRINT_CSS.read_text() if css is None else css
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            _worker_argv(),
            input=json.dumps({"html": html, "css": css}).encode("utf-8"),
            capture_output=True,
            cwd=ROOT,
            timeout=cfg["PDF_TIMEOUT_SECONDS"],
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PdfError("Rendering the document took too long") from None
    outcome = (done.returncode, done.stdout, done.stderr)
    if not _succeeded(outcome):
        raise _failure(outcome)
    return done.stdout


def _worker_argv() -> list[str]:
    limit = current_app.config["PDF_MEMORY_LIMIT_BYTES"]
    return [sys.executable, "-m", "judging.pdf_worker", str(limit)]


def parts_to_pdf(
    parts: list[str], css: str, *, on_progress: Progress, timeout: float
) -> bytes:
    """Lay out a large pack as one PDF from parts laid out side by side.

    Each part is a whole HTML document (a run of the pack's sheets, in order), laid out
    by its own limited child (judging.pdf_worker, at a lower CPU priority: the workers
    serving judges come first, R-30); the PDFs are then joined in order. WeasyPrint
    uses one core, and a document's layout costs more than its parts' together, so two
    parts of a 200-team pack take under half the time of one. ``on_progress`` hears, in
    this thread, the earliest step any part is at and the pages laid out in all of
    them. Page numbers count within a part, so a pack's sheets name their team or
    judge in the footer rather than "page n of N". When a part fails, or this thread
    stops listening (``on_progress`` raised), every child still running is killed.

    :raises PdfError: if the parts are too large together, or any part fails or runs
        out of time.
    """
    if (
        sum(len(part.encode("utf-8")) for part in parts)
        > current_app.config["PDF_MAX_HTML_BYTES"]
    ):
        raise PdfError("The document is too large to render")
    heard: queue.Queue = queue.Queue()
    done: list[tuple[int, bytes, bytes] | Exception | None] = [None] * len(parts)
    children: list[subprocess.Popen] = []
    stopping = threading.Event()
    argv = [*_worker_argv(), "--progress", "--background"]

    def started(child: subprocess.Popen) -> None:
        children.append(child)
        if stopping.is_set():  # started after the others were stopped
            child.kill()

    def lay_out(index: int, html: str) -> None:  # in a thread: no app context here
        payload = json.dumps({"html": html, "css": css}).encode("utf-8")
        try:
            done[index] = _run_reporting(
                argv,
                payload,
                timeout,
                lambda step, page: heard.put((index, step, page)),
                started=started,
            )
        except Exception as error:  # noqa: BLE001 - reported in _join, in the app
            done[index] = error
        finally:
            heard.put((index, "ended", 0))

    steps = ["preparing"] * len(parts)
    pages = [0] * len(parts)
    failed: int | None = None
    threads = [
        threading.Thread(target=lay_out, args=(index, html), daemon=True)
        for index, html in enumerate(parts)
    ]
    try:
        for thread in threads:
            thread.start()
        running = len(parts)
        while running:
            index, step, page = heard.get()
            if step == "ended":
                running -= 1
                if not _succeeded(done[index]):
                    failed = index  # the pack has failed: stop the other parts now
                    break
                step = "writing"
            # A part never goes back a step (WeasyPrint repaginates within layout).
            steps[index] = max(steps[index], step, key=_STEP_ORDER.index)
            pages[index] = max(pages[index], page)
            on_progress(min(steps, key=_STEP_ORDER.index), sum(pages))
    finally:
        stopping.set()
        for child in list(children):
            if child.poll() is None:
                child.kill()
        for thread in threads:
            thread.join(timeout=10)
    if failed is not None:  # why the first part failed, not how the others were stopped
        raise _failure(done[failed])
    return _join(done)


_STEP_ORDER = ["preparing", "layout", "writing"]


def _succeeded(outcome) -> bool:
    return (
        isinstance(outcome, tuple)
        and outcome[0] == 0
        and outcome[1].startswith(b"%PDF")
    )


def _failure(outcome) -> PdfError:
    """The error to raise for a part that did not succeed, logged."""
    if isinstance(outcome, PdfError):
        return outcome
    if isinstance(outcome, Exception):
        current_app.logger.error("PDF part failed", exc_info=outcome)
    elif isinstance(outcome, tuple):
        current_app.logger.error("PDF worker failed: %s", outcome[2].decode()[-2000:])
    return PdfError("The document could not be rendered")


def _join(done: list) -> bytes:
    """The parts' PDFs as one, in order: their pages and outlines, and the first's
    title and language."""
    writer = PdfWriter()
    for outcome in done:
        if not _succeeded(outcome):
            raise _failure(outcome)
        reader = PdfReader(BytesIO(outcome[1]))
        if not writer.pages:
            if reader.metadata:
                writer.add_metadata(dict(reader.metadata))
            if "/Lang" in reader.root_object:  # for screen readers
                writer.root_object[NameObject("/Lang")] = reader.root_object["/Lang"]
        writer.append(reader)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _run_reporting(
    argv: list[str],
    payload: bytes,
    timeout: float,
    on_progress: Progress,
    started: Callable[[subprocess.Popen], None] | None = None,
) -> tuple[int, bytes, bytes]:
    """Run the worker, passing its progress lines on as they come; kill it at the
    deadline. ``started`` is given the child as soon as it runs. Returns its exit
    code, stdout and the rest of its stderr."""
    timed_out = threading.Event()
    out: list[bytes] = []
    errors: list[bytes] = []
    with subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    ) as child:
        if started is not None:
            started(child)

        def expire() -> None:
            timed_out.set()
            child.kill()

        def feed() -> None:
            try:
                child.stdin.write(payload)
                child.stdin.close()
            except OSError:  # the child died early: its exit code tells
                pass

        def drain() -> None:
            out.append(child.stdout.read())

        timer = threading.Timer(timeout, expire)
        helpers = [threading.Thread(target=feed), threading.Thread(target=drain)]
        timer.start()
        for helper in helpers:
            helper.start()
        try:
            for raw in child.stderr:
                line = raw.decode(errors="replace").split()
                if line[:1] == ["progress"] and len(line) in (2, 3):
                    on_progress(line[1], int(line[2]) if len(line) == 3 else 0)
                else:
                    errors.append(raw)
        finally:
            timer.cancel()
            if child.poll() is None:
                child.kill()
            for helper in helpers:
                helper.join(timeout=5)
    if timed_out.is_set():
        raise PdfError("Rendering the document took too long")
    return child.returncode, b"".join(out), b"".join(errors)


def pdf_response(document: bytes, name: str) -> Response:
    """A PDF download: an attachment, never cached (R-31, R-34)."""
    response = send_file(
        BytesIO(document),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=name,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _css(title: str, footer: str) -> str:
    """print.css with the running header and footer of one kind of document."""
    return PRINT_CSS.read_text() + (
        f'\n@page {{ @top-right {{ content: "{title}"; }} '
        f'@bottom-left {{ content: "{footer}"; }} }}\n'
    )


def feedback_html(items: list[feedback.TeamFeedback]) -> str:
    """One feedback sheet per team, each starting on a new page (autoescaped, R-23)."""
    return render_template(
        "judging/pdf/feedback_sheets.html",
        items=items,
        event=items[0].event if items else None,
        generated_at=london(utcnow()),
    )


def feedback_css() -> str:
    # Each page names its team: a pack is laid out in parts (parts_to_pdf), so a page
    # number would count within a part, and a team's sheet is read on its own anyway.
    return _css("Pitchpanel feedback sheet", "For the team and its organisers") + (
        ".sheet h1 { string-set: team content(); }\n"
        "@page { @bottom-right { content: string(team); } }\n"
    )


def render_feedback_pdf(items: list[feedback.TeamFeedback]) -> bytes:
    """The teams' feedback sheets as one PDF (one team's, or all in one)."""
    return html_to_pdf(feedback_html(items), feedback_css())


def render_award_letter_pdf(item: feedback.TeamFeedback) -> bytes:
    """The award letter for one funded team."""
    html = render_template(
        "judging/pdf/award_letter.html",
        fb=item,
        event=item.event,
        lead=next((m for m in item.row.team.members if m.is_lead), None),
        organiser=funding.first_organiser(item.event),
        approved_by=funding.allocation_approver(item.event),
        generated_at=london(utcnow()),
    )
    return html_to_pdf(html, _css("Pitchpanel award letter", "Award letter"))


def results_sheet_html(results: Results) -> str:
    """Render the result sheet's HTML (autoescaped .html template, R-23)."""
    teams = {row.pitch.id: row.team for row in results.rows}
    vote_tally = votes.tally(results.event)
    return render_template(
        "judging/pdf/results_sheet.html",
        vote_tally=vote_tally,
        blended=votes.blended_ranking(results, vote_tally),
        categories=categories.by_category(results),
        awarded=prizes.awarded(results.event),
        results=results,
        analysis=analysis.analyse(results),
        event=results.event,
        flags=[(teams[f.pitch_id], f) for f in moderation.flags_for(results)],
        allocation=funding.allocation(results.event, results),
        generated_at=london(utcnow()),
    )


def results_css(event) -> str:
    """print.css, whose footer says the sheet is confidential, until the results are
    published; then the footer gives the date they were published."""
    if event.published_at is None:
        return PRINT_CSS.read_text()
    return _css(
        "Pitchpanel result sheet", f"Published {london_date(event.published_at)}"
    )


def render_results_pdf(results: Results) -> bytes:
    """Return the A4 result sheet for an event as PDF bytes."""
    return html_to_pdf(results_sheet_html(results), results_css(results.event))
