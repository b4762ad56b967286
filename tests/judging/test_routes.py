"""Judging over HTTP: score validation (R-26), idempotent and revision-checked saves
(R-42), the judging phase (R-06), conflicts of interest (R-04), score confidentiality
(R-05) and publication with a fresh login (R-07)."""

import re
import uuid

import pytest
from sqlalchemy import func, select

from auth.models import AuditEntry, User
from events.models import Event, EventPhase
from extensions import db, utcnow
from judging.models import ConflictDeclaration, Mark, Scorecard, ScoreSubmission
from pitches.models import Pitch
from tests.factories import (
    PASSWORD,
    declare_conflict,
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
    sign_in,
)

# Preset B weights are 15, 20, 15, 20, 15, 10, 5 (C1..C7).
J1_P1 = [4, 3, 5, 2, 4, 5, 1]  # weighted 3.50
J2_P1 = [3, 4, 2, 5, 3, 1, 4]  # weighted 3.30, so pitch 1's mean is 3.40
J2_P2 = [2, 2, 2, 2, 2, 2, 1]  # weighted 1.95
J1_FEEDBACK = "J1-PRIVATE-FEEDBACK-ON-P1"
J2_FEEDBACK = "J2-PRIVATE-FEEDBACK-ON-P1"
# Figures nobody but organisers may see before publication.
SECRET_FIGURES = ("3.40", "3.50", "3.30", "1.95")


def _client_for(app, user_id: str):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == "final"))


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _actions() -> list[str]:
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


