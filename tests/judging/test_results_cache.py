# ruff: noqa: F811 - the fixtures imported from test_routes are parameters here
"""The results page's heavy part is drawn once per change (judging/results_cache.py):
a second view computes nothing, any audited change or a ballot draws it again, events
never share a page, and nothing personal (a CSRF token) is ever stored."""

import re

import pytest
from sqlalchemy import select

from auth import audit
from auth.models import User
from events.models import Event, EventPhase
from extensions import db
from judging import results_cache, services, votes
from tests.factories import (
    add_organiser,
    make_event,
    make_judge,
    make_team,
    make_user,
)
from tests.judging.test_routes import (  # noqa: F401 - fixtures
    J2_P2,
    _client_for,
    _form,
    _url,
    final,
    scored,
)

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def computed(monkeypatch):
    """Count the calls to compute_results the results page makes."""
    calls = []
    real = services.compute_results

    def counting(event):
        calls.append(event.slug)
        return real(event)

    monkeypatch.setattr(services, "compute_results", counting)
    return calls


def test_a_second_view_computes_nothing_and_shows_the_same_results(
    app, scored, computed
):
    organiser = _client_for(app, scored["organiser"])

    first = organiser.get("/events/final/results").text
    second = organiser.get("/events/final/results").text

    assert computed == ["final"]
    assert "3.40" in first and "1.95" in first
    strip = re.compile(r'(csrf_token" value|nonce|X-Request-Id)="[^"]*"')
    assert strip.sub("", first) == strip.sub("", second)


def test_a_saved_score_draws_the_results_again(app, scored, computed):
    organiser = _client_for(app, scored["organiser"])
    before = organiser.get("/events/final/results").text
    judge1 = _client_for(app, scored["judge1"])

    saved = judge1.post(_url(scored, "pitch2"), data=_form(scored, J2_P2))
    after = organiser.get("/events/final/results").text

    assert saved.status_code == 302
    assert computed == ["final", "final"]
    strip = re.compile(r'(csrf_token" value|nonce|X-Request-Id)="[^"]*"')
    assert strip.sub("", before) != strip.sub("", after)
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "final"))
        rows = {r.team.name: r for r in services.compute_results(event).rows}
    assert rows["Falls Fixers"].result.judges_counted == 2
    assert "1.95" in after  # both judges gave pitch 2 the same marks
    # The judging progress is kept with the results and drawn again with them.
    assert "scored 1 of 2" in before and before.count("scored 2 of 2") == 1
    assert "scored 1 of 2" not in after and after.count("scored 2 of 2") == 2


def test_the_progress_figures_are_kept_as_plain_values(app, scored):
    organiser = _client_for(app, scored["organiser"])
    page = organiser.get("/events/final/results").text

    with app.app_context():
        ((_, parts),) = app.extensions["results_pages"].entries.values()
    progress = parts["progress"]
    # Nothing tied to a database session outlives the request that drew it.
    assert all(type(j) is services.PanelJudge for j, _, _ in progress)
    assert sorted((j.name, done, total) for j, done, total in progress) == [
        (name, done, 2) for name, done in sorted(_judge_names(app, scored))
    ]
    for judge, _, _ in progress:
        assert f"Scoring sheets for {judge.name} (PDF)" in page


def test_any_audited_change_draws_the_results_again(app, scored, computed):
    organiser = _client_for(app, scored["organiser"])
    organiser.get("/events/final/results")
    with app.app_context():
        audit.record("test.entry", actor=None)
        db.session.commit()

    organiser.get("/events/final/results")

    assert computed == ["final", "final"]


def test_a_ballot_changes_the_fingerprint(app, scored):
    # Ballots are anonymous and not audited: the fingerprint counts them.
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "final"))
        organiser = db.session.scalar(
            select(User).where(User.email == "org@example.org")
        )
        votes.declare(organiser, event, 1, 0)
        votes.open_vote(organiser, event)
        db.session.commit()
        before = results_cache.fingerprint(event)
        votes.cast(event, "device-one", [scored["pitch1"]])
        db.session.commit()

        after = results_cache.fingerprint(event)

    assert before != after
    assert after[3] == before[3] + 1  # the ballot count


def test_events_never_share_a_page(app, scored, computed):
    with app.app_context():
        organiser = db.session.scalar(
            select(User).where(User.email == "org@example.org")
        )
        second = make_event(organiser, slug="second", phase=EventPhase.JUDGING)
        make_judge(second, make_user("j3@example.org", "Jay Three"))
        make_team(second, name="Second Event Team", submitted=True)
        db.session.commit()
    client = _client_for(app, scored["organiser"])

    final_page = client.get("/events/final/results").text
    second_page = client.get("/events/second/results").text
    final_again = client.get("/events/final/results").text

    assert computed == ["final", "second"]
    assert "Sip Squad" in final_page and "Sip Squad" in final_again
    assert "Second Event Team" in second_page and "Sip Squad" not in second_page
    assert "Second Event Team" not in final_again


def test_no_csrf_token_is_stored_and_each_organiser_gets_their_own(app, scored):
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "final"))
        event.phase = EventPhase.MODERATION  # the judges' "Remind" forms show
        db.session.commit()
        co_organiser = make_user("co@example.org", "Cora Organiser")
        add_organiser(event, co_organiser)
        db.session.commit()
        co_id = co_organiser.get_id()

    first = _client_for(app, scored["organiser"]).get("/events/final/results").text
    second = _client_for(app, co_id).get("/events/final/results").text

    with app.app_context():
        stored = app.extensions["results_pages"].entries
        (body,) = [parts["body"] for _, parts in stored.values()]
    assert "csrf_token" not in body and "<form" not in body
    assert TOKEN.findall(first) and TOKEN.findall(second)
    assert set(TOKEN.findall(first)).isdisjoint(TOKEN.findall(second))
    assert str(body) in first and str(body) in second


def test_the_store_keeps_the_most_recently_viewed_events(app, monkeypatch):
    monkeypatch.setattr(results_cache, "MAX_EVENTS", 2)
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser")
        for slug in ("one", "two", "three"):
            make_event(organiser, slug=slug, phase=EventPhase.JUDGING)
        db.session.commit()
        client = _client_for(app, organiser.get_id())

    for slug in ("one", "two", "three"):
        assert client.get(f"/events/{slug}/results").status_code == 200

    with app.app_context():
        kept = app.extensions["results_pages"].entries
        slugs = {db.session.get(Event, event_id).slug for event_id in kept}
    assert slugs == {"two", "three"}


def _judge_names(app, final) -> list[tuple[str, int]]:
    with app.app_context():
        return [
            (db.session.get(User, final[f"judge{n}_pk"]).display_name, done)
            for n, done in ((1, 1), (2, 2))
        ]
