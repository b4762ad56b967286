"""Voiding a judge's scores (R-42): left out of everything that counts, audited,
refused once scores can no longer change, and restorable until then."""

import json
import threading
import time

import pytest
from sqlalchemy import select

from auth.models import AuditEntry, User
from events.models import AssignmentMode, Event, EventPhase, PanelMember
from extensions import db, utcnow
from judging import (
    assignment_service,
    feedback,
    live,
    moderation,
    paper,
    pdf,
    practice,
    saving,
    score_exports,
    services,
    voiding,
)
from judging.models import JudgeAssignment, Recommendation, Scorecard
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
HIGH = [5, 5, 5, 5, 5, 5, 5]
LOW = [2, 2, 2, 2, 2, 2, 2]
REASON = "Left after the first pitch: a clinical emergency on the ward"


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == "void"))


@pytest.fixture
def ev(app):
    """An event in judging: an organiser, a chair and a judge who both scored the first
    of two pitches (the judge generously, with conditions); nobody scored the second."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser")
        event = make_event(organiser, slug="void", phase=P.JUDGING)
        chair = make_judge(
            event, make_user("chair@example.org", "Cara Chair"), chair=True
        )
        judge = make_judge(event, make_user("judge@example.org", "Vic Voided"))
        pitch1 = make_team(event, name="Sip Squad", submitted=True).pitch
        pitch2 = make_team(event, name="Falls Fixers", submitted=True).pitch
        services.record_scorecard(
            chair,
            event,
            pitch1,
            score_input(event, LOW, "c" * 20, feedback="Needs work."),
        )
        services.record_scorecard(
            judge,
            event,
            pitch1,
            score_input(
                event,
                HIGH,
                "j" * 20,
                feedback="Brilliant, fund it all.",
                recommendation=Recommendation.FUND_WITH_CONDITIONS,
                conditions="Hire a project manager",
            ),
        )
        db.session.commit()
        member_id = db.session.scalar(
            select(PanelMember.id).where(PanelMember.user_id == judge.id)
        )
        return {
            "organiser": organiser.id,
            "judge": judge.id,
            "judge_login": judge.get_id(),
            "chair_login": chair.get_id(),
            "member": member_id,
            "pitch1": pitch1.id,
            "pitch2": pitch2.id,
        }


def _void(ev, reason: str = REASON) -> tuple[PanelMember, int]:
    got = voiding.void_scores(
        db.session.get(User, ev["organiser"]), _event(), ev["member"], reason
    )
    db.session.commit()
    return got


def _row(results, pitch_id: int):
    return next(r for r in results.rows if r.pitch.id == pitch_id)


def _fresh_organiser(app):
    """Signed in through the form: voiding is a fresh-login action (R-19)."""
    client = app.test_client()
    client.post("/login", data={"email": "org@example.org", "password": PASSWORD})
    return client


# --- the service -----------------------------------------------------------------------


def test_void_leaves_the_judges_scores_out_and_records_why(app, ev):
    with app.app_context():
        before = _row(services.compute_results(_event()), ev["pitch1"]).result
        member, count = _void(ev)
        results = services.compute_results(_event())
        after = _row(results, ev["pitch1"]).result
        stored = db.session.get(PanelMember, ev["member"])
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == voiding.VOIDED)
        )

        assert (before.judges_counted, str(before.mean)) == (2, "3.50")
        assert (after.judges_counted, str(after.mean)) == (1, "2.00")
        assert [j for j, _ in after.judge_scores] == [
            db.session.scalar(select(User.id).where(User.display_name == "Cara Chair"))
        ]
        assert count == 1 and member.id == ev["member"]
        assert stored.scores_voided_at is not None
        assert stored.scores_voided_reason == REASON
        assert all(c.judge_id != ev["judge"] for c in results.cards)
        assert [(n.judge.id, n.reason, n.scorecards) for n in results.voided] == [
            (ev["judge"], REASON, 1)
        ]
        assert results.voided_judge_ids == {ev["judge"]}
        assert entry.actor_id == ev["organiser"]
        assert entry.target_id == ev["judge"]
        assert json.loads(entry.detail) == {
            "judge_id": ev["judge"],
            "reason": REASON,
            "scorecards": 1,
        }
        # Nothing is deleted: the scorecard is still there.
        assert db.session.scalar(
            select(Scorecard.id).where(Scorecard.judge_id == ev["judge"])
        )


def test_voided_judge_is_left_out_of_feedback_conditions_and_moderation(app, ev):
    with app.app_context():
        event = _event()
        before = services.compute_results(event)
        flagged_before = {
            f.kind for f in moderation.flags_for(before) if f.pitch_id == ev["pitch1"]
        }
        _void(ev)
        results = services.compute_results(event)
        team = feedback.team_feedback(event, ev["pitch1"], results)
        conditions = services.conditions_by_pitch(event)
        flagged_after = {
            f.kind for f in moderation.flags_for(results) if f.pitch_id == ev["pitch1"]
        }

        assert team.comments == ("Needs work.",)
        assert conditions == {}
        # Marks 5 and 2 range by 3 (rule 5); with the judge's voided, one judge is left.
        assert {"criterion_range", "weighted_range"} <= flagged_before
        assert not flagged_after & {"criterion_range", "weighted_range"}


def test_export_by_judge_says_the_scores_were_voided(app, ev):
    with app.app_context():
        _void(ev)
        table = score_exports.by_judge(services.compute_results(_event()))
        rows = {(r[0], r[1]): r for r in table.rows}

    voided = next(r for (name, _), r in rows.items() if name == "Vic Voided")
    chair = next(r for (name, _), r in rows.items() if name == "Cara Chair")
    assert voided[-2:] == [False, "scores voided by the organisers"]
    assert chair[-2:] == [True, None]


def test_result_sheet_names_the_voided_judge_and_the_reason(app, ev):
    with app.app_context():
        _void(ev)
        html = pdf.results_sheet_html(services.compute_results(_event()))

    assert "Judges&#39; scores voided" in html or "Judges' scores voided" in html
    assert "Vic Voided (1 scorecard, voided " in html
    assert REASON in html


def test_restore_counts_the_scores_again_and_is_audited(app, ev):
    with app.app_context():
        _void(ev)
        voiding.restore_scores(
            db.session.get(User, ev["organiser"]), _event(), ev["member"]
        )
        db.session.commit()
        results = services.compute_results(_event())
        stored = db.session.get(PanelMember, ev["member"])
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("score.judge_%"))
                .order_by(AuditEntry.id)
            )
        )

        assert _row(results, ev["pitch1"]).result.judges_counted == 2
        assert results.voided == ()
        assert (stored.scores_voided_at, stored.scores_voided_reason) == (None, "")
        assert actions == [voiding.VOIDED, voiding.RESTORED]


@pytest.mark.parametrize(
    "phase, locked",
    [(P.SUBMISSIONS_CLOSED, False), (P.MODERATION, True), (P.PUBLISHED, False)],
)
def test_void_and_restore_refused_once_scores_cannot_change(app, ev, phase, locked):
    with app.app_context():
        event = _event()
        event.phase = phase
        event.moderation_locked_at = utcnow() if locked else None
        db.session.commit()
        organiser = db.session.get(User, ev["organiser"])

        with pytest.raises(services.event_services.EventError):
            voiding.void_scores(organiser, _event(), ev["member"], REASON)
        db.session.rollback()
        with pytest.raises(services.event_services.EventError):
            voiding.restore_scores(organiser, _event(), ev["member"])
        db.session.rollback()

        assert db.session.get(PanelMember, ev["member"]).scores_voided_at is None
        assert not db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action.like("score.judge_%"))
        )


def test_void_twice_blank_reason_and_restore_of_unvoided_refused(app, ev):
    with app.app_context():
        organiser = db.session.get(User, ev["organiser"])
        with pytest.raises(services.JudgingError, match="Say why"):
            voiding.void_scores(organiser, _event(), ev["member"], "   ")
        db.session.rollback()
        with pytest.raises(services.JudgingError, match="not void"):
            voiding.restore_scores(organiser, _event(), ev["member"])
        db.session.rollback()
        _void(ev)
        with pytest.raises(services.JudgingError, match="already void"):
            voiding.void_scores(organiser, _event(), ev["member"], "Again")
        db.session.rollback()

        assert db.session.get(PanelMember, ev["member"]).scores_voided_reason == REASON
        assert (
            len(
                db.session.scalars(
                    select(AuditEntry.id).where(AuditEntry.action == voiding.VOIDED)
                ).all()
            )
            == 1
        )


# --- the judge -------------------------------------------------------------------------


def test_voided_judge_cannot_save_from_a_tablet_and_sees_why(app, ev):
    with app.app_context():
        _void(ev)
        event = _event()
        form = {f"mark_{c.id}": "3" for c in event.criteria} | {
            "feedback": "Late save from the tablet",
            "recommendation": "fund",
            "submission_key": "tablet-key-0123456789",
            "base_revision": "0",
        }
    client = app.test_client()
    sign_in(client, ev["judge_login"])

    response = client.post(
        f"/events/void/judge/pitches/{ev['pitch2']}",
        data=form,
        headers={"Accept": "application/json"},
    )
    queue = client.get("/events/void/judge").get_data(as_text=True)
    page = client.get(f"/events/void/judge/pitches/{ev['pitch2']}").get_data(
        as_text=True
    )

    assert response.status_code == 409
    assert response.get_json() == {
        "status": "refused",
        "message": saving.VOIDED_MESSAGE,
        "errors": {},
    }
    with app.app_context():
        assert not db.session.scalar(
            select(Scorecard.id).where(Scorecard.pitch_id == ev["pitch2"])
        )
    for text in (queue, page):
        assert "Your scores are void" in text
        assert "you cannot score" in text
    assert 'id="scorecard"' not in page


def test_a_save_already_applied_before_the_void_is_still_answered(app, ev):
    """A tablet retrying a save the server stored before the void gets its answer (the
    key was applied), not a refusal: nothing new is written."""
    with app.app_context():
        _void(ev)
        event = _event()
        ctx = saving.open_scorecard("void", ev["pitch1"], ev["judge"], "j" * 20)
        outcome = saving.save(ctx, score_input(event, HIGH, "j" * 20))
        db.session.rollback()

    assert outcome.replayed


# --- the organiser's pages -------------------------------------------------------------


def test_organiser_voids_through_the_page_with_a_reason(app, ev):
    client = _fresh_organiser(app)

    manage = client.get("/events/void/manage").get_data(as_text=True)
    page = client.get(f"/events/void/judges/{ev['member']}/void?back=results")
    blank = client.post(
        f"/events/void/judges/{ev['member']}/void",
        data={"reason": "", "back": "results"},
    )
    with app.app_context():
        untouched = db.session.get(PanelMember, ev["member"]).scores_voided_at
    done = client.post(
        f"/events/void/judges/{ev['member']}/void",
        data={"reason": REASON, "back": "results"},
    )
    results = client.get("/events/void/results").get_data(as_text=True)

    assert f"/events/void/judges/{ev['member']}/void" in manage
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Vic Voided has saved 1 scorecard for this event." in text
    assert "The judge cannot score again" in text
    assert blank.status_code == 400 and untouched is None
    assert "Say why this judge" in blank.get_data(as_text=True)
    assert done.status_code == 302
    assert done.headers["Location"] == "/events/void/results"
    assert "Scores void" in results
    assert REASON in results
    assert "Restore scores" in results
    with app.app_context():
        assert db.session.get(PanelMember, ev["member"]).scores_voided_reason == REASON


def test_organiser_restores_through_the_progress_table(app, ev):
    with app.app_context():
        _void(ev)
    client = _fresh_organiser(app)

    response = client.post(
        f"/events/void/judges/{ev['member']}/restore-scores", data={"back": "manage"}
    )

    assert response.headers["Location"] == "/events/void/manage"
    with app.app_context():
        assert db.session.get(PanelMember, ev["member"]).scores_voided_at is None


def test_void_needs_a_fresh_sign_in(app, ev):
    client = app.test_client()
    with app.app_context():
        sign_in(client, db.session.get(User, ev["organiser"]))

    response = client.post(
        f"/events/void/judges/{ev['member']}/void", data={"reason": REASON}
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    with app.app_context():
        assert db.session.get(PanelMember, ev["member"]).scores_voided_at is None


def test_judges_and_other_events_cannot_void(app, ev):
    with app.app_context():
        other = make_event(make_user("o2@example.org", "Otto Other"), slug="other")
        outsider = make_judge(other, make_user("j2@example.org", "Jay Two"))
        db.session.commit()
        other_member = db.session.scalar(
            select(PanelMember.id).where(PanelMember.user_id == outsider.id)
        )
    chair = app.test_client()
    chair.post("/login", data={"email": "chair@example.org", "password": PASSWORD})
    organiser = _fresh_organiser(app)

    by_chair = chair.post(
        f"/events/void/judges/{ev['member']}/void", data={"reason": REASON}
    )
    restore_by_chair = chair.post(f"/events/void/judges/{ev['member']}/restore-scores")
    elsewhere = organiser.get(f"/events/void/judges/{other_member}/void")

    assert by_chair.status_code == 404
    assert restore_by_chair.status_code == 404
    assert elsewhere.status_code == 404
    with app.app_context():
        assert db.session.get(PanelMember, ev["member"]).scores_voided_at is None
        assert not db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action.like("score.judge_%"))
        )


def test_paper_rows_for_a_voided_judge_are_refused(app, ev):
    with app.app_context():
        _void(ev)
        event = _event()
        pitch = db.session.get(Pitch, ev["pitch2"])
        header = ["judge_email", "team"] + [c.code.lower() for c in event.criteria]
        header += ["recommendation", "feedback"]
        row = ["judge@example.org", pitch.team.ref] + ["3"] * len(event.criteria)
        row += ["fund", "On paper"]
        data = (",".join(header) + "\n" + ",".join(row) + "\n").encode()
        _, report = paper.validate_import(event, data)

    assert not report.ok
    assert any(
        e.column == "judge_email" and "voided" in e.message for e in report.errors
    )


# --- around a voided judge: the live console, reminders, paper, split mode ---------------


def test_practice_scorecards_are_not_counted_in_the_void(app, ev):
    with app.app_context():
        event = _event()
        organiser = db.session.get(User, ev["organiser"])
        pitch = practice.create_practice_pitch(organiser, event)
        make_scorecard(pitch, db.session.get(User, ev["judge"]), HIGH, event)
        db.session.commit()

        _, count = _void(ev)
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == voiding.VOIDED)
        )
        note = services.compute_results(_event()).voided[0]

    assert count == note.scorecards == json.loads(entry.detail)["scorecards"] == 1


def test_live_console_does_not_wait_for_a_voided_judge(app, ev):
    with app.app_context():
        before = live.judges_submitted(_event(), ev["pitch2"])
        _void(ev)
        after = live.judges_submitted(_event(), ev["pitch2"])

    assert [name for name, _ in before] == ["Cara Chair", "Vic Voided"]
    assert after == [("Cara Chair", False)]


def test_a_voided_judge_is_not_reminded_and_sees_no_reminder(app, ev):
    with app.app_context():
        moderation.remind_judge(
            db.session.get(User, ev["organiser"]), _event(), ev["member"]
        )
        db.session.commit()
        _void(ev)
        with pytest.raises(services.JudgingError, match="void"):
            moderation.remind_judge(
                db.session.get(User, ev["organiser"]), _event(), ev["member"]
            )
        db.session.rollback()
    client = app.test_client()
    sign_in(client, ev["judge_login"])

    queue = client.get("/events/void/judge").get_data(as_text=True)

    assert "Your scores are void" in queue
    assert "reminded you" not in queue


def test_paper_sheets_and_the_rekeying_template_leave_a_voided_judge_out(app, ev):
    with app.app_context():
        _void(ev)
        event = _event()
        sheets = [s.member.user.display_name for s in paper.all_judge_sheets(event)]
        template = paper.template_csv(event)

    assert sheets == ["Cara Chair"]
    assert "judge@example.org" not in template
    assert "chair@example.org" in template


def test_expired_form_page_shows_a_voided_judge_no_scoring_form(app, ev):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        _void(ev)
    client = app.test_client()
    sign_in(client, ev["judge_login"])

    response = client.post(
        f"/events/void/judge/pitches/{ev['pitch2']}", data={"csrf_token": "stale"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Your scores are void" in page
    assert 'id="scorecard"' not in page


@pytest.fixture
def split(app):
    """Event 'split' in judging: 4 judges, 4 pitches, 2 judges per pitch, drawn."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser")
        event = make_event(organiser, slug="split", phase=P.JUDGING)
        judges = [make_judge(event, make_user(f"j{n}@example.org")) for n in range(4)]
        for _ in range(4):
            make_team(event, submitted=True)
        assignment_service.update_settings(
            organiser, event, AssignmentMode.SPLIT, 2, None
        )
        assignment_service.draw(organiser, event, seed="fixture")
        db.session.commit()
        members = {
            j.id: db.session.scalar(
                select(PanelMember.id).where(PanelMember.user_id == j.id)
            )
            for j in judges
        }
        return {"organiser": organiser.id, "judges": [j.id for j in judges]} | {
            "members": members
        }


