"""The judge's queue and scorecards, conflicts, and the organiser's results and PDF."""

from dataclasses import dataclass
from io import BytesIO

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, fresh_login_required
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import NotFound

from auth import audit
from auth.policy import JUDGE, ORGANISER, allow, first_read, read_first
from events import services as event_services
from events.forms import ActionForm
from events.models import EventPhase
from events.templating import london_time
from extensions import db
from judging import (
    analysis,
    categories,
    moderation,
    packs,
    pdf,
    prizes,
    results_cache,
    saving,
    score_exports,
    services,
    votes,
)
from judging.forms import ConflictForm, make_scorecard_form, new_submission_key
from judging.models import Recommendation
from judging.pack_models import PackKind
from pitches import services as pitch_services

bp = Blueprint("judging", __name__, url_prefix="/events/<slug>")


@bp.route("/judge")
@allow(JUDGE)
def queue(slug: str):
    """Show the judge's pitches in running order, with their progress."""
    event = event_services.get_event_or_404(slug)
    member = event_services.get_panel_member(event, current_user)
    return render_template(
        "judging/queue.html",
        event=event,
        queue=services.judge_queue(event, current_user),
        can_score=services.can_score(event) and not _voided(member),
        member=member,
        voided_message=saving.VOIDED_MESSAGE,
        reminder=moderation.pending_reminder(event, current_user),
    )


def _scorecard_form(event, card, *, from_request: bool):
    """Build the form from the posted data, or from the judge's saved scorecard."""
    form_cls = make_scorecard_form(
        event.criteria,
        event.scale_min,
        event.scale_max,
        needs_reason=services.needs_reason(event),
    )
    if from_request:
        return form_cls()
    data = {
        "submission_key": new_submission_key(),
        "base_revision": str(card.revision if card else 0),
    }
    if card is not None:
        data |= {f"mark_{m.criterion_id}": str(m.value) for m in card.marks}
        data |= {
            "feedback": card.feedback,
            "recommendation": card.recommendation.value
            if card.recommendation
            else None,
            "conditions": card.conditions,
            "private_notes": card.private_notes,
        }
    return form_cls(data=data)


def _score_input(form) -> saving.ScoreInput:
    rec = form.recommendation.data
    return saving.ScoreInput(
        marks=form.marks(),
        feedback=form.feedback.data,
        recommendation=Recommendation(rec) if rec else None,
        submission_key=form.submission_key.data,
        base_revision=int(form.base_revision.data),
        reason=form.reason.data if "reason" in form else "",
        conditions=form.conditions.data or "",
        private_notes=form.private_notes.data or "",
    )


def _read_rubric(slug: str, pitch_id: int) -> saving.RubricShape | None:
    return saving.read_rubric(slug)


@bp.route("/judge/pitches/<int:pitch_id>", methods=["GET", "POST"])
@allow(JUDGE)
@read_first(_read_rubric)
def scorecard(slug: str, pitch_id: int):
    """Let a judge score one pitch against the rubric, and revise until judging closes."""
    if request.method == "POST":
        return _save_scorecard(slug, pitch_id)
    event = event_services.get_event_or_404(slug)
    pitch = services.get_pitch_for_judge_or_404(event, pitch_id, current_user)
    card = services.get_scorecard(pitch, current_user)
    return _scorecard_page(
        event, pitch, card, _scorecard_form(event, card, from_request=False)
    )


def _voided(member) -> bool:
    """Whether an organiser voided this judge's scores (judging.voiding)."""
    return member is not None and member.scores_voided


def _scorecard_page(event, pitch, card, form, status: int = 200):
    voided = _voided(event_services.get_panel_member(event, current_user))
    return render_template(
        "judging/scorecard.html",
        event=event,
        pitch=pitch,
        card=card,
        form=form,
        can_score=services.can_score(event, pitch) and not voided,
        voided=voided,
        voided_message=saving.VOIDED_MESSAGE,
        queue=services.judge_queue(event, current_user),
    ), status


