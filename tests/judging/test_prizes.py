"""Rankings by category and special prizes (judging/categories.py, judging/prizes.py),
with the demo event in moderation: set up by organisers, decided by the panel's chair,
hidden until publication (R-05)."""

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from auth.models import AuditEntry, User
from demo import data
from demo.services import email_for, load_demo
from events.models import CategoryBy, Event, EventPhase
from extensions import db
from judging import categories, feedback, services
from judging.prize_models import SpecialPrize
from pitches.models import PitchType, Team
from tests.factories import sign_in
from tests.sqllog import sql_log

SLUG = data.EVENT["slug"]
# Domain 12.7's overall ranking.
OVERALL = [
    "T01",
    "T03",
    "T02",
    "T04",
    "T07",
    "T06",
    "T09",
    "T05",
    "T08",
    "T11",
    "T10",
    "T12",
]
PRIZE = "Best patient co-production"


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo(date.today(), "pw-amber-birch", phase=EventPhase.MODERATION)
        db.session.commit()
        return {t.ref: t.pitch.id for t in db.session.scalars(select(Team))}


def _event():
    return db.session.scalar(select(Event).where(Event.slug == SLUG))


def _client(app, name):
    client = app.test_client()
    with app.app_context():
        sign_in(
            client, db.session.scalar(select(User).where(User.email == email_for(name)))
        )
    return client


ORGANISER = data.ORGANISERS[0][0]
CHAIR = next(name for _, name, _, chair in data.JUDGES if chair)
JUDGE = next(name for _, name, _, chair in data.JUDGES if not chair)


def test_categories_keep_the_overall_order(app, demo):
    organiser = _client(app, ORGANISER)
    response = organiser.post(
        f"/events/{SLUG}/prizes/categories", data={"category_by": "pitch_type"}
    )
    assert response.status_code == 302
    with app.app_context():
        event = _event()
        assert event.category_by == CategoryBy.PITCH_TYPE
        results = services.compute_results(event)
        assert [r.team.ref for r in results.rows] == OVERALL
        got = {
            c.name: [(row.place, row.row.team.ref) for row in c.rows]
            for c in categories.by_category(results)
        }
    # Worked from the demo data: each team's kind, in the overall order, numbered.
    kinds = {team[0]: PitchType(team[4]).label for team in data.TEAMS}
    expected = {}
    for ref in OVERALL:
        expected.setdefault(kinds[ref], []).append(ref)
    assert got == {
        name: list(enumerate(refs, start=1)) for name, refs in expected.items()
    }
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "categories.chosen")
        )
        assert json.loads(entry.detail)["new"] == "pitch_type"
    page = organiser.get(f"/events/{SLUG}/results").text
    assert "Rankings by category</h2>" in page


def test_categories_by_setting_load_the_problems_in_one_query(app, demo):
    with app.app_context():
        event = _event()
        event.category_by = CategoryBy.SETTING
        db.session.commit()
    with app.app_context():
        results = services.compute_results(_event())
        with sql_log(app) as statements:
            groups = categories.by_category(results)
        assert len([s for s in statements if s.startswith("SELECT")]) == 1
        assert sum(len(c.rows) for c in groups) == 12


