"""Paper fallback: printable scoring sheets per judge, and the import of re-keyed scores.

Sheets are one A4 page per pitch a judge may score, in running order, with a QR code
(inline SVG: the PDF worker fetches nothing) that opens the same scorecard on a tablet.
The import validates every row of a CSV before it stores anything, then stores each
scorecard through services.record_scorecard, so phase, lock, validation and audit rules
are the same as on the tablet.
"""

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import segno
from flask import abort, render_template, url_for
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Event, PanelMember
from events.templating import london
from exports import to_csv
from extensions import db, utcnow
from formkit import clean_text
from judging import assignment_service, live, pdf, services
from judging.conflicts import conflicted_pitch_ids
from judging.models import Recommendation, Scorecard
from pitches import services as pitch_services
from pitches.models import Pitch, PitchStatus

PAPER_CSS = Path(pdf.ROOT) / "static" / "css" / "paper.css"
MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_ROWS = 5_000
MAX_FEEDBACK = 3000
SOURCE = "paper import"
# ASCII digits only: int() would accept full-width digits, "+3" or " 3".
_MARK = re.compile(r"[0-9]{1,3}")


def sheet_code(member: PanelMember, pitch: Pitch) -> str:
    """The short code printed on a sheet and accepted by the import: judge + pitch."""
    return f"J{member.id}-P{pitch.id}"


def qr_svg(data: str, scale: int = 3, *, fluid: bool = False) -> Markup:
    """Return a QR code for the text as inline SVG markup (no XML declaration), ``scale``
    pixels a module; ``fluid`` leaves out the size so the SVG fills its box (viewBox).

    The SVG holds only segno's path data: nothing user-controlled is written into it.
    """
    buffer = io.BytesIO()
    segno.make(data, error="m").save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        scale=scale,
        border=2,
        omitsize=fluid,
    )
    return Markup(buffer.getvalue().decode("ascii"))  # noqa: S704 - segno's own output


# --- scoring sheets --------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    position: int
    pitch: Pitch
    code: str
    url: str
    qr: Markup


@dataclass(frozen=True)
class JudgeSheets:
    member: PanelMember
    sheets: tuple[Sheet, ...]


def judge_sheets(event: Event, member: PanelMember) -> JudgeSheets:
    """Return one sheet per pitch the judge may score (conflicts left out), in order.

    Needs a request context, or an app context with SERVER_NAME, for the QR code's URL.
    """
    queue = services.judge_queue(event, member.user)
    sheets = []
    for item in queue.items:
        if item.pitch.is_practice:
            continue
        url = url_for(
            "judging.scorecard",
            slug=event.slug,
            pitch_id=item.pitch.id,
            _external=True,
        )
        sheets.append(
            Sheet(
                len(sheets) + 1,
                item.pitch,
                sheet_code(member, item.pitch),
                url,
                qr_svg(url),
            )
        )
    return JudgeSheets(member, tuple(sheets))


def get_member_or_404(event: Event, member_id: int) -> PanelMember:
    """Return a judge on this event's panel by membership id.

    :raises NotFound: if the id is not a panel member of this event.
    """
    member = next(
        (m for m in event_services.list_panel(event) if m.id == member_id), None
    )
    if member is None:
        abort(404)
    return member


def all_judge_sheets(event: Event) -> list[JudgeSheets]:
    """Return the sheets of every judge on the panel, the chair first."""
    return [
        judge_sheets(event, m)
        for m in event_services.list_panel(event)
        if not m.scores_voided  # they cannot score, on paper either
    ]


def sheets_html(event: Event, packs: list[JudgeSheets]) -> str:
    """Render the scoring sheets' HTML (autoescaped .html template, R-23)."""
    criteria = list(event.criteria)
    return render_template(
        "judging/paper/sheets.html",
        event=event,
        packs=packs,
        criteria=criteria,
        levels={c.id: {lv.score: lv.label for lv in c.levels} for c in criteria},
        scores=list(range(event.scale_min, event.scale_max + 1)),
        recommendations=list(Recommendation),
        generated_at=london(utcnow()),
    )


