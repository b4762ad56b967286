"""Each team's own feedback page, once the results are published (R-05)."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from auth.policy import ORGANISER, TEAM, allow, event_roles
from events import services as event_services
from judging import feedback
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
