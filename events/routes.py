"""Organiser set-up of an event: details, phases, rubric, panel and judge invitations."""

import re

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, fresh_login_required
from sqlalchemy.exc import SQLAlchemyError

from auth import services as auth_services
from auth.policy import EVENT_CREATOR, ORGANISER, SIGNED_IN, allow
from events import services
from events.forms import (
    ActionForm,
    EventForm,
    InvitationForm,
    MemberActionForm,
    NewEventForm,
    PhaseForm,
    ResultsMethodForm,
    make_rubric_form,
)
from events.models import EventPhase, EventType
from events.rubrics import AggregationMethod
from extensions import db

bp = Blueprint("events", __name__)
# A panel member id from a form: ASCII digits that fit a 64-bit id ("²".isdigit() is True
# but int("²") raises, and a huge number overflows SQLite: both were 500s).
_ID = re.compile(r"[0-9]{1,18}")


def _details(form: EventForm) -> services.EventDetails:
    return services.EventDetails(
        name=form.name.data,
        slug=form.slug.data,
        event_type=EventType(form.event_type.data),
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        submissions_close_at=form.submissions_close_at.data,
        venue=form.venue.data or "",
        description=form.description.data or "",
        pot_pounds=form.pot_pounds.data,
        cap_pounds=form.cap_pounds.data,
        is_blind=bool(form.is_blind.data),
    )


@bp.route("/events/new", methods=["GET", "POST"])
@allow(EVENT_CREATOR)
def create():
    """Let an organiser create a draft event with a preset rubric."""
    form = NewEventForm()
    if form.validate_on_submit():
        try:
            event = services.create_event(
                current_user, _details(form), form.preset.data
            )
        except services.EventError as error:
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Event '{event.name}' created as a draft", "success")
            return redirect(url_for("portal.manage", slug=event.slug))
    return render_template("events/form.html", form=form, event=None)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@allow(ORGANISER)
def edit(slug: str):
    """Let an organiser change the event's details."""
    event = services.get_event_or_404(slug)
    form = EventForm(obj=event)
    if form.validate_on_submit():
        try:
            services.update_event(current_user, event, _details(form))
        except services.EventError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Event details saved", "success")
            return redirect(url_for("portal.manage", slug=event.slug))
    return render_template("events/form.html", form=form, event=event)


@bp.route("/events/<slug>/phase", methods=["POST"])
@allow(ORGANISER)
def phase(slug: str):
    """Move the event to its next (or previous) phase."""
    event = services.get_event_or_404(slug)
    form = PhaseForm()
    if form.validate_on_submit():
        target = EventPhase(form.target.data)
        if target == EventPhase.PUBLISHED:
            return redirect(url_for("judging.results", slug=slug))
        try:
            services.change_phase(current_user, event, target)
        except services.EventError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"The event is now '{target.label}'", "success")
    return redirect(url_for("portal.manage", slug=slug))


@bp.route("/events/<slug>/rubric", methods=["GET", "POST"])
@allow(ORGANISER)
def rubric(slug: str):
    """Let an organiser edit the rubric's criteria, weights, descriptors and tie-break."""
    event = services.get_event_or_404(slug)
    form = make_rubric_form(event.criteria, (event.scale_min, event.scale_max))()
    if form.validate_on_submit():
        edits = [
            services.CriterionEdit(
                c.id,
                form[f"c{c.id}_name"].data,
                form[f"c{c.id}_question"].data or "",
                form[f"c{c.id}_weight"].data,
                int(form[f"c{c.id}_tie"].data) if form[f"c{c.id}_tie"].data else None,
                {
                    lv.score: form[f"c{c.id}_level{lv.score}"].data or ""
                    for lv in c.levels
                },
            )
            for c in event.criteria
        ]
        try:
            services.update_rubric(current_user, event, edits)
        except services.EventError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Rubric saved", "success")
            return redirect(url_for("events.rubric", slug=slug))
    return render_template(
        "events/rubric.html",
        event=event,
        form=form,
        method_form=ResultsMethodForm(
            method=event.results_method, tie_draw=event.funding_tie_draw
        ),
        methods={m.value: m for m in AggregationMethod},
        editable=services.can_edit_rubric(event),
    )


@bp.route("/events/<slug>/rubric/method", methods=["POST"])
@allow(ORGANISER)
def results_method(slug: str):
    """Declare how the judges' scores are combined (locked once judging starts)."""
    event = services.get_event_or_404(slug)
    form = ResultsMethodForm()
    if not form.validate_on_submit():
        flash("Choose how the judges' scores are combined", "error")
        return redirect(url_for("events.rubric", slug=slug))
    try:
        services.declare_results_method(
            current_user,
            event,
            AggregationMethod(form.method.data),
            tie_draw=form.tie_draw.data,
        )
    except services.EventError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("How the scores are combined is saved", "success")
    return redirect(url_for("events.rubric", slug=slug))


