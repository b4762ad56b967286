"""Categories and special prizes: organisers set them up, the panel chair records the
panel's winners (rules in judging/prizes.py and judging/categories.py)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from auth import audit
from auth.policy import JUDGE, ORGANISER, allow, event_roles
from events import services as event_services
from events.forms import ActionForm
from events.models import CategoryBy, EventPhase
from extensions import db
from judging import moderation, prizes
from judging.forms import CategoryForm, PrizeDecisionForm, PrizeForm
from pitches import services as pitch_services

bp = Blueprint("prizes", __name__, url_prefix="/events/<slug>")


def _access(event) -> tuple[bool, bool]:
    """(organiser, chair); anyone else on the panel gets 404 (R-02)."""
    organiser = ORGANISER in event_roles()
    chair = JUDGE in event_roles() and moderation.is_chair(event, current_user)
    if not (organiser or chair):
        abort(404)
    return organiser, chair


@bp.route("/prizes")
@allow(ORGANISER, JUDGE)
def index(slug: str):
    """Categories and special prizes, with the panel's decisions."""
    event = event_services.get_event_or_404(slug)
    organiser, chair = _access(event)
    return _page(event, organiser, chair, PrizeForm(), None)


def _page(event, organiser, chair, add_form, failed: tuple | None, status=200):
    pitches = pitch_services.list_submitted_pitches(event)
    listed = prizes.list_prizes(event)
    forms = {}
    for prize in listed:
        if failed is not None and failed[0] == prize.id:
            forms[prize.id] = failed[1]
        else:
            forms[prize.id] = PrizeDecisionForm(
                prefix=f"prize-{prize.id}",
                formdata=None,
                data={
                    "pitch_id": str(prize.pitch_id or ""),
                    "citation": prize.citation,
                },
            )
    return render_template(
        "judging/prizes.html",
        event=event,
        is_organiser=organiser,
        is_chair=chair,
        category_form=CategoryForm(category_by=event.category_by.value),
        add_form=add_form,
        prizes=listed,
        decision_forms=forms,
        pitches=pitches,
        action=ActionForm(),
        published=event.phase == EventPhase.PUBLISHED,
        can_decide=chair and event.phase == EventPhase.MODERATION,
    ), status


@bp.route("/prizes/categories", methods=["POST"])
@allow(ORGANISER)
def categories(slug: str):
    """Choose how the results are also ranked within categories (audited)."""
    event = event_services.lock_event(event_services.get_event_or_404(slug))
    form = CategoryForm()
    if not form.validate():
        abort(400)
    chosen = CategoryBy(form.category_by.data)
    if event.phase == EventPhase.PUBLISHED:
        flash("The results are published: the categories are final", "error")
    elif chosen != event.category_by:
        audit.record(
            "categories.chosen",
            actor=current_user,
            event_id=event.id,
            target=event,
            old=event.category_by.value,
            new=chosen.value,
        )
        event.category_by = chosen
        db.session.commit()
        flash("The categories are saved", "success")
    return redirect(url_for("prizes.index", slug=slug))


@bp.route("/prizes/new", methods=["POST"])
@allow(ORGANISER)
def add(slug: str):
    """Name a special prize."""
    event = event_services.get_event_or_404(slug)
    form = PrizeForm()
    if not form.validate():
        return _page(event, True, False, form, None, 400)
    try:
        prizes.add_prize(current_user, event, form.name.data, form.description.data)
    except prizes.PrizeError as error:
        db.session.rollback()
        form.name.errors = [str(error)]
        return _page(event, True, False, form, None, 400)
    db.session.commit()
    flash(f"Prize added: {form.name.data}", "success")
    return redirect(url_for("prizes.index", slug=slug))


@bp.route("/prizes/<int:prize_id>/remove", methods=["POST"])
@allow(ORGANISER)
def remove(slug: str, prize_id: int):
    """Remove a prize nobody has won."""
    event = event_services.get_event_or_404(slug)
    if not ActionForm().validate():
        abort(400)
    try:
        prizes.remove_prize(current_user, event, prize_id)
    except prizes.PrizeError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Prize removed", "success")
    return redirect(url_for("prizes.index", slug=slug))


@bp.route("/prizes/<int:prize_id>/decide", methods=["POST"])
@allow(JUDGE)
def decide(slug: str, prize_id: int):
    """The chair records the panel's winner of a prize and why."""
    event = event_services.get_event_or_404(slug)
    if not moderation.is_chair(event, current_user):
        abort(404)
    form = PrizeDecisionForm(prefix=f"prize-{prize_id}")
    organiser = ORGANISER in event_roles()
    if not form.validate():
        return _page(event, organiser, True, PrizeForm(), (prize_id, form), 400)
    try:
        prizes.decide(
            current_user, event, prize_id, int(form.pitch_id.data), form.citation.data
        )
    except prizes.PrizeError as error:
        db.session.rollback()
        form.pitch_id.errors = [str(error)]
        return _page(event, organiser, True, PrizeForm(), (prize_id, form), 400)
    db.session.commit()
    flash("The panel's decision is recorded", "success")
    return redirect(url_for("prizes.index", slug=slug, _anchor=f"prize-{prize_id}"))