def sheets_css() -> str:
    return pdf.PRINT_CSS.read_text() + "\n" + PAPER_CSS.read_text()


def render_sheets_pdf(event: Event, packs: list[JudgeSheets]) -> bytes:
    """Return the scoring sheets as A4 PDF bytes (rendered in the limited child)."""
    return pdf.html_to_pdf(sheets_html(event, packs), css=sheets_css())


def template_csv(event: Event) -> str:
    """A CSV to re-key paper scores into: the header, one row per (judge, pitch) pair."""
    codes = [c.code for c in event.criteria]
    header = ["judge_email", "team", "sheet_code", *codes, "recommendation"]
    header += ["conditions", "feedback"]
    rows = []
    for member in event_services.list_panel(event):
        if member.scores_voided:  # they cannot score: no rows to fill in
            continue
        # The judge's queue leaves out conflicts and, in split mode, unassigned pitches.
        for item in services.judge_queue(event, member.user).items:
            pitch = item.pitch
            if pitch.is_practice:
                continue
            rows.append(
                [member.user.email, pitch.team.ref, sheet_code(member, pitch)]
                + [""] * (len(codes) + 3)
            )
    return to_csv(header, rows)


# --- import of re-keyed scores ---------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the whole file; 1 is the header
    column: str
    message: str


@dataclass(frozen=True)
class ImportedRow:
    row: int
    judge: User
    pitch: Pitch
    revision: int
    replayed: bool


@dataclass(frozen=True)
class ImportReport:
    errors: tuple[RowError, ...] = ()
    rows: tuple[ImportedRow, ...] = ()
    file_hash: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _ParsedRow:
    row: int
    member: PanelMember
    pitch: Pitch
    marks: dict[int, int]
    recommendation: Recommendation | None
    conditions: str
    feedback: str


def _file_error(message: str, column: str = "") -> ImportReport:
    return ImportReport(errors=(RowError(None, column, message),))


