"""The home page, each event's public page and the organiser's event overview."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from auth.policy import ORGANISER, PUBLIC, allow, event_roles
from events import services as event_services
from events.forms import PhaseForm
from events.models import EventPhase
from judging import services as judging_services
from portal import services

bp = Blueprint("portal", __name__)


@bp.route("/")
@allow(PUBLIC)
def home():
    """Show the signed-in user's events and roles, and the events open to everyone."""
    mine = (
        services.dashboard_for(current_user) if current_user.is_authenticated else None
    )
    return render_template(
        "portal/home.html", mine=mine, events=event_services.list_public_events()
    )


@bp.route("/events/<slug>")
@allow(PUBLIC)
def detail(slug: str):
    """Show an event's public page, with its ranking once results are published."""
    event = event_services.get_event_or_404(slug)
    if event.phase == EventPhase.DRAFT and ORGANISER not in event_roles():
        abort(404)
    return render_template(
        "portal/detail.html", roles=event_roles(), **services.public_page(event)
    )


@bp.route("/events/<slug>/manage")
@allow(ORGANISER)
def manage(slug: str):
    """Show the organiser's control page for one event: counts, phase and next steps."""
    event = event_services.get_event_or_404(slug)
    return render_template(
        "portal/manage.html",
        event=event,
        overview=services.organiser_overview(event),
        transitions=event_services.allowed_transitions(event),
        phase_form=PhaseForm(),
        progress=judging_services.progress_by_judge(event),
    )
