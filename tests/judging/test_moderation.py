"""Moderation (domain 4.4 rules 5, 6, 10), reminders to judges and the audit log (R-36)."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from auth.models import AuditEntry, User
from demo import data as demo_data
from demo.services import load_demo
from events import services as event_services
from events.models import Event, EventOrganiser, EventPhase, PanelMember
from events.rubrics import AggregationMethod as Method
from events.templating import london
from extensions import db, utcnow
from judging import moderation, services
from judging.models import ConflictDeclaration, Scorecard
from pitches.models import Pitch
from tests.factories import (
    PASSWORD,
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
    score_input,
    sign_in,
)

P = EventPhase
ORIGINAL = [4, 4, 4, 4, 4, 4, 4]
REVISED = [5, 4, 4, 4, 4, 4, 2]


def _event(slug: str = "mod") -> Event:
    return db.session.scalar(select(Event).where(Event.slug == slug))


def _actions(event_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.event_id == event_id)
            .order_by(AuditEntry.id)
        )
    )


def _marks(card: Scorecard) -> list[int]:
    return [m.value for m in sorted(card.marks, key=lambda m: m.criterion_id)]


@pytest.fixture
def panel(app):
    """An event in judging: an organiser, a chair, a judge and two submitted pitches.

    The judge has scored the first pitch (through the service, so the original score is
    in the audit log); nobody has scored the second.
    """
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser")
        event = make_event(organiser, slug="mod", phase=P.JUDGING)
        chair = make_judge(
            event, make_user("chair@example.org", "Cara Chair"), chair=True
        )
        judge = make_judge(event, make_user("judge@example.org", "Jon Judge"))
        pitch1 = make_team(event, name="Sip Squad", submitted=True).pitch
        pitch2 = make_team(event, name="Falls Fixers", submitted=True).pitch
        services.record_scorecard(
            judge, event, pitch1, score_input(event, ORIGINAL, "k" * 20, base=0)
        )
        db.session.commit()
        return {
            "organiser": organiser.get_id(),
            "chair": chair.get_id(),
            "judge": judge.get_id(),
            "judge_pk": judge.id,
            "chair_pk": chair.id,
            "pitch1": pitch1.id,
            "pitch2": pitch2.id,
            "event_id": event.id,
        }


def _to_moderation(app, *, locked: bool = False) -> None:
    with app.app_context():
        event = _event()
        event.phase = P.MODERATION
        event.moderation_locked_at = utcnow() if locked else None
        db.session.commit()


def _client(app, user_id: str):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def _card(panel) -> Scorecard:
    return db.session.scalar(
        select(Scorecard).where(
            Scorecard.pitch_id == panel["pitch1"],
            Scorecard.judge_id == panel["judge_pk"],
        )
    )


def _scorecard_form(event, values, *, base: str, reason: str | None) -> dict:
    form = {f"mark_{c.id}": str(v) for c, v in zip(event.criteria, values, strict=True)}
    form |= {
        "feedback": "Clear benefit; cost the pilot.",
        "recommendation": "fund",
        "submission_key": "route-key-0123456789",
        "base_revision": base,
    }
    if reason is not None:
        form["reason"] = reason
    return form


# --- the console: flags from the demo event --------------------------------------------


@pytest.fixture
def demo(app):
    """The demo event (domain 12), in moderation."""
    with app.app_context():
        load_demo(date.today(), "pw-amber-birch", phase=P.MODERATION)
        db.session.commit()
        event = _event(demo_data.EVENT["slug"])
        users = {
            m.user.display_name: m.user.get_id()
            for m in event_services.list_panel(event)
        }
    return {"slug": event.slug, "users": users}


def test_console_demo_flags_match_the_domain(app, demo):
    with app.app_context():
        console = moderation.moderation_console(_event(demo["slug"]))

        flagged = [
            (item.row.team.ref, [f.kind for f in item.flags])
            for item in console.pitches
        ]

    assert flagged == [
        ("T03", ["criterion_range"]),
        ("T04", ["criterion_range"]),
        ("T09", ["funding_line"]),
        ("T05", ["criterion_range", "funding_line"]),
    ]
    assert console.ranked == 12
    assert console.unflagged == 8
    assert console.chair.user.display_name == "Judith Pennant"


def test_console_demo_spread_is_anonymised_per_pitch(app, demo):
    with app.app_context():
        console = moderation.moderation_console(_event(demo["slug"]))
        t03 = console.pitches[0]

        c6 = next(s for s in t03.criteria if s.criterion.code == "C6")

    assert t03.judges == tuple(f"Judge {x}" for x in "ABCDEF")
    # Letters follow the weighted scores, highest first, not the judges' identities.
    assert list(t03.weighted) == sorted(t03.weighted, reverse=True)
    assert (c6.lowest, c6.highest, c6.flagged) == (2, 5, True)
    assert len(c6.marks) == 6


def test_console_page_for_the_chair_lists_flags_without_judge_names(app, demo):
    chair = _client(app, demo["users"]["Judith Pennant"])

    response = chair.get(f"/events/{demo['slug']}/moderation")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for ref, name in (
        ("T03", "Hear Me Now"),
        ("T04", "MedsMatch"),
        ("T09", None),
        ("T05", None),
    ):
        assert ref in text
        if name:
            assert name in text
    assert "C6 Innovation &amp; spread: judges&#39; marks range from 2 to 5" in text
    assert "Judge A" in text and "Judge F" in text
    for _code, name, _role, _chair in demo_data.JUDGES[1:]:
        assert name not in text, name
    assert "Lock moderation" in text
    # An unflagged pitch is not listed (T01 is first and not flagged).
    assert "T01 " not in text


def test_console_other_judge_gets_404_and_organiser_sees_it(app, demo):
    judge = _client(app, demo["users"]["Gareth Lowry"])
    with app.app_context():
        event = _event(demo["slug"])
        lead = db.session.scalar(
            select(EventOrganiser).where(EventOrganiser.event_id == event.id)
        )
        organiser_id = lead.user.get_id()
    organiser = _client(app, organiser_id)

    denied = judge.get(f"/events/{demo['slug']}/moderation")
    allowed = organiser.get(f"/events/{demo['slug']}/moderation")

    assert denied.status_code == 404
    assert allowed.status_code == 200
    assert "Judge A" in allowed.get_data(as_text=True)
    # Only the chair may lock: the organiser is told who does.
    assert "Judith Pennant, the panel chair, locks moderation" in allowed.get_data(
        as_text=True
    )


def test_console_during_judging_shows_no_marks(app, panel):
    response = _client(app, panel["chair"]).get("/events/mod/moderation")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "opens when the organiser moves the event to moderation" in text
    assert "Judge A" not in text and "Lock moderation" not in text


def test_nav_shows_moderation_to_the_chair_only(app, panel):
    chair_page = _client(app, panel["chair"]).get("/events/mod/judge")
    judge_page = _client(app, panel["judge"]).get("/events/mod/judge")
    organiser_page = _client(app, panel["organiser"]).get("/events/mod/manage")

    assert "/events/mod/moderation" in chair_page.get_data(as_text=True)
    assert "/events/mod/moderation" not in judge_page.get_data(as_text=True)
    assert "/events/mod/audit" in organiser_page.get_data(as_text=True)


# --- revisions during moderation (rule 6) ----------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_revision_in_moderation_without_reason_refused_and_nothing_changes(
    app, panel, reason
):
    _to_moderation(app)
    with app.app_context():
        event = _event()
        pitch = db.session.get(Pitch, panel["pitch1"])
        judge = _card(panel).judge_id
        judge_user = db.session.get(User, judge)

        with pytest.raises(services.JudgingError, match="reason"):
            services.record_scorecard(
                judge_user,
                event,
                pitch,
                score_input(event, REVISED, "r" * 20, base=1, reason=reason),
            )
        db.session.rollback()

        card = _card(panel)
        assert (card.revision, _marks(card)) == (1, ORIGINAL)
        assert "score.revised_in_moderation" not in _actions(event.id)


def test_revision_form_without_reason_answers_400_and_nothing_changes(app, panel):
    _to_moderation(app)
    client = _client(app, panel["judge"])
    with app.app_context():
        form = _scorecard_form(_event(), REVISED, base="1", reason="")

    response = client.post(f"/events/mod/judge/pitches/{panel['pitch1']}", data=form)

    assert response.status_code == 400
    assert "Give a reason for the change" in response.get_data(as_text=True)
    with app.app_context():
        card = _card(panel)
        assert (card.revision, _marks(card)) == (1, ORIGINAL)
        assert "score.revised_in_moderation" not in _actions(panel["event_id"])


def test_scorecard_page_asks_for_a_reason_only_in_moderation(app, panel):
    client = _client(app, panel["judge"])
    url = f"/events/mod/judge/pitches/{panel['pitch1']}"

    judging_page = client.get(url).get_data(as_text=True)
    _to_moderation(app)
    moderation_page = client.get(url).get_data(as_text=True)

    assert "Reason for the change" not in judging_page
    assert "Reason for the change" in moderation_page
    assert 'name="reason"' in moderation_page


def test_revision_with_reason_stored_and_audited_with_old_and_new(app, panel):
    _to_moderation(app)
    client = _client(app, panel["judge"])
    with app.app_context():
        event = _event()
        form = _scorecard_form(event, REVISED, base="1", reason="Missed the cost slide")
        ids = [str(c.id) for c in event.criteria]

    response = client.post(f"/events/mod/judge/pitches/{panel['pitch1']}", data=form)

    assert response.status_code == 302
    with app.app_context():
        card = _card(panel)
        assert (card.revision, _marks(card)) == (2, REVISED)
        entries = {
            e.action: e
            for e in db.session.scalars(
                select(AuditEntry).where(AuditEntry.event_id == panel["event_id"])
            )
        }
        revised = json.loads(entries["score.revised_in_moderation"].detail)
        assert revised["reason"] == "Missed the cost slide"
        assert revised["old"] == dict(zip(ids, ORIGINAL, strict=True))
        assert revised["new"] == dict(zip(ids, REVISED, strict=True))
        assert revised["revision"] == 2
        assert entries["score.revised_in_moderation"].actor_id == panel["judge_pk"]
        # The original score stays in the audit trail.
        original = json.loads(entries["score.saved"].detail)
        assert original["new"] == dict(zip(ids, ORIGINAL, strict=True))


def test_can_score_follows_the_phase_and_the_lock(app, panel):
    with app.app_context():
        event = _event()
        states = []
        for phase, locked in (
            (P.JUDGING, False),
            (P.MODERATION, False),
            (P.MODERATION, True),
            (P.PUBLISHED, True),
        ):
            event.phase = phase
            event.moderation_locked_at = utcnow() if locked else None
            states.append((services.can_score(event), services.needs_reason(event)))

    assert states == [(True, False), (True, True), (False, True), (False, False)]


# --- the chair's lock (rule 10) --------------------------------------------------------


def test_chair_locks_moderation_and_it_is_audited(app, panel):
    _to_moderation(app)
    chair = _client(app, panel["chair"])

    response = chair.post("/events/mod/moderation/lock")

    assert response.status_code == 302
    with app.app_context():
        event = _event()
        assert event.moderation_locked_at is not None
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "moderation.locked")
        )
        assert (entry.actor_id, entry.event_id) == (panel["chair_pk"], event.id)
    page = chair.get("/events/mod/moderation").get_data(as_text=True)
    assert "The chair locked moderation on" in page


def test_lock_by_other_judge_404_and_by_organiser_403_nothing_locked(app, panel):
    _to_moderation(app)

    by_judge = _client(app, panel["judge"]).post("/events/mod/moderation/lock")
    by_organiser = _client(app, panel["organiser"]).post("/events/mod/moderation/lock")

    assert (by_judge.status_code, by_organiser.status_code) == (404, 403)
    with app.app_context():
        assert _event().moderation_locked_at is None
        assert "moderation.locked" not in _actions(panel["event_id"])


def test_lock_outside_moderation_refused(app, panel):
    with app.app_context():
        event = _event()
        chair = db.session.get(User, panel["chair_pk"])

        with pytest.raises(event_services.EventError, match="lock moderation"):
            moderation.lock_moderation(chair, event)

        assert _event().moderation_locked_at is None


def test_lock_twice_refused_and_audited_once(app, panel):
    _to_moderation(app, locked=True)
    with app.app_context():
        first = _event().moderation_locked_at
        chair = db.session.get(User, panel["chair_pk"])

        with pytest.raises(event_services.EventError, match="locked moderation"):
            moderation.lock_moderation(chair, _event())

        assert _event().moderation_locked_at == first


def test_after_lock_scores_conflicts_rubric_and_going_back_refused(app, panel):
    _to_moderation(app, locked=True)
    with app.app_context():
        event = _event()
        judge = db.session.get(User, panel["judge_pk"])
        organiser = db.session.scalar(
            select(User).where(User.email == "org@example.org")
        )
        pitch1 = db.session.get(Pitch, panel["pitch1"])
        pitch2 = db.session.get(Pitch, panel["pitch2"])
        before = _actions(event.id)
        refused = []

        for attempt in (
            lambda: services.record_scorecard(
                judge,
                event,
                pitch1,
                score_input(event, REVISED, "x" * 20, base=1, reason="Late thought"),
            ),
            lambda: services.declare_conflict(judge, event, pitch2, "Old friend"),
            lambda: event_services.change_phase(organiser, event, P.JUDGING),
            lambda: event_services.update_rubric(organiser, event, []),
        ):
            with pytest.raises(event_services.EventError) as error:
                attempt()
            refused.append("locked moderation" in str(error.value))
            db.session.rollback()

        assert refused == [True, True, True, True]
        event = _event()
        assert (event.phase, _marks(_card(panel))) == (P.MODERATION, ORIGINAL)
        assert db.session.scalar(select(func.count(ConflictDeclaration.id))) == 0
        assert _actions(event.id) == before


def test_after_lock_scorecard_page_is_read_only(app, panel):
    _to_moderation(app, locked=True)

    page = _client(app, panel["judge"]).get(
        f"/events/mod/judge/pitches/{panel['pitch1']}"
    )

    text = page.get_data(as_text=True)
    assert "Scoring is closed" in text
    assert 'name="reason"' not in text


def test_back_to_judging_allowed_before_the_lock(app, panel):
    _to_moderation(app)
    with app.app_context():
        organiser = db.session.scalar(
            select(User).where(User.email == "org@example.org")
        )

        event_services.change_phase(organiser, _event(), P.JUDGING)

        assert _event().phase == P.JUDGING


# --- publication needs the lock ---------------------------------------------------------


def test_publish_without_lock_refused(app, panel):
    _to_moderation(app)
    with app.app_context():
        organiser = db.session.scalar(
            select(User).where(User.email == "org@example.org")
        )

        with pytest.raises(event_services.EventError, match="lock moderation"):
            services.publish_results(organiser, _event())
        db.session.rollback()

        assert (_event().phase, _event().published_at) == (P.MODERATION, None)
        assert "results.published" not in _actions(panel["event_id"])


def test_publish_page_says_the_chair_must_lock_then_publishes(app, panel):
    _to_moderation(app)
    client = app.test_client()
    client.post("/login", data={"email": "org@example.org", "password": PASSWORD})

    before = client.get("/events/mod/results").get_data(as_text=True)
    refused = client.post("/events/mod/results/publish")
    with app.app_context():
        phase_after_refusal = _event().phase
    _client(app, panel["chair"]).post("/events/mod/moderation/lock")
    locked = client.get("/events/mod/results").get_data(as_text=True)
    with app.app_context():
        _event().signed_off_at = utcnow()  # the sign-off: tests/judging/test_funding.py
        db.session.commit()
    after = client.get("/events/mod/results").get_data(as_text=True)
    published = client.post("/events/mod/results/publish")

    assert "once the panel chair has locked moderation" in before
    assert "Publish results" not in locked
    assert "once the panel chair has signed the results off" in locked
    assert "Publish results" not in before
    assert refused.headers["Location"] == "/events/mod/results"
    assert phase_after_refusal == P.MODERATION
    assert "Publish results" in after
    assert published.headers["Location"] == "/events/mod"
    with app.app_context():
        assert _event().phase == P.PUBLISHED


# --- reminders -------------------------------------------------------------------------


def _member_id(panel, user_pk: int) -> int:
    return db.session.scalar(
        select(PanelMember.id).where(
            PanelMember.event_id == panel["event_id"], PanelMember.user_id == user_pk
        )
    )


def test_progress_table_shows_scored_x_of_y_with_remind(app, panel):
    organiser = _client(app, panel["organiser"])

    manage = organiser.get("/events/mod/manage").get_data(as_text=True)
    results = organiser.get("/events/mod/results").get_data(as_text=True)

    for page in (manage, results):
        assert "scored 1 of 2" in page  # Jon Judge
        assert "scored 0 of 2" in page  # Cara Chair
        assert page.count(">Remind<") == 2


def test_remind_records_it_and_the_judge_sees_a_banner_until_done(app, panel):
    organiser = _client(app, panel["organiser"])
    judge = _client(app, panel["judge"])
    with app.app_context():
        member_id = _member_id(panel, panel["judge_pk"])

    response = organiser.post(
        f"/events/mod/judges/{member_id}/remind", data={"back": "results"}
    )
    banner = judge.get("/events/mod/judge").get_data(as_text=True)
    with app.app_context():
        event = _event()
        pitch2 = db.session.get(Pitch, panel["pitch2"])
        user = db.session.get(User, panel["judge_pk"])
        services.record_scorecard(
            user, event, pitch2, score_input(event, ORIGINAL, "z" * 20, base=0)
        )
        db.session.commit()
    done = judge.get("/events/mod/judge").get_data(as_text=True)

    assert response.headers["Location"] == "/events/mod/results"
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "judge.reminded")
        )
        assert (entry.target_type, entry.target_id) == ("User", panel["judge_pk"])
        assert json.loads(entry.detail) == {"scored": 1, "total": 2}
    assert "The organiser reminded you to finish scoring: 1 of 2 scored" in banner
    assert "The organiser reminded you" not in done


def test_remind_judge_who_finished_refused_and_not_recorded(app, panel):
    with app.app_context():
        event = _event()
        user = db.session.get(User, panel["judge_pk"])
        services.record_scorecard(
            user,
            event,
            db.session.get(Pitch, panel["pitch2"]),
            score_input(event, ORIGINAL, "y" * 20, base=0),
        )
        db.session.commit()
        member_id = _member_id(panel, panel["judge_pk"])

    response = _client(app, panel["organiser"]).post(
        f"/events/mod/judges/{member_id}/remind"
    )

    assert response.headers["Location"] == "/events/mod/manage"
    with app.app_context():
        assert "judge.reminded" not in _actions(panel["event_id"])


def test_remind_by_judge_or_for_another_events_judge_refused(app, panel):
    with app.app_context():
        other = make_event(slug="other", phase=P.JUDGING)
        outsider = make_judge(other)
        make_team(other, submitted=True)
        db.session.commit()
        foreign_member = db.session.scalar(
            select(PanelMember.id).where(PanelMember.user_id == outsider.id)
        )
        own_member = _member_id(panel, panel["judge_pk"])

    by_judge = _client(app, panel["chair"]).post(
        f"/events/mod/judges/{own_member}/remind"
    )
    foreign = _client(app, panel["organiser"]).post(
        f"/events/mod/judges/{foreign_member}/remind"
    )

    assert (by_judge.status_code, foreign.status_code) == (404, 404)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == "judge.reminded"
                )
            )
            == 0
        )


# --- the audit log ---------------------------------------------------------------------


def _add_entries(event_id: int, n: int, actor_id: int | None = None) -> None:
    start = utcnow() + timedelta(hours=1)  # newer than the fixture's entries
    for i in range(n):
        db.session.add(
            AuditEntry(
                action=f"test.entry_{i:03d}",
                event_id=event_id,
                actor_id=actor_id,
                at=start + timedelta(seconds=i),
                detail="{}",
            )
        )
    db.session.commit()


def test_audit_page_lists_newest_first_with_names_and_uk_time(app, panel):
    _to_moderation(app)
    _client(app, panel["chair"]).post("/events/mod/moderation/lock")

    response = _client(app, panel["organiser"]).get("/events/mod/audit")

    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert text.index("moderation.locked") < text.index("score.saved")
    assert text.index("score.saved") < text.index("event.created")
    assert "Cara Chair" in text and "Jon Judge" in text and "Olive Organiser" in text
    with app.app_context():
        locked_at = _event().moderation_locked_at
    assert london(locked_at, "%-d %b %Y, %H:%M:%S") in text


def test_audit_page_paginates_100_per_page(app, panel):
    with app.app_context():
        existing = len(_actions(panel["event_id"]))
        _add_entries(panel["event_id"], 150)
    organiser = _client(app, panel["organiser"])
    total = existing + 150

    first = organiser.get("/events/mod/audit").get_data(as_text=True)
    second = organiser.get("/events/mod/audit?page=2").get_data(as_text=True)
    past_end = organiser.get("/events/mod/audit?page=3")
    fullwidth = organiser.get("/events/mod/audit?page=２")

    assert first.count('<td class="nhsuk-table__cell">test.entry_') == 100
    assert "test.entry_149" in first and "test.entry_050" in first
    assert "test.entry_049" not in first
    assert second.count('<td class="nhsuk-table__cell">test.entry_') == 50
    assert f"Entries 101 to {total} of {total}" in second
    assert "Older entries" in first and "Newer entries" in second
    assert (past_end.status_code, fullwidth.status_code) == (404, 404)


def test_audit_page_and_csv_are_organiser_only(app, panel):
    for user in ("judge", "chair"):
        client = _client(app, panel[user])
        assert client.get("/events/mod/audit").status_code == 404
        assert client.get("/events/mod/audit.csv").status_code == 404


def test_audit_csv_is_an_attachment_with_formulas_escaped(app, panel):
    with app.app_context():
        nasty = make_user("nasty@example.org", '=HYPERLINK("http://x")')
        wide = make_user("wide@example.org", "＠SUM(A1)")
        db.session.add_all(
            [
                AuditEntry(
                    action="test.one", event_id=panel["event_id"], actor_id=nasty.id
                ),
                AuditEntry(
                    action="test.two", event_id=panel["event_id"], actor_id=wide.id
                ),
            ]
        )
        db.session.commit()
        expected_rows = len(_actions(panel["event_id"]))

    response = _client(app, panel["organiser"]).get("/events/mod/audit.csv")

    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="mod-audit.csv"'
    )
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "Time (UK)",
        "Actor",
        "Action",
        "Target type",
        "Target id",
        "Detail",
        "Request id",
    ]
    assert len(rows) == expected_rows + 1
    actors = {row[2]: row[1] for row in rows[1:]}
    assert actors["test.one"] == '\'=HYPERLINK("http://x")'
    assert actors["test.two"] == "'＠SUM(A1)"
    assert actors["score.saved"] == "Jon Judge"
    assert rows[-1][2] == "event.created"  # newest first


def test_audit_log_has_no_edit_or_delete_route(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule


@pytest.mark.parametrize(
    ("method", "close"),
    [(Method.MEAN, []), (Method.MEDIAN, ["Alpha", "Beta"])],
)
def test_console_measures_close_calls_by_the_declared_method(app, method, close):
    # Alpha: judges give 4, 4 and 1 on every criterion (mean 3.00, median 4.00);
    # Beta: 4, 4 and 4. By the mean they are 1.00 apart, by the median level.
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser", is_organiser=True)
        event = make_event(organiser, slug="declared", pot=0, cap=0)
        event_services.declare_results_method(organiser, event, method)
        event.phase = P.MODERATION
        judges = [make_judge(event) for _ in range(3)]
        for name, values in (("Alpha", (4, 4, 1)), ("Beta", (4, 4, 4))):
            pitch = make_team(event, name=name, submitted=True).pitch
            for judge, value in zip(judges, values, strict=True):
                make_scorecard(pitch, judge, [value] * 7)
        db.session.commit()

        console = moderation.moderation_console(_event("declared"))

    flagged = {
        p.row.team.name: [f.message for f in p.flags if f.kind == "top_two"]
        for p in console.pitches
    }
    assert sorted(name for name, top in flagged.items() if top) == close
    if close:
        assert flagged["Beta"] == ["The top two are 0.00 apart by median (within 0.10)"]