def _save_scorecard(slug: str, pitch_id: int):
    """Save a posted scorecard: the tablet's background save (JSON) or the plain form.

    The success path is the lean one in judging.saving (every judge saves at once at the
    end of a pitch). A refused save shows the page again with what the judge entered.
    """
    # The rubric was read with the sign-in, before the write lock (read_first): the form
    # is built and checked without holding it, and a save holds SQLite's one write lock
    # only for the reads and writes that must agree (judging.saving).
    shape = first_read()
    if shape is None:
        abort(404)
    form = make_scorecard_form(
        shape.criteria, shape.scale_min, shape.scale_max, needs_reason=shape.moderating
    )()
    attempt = _attempt_save(slug, pitch_id, shape, form)
    if _wants_json():
        return _attempt_json(attempt, form)
    if attempt.outcome is not None:
        flash(london_time(attempt.outcome.saved_at), "saved")
        return redirect(url_for("judging.scorecard", slug=slug, pitch_id=pitch_id))
    if attempt.message:
        flash(attempt.message, "error")
    event = event_services.get_event_or_404(slug)
    pitch = services.get_pitch_for_judge_or_404(event, pitch_id, current_user)
    card = services.get_scorecard(pitch, current_user)
    if attempt.stale:
        form = _scorecard_form(event, card, from_request=False)
    return _scorecard_page(event, pitch, card, form, attempt.status)


@dataclass(frozen=True)
class _Attempt:
    status: int
    outcome: saving.SaveOutcome | None = None
    message: str | None = None
    stale: bool = False


def _attempt_save(
    slug: str, pitch_id: int, shape: saving.RubricShape, form
) -> _Attempt:
    """Validate and record a posted scorecard; commit on success, roll back otherwise."""
    if not form.validate():
        return _Attempt(400)
    data = _score_input(form)
    try:
        # Takes the write lock; the key is looked up only now the form checked its shape.
        ctx = saving.open_scorecard(
            slug, pitch_id, current_user.id, data.submission_key, shape
        )
        outcome = saving.save(ctx, data)
    except saving.StaleRevision as error:
        db.session.rollback()
        return _Attempt(409, message=str(error), stale=True)
    except (saving.JudgingError, event_services.EventError) as error:
        db.session.rollback()
        refused = isinstance(error, event_services.EventError)
        return _Attempt(409 if refused else 400, message=str(error))
    except OperationalError:
        # SQLite busy past its timeout, or the disk full: nothing was saved.
        db.session.rollback()
        current_app.logger.exception("scorecard not saved")
        return _Attempt(503, message="Not saved: the server is busy. Try again.")
    db.session.commit()
    return _Attempt(200, outcome=outcome)


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def _attempt_json(attempt: _Attempt, form):
    """Answer the tablet's background save (static/js/scorecard.js) in JSON."""
    if attempt.outcome is not None:
        return jsonify(
            status="saved",
            saved_at=london_time(attempt.outcome.saved_at),
            revision=attempt.outcome.revision,
            replayed=attempt.outcome.replayed,
        )
    kind = {400: "invalid", 409: "stale" if attempt.stale else "refused", 503: "busy"}
    errors = {name: messages for name, messages in form.errors.items()}
    message = attempt.message or "Check the scorecard: something is missing or invalid"
    return jsonify(
        status=kind.get(attempt.status, "error"), message=message, errors=errors
    ), attempt.status


@bp.errorhandler(CSRFError)
def scorecard_csrf_failure(error):
    """Keep a judge's scores when a scorecard's CSRF token fails (R-21).

    The page is shown again with everything the judge entered and a fresh token, so
    pressing Save once more stores it. Anyone else gets the generic error page.
    """
    slug, pitch_id = (
        (request.view_args or {}).get("slug"),
        (request.view_args or {}).get("pitch_id"),
    )
    audit.record(
        "csrf.failure",
        actor=current_user if current_user.is_authenticated else None,
        path=request.path,
    )
    db.session.commit()
    try:
        if request.endpoint != "judging.scorecard" or not current_user.is_authenticated:
            raise NotFound
        if JUDGE not in pitch_services.event_roles(current_user, slug):
            raise NotFound
        event = event_services.get_event_or_404(slug)
        pitch = services.get_pitch_for_judge_or_404(event, pitch_id, current_user)
    except NotFound:
        title = "Your form expired. Go back, reload the page and try again"
        return render_template("errors/error.html", code=400, title=title), 400
    form_cls = make_scorecard_form(
        event.criteria,
        event.scale_min,
        event.scale_max,
        needs_reason=services.needs_reason(event),
    )
    form = form_cls(meta={"csrf": False})
    flash(
        "Your scores were not saved because the page had expired. Everything you "
        "entered is still here: check it and press Save again.",
        "error",
    )
    return _scorecard_page(
        event, pitch, services.get_scorecard(pitch, current_user), form, 400
    )