def _split_event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == "split"))


def _assigned(judge_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(JudgeAssignment.pitch_id).where(JudgeAssignment.judge_id == judge_id)
        )
    )


def test_split_mode_a_voided_judge_gets_no_pitches_and_theirs_show_short(app, split):
    voided, leaving = split["judges"][0], split["judges"][1]
    with app.app_context():
        organiser = db.session.get(User, split["organiser"])
        theirs = _assigned(voided)
        assert assignment_service.overview(_split_event()).short == []
        voiding.void_scores(
            organiser, _split_event(), split["members"][voided], "Left early"
        )
        db.session.commit()
        short = {p.id for p in assignment_service.overview(_split_event()).short}
        assert voided not in assignment_service.active_judge_ids(_split_event())
        other = next(
            p.id
            for p in assignment_service.overview(_split_event()).pitches
            if p.id not in theirs
        )
        with pytest.raises(assignment_service.AssignmentError, match="void"):
            assignment_service.override(
                organiser, _split_event(), other, voided, assign=True
            )
        db.session.rollback()
        assignment_service.drop_out(organiser, _split_event(), leaving)
        db.session.commit()
        after = _assigned(voided)

    assert short == theirs
    assert after == theirs  # the drop-out's pitches went to the other judges


def test_a_save_waiting_behind_a_void_is_refused(app, ev):
    """The void holds the event's lock while the judge's tablet saves: once the void
    commits, the waiting save sees it and is refused. On PostgreSQL the save's query
    reads the judge's panel row under its own lock, not from the snapshot it took
    before it waited; on SQLite the save waits at BEGIN IMMEDIATE."""
    outcome = {}
    with app.app_context():
        event_id = _event().id

    def tablet_save() -> None:
        with app.app_context():
            try:
                ctx = saving.open_scorecard("void", ev["pitch2"], ev["judge"], "w" * 20)
                event = db.session.get(Event, event_id)
                saving.save(ctx, score_input(event, HIGH, "w" * 20))
                db.session.commit()
                outcome["saved"] = True
            except services.event_services.EventError as error:
                db.session.rollback()
                outcome["refused"] = str(error)

    with app.app_context():
        voiding.void_scores(
            db.session.get(User, ev["organiser"]), _event(), ev["member"], REASON
        )
        db.session.flush()
        tablet = threading.Thread(target=tablet_save)
        tablet.start()
        time.sleep(0.5)  # the save is now waiting for the void's lock
        db.session.commit()
        tablet.join(timeout=30)
        stored = db.session.scalar(
            select(Scorecard.id).where(Scorecard.pitch_id == ev["pitch2"])
        )

    assert outcome == {"refused": saving.VOIDED_MESSAGE}
    assert stored is None
