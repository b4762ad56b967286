"""Conflicts of interest: the judge's declaration of interests, the organiser's decisions
on shared organisations, and the register export."""

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user

from auth import audit
from auth.policy import JUDGE, ORGANISER, allow
from events import services as event_services
from extensions import db
from judging import assignment_service, conflicts
from judging.forms import ConflictDecisionForm, DeclarationForm

bp = Blueprint("conflicts", __name__, url_prefix="/events/<slug>")


@bp.route("/judge/declaration", methods=["GET", "POST"])
@allow(JUDGE)
def declaration(slug: str):
    """Let a judge record their organisation and declared interests for the event."""
    event = event_services.get_event_or_404(slug)
    member = conflicts.get_member_or_404(event, current_user)
    form = DeclarationForm(obj=member)
    if form.validate_on_submit():
        try:
            conflicts.save_declaration(
                current_user, event, form.organisation.data, form.interests.data
            )
        except conflicts.ConflictError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Your declaration of interests is saved", "success")
            return redirect(url_for("judging.queue", slug=slug))
    return render_template(
        "judging/declaration.html", event=event, member=member, form=form
    )


@bp.route("/conflicts")
@allow(ORGANISER)
def index(slug: str):
    """List flagged judge-pitch pairs to decide, and the register of declarations."""
    event = event_services.get_event_or_404(slug)
    return render_template(
        "judging/conflicts.html",
        event=event,
        flags=conflicts.flagged_pairs(event),
        register=conflicts.conflict_register(event),
        panel=event_services.list_panel(event),
        form=ConflictDecisionForm(),
    )


@bp.route("/conflicts/decide", methods=["POST"])
@allow(ORGANISER)
def decide(slug: str):
    """Record "Conflicted" or "Not a conflict" for one flagged pair (audited)."""
    event = event_services.get_event_or_404(slug)
    form = ConflictDecisionForm()
    if not form.validate_on_submit():
        flash(
            "That decision could not be saved. Reload the page and try again", "error"
        )
        return redirect(url_for("conflicts.index", slug=slug))
    is_conflict = form.decision.data == "conflicted"
    pitch_id, judge_id = int(form.pitch_id.data), int(form.judge_id.data)
    try:
        conflicts.decide_conflict(current_user, event, pitch_id, judge_id, is_conflict)
        if is_conflict:  # split mode: the pitch gets another judge in their place
            assignment_service.replace_after_conflict(
                current_user, event, pitch_id, judge_id
            )
    except conflicts.ConflictError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(
            "Conflict recorded" if is_conflict else "Marked not a conflict", "success"
        )
    return redirect(url_for("conflicts.index", slug=slug))


@bp.route("/conflicts.csv")
@allow(ORGANISER)
def register_csv(slug: str):
    """Download the register of interests and conflicts as spreadsheet-safe CSV (R-27)."""
    event = event_services.get_event_or_404(slug)
    body = conflicts.register_csv(event)
    audit.record("conflicts.exported", actor=current_user, event_id=event.id)
    db.session.commit()
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{event.slug}-conflicts.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
