"""The organiser's judge assignment page: mode and numbers, the draw, the matrix of who
scores what, overrides, and redistribution when a judge drops out (issue 3)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from auth.policy import ORGANISER, allow
from events import services as event_services
from events.models import AssignmentMode
from extensions import db
from judging import assignment_service
from judging.forms import (
    AssignmentJudgeForm,
    AssignmentPairForm,
    AssignmentSettingsForm,
)

bp = Blueprint("assignment", __name__, url_prefix="/events/<slug>")


def _back(slug: str):
    return redirect(url_for("assignment.index", slug=slug))


def _page(event, form: AssignmentSettingsForm, status: int = 200):
    return (
        render_template(
            "judging/assignment.html",
            event=event,
            form=form,
            view=assignment_service.overview(event),
            pair_form=AssignmentPairForm(),
            judge_form=AssignmentJudgeForm(),
        ),
        status,
    )


@bp.route("/assignment")
@allow(ORGANISER)
def index(slug: str):
    """Show the settings, the assignment matrix, loads and whether judges connect."""
    event = event_services.get_event_or_404(slug)
    form = AssignmentSettingsForm(
        data={
            "mode": event.assignment_mode.value,
            "judges_per_pitch": event.judges_per_pitch,
            "max_pitches_per_judge": event.max_pitches_per_judge,
        }
    )
    return _page(event, form)


@bp.route("/assignment/settings", methods=["POST"])
@allow(ORGANISER)
def settings(slug: str):
    """Save the mode, judges per pitch and cap (clears an earlier draw; audited)."""
    event = event_services.get_event_or_404(slug)
    form = AssignmentSettingsForm()
    if not form.validate_on_submit():
        return _page(event, form, 400)
    split = form.mode.data == "split"
    try:
        assignment_service.update_settings(
            current_user,
            event,
            AssignmentMode(form.mode.data),
            form.judges_per_pitch.data if split else None,
            form.max_pitches_per_judge.data if split else None,
        )
    except assignment_service.AssignmentError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Assignment settings saved", "success")
    return _back(slug)


@bp.route("/assignment/draw", methods=["POST"])
@allow(ORGANISER)
def draw(slug: str):
    """Draw judges for every pitch at random, balanced and connected (audited)."""
    event = event_services.get_event_or_404(slug)
    try:
        result = assignment_service.draw(current_user, event)
    except assignment_service.AssignmentError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Assignment drawn (seed {result.seed})", "success")
    return _back(slug)


@bp.route("/assignment/override", methods=["POST"])
@allow(ORGANISER)
def override(slug: str):
    """Assign or unassign one judge on one pitch (audited)."""
    event = event_services.get_event_or_404(slug)
    form = AssignmentPairForm()
    if not form.validate_on_submit():
        flash("That change could not be saved. Reload the page and try again", "error")
        return _back(slug)
    assign = form.action.data == "assign"
    try:
        assignment_service.override(
            current_user,
            event,
            int(form.pitch_id.data),
            int(form.judge_id.data),
            assign,
        )
    except assignment_service.AssignmentError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Judge assigned" if assign else "Judge unassigned", "success")
    return _back(slug)


@bp.route("/assignment/drop-out", methods=["POST"])
@allow(ORGANISER)
def drop_out(slug: str):
    """Record that a judge dropped out and hand their pitches to others (audited)."""

    def done(result) -> None:
        if result.shortfall:
            flash(
                f"{len(result.shortfall)} pitches are short of judges: assign more "
                "judges to them below",
                "warning",
            )
        flash("The judge's pitches were redistributed", "success")

    return _judge_action(slug, assignment_service.drop_out, done)


@bp.route("/assignment/restore", methods=["POST"])
@allow(ORGANISER)
def restore(slug: str):
    """Put a judge marked as dropped out back on the panel (audited)."""

    def done(_) -> None:
        flash(
            "The judge is back on the panel with no pitches: assign them pitches below",
            "success",
        )

    return _judge_action(slug, assignment_service.restore, done)


def _judge_action(slug: str, action, done):
    """Run ``action(organiser, event, judge id)`` from the posted judge form; commit and
    call ``done(result)``, or roll back and say why."""
    event = event_services.get_event_or_404(slug)
    form = AssignmentJudgeForm()
    if not form.validate_on_submit():
        flash("That change could not be saved. Reload the page and try again", "error")
        return _back(slug)
    try:
        result = action(current_user, event, int(form.judge_id.data))
    except assignment_service.AssignmentError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        done(result)
    return _back(slug)
