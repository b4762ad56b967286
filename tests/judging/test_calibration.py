"""Calibration (issue 3, item 5): a practice pitch judges score first; it never counts."""

import uuid

import pytest
from sqlalchemy import func, select

from auth.models import User
from events.models import Event, EventPhase
from extensions import db
from judging import live, pdf, practice, services
from judging.models import Scorecard
from pitches import services as pitch_services
from pitches.models import Pitch, Team
from portal import services as portal_services
from tests.factories import (
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
    sign_in,
)

PRACTICE_MARKS = [1, 2, 3, 4, 5, 1, 2]


@pytest.fixture
def cal(app):
    """An event with submissions closed, two real pitches, two judges, a practice pitch."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser")
        event = make_event(organiser, slug="cal", phase=EventPhase.SUBMISSIONS_CLOSED)
        j1 = make_judge(event, make_user("j1@example.org", "Jan One"))
        j2 = make_judge(event, make_user("j2@example.org", "Jo Two"))
        teams = [make_team(event, name=n, submitted=True) for n in ("Sip", "Falls")]
        pitch = practice.create_practice_pitch(organiser, event)
        db.session.commit()
        return {
            "organiser": organiser.get_id(),
            "organiser_pk": organiser.id,
            "j1": j1.get_id(),
            "j1_pk": j1.id,
            "j2": j2.get_id(),
            "j2_pk": j2.id,
            "practice": pitch.id,
            "real": [t.pitch.id for t in teams],
            "criteria": [c.id for c in event.criteria],
        }


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == "cal"))


def _client(app, user_id):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def _form(cal, marks=PRACTICE_MARKS):
    data = {f"mark_{c}": str(v) for c, v in zip(cal["criteria"], marks, strict=True)}
    return data | {
        "feedback": "Practice feedback.",
        "recommendation": "do_not_fund",
        "submission_key": str(uuid.uuid4()),
        "base_revision": "0",
    }


def _score_practice(app, cal, judge="j1", marks=PRACTICE_MARKS):
    response = _client(app, cal[judge]).post(
        f"/events/cal/judge/pitches/{cal['practice']}", data=_form(cal, marks)
    )
    assert response.status_code == 302, response.text[:500]


def _set_phase(app, phase):
    with app.app_context():
        _event().phase = phase
        db.session.commit()


def test_practice_pitch_creation_is_idempotent(app, cal):
    with app.app_context():
        organiser = db.session.get(User, cal["organiser_pk"])
        again = practice.create_practice_pitch(organiser, _event())
        db.session.commit()
        count = db.session.scalar(
            select(func.count(Pitch.id)).where(Pitch.is_practice.is_(True))
        )
        assert (again.id, count) == (cal["practice"], 1)
        assert again.team.name == "Practice pitch"
    response = _client(app, cal["organiser"]).post("/events/cal/practice-pitch")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Team.id))) == 3


def test_practice_pitch_first_in_the_queue_and_not_counted(app, cal):
    page = _client(app, cal["j1"]).get("/events/cal/judge")

    assert page.status_code == 200
    assert "Practice – does not count" in page.text
    assert page.text.index("Practice pitch") < page.text.index("Sip")
    assert "0 of 2 scored" in page.text
    with app.app_context():
        queue = services.judge_queue(_event(), db.session.get(User, cal["j1_pk"]))
        assert [i.pitch.id for i in queue.items][0] == cal["practice"]
        assert queue.items[0].is_practice and queue.total == 2


def test_practice_pitch_scorable_when_submissions_closed(app, cal):
    _score_practice(app, cal)

    page = _client(app, cal["j1"]).get("/events/cal/judge")
    with app.app_context():
        assert db.session.scalar(select(func.count(Scorecard.id))) == 1
    assert "0 of 2 scored" in page.text  # practice never counts


def test_real_pitch_not_scorable_when_submissions_closed(app, cal):
    response = _client(app, cal["j1"]).post(
        f"/events/cal/judge/pitches/{cal['real'][0]}", data=_form(cal)
    )

    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count(Scorecard.id))) == 0


def test_practice_pitch_not_scorable_in_moderation(app, cal):
    _set_phase(app, EventPhase.MODERATION)

    response = _client(app, cal["j1"]).post(
        f"/events/cal/judge/pitches/{cal['practice']}",
        data=_form(cal) | {"reason": "After discussion"},
    )

    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count(Scorecard.id))) == 0


def test_practice_pitch_excluded_from_results_progress_pdf_and_public_page(app, cal):
    _score_practice(app, cal)
    _set_phase(app, EventPhase.JUDGING)
    with app.app_context():
        event = _event()
        j1 = db.session.get(User, cal["j1_pk"])
        make_scorecard(db.session.get(Pitch, cal["real"][0]), j1, [3] * 7, event)
        db.session.commit()

        results = services.compute_results(event)
        ranked = {r.pitch.id for r in results.rows}
        progress = [
            (m.user_id, done, total)
            for m, done, total in services.progress_by_judge(event)
        ]
        with app.test_request_context():
            sheet = pdf.results_sheet_html(results)
        overview = portal_services.organiser_overview(event)
        submitted = {p.id for p in pitch_services.list_submitted_pitches(event)}
        teams = {t.name for t in pitch_services.list_teams(event)}
        event.phase = EventPhase.PUBLISHED
        db.session.commit()
    public = app.test_client().get("/events/cal")

    assert ranked == set(cal["real"])
    assert results.scorecards_counted == 1
    assert progress == [
        (cal["j1_pk"], 1, 2),
        (cal["j2_pk"], 0, 2),
    ]
    assert "Practice pitch" not in sheet
    assert (overview.teams, overview.pitches_submitted, overview.scorecards) == (
        2,
        2,
        1,
    )
    assert cal["practice"] not in submitted
    assert "Practice pitch" not in teams
    assert public.status_code == 200 and "Practice pitch" not in public.text


def test_practice_pitch_left_out_of_the_live_draw(app, cal):
    with app.app_context():
        event = _event()
        live.draw_order(db.session.get(User, cal["organiser_pk"]), event, seed="abc")
        db.session.commit()
        orders = dict(db.session.execute(select(Pitch.id, Pitch.running_order)).all())
    assert orders[cal["practice"]] is None
    assert sorted(orders[p] for p in cal["real"]) == [1, 2]


def test_no_conflict_declaration_on_the_practice_pitch(app, cal):
    response = _client(app, cal["j1"]).get(
        f"/events/cal/judge/pitches/{cal['practice']}/conflict"
    )

    assert response.status_code == 404


def test_calibration_view_shows_each_judges_practice_marks(app, cal):
    _score_practice(app, cal, "j1", [1, 2, 3, 4, 5, 1, 2])
    _score_practice(app, cal, "j2", [5, 5, 5, 5, 5, 5, 5])

    page = _client(app, cal["organiser"]).get("/events/cal/calibration")

    assert page.status_code == 200
    assert "Jan One" in page.text and "Jo Two" in page.text
    assert "2 of 2 judges have scored the practice pitch" in page.text
    assert "5.00" in page.text
    with app.app_context():
        view = practice.calibration(_event())
        marks = {
            r.judge.user_id: [r.marks[c] for c in cal["criteria"]] for r in view.rows
        }
    assert marks == {cal["j1_pk"]: [1, 2, 3, 4, 5, 1, 2], cal["j2_pk"]: [5] * 7}


@pytest.mark.parametrize("who", ["j1", None])
def test_calibration_and_practice_actions_are_for_organisers_only(app, cal, who):
    client = _client(app, cal[who]) if who else app.test_client()

    view = client.get("/events/cal/calibration")
    create = client.post("/events/cal/practice-pitch")
    delete = client.post("/events/cal/practice-pitch/delete")

    if who:
        assert (view.status_code, create.status_code, delete.status_code) == (
            404,
            404,
            404,
        )
    else:
        assert all(
            r.status_code == 302 and "/login" in r.headers["Location"]
            for r in (view, create, delete)
        )
    with app.app_context():
        assert db.session.get(Pitch, cal["practice"]) is not None


def test_practice_pitch_actions_need_a_csrf_token(csrf_app):
    with csrf_app.app_context():
        organiser = make_user("org2@example.org")
        make_event(organiser, slug="cal-csrf", phase=EventPhase.JUDGING)
        db.session.commit()
        organiser_id = organiser.get_id()
    client = csrf_app.test_client()
    sign_in(client, organiser_id)

    response = client.post("/events/cal-csrf/practice-pitch")

    assert response.status_code == 400
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count(Pitch.id))) == 0


def test_organiser_deletes_practice_pitch_with_its_scores(app, cal):
    _score_practice(app, cal)

    response = _client(app, cal["organiser"]).post("/events/cal/practice-pitch/delete")

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Pitch, cal["practice"]) is None
        assert db.session.scalar(select(func.count(Scorecard.id))) == 0
        assert db.session.scalar(select(func.count(Team.id))) == 2


def test_practice_pitch_cannot_change_after_judging(app, cal):
    _set_phase(app, EventPhase.MODERATION)
    client = _client(app, cal["organiser"])

    client.post("/events/cal/practice-pitch/delete")
    page = client.get("/events/cal/calibration")

    with app.app_context():
        assert db.session.get(Pitch, cal["practice"]) is not None
        organiser = db.session.get(User, cal["organiser_pk"])
        with pytest.raises(practice.event_services.EventError):
            practice.delete_practice_pitch(organiser, _event())
    assert "Remove the practice pitch" not in page.text
