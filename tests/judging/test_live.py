"""Live Dragons' Den mode: seeded order, timers from the server clock, lock and absent."""

import random
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from auth.models import AuditEntry, User
from events.models import Event, EventPhase
from extensions import db, utcnow
from judging import live
from judging.live_models import LiveSession, LiveStage, PitchSlot
from judging.models import Scorecard
from pitches.models import Pitch
from tests.factories import make_event, make_judge, make_team, make_user, sign_in


@pytest.fixture
def room(app):
    """Event 'den' in judging: organiser, chair, another judge, three submitted teams."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser")
        event = make_event(organiser, slug="den", phase=EventPhase.JUDGING)
        chair = make_judge(
            event, make_user("chair@example.org", "Cara Chair"), chair=True
        )
        judge = make_judge(event, make_user("judge@example.org", "Jude Judge"))
        teams = [
            make_team(event, name=n, submitted=True) for n in ("Alpha", "Beta", "Gamma")
        ]
        db.session.commit()
        return {
            "organiser": organiser.get_id(),
            "chair": chair.get_id(),
            "judge": judge.get_id(),
            "teams": [t.name for t in teams],
            "refs": [t.ref for t in teams],
        }


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == "den"))


def _client(app, user_id):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def test_draw_order_is_reproducible_from_the_recorded_seed(app, room):
    with app.app_context():
        user = db.session.get(User, int(room["organiser"].split(":")[0]))
        seed = live.draw_order(user, _event(), seed="abc123")
        db.session.commit()
        order = [
            p.team.name
            for p in sorted(
                db.session.scalars(select(Pitch)), key=lambda p: p.running_order
            )
        ]
        session = db.session.scalar(select(LiveSession))
        audit = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "live.order_drawn")
        )

    expected = sorted(room["teams"], key=lambda n: room["refs"][room["teams"].index(n)])
    random.Random("abc123").shuffle(expected)
    assert (seed, session.order_seed) == ("abc123", "abc123")
    assert order == expected
    assert '"seed": "abc123"' in audit.detail


def test_chair_runs_the_room_and_scores_lock(app, room):
    client = _client(app, room["chair"])

    client.post("/events/den/live/draw")
    client.post("/events/den/live/publish")
    started = client.post("/events/den/live/start/pitch")
    with app.app_context():
        state = live.state(_event())
        first = state.current
    locked = client.post("/events/den/live/next")

    assert started.status_code == locked.status_code == 302
    assert (state.stage, state.seconds_left, state.warning) == (
        LiveStage.PITCH,
        240,
        False,
    )
    with app.app_context():
        slot = db.session.scalar(
            select(PitchSlot).where(PitchSlot.pitch_id == first.pitch_id)
        )
        after = live.state(_event())
        assert slot.locked_at is not None and slot.absent is False
        assert live.is_locked(db.session.get(Pitch, first.pitch_id))
        assert after.stage == LiveStage.IDLE
        assert [s.status for s in after.order].count("done") == 1
        assert after.current is not None and after.current.pitch_id != first.pitch_id


def test_timer_counts_down_from_the_server_clock_with_a_warning(app, room):
    client = _client(app, room["organiser"])
    client.post("/events/den/live/start/qa")
    with app.app_context():
        started = db.session.scalar(select(LiveSession)).stage_started_at

    with time_machine.travel(started + timedelta(seconds=155), tick=False):
        payload = client.get("/events/den/live/console.json").get_json()

    assert (payload["stage"], payload["seconds_left"], payload["warning"]) == (
        "qa",
        25,
        True,
    )
    assert {j["name"] for j in payload["judges"]} == {"Cara Chair", "Jude Judge"}


def test_mark_absent_moves_on_and_records_it(app, room):
    client = _client(app, room["chair"])
    client.post("/events/den/live/start/pitch")

    client.post("/events/den/live/absent")

    with app.app_context():
        slot = db.session.scalar(select(PitchSlot))
        assert (slot.absent, slot.locked_at is not None) == (True, True)
        assert "live.team_absent" in db.session.scalars(select(AuditEntry.action)).all()


def test_other_judges_cannot_run_the_room(app, room):
    client = _client(app, room["judge"])

    responses = [
        client.get("/events/den/live"),
        client.post("/events/den/live/draw"),
        client.get("/events/den/live/console.json"),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    with app.app_context():
        assert db.session.scalar(select(LiveSession)) is None


def test_projector_feed_is_hidden_until_the_order_is_published(app, room):
    public = app.test_client()
    chair = _client(app, room["chair"])

    before = public.get("/events/den/live/state.json")
    chair.post("/events/den/live/draw")
    chair.post("/events/den/live/publish")
    after = public.get("/events/den/live/state.json")
    screen = public.get("/events/den/live/screen")

    assert before.status_code == 404
    payload = after.get_json()
    assert sorted(s["team"] for s in payload["order"]) == sorted(room["teams"])
    assert "judges" not in payload  # the public feed never names judges or scores
    assert screen.status_code == 200 and "Running order" in screen.text


def test_reading_the_console_writes_nothing(app, room):
    client = _client(app, room["organiser"])

    page = client.get("/events/den/live")

    assert page.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(LiveSession)) is None


def test_draw_refused_once_pitches_have_started(app, room):
    client = _client(app, room["chair"])
    client.post("/events/den/live/draw")
    client.post("/events/den/live/start/pitch")
    with app.app_context():
        before = [
            p.running_order
            for p in db.session.scalars(select(Pitch).order_by(Pitch.id))
        ]

    client.post("/events/den/live/draw")

    with app.app_context():
        after = [
            p.running_order
            for p in db.session.scalars(select(Pitch).order_by(Pitch.id))
        ]
    assert before == after


def test_timer_lengths_are_validated_and_stored(app, room):
    client = _client(app, room["organiser"])

    client.post(
        "/events/den/live/timers", data={"pitch_minutes": "5", "qa_minutes": "2"}
    )
    client.post(
        "/events/den/live/timers", data={"pitch_minutes": "0", "qa_minutes": "2"}
    )

    with app.app_context():
        session = db.session.scalar(select(LiveSession))
        assert (session.pitch_seconds, session.qa_seconds) == (300, 120)
        assert utcnow() >= session.updated_at


def test_public_event_page_shows_the_published_order_and_seed(app, room):
    chair = _client(app, room["chair"])
    public = app.test_client()
    chair.post("/events/den/live/draw")
    hidden = public.get("/events/den").text

    chair.post("/events/den/live/publish")
    shown = public.get("/events/den").text

    with app.app_context():
        seed = db.session.scalar(select(LiveSession)).order_seed
    assert "Running order" not in hidden and seed not in hidden
    assert f"<code>{seed}</code>" in shown
    assert all(team in shown for team in room["teams"])


def test_scores_for_a_locked_pitch_are_refused_until_moderation(app, room):
    chair = _client(app, room["chair"])
    judge = _client(app, room["judge"])
    chair.post("/events/den/live/start/pitch")
    with app.app_context():
        pitch_id = live.state(_event()).current.pitch_id
        criteria = [c.id for c in _event().criteria]
    chair.post("/events/den/live/next")
    form = {f"mark_{c}": "3" for c in criteria} | {
        "feedback": "Late",
        "submission_key": "k" * 20,
        "base_revision": "0",
    }

    refused = judge.post(f"/events/den/judge/pitches/{pitch_id}", data=form)

    assert refused.status_code == 409
    assert "locked this pitch" in refused.text
    with app.app_context():
        assert db.session.scalar(select(Scorecard)) is None
