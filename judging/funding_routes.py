"""Funding allocation pages: the organiser's decisions, the funder's approval and the
chair's sign-off (rules in judging/funding.py). Every write needs a fresh sign-in (R-07)."""

from collections import Counter

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, fresh_login_required

from auth.policy import FUNDER, JUDGE, ORGANISER, allow, event_roles
from events import services as event_services
from events.forms import ActionForm
from extensions import db
from judging import funding, moderation, services
from judging.forms import FundingForm
from judging.funding_models import FundingKind

bp = Blueprint("funding", __name__, url_prefix="/events/<slug>")


@bp.route("/funding")
@allow(ORGANISER, FUNDER, JUDGE)
def allocation(slug: str):
    """The ranked list against the pot: each pitch's ask, decision and running total.

    Organisers always; a funder with no other role in the event, and the panel chair,
    once moderation is locked (the chair signs off what the funder approved)."""
    event = event_services.get_event_or_404(slug)
    roles = event_roles()
    is_organiser = ORGANISER in roles
    is_funder = FUNDER in roles and not funding.other_roles_conflict(roles)
    is_chair = JUDGE in roles and moderation.is_chair(event, current_user)
    if not (is_organiser or is_funder or is_chair):
        abort(404)
    if not is_organiser and event.moderation_locked_at is None:
        return render_template("judging/funding_waiting.html", event=event)
    return render_template(
        "judging/funding.html",
        event=event,
        allocation=funding.allocation(event),
        can_allocate=funding.can_allocate(event),
        is_organiser=is_organiser,
        is_funder=is_funder,
        has_funder=bool(event_services.list_funders(event)),
        fingerprint=funding.fingerprint(event),
        form=ActionForm(),
    )


@bp.route("/funding/<int:pitch_id>", methods=["GET", "POST"])
@allow(ORGANISER)
@fresh_login_required
def decide(slug: str, pitch_id: int):
    """Record or change one pitch's funding decision."""
    event = event_services.get_event_or_404(slug)
    current = funding.allocation(event)
    row = next((r for r in current.rows if r.row.pitch.id == pitch_id), None)
    if row is None:
        abort(404)
    decision = row.decision
    form = FundingForm(
        data=None
        if decision is None
        else {
            "kind": decision.kind.value,
            "amount": str(decision.amount_pounds) if decision.kind.is_cash else "",
            "scope": decision.scope,
            "conditions": "\n".join(c.text for c in decision.conditions),
            "note": decision.note,
        }
    )
    if decision is None and not form.is_submitted():
        form.amount.data = str(row.asked) if row.asked else ""
    if form.validate_on_submit():
        choice = funding.Choice(
            FundingKind(form.kind.data),
            form.amount_pounds(),
            form.scope.data or "",
            form.note.data or "",
            form.condition_lines(),
        )
        try:
            withdrawn = funding.decide(current_user, event, pitch_id, choice)
        except funding.FundingError as error:
            db.session.rollback()
            target = form[error.field] if error.field else form.kind
            target.errors = [*target.errors, str(error)]
        else:
            db.session.commit()
            flash(
                f"{row.row.team.name}: {choice.kind.label.lower()} saved"
                + (
                    ". The funder's approval and the chair's sign-off were withdrawn: "
                    "they approve the allocation as it now stands"
                    if withdrawn
                    else ""
                ),
                "success",
            )
            return redirect(
                url_for("funding.allocation", slug=slug, _anchor=f"pitch-{pitch_id}")
            )
    return render_template(
        "judging/funding_decide.html",
        event=event,
        allocation=current,
        row=row,
        form=form,
        judges_conditions=Counter(
            services.conditions_by_pitch(event).get(pitch_id, [])
        ).most_common(),
        can_allocate=funding.can_allocate(event),
        kinds={k.value: k for k in FundingKind},
    ), (400 if form.errors else 200)


@bp.route(
    "/funding/conditions/<int:condition_id>/<any(met, open):state>", methods=["POST"]
)
@allow(ORGANISER)
@fresh_login_required
def condition(slug: str, condition_id: int, state: str):
    """Mark a condition met (or open again after a mis-tap)."""
    event = event_services.get_event_or_404(slug)
    if ActionForm().validate_on_submit():
        funding.set_condition_met(current_user, event, condition_id, state == "met")
        db.session.commit()
        flash(
            "Condition marked met" if state == "met" else "Condition marked not met",
            "success",
        )
    return redirect(url_for("funding.allocation", slug=slug))


@bp.route("/funding/approve", methods=["POST"])
@allow(FUNDER)
@fresh_login_required
def approve(slug: str):
    """The funder approves the allocation as it stands."""
    event = event_services.get_event_or_404(slug)
    if ActionForm().validate_on_submit():
        try:
            funding.approve(
                current_user, event, request.form.get("fingerprint", ""), event_roles()
            )
        except funding.FundingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Funding allocation approved", "success")
    return redirect(url_for("funding.allocation", slug=slug))


@bp.route("/results/sign-off", methods=["POST"])
@allow(JUDGE)
@fresh_login_required
def sign_off(slug: str):
    """The panel chair signs the results and the approved allocation off."""
    event = event_services.get_event_or_404(slug)
    if not moderation.is_chair(event, current_user):
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            funding.sign_off(current_user, event)
        except funding.FundingError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Results signed off. The organisers can now publish them", "success")
    return redirect(url_for("moderation.console", slug=slug))
