"""Funding allocation, approval, sign-off and feedback: who may write, and how (reviewer's
list): a fresh sign-in for every money write (R-07), CSRF on each of them (R-20), 404 for
an organiser of another event (R-08), and no over-allocation when two organisers decide at
the same moment (R-06)."""

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from auth.models import AuditEntry, User
from events.models import Event, EventFunder, EventPhase, JudgeInvitation
from extensions import db, utcnow
from judging import funding, pdf
from judging.funding import Choice
from judging.funding_models import FundingCondition, FundingDecision, FundingKind
from tests.factories import (
    PASSWORD,
    add_organiser,
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
    sign_in,
)

K = FundingKind
SLUG = "fund"
ASKS = (4000, 3000, 5000)
REAUTH_MESSAGE = "Sign in again to confirm it is you"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- arrange ------------------------------------------------------------------------------


def _seed(application, *, decided: bool = True) -> dict:
    """An event in moderation, locked, pot £10,000 and cap £5,000; three ranked pitches
    asking £4,000, £3,000 and £5,000; a chair, a funder, an organiser; and an organiser
    of another event. With ``decided``, every pitch has a decision: full, with two
    conditions, declined."""
    with application.app_context():
        organiser = make_user(email="org@example.org")
        event = make_event(
            organiser, slug=SLUG, phase=EventPhase.MODERATION, pot=10_000
        )
        chair = make_judge(event, make_user(email="chair@example.org"), chair=True)
        funder = make_user(email="funder@example.org")
        db.session.add(EventFunder(event_id=event.id, user_id=funder.id))
        outsider = make_user(email="outsider@example.org", is_organiser=True)
        make_event(outsider, slug="elsewhere")
        pitches, teams = [], []
        for n, ask in enumerate(ASKS, start=1):
            team = make_team(
                event,
                make_user(email=f"lead{n}@example.org"),
                name=f"Team {n}",
                submitted=True,
            )
            team.pitch.funding_requested = ask
            make_scorecard(team.pitch, chair, [6 - n] * 7, event, feedback=f"Fb {n}")
            pitches.append(team.pitch.id)
            teams.append(team.id)
        event.moderation_locked_at = utcnow()
        db.session.flush()
        if decided:
            for pitch_id, choice in zip(
                pitches,
                (
                    Choice(K.FULL),
                    Choice(K.CONDITIONS, 3000, conditions=("Safety review", "DPIA")),
                    Choice(K.DECLINE, note="Recurrent cost unfunded"),
                ),
                strict=True,
            ):
                funding.decide(organiser, event, pitch_id, choice)
        db.session.commit()
        conditions = db.session.scalars(
            select(FundingCondition.id).order_by(FundingCondition.position)
        ).all()
        return {
            "event_id": event.id,
            "pitches": pitches,
            "teams": teams,
            "conditions": conditions,
            "organiser": organiser.id,
            "chair": chair.id,
            "funder": funder.id,
        }


@pytest.fixture
def ev(app):
    return _seed(app)


@pytest.fixture
def csrf_ev(csrf_app):
    return _seed(csrf_app)


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == SLUG))


def _user(pk: int) -> User:
    return db.session.get(User, pk)


def _actions() -> list[str]:
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


def _decisions() -> dict[int, tuple]:
    return {
        d.pitch_id: (
            d.kind,
            d.amount_pounds,
            d.note,
            d.decided_by_id,
            d.decided_at,
            tuple((c.text, c.met_at) for c in d.conditions),
        )
        for d in db.session.scalars(select(FundingDecision))
    }


def _fresh_client(application, email: str):
    """A client signed in through the form, so the session is fresh (R-07). With CSRF
    on, the form's token goes with it."""
    client = application.test_client()
    data = {"email": email, "password": PASSWORD}
    if application.config["WTF_CSRF_ENABLED"]:
        data["csrf_token"] = TOKEN.search(client.get("/login").text).group(1)
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.text[:500]
    with client.session_transaction() as session:
        assert session.get("_fresh") is True
    return client


