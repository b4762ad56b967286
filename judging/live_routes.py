"""Live Dragons' Den mode: the chair's console, the projector screen and their JSON feeds."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from auth.policy import JUDGE, ORGANISER, PUBLIC, allow, event_roles
from events import services as event_services
from events.forms import ActionForm
from extensions import db
from judging import live
from judging.live_models import LiveStage

bp = Blueprint("live", __name__, url_prefix="/events/<slug>/live")
REFUSED = (live.LiveError, event_services.EventError)


class TimerForm(FlaskForm):
    pitch_minutes = IntegerField(
        "Pitch length (minutes)",
        validators=[
            InputRequired("Enter the pitch length"),
            NumberRange(min=1, max=60, message="From 1 to 60 minutes"),
        ],
    )
    qa_minutes = IntegerField(
        "Questions length (minutes)",
        validators=[
            InputRequired("Enter the questions length"),
            NumberRange(min=0, max=60, message="From 0 to 60 minutes"),
        ],
    )


def _runner_event(slug: str):
    event = event_services.get_event_or_404(slug)
    live.require_runner(event, current_user, event_roles())
    return event


def _act(slug: str, action, message: str):
    event = _runner_event(slug)
    if ActionForm().validate_on_submit():
        try:
            action(event)
        except REFUSED as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(message, "success")
    return redirect(url_for("live.console", slug=slug))


@bp.route("")
@allow(ORGANISER, JUDGE)
def console(slug: str):
    """Show the chair's console: the current pitch, timers and who has scored it."""
    event = _runner_event(slug)
    session = live.current_session(event)
    state = live.state(event)
    timer_form = TimerForm(
        data={
            "pitch_minutes": session.pitch_seconds // 60,
            "qa_minutes": session.qa_seconds // 60,
        }
    )
    judges = (
        live.judges_submitted(event, state.current.pitch_id) if state.current else []
    )
    return render_template(
        "judging/live_console.html",
        event=event,
        state=state,
        session=session,
        judges=judges,
        form=ActionForm(),
        timer_form=timer_form,
    )


@bp.route("/draw", methods=["POST"])
@allow(ORGANISER, JUDGE)
def draw(slug: str):
    """Draw the running order at random, recording the seed."""
    return _act(slug, lambda e: live.draw_order(current_user, e), "Running order drawn")


@bp.route("/publish", methods=["POST"])
@allow(ORGANISER, JUDGE)
def publish(slug: str):
    """Publish the drawn running order."""
    return _act(
        slug, lambda e: live.publish_order(current_user, e), "Running order published"
    )


@bp.route("/timers", methods=["POST"])
@allow(ORGANISER, JUDGE)
def timers(slug: str):
    """Set the pitch and questions lengths."""
    event = _runner_event(slug)
    form = TimerForm()
    if form.validate_on_submit():
        live.set_timers(
            current_user, event, form.pitch_minutes.data * 60, form.qa_minutes.data * 60
        )
        db.session.commit()
        flash("Timer lengths saved", "success")
    else:
        flash(next(iter(form.errors.values()))[0], "error")
    return redirect(url_for("live.console", slug=slug))


@bp.route("/start/<any(pitch, qa):stage>", methods=["POST"])
@allow(ORGANISER, JUDGE)
def start(slug: str, stage: str):
    """Start the pitch timer or the questions timer."""
    chosen = LiveStage(stage)
    return _act(
        slug,
        lambda e: live.start_stage(current_user, e, chosen),
        f"{chosen.label} timer started",
    )


@bp.route("/next", methods=["POST"])
@allow(ORGANISER, JUDGE)
def next_pitch(slug: str):
    """Lock the current pitch's scores and move to the next team."""
    return _act(
        slug,
        lambda e: live.finish_pitch(current_user, e),
        "Pitch locked: moved to the next team",
    )


@bp.route("/absent", methods=["POST"])
@allow(ORGANISER, JUDGE)
def absent(slug: str):
    """Mark the current team absent and move to the next team."""
    return _act(
        slug,
        lambda e: live.finish_pitch(current_user, e, absent=True),
        "Team marked absent: moved to the next team",
    )


def _screen_event(slug: str):
    event = event_services.get_event_or_404(slug)
    runner = current_user.is_authenticated and (
        "organiser" in event_roles() or live.is_chair(event, current_user)
    )
    if not runner and live.current_session(event).order_published_at is None:
        abort(404)
    return event


@bp.route("/screen")
@allow(PUBLIC)
def screen(slug: str):
    """Show the projector view: running order, current team and timer; updates itself."""
    event = _screen_event(slug)
    state = live.state(event)
    return render_template("judging/live_screen.html", event=event, state=state)


@bp.route("/state.json")
@allow(PUBLIC)
def state_json(slug: str):
    """Return the public live state (no scores, no judges) for the projector to poll."""
    event = _screen_event(slug)
    return jsonify(live.state(event).as_public_json())


@bp.route("/console.json")
@allow(ORGANISER, JUDGE)
def console_json(slug: str):
    """Return the live state plus which judges have scored the current pitch (chair only)."""
    event = _runner_event(slug)
    state = live.state(event)
    judges = (
        live.judges_submitted(event, state.current.pitch_id) if state.current else []
    )
    return jsonify(
        state.as_public_json()
        | {"judges": [{"name": name, "submitted": done} for name, done in judges]}
    )
