"""The chair's moderation console and lock, reminders to judges, and the audit log."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, fresh_login_required

from auth.policy import JUDGE, ORGANISER, allow, event_roles
from events import services as event_services
from events.forms import ActionForm
from extensions import db
from judging import moderation, services, voiding
from judging.forms import VoidScoresForm

bp = Blueprint("moderation", __name__, url_prefix="/events/<slug>")

# Where the "Remind" button may send the organiser back to.
BACK = {"manage": "portal.manage", "results": "judging.results"}


@bp.app_template_global()
def is_panel_chair(event) -> bool:
    """Whether the signed-in user chairs this event's panel (for the event navigation)."""
    return (
        current_user.is_authenticated
        and JUDGE in event_roles()
        and moderation.is_chair(event, current_user)
    )


def _chair_or_organiser(event) -> bool:
    """Return whether the user is the chair; judges who are not get 404 (R-02)."""
    chair = moderation.is_chair(event, current_user)
    if not chair and ORGANISER not in event_roles():
        abort(404)
    return chair


@bp.route("/moderation")
@allow(ORGANISER, JUDGE)
def console(slug: str):
    """Show the chair the pitches flagged for discussion, with anonymised marks."""
    event = event_services.get_event_or_404(slug)
    chair = _chair_or_organiser(event)
    open_ = moderation.console_open(event)
    return render_template(
        "judging/moderation.html",
        event=event,
        is_chair=chair,
        console=moderation.moderation_console(event) if open_ else None,
        form=ActionForm(),
    )


@bp.route("/moderation/lock", methods=["POST"])
@allow(ORGANISER, JUDGE)
def lock(slug: str):
    """The chair locks moderation: scores, conflicts and the rubric can no longer change."""
    event = event_services.get_event_or_404(slug)
    if not _chair_or_organiser(event):
        abort(403)
    if ActionForm().validate_on_submit():
        try:
            moderation.lock_moderation(current_user, event)
        except event_services.EventError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                "Moderation is locked. The organisers can now publish the results",
                "success",
            )
    return redirect(url_for("moderation.console", slug=slug))


@bp.route("/judges/<int:member_id>/remind", methods=["POST"])
@allow(ORGANISER)
def remind(slug: str, member_id: int):
    """Record a reminder; the judge sees a banner on their scoring page."""
    event = event_services.get_event_or_404(slug)
    back = BACK.get(request.form.get("back", ""), "portal.manage")
    if ActionForm().validate_on_submit():
        try:
            member, done, total = moderation.remind_judge(
                current_user, event, member_id
            )
        except (event_services.EventError, services.JudgingError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                f"Reminder recorded for {member.user.display_name} ({done} of {total} "
                "scored). They will see it on their scoring page",
                "success",
            )
    return redirect(url_for(back, slug=slug))


@bp.route("/judges/<int:member_id>/void", methods=["GET", "POST"])
@allow(ORGANISER)
@fresh_login_required
def void(slug: str, member_id: int):
    """Ask for a reason, then void every score the judge gave (R-42)."""
    event = event_services.get_event_or_404(slug)
    member = voiding.get_member_or_404(event, member_id)
    back = request.values.get("back", "")
    back = back if back in BACK else "manage"
    form = VoidScoresForm()
    if form.validate_on_submit():
        try:
            member, count = voiding.void_scores(
                current_user, event, member_id, form.reason.data
            )
        except (event_services.EventError, services.JudgingError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                f"{member.user.display_name}'s scores are void: {count} "
                f"scorecard{'s' if count != 1 else ''} no longer count, and they "
                "cannot score",
                "success",
            )
            return redirect(url_for(BACK[back], slug=slug))
    return render_template(
        "judging/void.html",
        event=event,
        member=member,
        form=form,
        back=back,
        scorecards=voiding.scorecard_count(event, member.user_id),
        can_void=services.can_score(event),
    ), 400 if form.errors else 200


@bp.route("/judges/<int:member_id>/restore-scores", methods=["POST"])
@allow(ORGANISER)
@fresh_login_required
def restore_scores(slug: str, member_id: int):
    """Count a voided judge's scores again (audited)."""
    event = event_services.get_event_or_404(slug)
    back = BACK.get(request.form.get("back", ""), "portal.manage")
    if ActionForm().validate_on_submit():
        try:
            member = voiding.restore_scores(current_user, event, member_id)
        except (event_services.EventError, services.JudgingError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(
                f"{member.user.display_name}'s scores count again, and they can score",
                "success",
            )
    return redirect(url_for(back, slug=slug))


@bp.route("/audit")
@allow(ORGANISER)
def audit_log(slug: str):
    """Show the event's audit log, newest first, 100 entries a page."""
    event = event_services.get_event_or_404(slug)
    raw = request.args.get("page", "1")
    # ASCII digits only: int() would also take "５"; anything else is page 0, a 404.
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 0
    return render_template(
        "judging/audit.html", event=event, log=moderation.audit_page(event, page)
    )


@bp.route("/audit.csv")
@allow(ORGANISER)
def audit_csv(slug: str):
    """Download the event's whole audit log as CSV (R-27)."""
    event = event_services.get_event_or_404(slug)
    return (
        moderation.audit_csv(event),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{event.slug}-audit.csv"',
            "Cache-Control": "no-store",
        },
    )