@pytest.fixture
def final(app):
    """Event 'final' in judging: two judges, two submitted pitches and a draft one."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser")
        event = make_event(organiser, slug="final", phase=EventPhase.JUDGING)
        judge1 = make_judge(event, make_user("j1@example.org", "Jan One"))
        judge2 = make_judge(event, make_user("j2@example.org", "Jo Two"))
        lead = make_user("lead@example.org", "Lena Lead")
        team1 = make_team(event, lead, name="Sip Squad", submitted=True)
        team2 = make_team(event, name="Falls Fixers", submitted=True)
        draft = make_team(event, name="Still Drafting")
        other = make_event(slug="other-final", phase=EventPhase.JUDGING)
        db.session.commit()
        return {
            "organiser": organiser.get_id(),
            "judge1": judge1.get_id(),
            "judge1_pk": judge1.id,
            "judge2": judge2.get_id(),
            "judge2_pk": judge2.id,
            "lead": lead.get_id(),
            "lead_pk": lead.id,
            "team1_id": team1.id,
            "pitch1": team1.pitch.id,
            "pitch2": team2.pitch.id,
            "draft_pitch": draft.pitch.id,
            "criteria": [c.id for c in event.criteria],
            "foreign_criterion": other.criteria[0].id,
        }


def _form(final, values=J1_P1, *, feedback="Clear, well evidenced.", **extra):
    data = {
        f"mark_{cid}": str(v) for cid, v in zip(final["criteria"], values, strict=True)
    }
    data |= {
        "feedback": feedback,
        "recommendation": "fund",
        "submission_key": str(uuid.uuid4()),
        "base_revision": "0",
    }
    return data | extra


def _url(final, pitch="pitch1") -> str:
    return f"/events/final/judge/pitches/{final[pitch]}"


def _nothing_stored() -> bool:
    return _count(Scorecard) == _count(Mark) == _count(ScoreSubmission) == 0


# --- saving a scorecard ----------------------------------------------------------------


def test_scorecard_saved_with_every_mark_and_audited(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])
    data = _form(final)

    # Act
    response = client.post(_url(final), data=data)
    page = client.get(_url(final))

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"] == _url(final)
    assert "Saved at" in page.text
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert (card.judge_id, card.pitch_id, card.revision) == (
            final["judge1_pk"],
            final["pitch1"],
            1,
        )
        assert card.feedback == "Clear, well evidenced."
        assert {m.criterion_id: m.value for m in card.marks} == dict(
            zip(final["criteria"], J1_P1, strict=True)
        )
        submission = db.session.scalar(select(ScoreSubmission))
        assert (submission.key, submission.revision) == (data["submission_key"], 1)
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "score.saved")
        )
        assert entry.actor_id == final["judge1_pk"]
        assert '"old": {}' in entry.detail


@pytest.mark.parametrize(
    "value",
    ["0", "6", "-1", "５", "4.0", "4.5", "NaN", "inf", "1e309", "true", "", " 4", "04"],
)
def test_r26_invalid_mark_rejected_and_nothing_stored(app, final, value):
    # Arrange
    client = _client_for(app, final["judge1"])
    data = _form(final)
    data[f"mark_{final['criteria'][2]}"] = value

    # Act
    response = client.post(_url(final), data=data)

    # Assert
    assert response.status_code == 400
    with app.app_context():
        assert _nothing_stored()
        assert "score.saved" not in _actions()


@pytest.mark.parametrize("values", [["4", "4"], ["4", "5"]], ids=["same", "different"])
def test_r26_duplicate_parameter_rejected_and_nothing_stored(app, final, values):
    # Arrange
    client = _client_for(app, final["judge1"])
    data = _form(final)
    data[f"mark_{final['criteria'][0]}"] = values

    # Act
    response = client.post(_url(final), data=data)

    # Assert
    assert response.status_code == 400
    assert "Give one score" in response.text
    with app.app_context():
        assert _nothing_stored()


def test_r26_missing_criterion_rejected_and_nothing_stored(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])
    data = _form(final)
    del data[f"mark_{final['criteria'][-1]}"]

    # Act
    response = client.post(_url(final), data=data)

    # Assert
    assert response.status_code == 400
    with app.app_context():
        assert _nothing_stored()


def test_r26_unknown_and_foreign_criteria_are_ignored(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])
    data = _form(final)
    data |= {"mark_999999": "5", f"mark_{final['foreign_criterion']}": "5"}

    # Act
    response = client.post(_url(final), data=data)

    # Assert
    assert response.status_code == 302
    with app.app_context():
        stored = set(db.session.scalars(select(Mark.criterion_id)))
        assert stored == set(final["criteria"])


def test_r26_feedback_is_required(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])

    # Act
    response = client.post(_url(final), data=_form(final, feedback="   "))

    # Assert
    assert response.status_code == 400
    with app.app_context():
        assert _nothing_stored()


@pytest.mark.parametrize(
    "change",
    [
        {"submission_key": "short"},
        {"submission_key": "has spaces in it, which is odd"},
        {"submission_key": ""},
        {"base_revision": "-1"},
        {"base_revision": "１"},
        {"base_revision": ""},
        {"recommendation": "give-them-everything"},
    ],
)
def test_r26_malformed_hidden_fields_rejected(app, final, change):
    # Arrange
    client = _client_for(app, final["judge1"])

    # Act
    response = client.post(_url(final), data=_form(final) | change)

    # Assert
    assert response.status_code == 400
    with app.app_context():
        assert _nothing_stored()


def test_r03_scorecard_cannot_be_saved_for_another_judge(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])
    data = _form(final) | {
        "judge_id": str(final["judge2_pk"]),
        "pitch_id": str(final["pitch2"]),
        "revision": "99",
    }

    # Act
    client.post(_url(final), data=data)

    # Assert
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert (card.judge_id, card.pitch_id, card.revision) == (
            final["judge1_pk"],
            final["pitch1"],
            1,
        )


# --- idempotency and revisions: R-42 ---------------------------------------------------


def test_r42_same_submission_key_twice_stores_one_scorecard(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])
    data = _form(final)

    # Act
    first = client.post(_url(final), data=data)
    retry = client.post(_url(final), data=data)

    # Assert
    assert (first.status_code, retry.status_code) == (302, 302)
    with app.app_context():
        assert _count(Scorecard) == 1
        assert db.session.scalar(select(Scorecard.revision)) == 1
        assert _count(ScoreSubmission) == 1
        assert _count(Mark) == len(final["criteria"])
        assert _actions().count("score.saved") == 1


def test_r42_revision_moves_on_with_each_save(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])
    client.post(_url(final), data=_form(final))

    # Act
    response = client.post(
        _url(final), data=_form(final, [5] * 7, base_revision="1", feedback="Better")
    )

    # Assert
    assert response.status_code == 302
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert card.revision == 2
        assert card.feedback == "Better"
        assert {m.value for m in card.marks} == {5}
        assert _count(ScoreSubmission) == 2
        assert _count(Mark) == len(final["criteria"])


def test_r42_stale_revision_answers_409_and_keeps_the_newer_marks(app, final):
    # Arrange: the tablet saved r1, then r2; a delayed edit based on r1 arrives last
    client = _client_for(app, final["judge1"])
    client.post(_url(final), data=_form(final))
    client.post(
        _url(final), data=_form(final, [5] * 7, base_revision="1", feedback="Newest")
    )

    # Act
    stale = client.post(
        _url(final), data=_form(final, [1] * 7, base_revision="1", feedback="Stale")
    )

    # Assert
    assert stale.status_code == 409
    assert "changed on another device or tab" in stale.text
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert (card.revision, card.feedback) == (2, "Newest")
        assert {m.value for m in card.marks} == {5}
        assert _count(ScoreSubmission) == 2


def test_r42_late_retry_of_an_older_submission_changes_nothing(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])
    first = _form(final)
    client.post(_url(final), data=first)
    client.post(_url(final), data=_form(final, [5] * 7, base_revision="1"))

    # Act
    retry = client.post(_url(final), data=first)

    # Assert
    assert retry.status_code == 302
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert card.revision == 2
        assert {m.value for m in card.marks} == {5}
        assert _count(ScoreSubmission) == 2


def test_r42_another_judges_submission_key_is_refused(app, final):
    # Arrange
    data = _form(final)
    _client_for(app, final["judge1"]).post(_url(final), data=data)

    # Act
    response = _client_for(app, final["judge2"]).post(_url(final), data=data)

    # Assert
    assert response.status_code == 400
    with app.app_context():
        judges = db.session.scalars(select(Scorecard.judge_id)).all()
        assert judges == [final["judge1_pk"]]


# --- the judging phase: R-06 -----------------------------------------------------------


# Moderation allows revisions with a reason until the chair locks it: see
# tests/judging/test_moderation.py.
@pytest.mark.parametrize(
    "phase",
    [EventPhase.SUBMISSIONS_CLOSED, EventPhase.PUBLISHED],
)
def test_r06_scoring_outside_judging_refused_and_nothing_stored(app, final, phase):
    # Arrange
    with app.app_context():
        _event().phase = phase
        db.session.commit()
    client = _client_for(app, final["judge1"])

    # Act
    response = client.post(_url(final), data=_form(final))

    # Assert
    assert response.status_code == 409
    with app.app_context():
        assert _nothing_stored()


def test_r06_saved_scores_cannot_change_after_judging_closes(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])
    client.post(_url(final), data=_form(final))
    with app.app_context():
        _event().phase = EventPhase.MODERATION
        _event().moderation_locked_at = utcnow()
        db.session.commit()

    # Act: even with a reason, a locked moderation refuses every change
    data = _form(final, [5] * 7, base_revision="1") | {"reason": "Changed my mind"}
    response = client.post(_url(final), data=data)

    # Assert
    assert response.status_code == 409
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert card.revision == 1
        assert [m.value for m in sorted(card.marks, key=lambda m: m.criterion_id)] == (
            J1_P1
        )


def test_r04_judge_cannot_open_an_unsubmitted_pitch(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])

    # Act
    page = client.get(_url(final, "draft_pitch"))
    post = client.post(_url(final, "draft_pitch"), data=_form(final))

    # Assert
    assert (page.status_code, post.status_code) == (404, 404)
    with app.app_context():
        assert _nothing_stored()


# --- conflicts of interest: R-04 -------------------------------------------------------


def test_r04_declared_conflict_hides_the_pitch_on_the_next_request(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])
    assert client.get(_url(final)).status_code == 200

    # Act
    declared = client.post(
        _url(final) + "/conflict", data={"reason": "My sister is in the team"}
    )
    page = client.get(_url(final))
    post = client.post(_url(final), data=_form(final))
    queue = client.get("/events/final/judge")

    # Assert
    assert declared.status_code == 302
    assert declared.headers["Location"] == "/events/final/judge"
    assert (page.status_code, post.status_code) == (404, 404)
    assert "Sip Squad" not in queue.text
    assert "Falls Fixers" in queue.text
    assert "1 pitch is hidden" in queue.text
    with app.app_context():
        conflict = db.session.scalar(select(ConflictDeclaration))
        assert (conflict.judge_id, conflict.pitch_id, conflict.reason) == (
            final["judge1_pk"],
            final["pitch1"],
            "My sister is in the team",
        )
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "conflict.declared")
        )
        assert (entry.actor_id, entry.target_type, entry.target_id) == (
            final["judge1_pk"],
            "Pitch",
            final["pitch1"],
        )
        assert entry.event_id == _event().id
        assert _nothing_stored()


def test_r04_conflict_needs_a_reason(app, final):
    # Arrange
    client = _client_for(app, final["judge1"])

    # Act
    response = client.post(_url(final) + "/conflict", data={"reason": "  "})

    # Assert
    assert response.status_code == 200
    assert client.get(_url(final)).status_code == 200
    with app.app_context():
        assert _count(ConflictDeclaration) == 0


def test_r04_judge_in_the_team_is_automatically_conflicted(app, final):
    # Arrange: the team's lead also sits on the panel
    with app.app_context():
        make_judge(_event(), db.session.get(User, final["lead_pk"]))
        db.session.commit()
    client = _client_for(app, final["lead"])

    # Act
    page = client.get(_url(final))
    post = client.post(_url(final), data=_form(final))
    queue = client.get("/events/final/judge")
    other = client.get(_url(final, "pitch2"))

    # Assert
    assert (page.status_code, post.status_code, other.status_code) == (404, 404, 200)
    # Their own team is in the event navigation ("Your team: Sip Squad"), never in the
    # list of pitches to score.
    listed = queue.text.split("app-event-nav", 1)[1].split("</nav>", 1)[1]
    assert "Your team: Sip Squad" in queue.text
    assert "Sip Squad" not in listed
    with app.app_context():
        assert _nothing_stored()


def test_r04_conflicted_judges_scores_do_not_count(app, final):
    # Arrange: judge 1 scored, then declared a conflict
    with app.app_context():
        pitch = db.session.get(Pitch, final["pitch1"])
        judge1 = db.session.get(User, final["judge1_pk"])
        judge2 = db.session.get(User, final["judge2_pk"])
        make_scorecard(pitch, judge1, J1_P1)
        make_scorecard(pitch, judge2, J2_P1)
        declare_conflict(pitch, judge1)
        db.session.commit()
    client = _client_for(app, final["organiser"])

    # Act
    response = client.get("/events/final/results")

    # Assert
    assert response.status_code == 200
    assert "3.30" in response.text  # judge 2 alone
    assert "3.40" not in response.text  # not the mean with judge 1
    assert "(1 conflicted)" in response.text


# --- confidentiality before publication: R-05 -------------------------------------------


@pytest.fixture
def scored(app, final):
    """Both judges have scored pitch 1; judge 2 has scored pitch 2."""
    with app.app_context():
        p1 = db.session.get(Pitch, final["pitch1"])
        p2 = db.session.get(Pitch, final["pitch2"])
        j1 = db.session.get(User, final["judge1_pk"])
        j2 = db.session.get(User, final["judge2_pk"])
        make_scorecard(p1, j1, J1_P1, feedback=J1_FEEDBACK)
        make_scorecard(p1, j2, J2_P1, feedback=J2_FEEDBACK)
        make_scorecard(p2, j2, J2_P2, feedback="J2 on pitch 2")
        db.session.commit()
    return final


def _assert_no_scores(text: str, *, own_feedback: str | None = None) -> None:
    for figure in SECRET_FIGURES:
        assert figure not in text, figure
    assert "Ranking" not in text
    for feedback in (J1_FEEDBACK, J2_FEEDBACK, "J2 on pitch 2"):
        if feedback != own_feedback:
            assert feedback not in text, feedback


def test_r05_organiser_sees_ranks_and_means(app, scored):
    # Act
    response = _client_for(app, scored["organiser"]).get("/events/final/results")

    # Assert: the positive control for the confidentiality tests below
    assert response.status_code == 200
    assert "Ranking" in response.text
    assert "3.40" in response.text and "1.95" in response.text


@pytest.mark.parametrize("phase", [EventPhase.JUDGING, EventPhase.MODERATION])
def test_r05_nobody_else_sees_scores_before_publication(app, scored, phase):
    # Arrange
    with app.app_context():
        _event().phase = phase
        db.session.commit()
    anonymous = app.test_client()
    judge1 = _client_for(app, scored["judge1"])
    lead = _client_for(app, scored["lead"])
    team_page = f"/events/final/teams/{scored['team1_id']}"

    # Act
    pages = {
        "public (anonymous)": anonymous.get("/events/final"),
        "home (anonymous)": anonymous.get("/"),
        "public (judge)": judge1.get("/events/final"),
        "home (judge)": judge1.get("/"),
        "queue (judge)": judge1.get("/events/final/judge"),
        "scorecard p2 (judge)": judge1.get(_url(scored, "pitch2")),
        "public (team)": lead.get("/events/final"),
        "team page (team)": lead.get(team_page),
        "home (team)": lead.get("/"),
    }
    own_card = judge1.get(_url(scored))
    denied = [
        judge1.get("/events/final/results").status_code,
        judge1.get("/events/final/results.pdf").status_code,
        lead.get("/events/final/results").status_code,
    ]

    # Assert
    for name, response in pages.items():
        assert response.status_code == 200, name
        _assert_no_scores(response.text)
    assert own_card.status_code == 200
    assert J1_FEEDBACK in own_card.text
    _assert_no_scores(own_card.text, own_feedback=J1_FEEDBACK)
    assert denied == [404, 404, 404]


def test_r05_judge_sees_only_own_marks_on_a_scorecard(app, scored):
    # Arrange: once moderation is locked the scorecard page lists the judge's saved marks
    with app.app_context():
        _event().phase = EventPhase.MODERATION
        _event().moderation_locked_at = utcnow()
        db.session.commit()
    judge2 = _client_for(app, scored["judge2"])

    # Act
    response = judge2.get(_url(scored))

    # Assert
    assert J2_FEEDBACK in response.text
    assert J1_FEEDBACK not in response.text
    with app.app_context():
        criteria = _event().criteria
    marks = [
        int(value)
        for value in re.findall(r'summary-list__value">(\d)</dd>', response.text)
    ]
    assert marks == J2_P1
    assert len(marks) == len(criteria)


# --- publication: R-05, R-07 -----------------------------------------------------------


def _to_moderation(app) -> None:
    """Move to moderation, lock it and sign the results off, as the chair does before
    publication (the funding steps are tested in tests/judging/test_funding.py)."""
    with app.app_context():
        _event().phase = EventPhase.MODERATION
        _event().moderation_locked_at = utcnow()
        _event().signed_off_at = utcnow()
        db.session.commit()


def test_r07_publish_with_fresh_login_publishes_and_audits(app, scored):
    # Arrange
    _to_moderation(app)
    client = app.test_client()
    client.post("/login", data={"email": "org@example.org", "password": PASSWORD})

    # Act
    response = client.post("/events/final/results/publish")

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/final"
    with app.app_context():
        event = _event()
        assert event.phase == EventPhase.PUBLISHED
        assert event.published_at is not None
        entries = {
            e.action: e
            for e in db.session.scalars(
                select(AuditEntry).where(AuditEntry.event_id == event.id)
            )
        }
        organiser_pk = int(scored["organiser"].split(":")[0])
        assert entries["results.published"].actor_id == organiser_pk
        changed = entries["event.phase_changed"]
        assert changed.actor_id == organiser_pk
        assert changed.detail == '{"new": "published", "old": "moderation"}'


def test_r05_public_page_shows_ranks_after_publication_but_no_feedback(app, scored):
    # Arrange
    _to_moderation(app)
    organiser = app.test_client()
    organiser.post("/login", data={"email": "org@example.org", "password": PASSWORD})
    organiser.post("/events/final/results/publish")

    # Act
    response = app.test_client().get("/events/final")

    # Assert
    assert response.status_code == 200
    assert "Ranking" in response.text
    assert "3.40" in response.text and "1.95" in response.text
    assert response.text.index("Sip Squad") < response.text.index("Falls Fixers")
    # The mean is public; individual judges' scores and feedback are not.
    assert "3.50" not in response.text and "3.30" not in response.text
    assert J1_FEEDBACK not in response.text and J2_FEEDBACK not in response.text


def test_r07_publish_from_remembered_session_needs_a_fresh_login(app, scored):
    # Arrange: signed in with "keep me signed in", then the browser session ended
    _to_moderation(app)
    client = app.test_client()
    client.post(
        "/login",
        data={"email": "org@example.org", "password": PASSWORD, "remember": "y"},
    )
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert client.get("/events/final/results").status_code == 200  # remembered

    # Act
    response = client.post("/events/final/results/publish")

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    with app.app_context():
        assert _event().phase == EventPhase.MODERATION
        assert _event().published_at is None
        assert "results.published" not in _actions()


def test_r07_publish_refused_outside_moderation(app, scored):
    # Arrange: still judging
    client = app.test_client()
    client.post("/login", data={"email": "org@example.org", "password": PASSWORD})

    # Act
    response = client.post("/events/final/results/publish")

    # Assert
    assert response.headers["Location"] == "/events/final/results"
    with app.app_context():
        assert _event().phase == EventPhase.JUDGING
        assert "results.published" not in _actions()


def test_r07_judge_cannot_publish(app, scored):
    # Arrange
    _to_moderation(app)
    client = app.test_client()
    client.post("/login", data={"email": "j1@example.org", "password": PASSWORD})

    # Act
    response = client.post("/events/final/results/publish")

    # Assert
    assert response.status_code == 404
    with app.app_context():
        assert _event().phase == EventPhase.MODERATION


def test_r21_csrf_failure_keeps_the_judges_input_and_a_retry_saves(csrf_app, final):
    client = csrf_app.test_client()
    sign_in(client, final["judge1"])
    form = _form(final, feedback="KEEP-THIS-FEEDBACK")

    expired = client.post(_url(final), data=form)  # no (or an expired) CSRF token

    page = expired.get_data(as_text=True)
    assert expired.status_code == 400
    assert "KEEP-THIS-FEEDBACK" in page
    assert "Everything you entered is still here" in page
    checked = re.findall(r'name="(mark_\d+)" type="radio" value="(\d)" checked', page)
    assert sorted(checked) == sorted(
        (f"mark_{cid}", str(v)) for cid, v in zip(final["criteria"], J1_P1, strict=True)
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    with csrf_app.app_context():
        assert _nothing_stored()
        assert "csrf.failure" in _actions()

    retried = client.post(_url(final), data=form | {"csrf_token": token})

    assert retried.status_code == 302
    with csrf_app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert (card.feedback, card.judge_id) == (
            "KEEP-THIS-FEEDBACK",
            final["judge1_pk"],
        )