@bp.route("/judge/pitches/<int:pitch_id>/conflict", methods=["GET", "POST"])
@allow(JUDGE)
def conflict(slug: str, pitch_id: int):
    """Let a judge declare a conflict of interest; the pitch is then hidden from them."""
    event = event_services.get_event_or_404(slug)
    pitch = services.get_pitch_for_judge_or_404(event, pitch_id, current_user)
    if pitch.is_practice:  # it never counts: there is nothing to be conflicted about
        abort(404)
    form = ConflictForm()
    if form.validate_on_submit():
        try:
            services.declare_conflict(current_user, event, pitch, form.reason.data)
        except event_services.EventError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("judging.scorecard", slug=slug, pitch_id=pitch_id))
        db.session.commit()
        flash(
            f"Conflict declared. {pitch.team.name} is no longer in your list, and any "
            "scores you gave it do not count",
            "success",
        )
        return redirect(url_for("judging.queue", slug=slug))
    return render_template("judging/conflict.html", event=event, pitch=pitch, form=form)


@bp.route("/results")
@allow(ORGANISER)
def results(slug: str):
    """Show the ranked results, with the method and tie-break, to the event's organisers."""
    event = event_services.get_event_or_404(slug)
    return render_template(
        "judging/results.html",
        event=event,
        **results_cache.cached(
            event,
            body=lambda: _results_body(event),
            progress=lambda: services.progress_by_judge(event),
        ),
        packs=packs.latest(event),
        kinds=PackKind,
        form=ActionForm(),
        can_publish=event.phase == EventPhase.MODERATION
        and event.moderation_locked_at is not None
        and event.signed_off_at is not None,
    )


def _results_body(event) -> Markup:
    """Render the part of the results page that depends on the event's data only."""
    results = services.compute_results(event)
    vote_tally = votes.tally(event)
    html = render_template(
        "judging/_results_body.html",
        event=event,
        results=results,
        analysis=analysis.analyse(results),
        vote_tally=vote_tally,
        blended=votes.blended_ranking(results, vote_tally),
        categories=categories.by_category(results),
        awarded=prizes.awarded(event),
        conditions=services.conditions_by_pitch(event),
    )
    return Markup(html)  # noqa: S704 - an autoescaped template's output


@bp.route("/results.pdf")
@allow(ORGANISER)
def results_pdf(slug: str):
    """Download the A4 result sheet as a PDF."""
    event = event_services.get_event_or_404(slug)
    document = pdf.render_results_pdf(services.compute_results(event))
    return pdf.pdf_response(document, f"{event.slug}-results.pdf")


@bp.route("/results/scores-by-<any(judge, pitch):kind>.<any(csv, xlsx, json):fmt>")
@allow(ORGANISER)
def score_export(slug: str, kind: str, fmt: str):
    """Download the scores by judge or by pitch as CSV, XLSX or JSON (R-27 safe)."""
    event = event_services.get_event_or_404(slug)
    results = services.compute_results(event)
    body = score_exports.render(kind, fmt, results, analysis.analyse(results))
    response = send_file(
        BytesIO(body),
        mimetype=score_exports.MIMETYPES[fmt],
        as_attachment=True,
        download_name=f"{event.slug}-scores-by-{kind}.{fmt}",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/results/publish", methods=["POST"])
@allow(ORGANISER)
@fresh_login_required
def publish(slug: str):
    """Publish the results: ranks appear on the public event page (R-07)."""
    event = event_services.get_event_or_404(slug)
    if ActionForm().validate_on_submit():
        try:
            services.publish_results(current_user, event)
        except event_services.EventError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash("Results published", "success")
            return redirect(url_for("portal.detail", slug=slug))
    return redirect(url_for("judging.results", slug=slug))