def _panel_page(event, new_link: str | None = None, for_funder: bool = False):
    return render_template(
        "events/panel.html",
        event=event,
        panel=services.list_panel(event),
        funders=services.list_funders(event),
        invitations=services.list_open_invitations(event),
        form=InvitationForm(),
        action_form=MemberActionForm(),
        new_link=new_link,
        new_link_for_funder=for_funder,
    )


@bp.route("/events/<slug>/panel")
@allow(ORGANISER)
def panel(slug: str):
    """Show the judging panel and funders, open invitations and forms for new links."""
    return _panel_page(services.get_event_or_404(slug))


@bp.route("/events/<slug>/panel/invitations", methods=["POST"])
@allow(ORGANISER)
def invite(slug: str):
    """Create a single-use invitation link for a judge and show it once."""
    return _invite(slug, for_funder=False)


@bp.route("/events/<slug>/funders/invitations", methods=["POST"])
@allow(ORGANISER)
@fresh_login_required
def invite_funder(slug: str):
    """Create a single-use invitation link for a funder and show it once."""
    return _invite(slug, for_funder=True)


def _invite(slug: str, for_funder: bool):
    event = services.get_event_or_404(slug)
    form = InvitationForm()
    if not form.validate_on_submit():
        return redirect(url_for("events.panel", slug=slug))
    token = services.create_invitation(
        current_user, event, form.note.data or "", for_funder=for_funder
    )
    db.session.commit()
    link = url_for("events.invitation", token=token, _external=True)
    return _panel_page(event, link, for_funder)


@bp.route(
    "/events/<slug>/panel/invitations/<int:invitation_id>/revoke", methods=["POST"]
)
@allow(ORGANISER)
def revoke_invitation(slug: str, invitation_id: int):
    """Withdraw an unused invitation link."""
    event = services.get_event_or_404(slug)
    if ActionForm().validate_on_submit():
        services.revoke_invitation(current_user, event, invitation_id)
        db.session.commit()
        flash("Invitation withdrawn", "success")
    return redirect(url_for("events.panel", slug=slug))


@bp.route("/events/<slug>/panel/chair", methods=["POST"])
@allow(ORGANISER)
def set_chair(slug: str):
    """Make one judge the panel chair."""
    event = services.get_event_or_404(slug)
    form = MemberActionForm()
    if form.validate_on_submit() and _ID.fullmatch(form.member_id.data):
        services.set_chair(current_user, event, int(form.member_id.data))
        db.session.commit()
        flash("Panel chair updated", "success")
    return redirect(url_for("events.panel", slug=slug))


@bp.route("/events/<slug>/panel/remove", methods=["POST"])
@allow(ORGANISER)
def remove_judge(slug: str):
    """Take a judge off the panel before judging starts."""
    event = services.get_event_or_404(slug)
    form = MemberActionForm()
    if form.validate_on_submit() and _ID.fullmatch(form.member_id.data):
        try:
            services.remove_judge(current_user, event, int(form.member_id.data))
        except services.EventError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Judge removed from the panel", "success")
    return redirect(url_for("events.panel", slug=slug))


@bp.route("/events/<slug>/funders/remove", methods=["POST"])
@allow(ORGANISER)
def remove_funder(slug: str):
    """Take a funder off the event until the allocation is approved."""
    event = services.get_event_or_404(slug)
    form = MemberActionForm()
    if form.validate_on_submit() and _ID.fullmatch(form.member_id.data):
        try:
            services.remove_funder(current_user, event, int(form.member_id.data))
        except services.EventError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Funder removed", "success")
    return redirect(url_for("events.panel", slug=slug))


def _count_failure(keys: tuple[str, ...]) -> None:
    """Record a bad invitation link for throttling (R-10); a busy database is no 500."""
    auth_services.record_failures(*keys)
    try:
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@allow(SIGNED_IN)
def invitation(token: str):
    """Let a signed-in user accept an invitation to judge."""
    form = ActionForm()
    keys = (f"invite:user:{current_user.id}", f"invite:address:{request.remote_addr}")
    limit = current_app.config["INVITATION_THROTTLE"]
    if any(auth_services.has_too_many_failures(key, limit) for key in keys):
        error = "Too many invitation links that did not work. Wait a few minutes"
        return render_template(
            "events/invitation.html", error=error, event=None, form=form
        ), 429
    try:
        found = services.find_invitation(token)
    except services.EventError as error:
        _count_failure(keys)
        return render_template(
            "events/invitation.html", error=str(error), event=None, form=form
        ), 410
    event = db.session.get(services.Event, found.event_id)
    if form.validate_on_submit():
        try:
            services.redeem_invitation(current_user, token)
        except services.EventError as error:
            return render_template(
                "events/invitation.html", error=str(error), event=None, form=form
            ), 410
        db.session.commit()
        if found.for_funder:
            flash(f"You now approve the funding allocation of {event.name}", "success")
            return redirect(url_for("funding.allocation", slug=event.slug))
        flash(f"You are now a judge for {event.name}", "success")
        return redirect(url_for("judging.queue", slug=event.slug))
    return render_template(
        "events/invitation.html",
        event=event,
        form=form,
        error=None,
        for_funder=found.for_funder,
    )