def _stale_client(application, email: str):
    """A client whose session was restored (remember-me): signed in, not fresh."""
    client = application.test_client()
    with application.app_context():
        sign_in(client, db.session.scalar(select(User).where(User.email == email)))
    return client


def _page_token(client) -> str:
    """The CSRF token of the signed-in session (every page's sign-out form has it)."""
    return TOKEN.search(client.get(f"/events/{SLUG}/funding").text).group(1)


# --- the four fresh-sign-in writes, described once ---------------------------------------


@dataclass(frozen=True)
class Write:
    """One POST that needs a fresh sign-in: who makes it, what it sends, the stored state
    it would change, and the audit line it would write."""

    email: str
    prepare: Callable[[dict], None]
    path: Callable[[dict], str]
    data: Callable[[dict], dict]
    state: Callable[[dict], object]
    audit: str


def _nothing(ev) -> None:
    return None


def _approved_by_the_funder(ev) -> None:
    event = _event()
    funding.approve(
        _user(ev["funder"]), event, funding.fingerprint(event), frozenset({"funder"})
    )
    db.session.commit()


def _second_condition_met(ev) -> None:
    funding.set_condition_met(
        _user(ev["organiser"]), _event(), ev["conditions"][1], True
    )
    db.session.commit()


def _condition(ev, n: int) -> tuple:
    condition = db.session.get(FundingCondition, ev["conditions"][n])
    return condition.met_at, condition.met_by_id


def _approval(ev) -> tuple:
    event = _event()
    return event.allocation_approved_at, event.allocation_approved_by_id


def _sign_off(ev) -> tuple:
    event = _event()
    return event.signed_off_at, event.signed_off_by_id


def _invitations(ev) -> list:
    return db.session.scalars(
        select(JudgeInvitation.id).where(JudgeInvitation.event_id == ev["event_id"])
    ).all()


WRITES = {
    "funding approve (funder)": Write(
        "funder@example.org",
        _nothing,
        lambda ev: f"/events/{SLUG}/funding/approve",
        lambda ev: {"fingerprint": funding.fingerprint(_event())},
        _approval,
        "funding.approved",
    ),
    "results sign-off (chair)": Write(
        "chair@example.org",
        _approved_by_the_funder,
        lambda ev: f"/events/{SLUG}/results/sign-off",
        lambda ev: {},
        _sign_off,
        "results.signed_off",
    ),
    "condition met (organiser)": Write(
        "org@example.org",
        _nothing,
        lambda ev: f"/events/{SLUG}/funding/conditions/{ev['conditions'][0]}/met",
        lambda ev: {},
        lambda ev: _condition(ev, 0),
        "funding.condition_met",
    ),
    "condition open again (organiser)": Write(
        "org@example.org",
        _second_condition_met,
        lambda ev: f"/events/{SLUG}/funding/conditions/{ev['conditions'][1]}/open",
        lambda ev: {},
        lambda ev: _condition(ev, 1),
        "funding.condition_reopened",
    ),
    "invite funder (organiser)": Write(
        "org@example.org",
        _nothing,
        lambda ev: f"/events/{SLUG}/funders/invitations",
        lambda ev: {"note": "Naomi"},
        _invitations,
        "panel.invitation_created",
    ),
}


def _arrange(application, ev, write: Write) -> tuple[str, dict, object, int]:
    """Prepare the write; return its path, form data, the state before and the number
    of its audit lines before."""
    with application.app_context():
        write.prepare(ev)
        return (
            write.path(ev),
            write.data(ev),
            write.state(ev),
            _actions().count(write.audit),
        )


# --- a fresh sign-in for each write -------------------------------------------------


