"""Calibration: the organiser adds or removes the practice pitch and compares the
judges' practice marks."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from auth.policy import ORGANISER, allow
from events import services as event_services
from events.forms import ActionForm
from extensions import db
from judging import practice

bp = Blueprint("practice", __name__, url_prefix="/events/<slug>")


@bp.route("/calibration")
@allow(ORGANISER)
def calibration(slug: str):
    """Show each judge's practice marks side by side, for the panel to discuss."""
    event = event_services.get_event_or_404(slug)
    return render_template(
        "judging/calibration.html",
        event=event,
        calibration=practice.calibration(event),
        can_change=event.phase in practice.CHANGEABLE_PHASES,
        form=ActionForm(),
    )


@bp.route("/practice-pitch", methods=["POST"])
@allow(ORGANISER)
def create(slug: str):
    """Add the event's practice pitch (once; a repeat changes nothing)."""
    event = event_services.get_event_or_404(slug)
    if ActionForm().validate_on_submit():
        try:
            practice.create_practice_pitch(current_user, event)
        except event_services.EventError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Practice pitch added: judges see it first in their list", "success")
    return redirect(url_for("practice.calibration", slug=slug))


@bp.route("/practice-pitch/delete", methods=["POST"])
@allow(ORGANISER)
def delete(slug: str):
    """Remove the practice pitch and its practice scores."""
    event = event_services.get_event_or_404(slug)
    if ActionForm().validate_on_submit():
        try:
            removed = practice.delete_practice_pitch(current_user, event)
        except event_services.EventError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            if removed:
                flash("Practice pitch removed", "success")
    return redirect(url_for("practice.calibration", slug=slug))
