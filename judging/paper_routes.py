"""Paper fallback: scoring sheets as PDF, and the import of re-keyed paper scores."""

from flask import Blueprint, Response, flash, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from auth.policy import JUDGE, ORGANISER, allow
from events import services as event_services
from extensions import db
from judging import paper, pdf

bp = Blueprint("paper", __name__, url_prefix="/events/<slug>")


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file of paper scores",
        description="UTF-8 CSV, at most 1 MB and 5,000 rows.",
        validators=[FileRequired("Choose a CSV file to import")],
    )


@bp.route("/paper/judges/<int:member_id>.pdf")
@allow(ORGANISER)
def judge_sheets(slug: str, member_id: int):
    """Download one judge's scoring sheets."""
    event = event_services.get_event_or_404(slug)
    member = paper.get_member_or_404(event, member_id)
    document = paper.render_sheets_pdf(event, [paper.judge_sheets(event, member)])
    return pdf.pdf_response(document, f"{event.slug}-scoring-sheets-{member.id}.pdf")


@bp.route("/judge/paper.pdf")
@allow(JUDGE)
def my_sheets(slug: str):
    """Let a judge download their own scoring sheets."""
    event = event_services.get_event_or_404(slug)
    member = paper.get_member_or_404(
        event, getattr(event_services.get_panel_member(event, current_user), "id", 0)
    )
    document = paper.render_sheets_pdf(event, [paper.judge_sheets(event, member)])
    return pdf.pdf_response(document, f"{event.slug}-my-scoring-sheets.pdf")


@bp.route("/paper/template.csv")
@allow(ORGANISER)
def template_csv(slug: str):
    """Download a CSV to re-key paper scores into, one row per judge and pitch."""
    event = event_services.get_event_or_404(slug)
    return Response(
        paper.template_csv(event),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{event.slug}-paper-scores.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/paper/import", methods=["GET", "POST"])
@allow(ORGANISER)
def import_scores(slug: str):
    """Import re-keyed paper scores: every row is checked, and all or nothing is stored."""
    # Refuse a large upload before it is parsed; the slack covers the multipart.
    request.max_content_length = paper.MAX_IMPORT_BYTES + 64 * 1024
    event = event_services.get_event_or_404(slug)
    form = ImportForm()
    report, status = None, 200
    if form.validate_on_submit():
        data = form.file.data.stream.read(paper.MAX_IMPORT_BYTES + 1)
        form.file.data.close()  # a large upload is spooled to a temporary file
        report = paper.import_scores(current_user, event, data)
        if report.ok:
            db.session.commit()
            flash(_import_message(report), "success")
        else:
            db.session.rollback()
            status = 400
    elif form.is_submitted():
        status = 400
    return render_template(
        "judging/paper/import.html", event=event, form=form, report=report
    ), status


def _import_message(report: paper.ImportReport) -> str:
    """Say what the import changed: a file imported before changes nothing again."""
    new = sum(1 for row in report.rows if not row.replayed)
    again = len(report.rows) - new
    if not new:
        return (
            f"Nothing new: all {again} scorecards were already imported from this file"
        )
    message = f"Imported {new} paper scorecard{'s' if new != 1 else ''}"
    if again:
        message += f"; {again} were already imported from this file"
    return message