@pytest.mark.parametrize("name", WRITES)
def test_r07_a_fresh_sign_in_makes_the_write(app, ev, name):
    """The control for the test below: the same request from a fresh session changes the
    stored state and writes its audit line, so "nothing changed" there means refused."""
    write = WRITES[name]
    path, data, before, audited = _arrange(app, ev, write)
    client = _fresh_client(app, write.email)

    response = client.post(path, data=data)

    assert response.status_code in (200, 302), response.text[:500]
    with app.app_context():
        assert write.state(ev) != before
        assert _actions().count(write.audit) == audited + 1


@pytest.mark.parametrize("name", WRITES)
def test_r07_a_restored_session_is_sent_to_sign_in_again_and_nothing_changes(
    app, ev, name
):
    write = WRITES[name]
    path, data, before, audited = _arrange(app, ev, write)
    client = _stale_client(app, write.email)

    response = client.post(path, data=data)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    with client.session_transaction() as session:
        assert ("info", REAUTH_MESSAGE) in session.get("_flashes", [])
    with app.app_context():
        assert write.state(ev) == before
        assert _actions().count(write.audit) == audited


# --- a CSRF token on each write -----------------------------------------------------


@pytest.mark.parametrize("name", WRITES)
def test_r20_each_write_without_a_csrf_token_is_refused_and_changes_nothing(
    csrf_app, csrf_ev, name
):
    write = WRITES[name]
    path, data, before, audited = _arrange(csrf_app, csrf_ev, write)
    client = _fresh_client(csrf_app, write.email)

    refused = client.post(path, data=data)

    assert refused.status_code == 400
    with csrf_app.app_context():
        assert write.state(csrf_ev) == before
        assert _actions().count(write.audit) == audited
        assert _actions()[-1] == "csrf.failure"

    # The same request with the session's token goes through: the token was all it lacked.
    accepted = client.post(path, data=data | {"csrf_token": _page_token(client)})

    assert accepted.status_code in (200, 302)
    with csrf_app.app_context():
        assert write.state(csrf_ev) != before
        assert _actions().count(write.audit) == audited + 1


# --- an organiser of another event sees nothing of this one -------------------------

# (method, URL, form data); the URLs name this event ("fund") or the outsider's own
# event ("elsewhere") with this event's ids.
R08 = [
    ("GET", lambda ev: f"/events/{SLUG}/funding", None),
    ("GET", lambda ev: f"/events/{SLUG}/funding/{ev['pitches'][0]}", None),
    (
        "POST",
        lambda ev: f"/events/{SLUG}/funding/{ev['pitches'][0]}",
        {"kind": "decline", "amount": "", "note": "Taken over"},
    ),
    ("POST", lambda ev: f"/events/{SLUG}/results/packs/feedback", {}),
    ("GET", lambda ev: f"/events/{SLUG}/teams/{ev['teams'][0]}/feedback.pdf", None),
    ("GET", lambda ev: f"/events/{SLUG}/teams/{ev['teams'][0]}/award-letter.pdf", None),
    ("GET", lambda ev: f"/events/elsewhere/funding/{ev['pitches'][0]}", None),
    (
        "POST",
        lambda ev: f"/events/elsewhere/funding/{ev['pitches'][0]}",
        {"kind": "decline", "amount": "", "note": "Taken over"},
    ),
    ("GET", lambda ev: f"/events/elsewhere/teams/{ev['teams'][0]}/feedback.pdf", None),
    (
        "GET",
        lambda ev: f"/events/elsewhere/teams/{ev['teams'][0]}/award-letter.pdf",
        None,
    ),
]
R08_IDS = [f"{m} {u({'pitches': ['<pitch>'], 'teams': ['<team>']})}" for m, u, _ in R08]


@pytest.fixture
def fake_pdf(monkeypatch):
    """Skip the PDF layout child process: these tests are about who gets a document."""
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html, css=None: b"%PDF-1.7 fake")


