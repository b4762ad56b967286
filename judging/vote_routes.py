"""People's Choice pages: the organiser's vote page, the projector's QR screen and the
audience's ballot (rules in judging/votes.py)."""

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from auth.policy import ORGANISER, PUBLIC, allow, event_roles
from events import services as event_services
from events.forms import ActionForm
from events.models import EventPhase
from extensions import db
from judging import votes
from judging.forms import BallotForm, VoteRulesForm
from judging.paper import qr_svg

bp = Blueprint("votes", __name__, url_prefix="/events/<slug>")

DEVICE_COOKIE_DAYS = 7


def _device_cookie() -> str:
    # __Host-: only ever sent back to this host over HTTPS, for every path.
    secure = current_app.config.get("SESSION_COOKIE_SECURE", True)
    return "__Host-pp-voter" if secure else "pp-voter"


def _ballot_url(event) -> str:
    return url_for("votes.ballot", slug=event.slug, _external=True)


@bp.route("/peoples-choice")
@allow(ORGANISER)
def manage(slug: str):
    """Declare, open and close the audience vote; see the count and the tally."""
    event = event_services.get_event_or_404(slug)
    vote = votes.get_vote(event)
    form = VoteRulesForm(
        data={"picks": str(vote.picks), "blend_percent": vote.blend_percent}
        if vote
        else {"picks": "3", "blend_percent": 0}
    )
    return _manage_page(event, vote, form)


def _manage_page(event, vote, form, status: int = 200):
    ballot_url = _ballot_url(event)
    return render_template(
        "judging/peoples_choice.html",
        event=event,
        vote=vote,
        form=form,
        action=ActionForm(),
        tally=votes.tally(event),
        ballot_url=ballot_url,
        qr=qr_svg(ballot_url, fluid=True) if vote else None,
        can_open=event.phase in votes.VOTING_PHASES,
    ), status


@bp.route("/peoples-choice/rules", methods=["POST"])
@allow(ORGANISER)
def rules(slug: str):
    """Declare the number of picks and the blend (until the vote opens)."""
    event = event_services.get_event_or_404(slug)
    form = VoteRulesForm()
    if not form.validate():
        db.session.rollback()
        return _manage_page(event, votes.get_vote(event), form, 400)
    try:
        votes.declare(
            current_user, event, int(form.picks.data), int(form.blend_percent.data)
        )
    except votes.VoteError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("The vote's rules are saved", "success")
    return redirect(url_for("votes.manage", slug=slug))


@bp.route("/peoples-choice/<any(open, close):action>", methods=["POST"])
@allow(ORGANISER)
def open_or_close(slug: str, action: str):
    """Open the declared vote, or close it for good."""
    event = event_services.get_event_or_404(slug)
    if not ActionForm().validate():
        abort(400)
    try:
        if action == "open":
            votes.open_vote(current_user, event)
        else:
            votes.close_vote(current_user, event)
    except votes.VoteError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Voting is open" if action == "open" else "Voting is closed", "success")
    return redirect(url_for("votes.manage", slug=slug))


def _screen_vote(slug: str):
    """The event and its vote, for the projector: public once the vote has opened,
    organisers only before."""
    event = event_services.get_event_or_404(slug)
    vote = votes.get_vote(event)
    if vote is None or (vote.opened_at is None and ORGANISER not in event_roles()):
        abort(404)
    return event, vote


def _screen_state(vote) -> str:
    return "closed" if vote.closed_at else "open" if vote.opened_at else "declared"


@bp.route("/peoples-choice/screen")
@allow(PUBLIC)
def screen(slug: str):
    """The projector's view: the QR code to the ballot and the number of ballots cast.

    Public, like the live screen, so the projector needs no sign-in; it shows no tally."""
    event, vote = _screen_vote(slug)
    ballot_url = _ballot_url(event)
    return render_template(
        "judging/vote_screen.html",
        event=event,
        vote=vote,
        state=_screen_state(vote),
        ballots=votes.ballot_count(event),
        ballot_url=ballot_url,
        qr=qr_svg(ballot_url, fluid=True),  # as large as the projector allows
    )


@bp.route("/peoples-choice/screen.json")
@allow(PUBLIC)
def screen_json(slug: str):
    """What the projector polls: the vote's state and the number of ballots, no votes."""
    event, vote = _screen_vote(slug)
    return jsonify(state=_screen_state(vote), ballots=votes.ballot_count(event))


@bp.route("/vote", methods=["GET", "POST"])
@allow(PUBLIC)
def ballot(slug: str):
    """The audience's ballot: choose the declared number of pitches, once per device."""
    event = event_services.get_event_or_404(slug)
    if event.phase == EventPhase.DRAFT:
        abort(404)
    vote = votes.get_vote(event)
    if vote is None or not vote.is_open:
        return render_template("judging/vote_closed.html", event=event, vote=vote)
    token = request.cookies.get(_device_cookie(), "")
    if votes.has_voted(event, token):
        return render_template("judging/vote_done.html", event=event, vote=vote)
    form = BallotForm()
    pitches = votes.ballot_pitches(event)
    status, chosen = 200, []
    if request.method == "POST":
        if form.validate():
            chosen = form.pitch.data
            token = token if len(token) >= 32 else secrets.token_urlsafe(32)
            try:
                votes.cast(event, token, chosen)
            except votes.VoteError as error:
                db.session.rollback()
                form.pitch.errors = [str(error)]
                status = 409 if isinstance(error, votes.AlreadyVoted) else 400
            else:
                db.session.commit()
                response = redirect(url_for("votes.ballot", slug=slug))
                _remember_device(response, token)
                return response
        else:
            form.pitch.errors = form.pitch.errors or [
                "Choose from the pitches on the ballot"
            ]
            status = 400
        chosen = [str(v) for v in request.form.getlist("pitch")]
    return render_template(
        "judging/vote.html",
        event=event,
        vote=vote,
        form=form,
        pitches=pitches,
        chosen=chosen,
    ), status


def _remember_device(response, token: str) -> None:
    response.set_cookie(
        _device_cookie(),
        token,
        max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        path="/",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", True),
        httponly=True,
        samesite="Lax",
    )
