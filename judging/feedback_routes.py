"""Each team's own feedback page, once the results are published (R-05)."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from auth.policy import ORGANISER, TEAM, allow, event_roles
from events import services as event_services
from judging import feedback, pdf
from pitches import services as pitch_services

bp = Blueprint("feedback", __name__, url_prefix="/events/<slug>")


@bp.route("/teams/<int:team_id>/feedback")
@allow(TEAM, ORGANISER)
def team(slug: str, team_id: int):
    """A team's scores against the cohort, the judges' comments and its funding outcome.

    Team members see it only after publication; organisers may preview it before.
    """
    event = event_services.get_event_or_404(slug)
    roles = event_roles()
    item = pitch_services.get_team_for_user_or_404(event, team_id, current_user, roles)
    published = feedback.is_published(event)
    if not published and ORGANISER not in roles:
        return render_template("judging/feedback_waiting.html", event=event, team=item)
    found = feedback.team_feedback(event, item.pitch.id) if item.pitch else None
    if found is None:
        abort(404)
    return render_template(
        "judging/feedback.html", event=event, team=item, fb=found, preview=not published
    )


def _team_feedback_or_404(slug: str, team_id: int):
    """The event and a team's feedback, for its members after publication and for
    organisers at any time (R-02, R-05); 404 for anyone else or anything else."""
    event = event_services.get_event_or_404(slug)
    roles = event_roles()
    item = pitch_services.get_team_for_user_or_404(event, team_id, current_user, roles)
    if not feedback.is_published(event) and ORGANISER not in roles:
        abort(404)
    found = feedback.team_feedback(event, item.pitch.id) if item.pitch else None
    if found is None:
        abort(404)
    return event, item, found


@bp.route("/teams/<int:team_id>/feedback.pdf")
@allow(TEAM, ORGANISER)
def team_pdf(slug: str, team_id: int):
    """Download one team's feedback sheet (A4 PDF)."""
    event, item, found = _team_feedback_or_404(slug, team_id)
    name = f"{event.slug}-feedback-{item.ref or item.id}.pdf".lower()
    return pdf.pdf_response(pdf.render_feedback_pdf([found]), name)


@bp.route("/teams/<int:team_id>/award-letter.pdf")
@allow(TEAM, ORGANISER)
def award_letter(slug: str, team_id: int):
    """Download a funded team's award letter (A4 PDF); 404 for a team not funded."""
    event, item, found = _team_feedback_or_404(slug, team_id)
    if found.decision is None or not found.decision.kind.is_cash:
        abort(404)
    name = f"{event.slug}-award-letter-{item.ref or item.id}.pdf".lower()
    return pdf.pdf_response(pdf.render_award_letter_pdf(found), name)