@pytest.mark.parametrize(("method", "url", "data"), R08, ids=R08_IDS)
def test_r08_an_organiser_of_another_event_gets_404_and_stores_nothing(
    app, ev, fake_pdf, method, url, data
):
    with app.app_context():
        decisions = _decisions()
        approval = _approval(ev)
        audited = len(_actions())
    client = _fresh_client(app, "outsider@example.org")

    response = client.open(url(ev), method=method, data=data)

    assert response.status_code == 404
    assert b"%PDF" not in response.data
    with app.app_context():
        assert _decisions() == decisions
        assert _approval(ev) == approval
        new = _actions()[audited:]
        assert all(not a.startswith(("funding.", "results.")) for a in new), new


@pytest.mark.parametrize(("method", "url", "data"), R08[:6], ids=R08_IDS[:6])
def test_r08_the_events_own_organiser_reaches_the_same_urls(
    app, ev, fake_pdf, method, url, data
):
    """The control for the test above: the URLs are right, so its 404 is the refusal."""
    client = _fresh_client(app, "org@example.org")

    response = client.open(url(ev), method=method, data=data)

    assert response.status_code == (302 if method == "POST" else 200)
    if url(ev).endswith(".pdf"):
        assert response.data == b"%PDF-1.7 fake"


# --- two organisers deciding at the same moment cannot over-allocate ----------------


def test_r06_two_decisions_at_once_never_exceed_the_pot(app, monkeypatch):
    """Pot £10,000 with £3,000 already awarded: funding pitch 1 in full (£4,000, total
    £7,000) fits, and so does funding pitch 3 in full (£5,000, total £8,000), but not
    both (£12,000). Two organisers, each in their own session and request (own app
    context and database connection, on the test database file), post them at once.

    To make a lost update likely if the lock were missing, every read of the decisions
    pauses afterwards, so both requests would read "£3,000 allocated" before either
    writes. With the event row locked (BEGIN IMMEDIATE on SQLite, FOR UPDATE on
    PostgreSQL) the second request waits and then sees the first's award."""
    ev = _seed(app, decided=False)
    with app.app_context():
        add_organiser(_event(), make_user(email="org2@example.org"))
        funding.decide(
            _user(ev["organiser"]), _event(), ev["pitches"][1], Choice(K.FULL)
        )
        db.session.commit()
    first, third = ev["pitches"][0], ev["pitches"][2]
    clients = {
        first: _fresh_client(app, "org@example.org"),
        third: _fresh_client(app, "org2@example.org"),
    }
    real_read = funding.decisions_by_pitch

    def slow_read(event):
        found = real_read(event)
        time.sleep(0.3)
        return found

    monkeypatch.setattr(funding, "decisions_by_pitch", slow_read)
    barrier = threading.Barrier(len(clients))
    responses: dict[int, object] = {}
    errors: list[BaseException] = []

    def post(pitch_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            responses[pitch_id] = clients[pitch_id].post(
                f"/events/{SLUG}/funding/{pitch_id}", data={"kind": "full"}
            )
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=post, args=(p,)) for p in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    codes = sorted(r.status_code for r in responses.values())
    assert codes == [302, 400], {p: r.status_code for p, r in responses.items()}
    winner = next(p for p, r in responses.items() if r.status_code == 302)
    loser = next(p for p, r in responses.items() if r.status_code == 400)
    left = {first: "£3,000", third: "£2,000"}[winner]  # £10,000 - £3,000 - the winner
    assert (
        "That would allocate £12,000, £2,000 more than the £10,000 pot. "
        f"{left} is left."
    ) in responses[loser].text
    with app.app_context():
        stored = {
            d.pitch_id: d.amount_pounds
            for d in db.session.scalars(select(FundingDecision))
        }
        total = db.session.scalar(select(func.sum(FundingDecision.amount_pounds)))
        decided = [
            e.target_id
            for e in db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "funding.decided")
            )
        ]
    assert set(stored) == {ev["pitches"][1], winner}
    assert total == 3000 + ASKS[ev["pitches"].index(winner)] <= 10_000
    assert len(decided) == 2  # the £3,000 set up above, and the winner's