def _read_rows(data: bytes) -> tuple[list[list[str]] | None, ImportReport | None]:
    if len(data) > MAX_IMPORT_BYTES:
        return None, _file_error(f"The file is larger than {MAX_IMPORT_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, _file_error("The file is not UTF-8 text: save it as CSV UTF-8")
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for cells in reader:
            rows.append(cells)
            if len(rows) > MAX_IMPORT_ROWS + 1:
                return None, _file_error(
                    f"The file has more than {MAX_IMPORT_ROWS:,} rows of scores"
                )
    except csv.Error as error:
        return None, ImportReport(
            errors=(RowError(len(rows) + 1, "", f"Not valid CSV: {error}"),)
        )
    return rows, None


def _check_header(header: list[str], codes: list[str]) -> tuple[dict, list[RowError]]:
    names = [h.strip().lower() for h in header]
    required = ["judge_email", "team", *[c.lower() for c in codes], "feedback"]
    known = set(required) | {"recommendation", "conditions", "sheet_code"}
    errors = []
    for name in required:
        if name not in names:
            errors.append(RowError(1, name, "Missing column"))
    seen: set[str] = set()
    for name in names:
        if name in seen:
            errors.append(RowError(1, name, "Column appears more than once"))
        elif name not in known:
            errors.append(RowError(1, name or "(blank)", "Unknown column"))
        seen.add(name)
    return {name: i for i, name in enumerate(names)}, errors


class _Context:
    """The event's judges, teams and conflicts, loaded once for every row."""

    def __init__(self, event: Event):
        self.event = event
        self.criteria = list(event.criteria)
        self.judges = {
            m.user.email.strip().lower(): m for m in event_services.list_panel(event)
        }
        self.teams_by_ref = {}
        self.teams_by_name = {}
        for team in pitch_services.list_teams(event):
            if team.ref:
                self.teams_by_ref[team.ref.upper()] = team
            self.teams_by_name[team.name] = team
        self.conflicts: dict[int, set[int]] = {}
        self.locked: dict[int, bool] = {}

    def conflicted(self, member: PanelMember, pitch: Pitch) -> bool:
        if member.user_id not in self.conflicts:
            self.conflicts[member.user_id] = conflicted_pitch_ids(
                self.event, member.user
            )
        return pitch.id in self.conflicts[member.user_id]

    def is_locked(self, pitch: Pitch) -> bool:
        if pitch.id not in self.locked:
            self.locked[pitch.id] = live.is_locked(pitch)
        return self.locked[pitch.id]


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(cells):
        return ""
    return cells[index]


def _parse_row(
    n: int, cells: list[str], columns: dict[str, int], ctx: _Context
) -> tuple[_ParsedRow | None, list[RowError]]:
    errors: list[RowError] = []
    if len(cells) > len(columns):
        errors.append(RowError(n, "", "The row has more cells than the header"))
    email = _cell(cells, columns, "judge_email").strip().lower()
    member = ctx.judges.get(email) if email else None
    if not email:
        errors.append(RowError(n, "judge_email", "Missing the judge's email"))
    elif member is None:
        errors.append(
            RowError(n, "judge_email", "Not the email of a judge on this event's panel")
        )
    team_text = _cell(cells, columns, "team").strip()
    team = ctx.teams_by_ref.get(team_text.upper()) or ctx.teams_by_name.get(team_text)
    pitch = None
    if not team_text:
        errors.append(RowError(n, "team", "Missing the team"))
    elif team is None:
        errors.append(RowError(n, "team", "No team with this reference or name"))
    elif team.pitch is None or team.pitch.status != PitchStatus.SUBMITTED:
        errors.append(RowError(n, "team", "This team has not submitted a pitch"))
    else:
        pitch = team.pitch
    if member is not None and member.scores_voided:
        errors.append(
            RowError(n, "judge_email", "The organisers have voided this judge's scores")
        )
    elif member is not None and pitch is not None:
        if ctx.conflicted(member, pitch):
            errors.append(
                RowError(
                    n, "team", "The judge has a conflict of interest with this team"
                )
            )
        elif not assignment_service.may_judge(ctx.event, member.user, pitch):
            errors.append(
                RowError(n, "team", "The judge is not assigned to score this team")
            )
        elif ctx.is_locked(pitch):
            errors.append(
                RowError(n, "team", "The chair has locked this pitch's scores")
            )
        code = _cell(cells, columns, "sheet_code").strip().upper()
        if code and code != sheet_code(member, pitch):
            errors.append(
                RowError(n, "sheet_code", "Does not match this judge and team")
            )
    marks = {}
    low, high = ctx.event.scale_min, ctx.event.scale_max
    for criterion in ctx.criteria:
        raw = _cell(cells, columns, criterion.code.lower()).strip()
        if not raw:
            errors.append(RowError(n, criterion.code, "Missing mark"))
        elif not _MARK.fullmatch(raw) or not low <= int(raw) <= high:
            errors.append(
                RowError(
                    n, criterion.code, f"Must be a whole number from {low} to {high}"
                )
            )
        else:
            marks[criterion.id] = int(raw)
    raw = _cell(cells, columns, "recommendation").strip().lower()
    recommendation = None
    if raw:
        try:
            recommendation = Recommendation(re.sub(r"[\s,]+", "_", raw))
        except ValueError:
            errors.append(
                RowError(
                    n,
                    "recommendation",
                    "Must be fund, fund_with_conditions, support_not_cash or "
                    "do_not_fund (or blank)",
                )
            )
    conditions = clean_text(_cell(cells, columns, "conditions"))
    if recommendation == Recommendation.FUND_WITH_CONDITIONS and not conditions:
        errors.append(
            RowError(n, "conditions", "Write the conditions of the recommendation")
        )
    elif len(conditions) > MAX_FEEDBACK:
        errors.append(
            RowError(n, "conditions", f"Longer than {MAX_FEEDBACK:,} characters")
        )
    feedback = clean_text(_cell(cells, columns, "feedback"))
    if not feedback:
        errors.append(RowError(n, "feedback", "Missing feedback for the team"))
    elif len(feedback) > MAX_FEEDBACK:
        errors.append(
            RowError(n, "feedback", f"Longer than {MAX_FEEDBACK:,} characters")
        )
    if errors:
        return None, errors
    parsed = _ParsedRow(n, member, pitch, marks, recommendation, conditions, feedback)
    return parsed, []


def validate_import(event: Event, data: bytes) -> tuple[list[_ParsedRow], ImportReport]:
    """Check every row of a CSV of re-keyed scores; store nothing.

    :returns: the parsed rows, and a report whose errors list every problem found.
    """
    file_hash = hashlib.sha256(data).hexdigest()
    rows, failed = _read_rows(data)
    if failed is not None:
        return [], failed
    if not services.can_score(event):
        return [], _file_error(
            "Scores can be imported only while judging is open, or during moderation "
            "until the chair locks it"
        )
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return [], _file_error("The file is empty")
    ctx = _Context(event)
    columns, errors = _check_header(rows[0], [c.code for c in ctx.criteria])
    if errors:
        return [], ImportReport(errors=tuple(errors), file_hash=file_hash)
    if len(rows) == 1:
        return [], _file_error("The file has a header but no rows of scores")
    parsed: list[_ParsedRow] = []
    first_row: dict[tuple[int, int], int] = {}
    for n, cells in enumerate(rows[1:], start=2):
        row, row_errors = _parse_row(n, cells, columns, ctx)
        if row is not None:
            pair = (row.member.user_id, row.pitch.id)
            if pair in first_row:
                row_errors = [
                    RowError(
                        n,
                        "team",
                        f"Same judge and team as row {first_row[pair]}: "
                        "keep one row per scorecard",
                    )
                ]
            else:
                first_row[pair] = n
                parsed.append(row)
        errors.extend(row_errors)
    return parsed, ImportReport(errors=tuple(errors), file_hash=file_hash)


def submission_key(judge: User, pitch: Pitch, file_hash: str) -> str:
    """The deterministic submission key of a paper score: re-importing is idempotent."""
    digest = hashlib.sha256(f"{judge.id}:{pitch.id}:{file_hash}".encode()).hexdigest()
    return f"paper-{digest[:58]}"


def import_scores(organiser: User, event: Event, data: bytes) -> ImportReport:
    """Validate a CSV of re-keyed paper scores and, only if every row is valid, store them.

    Each scorecard goes through services.record_scorecard with base_revision set to the
    current revision (an explicit overwrite). The caller commits when the report is ok,
    and rolls back otherwise, so an import stores every row or nothing.
    """
    parsed, report = validate_import(event, data)
    if not report.ok:
        return report
    imported = []
    for row in parsed:
        judge = row.member.user
        card = services.get_scorecard(row.pitch, judge)
        data_in = services.ScoreInput(
            marks=row.marks,
            feedback=row.feedback,
            recommendation=row.recommendation,
            submission_key=submission_key(judge, row.pitch, report.file_hash),
            base_revision=card.revision if card else 0,
            reason=f"Paper scores imported by {organiser.display_name}",
            conditions=row.conditions,
            # The judge's private notes are not on paper: an import keeps them.
            private_notes=card.private_notes if card else "",
        )
        try:
            outcome = services.record_scorecard(judge, event, row.pitch, data_in)
        except (services.JudgingError, event_services.EventError) as error:
            return ImportReport(errors=(RowError(row.row, "", str(error)),))
        except HTTPException:
            return ImportReport(
                errors=(RowError(row.row, "", "This judge cannot score this team"),)
            )
        if not outcome.replayed:
            audit.record(
                "score.imported",
                actor=organiser,
                event_id=event.id,
                target=db.session.get(Scorecard, outcome.scorecard_id),
                source=SOURCE,
                judge_id=judge.id,
                pitch_id=row.pitch.id,
                revision=outcome.revision,
                row=row.row,
                file_sha256=report.file_hash,
            )
        imported.append(
            ImportedRow(
                row.row,
                judge,
                row.pitch,
                outcome.revision,
                outcome.replayed,
            )
        )
    return ImportReport(rows=tuple(imported), file_hash=report.file_hash)
