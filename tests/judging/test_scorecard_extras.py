"""Scorecard extras (issue 3, item 6): conditions required with "fund with conditions"
and shown to organisers without names; private notes seen by their author only."""

import uuid

import pytest
from sqlalchemy import func, select

from auth.models import AuditEntry, User
from events.models import Event, EventPhase
from extensions import db
from judging import pdf, services
from judging.models import Mark, Recommendation, Scorecard, ScoreSubmission
from pitches import services as pitch_services
from tests.factories import make_event, make_judge, make_team, make_user, sign_in

MARKS = [4, 3, 5, 2, 4, 5, 1]
NOTES = "Wombat-4417 private: ask the chair about the budget"
CONDITIONS = "Condition-Ibis-9: measure admissions before and after"


@pytest.fixture
def panel(app):
    """An event in judging with one submitted pitch, two judges and an organiser."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser")
        event = make_event(organiser, slug="extras", phase=EventPhase.JUDGING)
        author = make_judge(event, make_user("a@example.org", "Ada Author"))
        other = make_judge(event, make_user("b@example.org", "Bo Other"))
        team = make_team(event, name="Sip Squad", submitted=True)
        db.session.commit()
        return {
            "organiser": organiser.get_id(),
            "author": author.get_id(),
            "author_pk": author.id,
            "other": other.get_id(),
            "pitch": team.pitch.id,
            "criteria": [c.id for c in event.criteria],
        }


def _client(app, user_id):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def _form(panel, **extra):
    data = {f"mark_{c}": str(v) for c, v in zip(panel["criteria"], MARKS, strict=True)}
    data |= {
        "feedback": "Clear and well evidenced.",
        "recommendation": "fund",
        "submission_key": str(uuid.uuid4()),
        "base_revision": "0",
    }
    return data | extra


def _url(panel):
    return f"/events/extras/judge/pitches/{panel['pitch']}"


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_scorecard_shows_conditions_and_private_notes_boxes(app, panel):
    page = _client(app, panel["author"]).get(_url(panel))

    assert page.status_code == 200
    assert "Conditions (if you recommend funding with conditions)" in page.text
    assert "Private notes (only you can see these)" in page.text
    assert 'name="conditions"' in page.text and 'name="private_notes"' in page.text


def test_fund_with_conditions_without_conditions_stores_nothing(app, panel):
    client = _client(app, panel["author"])

    response = client.post(
        _url(panel), data=_form(panel, recommendation="fund_with_conditions")
    )

    assert response.status_code == 400
    assert "Write the conditions of your recommendation" in response.text
    assert 'href="#conditions"' in response.text  # listed in the error summary
    with app.app_context():
        assert _count(Scorecard) == _count(Mark) == _count(ScoreSubmission) == 0


def test_fund_with_conditions_without_conditions_refused_in_json(app, panel):
    client = _client(app, panel["author"])

    response = client.post(
        _url(panel),
        data=_form(panel, recommendation="fund_with_conditions", conditions="  "),
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    assert response.json["status"] == "invalid"
    assert "conditions" in response.json["errors"]
    with app.app_context():
        assert _count(Scorecard) == 0


def test_service_refuses_fund_with_conditions_without_conditions(app, panel):
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "extras"))
        judge = db.session.get(User, panel["author_pk"])
        pitch = pitch_services.get_pitch_or_404(event, panel["pitch"])
        data = services.ScoreInput(
            marks=dict(zip(panel["criteria"], MARKS, strict=True)),
            feedback="Fine.",
            recommendation=Recommendation.FUND_WITH_CONDITIONS,
            submission_key=str(uuid.uuid4()),
            base_revision=0,
        )

        with pytest.raises(services.JudgingError, match="conditions"):
            services.record_scorecard(judge, event, pitch, data)


def test_conditions_and_notes_saved_through_the_json_answer(app, panel):
    client = _client(app, panel["author"])

    response = client.post(
        _url(panel),
        data=_form(
            panel,
            recommendation="fund_with_conditions",
            conditions=CONDITIONS,
            private_notes=NOTES,
        ),
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 200
    assert response.json["status"] == "saved"
    assert NOTES not in response.text
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert (card.conditions, card.private_notes) == (CONDITIONS, NOTES)
        assert card.recommendation == Recommendation.FUND_WITH_CONDITIONS


def test_conditions_not_kept_for_another_recommendation(app, panel):
    client = _client(app, panel["author"])

    response = client.post(
        _url(panel), data=_form(panel, recommendation="fund", conditions="Stray text")
    )

    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Scorecard.conditions)) == ""


def test_private_notes_shown_to_their_author_only(app, panel):
    author = _client(app, panel["author"])
    saved = author.post(
        _url(panel),
        data=_form(
            panel,
            recommendation="fund_with_conditions",
            conditions=CONDITIONS,
            private_notes=NOTES,
        ),
    )
    assert saved.status_code == 302

    own = author.get(_url(panel))
    other_page = _client(app, panel["other"]).get(_url(panel))
    other_queue = _client(app, panel["other"]).get("/events/extras/judge")
    organiser = _client(app, panel["organiser"])
    results = organiser.get("/events/extras/results")
    audit_page = organiser.get("/events/extras/audit")
    audit_csv = organiser.get("/events/extras/audit.csv")

    assert NOTES in own.text
    assert other_page.status_code == 200 and NOTES not in other_page.text
    assert CONDITIONS not in other_page.text
    assert NOTES not in other_queue.text
    assert results.status_code == 200 and NOTES not in results.text
    assert audit_page.status_code == 200 and NOTES not in audit_page.text
    assert audit_csv.status_code == 200 and NOTES not in audit_csv.text
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "extras"))
        with app.test_request_context():
            sheet = pdf.results_sheet_html(services.compute_results(event))
        details = db.session.scalars(select(AuditEntry.detail)).all()
    assert NOTES not in sheet
    assert details and not any(NOTES in (d or "") for d in details)


def test_organiser_sees_conditions_without_judge_names(app, panel):
    _client(app, panel["author"]).post(
        _url(panel),
        data=_form(panel, recommendation="fund_with_conditions", conditions=CONDITIONS),
    )

    results = _client(app, panel["organiser"]).get("/events/extras/results")

    assert "Conditions recommended by judges" in results.text
    section = results.text.split("Conditions recommended by judges", 1)[1]
    section = section.split("<h2", 1)[0]
    assert CONDITIONS in section
    assert "Ada Author" not in section