def test_the_panel_decides_a_special_prize(app, demo):
    organiser, chair, judge = (
        _client(app, ORGANISER),
        _client(app, CHAIR),
        _client(app, JUDGE),
    )
    added = organiser.post(
        f"/events/{SLUG}/prizes/new",
        data={"name": PRIZE, "description": "Patients and carers shaped it"},
    )
    assert added.status_code == 302
    twice = organiser.post(
        f"/events/{SLUG}/prizes/new", data={"name": PRIZE.upper(), "description": ""}
    )
    assert twice.status_code == 400
    assert "There is already a prize called" in twice.text
    with app.app_context():
        prize_id = db.session.scalar(select(SpecialPrize.id))
        assert db.session.scalar(select(SpecialPrize.name)) == PRIZE
    decide_url = f"/events/{SLUG}/prizes/{prize_id}/decide"
    form = {
        f"prize-{prize_id}-pitch_id": str(demo["T11"]),
        f"prize-{prize_id}-citation": "Residents wrote half of it.",
    }

    # A judge who is not the chair can neither see the page nor decide.
    assert judge.get(f"/events/{SLUG}/prizes").status_code == 404
    assert judge.post(decide_url, data=form).status_code == 404
    # The organiser does not decide: the panel does, through its chair.
    assert organiser.post(decide_url, data=form).status_code == 404
    # No reason, or a pitch of no team: refused.
    no_reason = chair.post(decide_url, data={**form, f"prize-{prize_id}-citation": ""})
    assert no_reason.status_code == 400
    not_ours = chair.post(
        decide_url, data={**form, f"prize-{prize_id}-pitch_id": "99999"}
    )
    assert "Choose one of the event&#39;s pitches" in not_ours.text or (
        "Choose one of the event's pitches" in not_ours.text
    )
    with app.app_context():
        assert db.session.get(SpecialPrize, prize_id).pitch_id is None

    assert chair.post(decide_url, data=form).status_code == 302
    with app.app_context():
        prize = db.session.get(SpecialPrize, prize_id)
        assert (prize.pitch_id, prize.citation) == (
            demo["T11"],
            "Residents wrote half of it.",
        )
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "prize.decided")
        )
        detail = json.loads(entry.detail)
        assert detail["old"]["pitch_id"] is None
        assert detail["new"]["pitch_id"] == demo["T11"]
        fb = {f.row.team.ref: f for f in feedback.all_feedback(_event())}
        assert fb["T11"].prizes == ((PRIZE, "Residents wrote half of it."),)
        assert fb["T01"].prizes == ()
    # A decided prize cannot be removed.
    organiser.post(f"/events/{SLUG}/prizes/{prize_id}/remove")
    with app.app_context():
        assert db.session.get(SpecialPrize, prize_id) is not None

    results = organiser.get(f"/events/{SLUG}/results").text
    assert "Special prizes</h2>" in results and "T11 My Last Chapter" in results
    # Hidden from the public until publication, then shown.
    public = app.test_client().get(f"/events/{SLUG}").text
    assert PRIZE not in public
    with app.app_context():
        event = _event()
        event.phase = EventPhase.PUBLISHED
        event.published_at = datetime.now(UTC)
        db.session.commit()
    public = app.test_client().get(f"/events/{SLUG}").text
    assert PRIZE in public and "Residents wrote half of it." in public
    # Final once published.
    changed = chair.post(
        decide_url, data={**form, f"prize-{prize_id}-pitch_id": str(demo["T01"])}
    )
    assert changed.status_code == 400
    with app.app_context():
        assert db.session.get(SpecialPrize, prize_id).pitch_id == demo["T11"]


def test_prizes_wait_for_judging_to_close(app, demo):
    with app.app_context():
        event = _event()
        event.phase = EventPhase.JUDGING
        db.session.add(SpecialPrize(event_id=event.id, name=PRIZE))
        db.session.commit()
        prize_id = db.session.scalar(select(SpecialPrize.id))
    response = _client(app, CHAIR).post(
        f"/events/{SLUG}/prizes/{prize_id}/decide",
        data={
            f"prize-{prize_id}-pitch_id": str(demo["T02"]),
            f"prize-{prize_id}-citation": "Early.",
        },
    )
    assert response.status_code == 400
    assert "once judging has closed" in response.text
    with app.app_context():
        assert db.session.get(SpecialPrize, prize_id).pitch_id is None


def test_another_events_organiser_gets_404(app, demo):
    from tests.factories import make_event, make_user

    with app.app_context():
        stranger = make_user(is_organiser=True)
        make_event(stranger, slug="elsewhere")
        db.session.commit()
        client = app.test_client()
        sign_in(client, stranger)
    assert client.get(f"/events/{SLUG}/prizes").status_code == 404
    assert (
        client.post(
            f"/events/{SLUG}/prizes/new", data={"name": "Mine", "description": ""}
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/events/{SLUG}/prizes/categories", data={"category_by": "setting"}
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.scalar(select(SpecialPrize)) is None
        assert _event().category_by == CategoryBy.NONE
