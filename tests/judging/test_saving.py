"""The lean scorecard save path (judging/saving.py): what it stores, which transaction
holds SQLite's write lock, and that the ORM never keeps a stale copy of what it wrote."""

import json
import sqlite3
import uuid

import pytest
from flask import g
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from auth import audit
from auth.models import AuditEntry
from events.models import EventPhase
from extensions import db, utcnow
from judging import services
from judging.models import Mark, Recommendation, Scorecard, ScoreSubmission
from tests.factories import make_event, make_judge, make_team, sign_in
from tests.sqllog import sql_log


@pytest.fixture
def panel(app):
    with app.app_context():
        event = make_event(slug="den", phase=EventPhase.JUDGING)
        judge = make_judge(event)
        pitch = make_team(event, submitted=True).pitch
        db.session.commit()
        return {
            "judge": judge.get_id(),
            "judge_pk": judge.id,
            "pitch": pitch.id,
            "criteria": [c.id for c in event.criteria],
        }


def _body(panel, values, *, base=0, key=None, recommendation="fund_with_conditions"):
    return {
        f"mark_{c}": str(v) for c, v in zip(panel["criteria"], values, strict=True)
    } | {
        "feedback": "Good evidence of need.",
        "recommendation": recommendation,
        "conditions": "Name a clinical lead",
        "private_notes": "ask about the pilot ward",
        "submission_key": key or str(uuid.uuid4()),
        "base_revision": str(base),
    }


def _save(client, panel, body):
    return client.post(
        f"/events/den/judge/pitches/{panel['pitch']}",
        data=body,
        headers={"Accept": "application/json"},
    )


def test_json_save_stores_the_card_marks_key_and_audit_line(app, panel):
    client = app.test_client()
    sign_in(client, panel["judge"])
    body = _body(panel, [5, 4, 3, 2, 1, 2, 3])

    response = _save(client, panel, body)

    assert response.status_code == 200
    assert response.json["status"] == "saved"
    assert (response.json["revision"], response.json["replayed"]) == (1, False)
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert (card.judge_id, card.pitch_id, card.revision) == (
            panel["judge_pk"],
            panel["pitch"],
            1,
        )
        assert (card.recommendation, card.conditions, card.private_notes) == (
            Recommendation.FUND_WITH_CONDITIONS,
            "Name a clinical lead",
            "ask about the pilot ward",
        )
        assert card.updated_at == card.submitted_at
        assert card.updated_at.tzinfo is not None
        assert {m.criterion_id: m.value for m in card.marks} == dict(
            zip(panel["criteria"], [5, 4, 3, 2, 1, 2, 3], strict=True)
        )
        key = db.session.scalar(select(ScoreSubmission))
        assert (key.key, key.scorecard_id, key.revision) == (
            body["submission_key"],
            card.id,
            1,
        )
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "score.saved")
        )
        assert (entry.actor_id, entry.target_type, entry.target_id) == (
            panel["judge_pk"],
            "Scorecard",
            card.id,
        )
        assert entry.request_id  # the request's id, as every audit line carries
        detail = json.loads(entry.detail)
        assert detail["old"] == {}
        assert detail["new"] == {
            str(c): v
            for c, v in zip(panel["criteria"], [5, 4, 3, 2, 1, 2, 3], strict=True)
        }
        # Private notes never reach the audit log.
        assert "pilot ward" not in entry.detail


def test_a_save_that_cannot_get_the_write_lock_is_busy_and_stores_nothing(app, panel):
    """R-46: SQLite busy past its timeout answers 503 "busy", so the tablet keeps the
    scorecard and retries; the BEGIN IMMEDIATE goes straight to the driver
    (extensions._sqlite_on_begin) and must still raise SQLAlchemy's OperationalError."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    client = app.test_client()
    sign_in(client, panel["judge"])
    with app.app_context():
        engine = db.engine
        path = engine.url.database
    engine.dispose()

    def short_wait(dbapi_connection, record_):
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    sa_event.listen(engine, "connect", short_wait)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        response = _save(client, panel, _body(panel, [3] * 7))
        holder.execute("ROLLBACK")
    finally:
        holder.close()
        sa_event.remove(engine, "connect", short_wait)

    assert response.status_code == 503
    assert response.json["status"] == "busy"
    with app.app_context():
        assert db.session.scalar(select(func.count(Scorecard.id))) == 0
    # Once the lock is free the same scorecard saves.
    assert _save(client, panel, _body(panel, [3] * 7)).status_code == 200


def test_json_revision_updates_marks_in_place_and_audits_old_and_new(app, panel):
    client = app.test_client()
    sign_in(client, panel["judge"])
    assert _save(client, panel, _body(panel, [4] * 7)).status_code == 200
    with app.app_context():
        mark_ids = set(db.session.scalars(select(Mark.id)))

    response = _save(
        client,
        panel,
        _body(panel, [2, 3, 4, 5, 1, 2, 3], base=1, recommendation="fund"),
    )

    assert (response.status_code, response.json["revision"]) == (200, 2)
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert (card.revision, card.recommendation, card.conditions) == (
            2,
            Recommendation.FUND,
            "",  # conditions belong to "fund with conditions" only
        )
        assert [m.value for m in sorted(card.marks, key=lambda m: m.criterion_id)] == [
            2,
            3,
            4,
            5,
            1,
            2,
            3,
        ]
        assert set(db.session.scalars(select(Mark.id))) == mark_ids  # updated in place
        lines = db.session.scalars(
            select(AuditEntry.detail)
            .where(AuditEntry.action == "score.saved")
            .order_by(AuditEntry.id)
        ).all()
        assert json.loads(lines[1])["old"] == {str(c): 4 for c in panel["criteria"]}


def test_json_save_reads_the_user_outside_the_write_lock(app, panel):
    """Who is signed in, their roles and the rubric are read in one deferred
    transaction; the IMMEDIATE one that holds SQLite's write lock has only the save's
    own statements."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's transaction kinds")
    client = app.test_client()
    sign_in(client, panel["judge"])

    with sql_log(app) as statements:
        response = _save(client, panel, _body(panel, [3] * 7))

    assert response.status_code == 200
    begins = [i for i, s in enumerate(statements) if s.startswith("BEGIN")]
    immediate = [i for i in begins if statements[i] == "BEGIN IMMEDIATE"]
    assert len(immediate) == 1
    locked = statements[immediate[0] + 1 :]
    before = statements[: immediate[0]]
    assert statements[0] == "BEGIN"  # deferred: sign-in, roles and rubric only read
    assert [s for s in before if s.startswith("BEGIN")] == ["BEGIN"]
    assert any("FROM users" in s for s in before)
    assert any("JOIN criteria" in s for s in before)
    assert not any("FROM users" in s for s in locked)
    assert not any("criteria" in s for s in locked)
    assert not any(s.startswith("BEGIN") for s in locked)
    writes = [s.split(" (")[0] for s in locked if s.startswith("INSERT")]
    # The driver traces each row of the marks' one executemany.
    assert writes.count("INSERT INTO marks") == 7
    assert sorted(set(writes)) == [
        "INSERT INTO audit_entries",
        "INSERT INTO marks",
        "INSERT INTO score_submissions",
        "INSERT INTO scorecards",
    ]
    # The context read (submission key included): nothing else.
    assert len([s for s in locked if s.startswith("SELECT")]) == 1


def test_service_revision_refreshes_a_scorecard_the_session_already_holds(app):
    with app.app_context():
        event = make_event(phase=EventPhase.JUDGING)
        judge = make_judge(event)
        pitch = make_team(event, submitted=True).pitch

        def data(value, key, base):
            return services.ScoreInput(
                marks={c.id: value for c in event.criteria},
                feedback="Fine.",
                recommendation=Recommendation.FUND,
                submission_key=key,
                base_revision=base,
            )

        services.record_scorecard(judge, event, pitch, data(4, "first", 0))
        card = services.get_scorecard(pitch, judge)  # loaded, marks and all
        assert {m.value for m in card.marks} == {4}

        services.record_scorecard(judge, event, pitch, data(2, "second", 1))

        assert card.revision == 2
        assert {m.value for m in card.marks} == {2}


def test_audit_write_stores_the_same_line_as_record(app):
    with app.test_request_context("/"):
        g.request_id = "req-123"
        now = utcnow()
        audit.write(
            db.session.connection(),
            "score.saved",
            actor_id=None,
            event_id=None,
            target_type="Scorecard",
            target_id=7,
            at=now,
            note="two\nlines",
        )
        audit.record("score.saved", note="two\nlines")
        db.session.commit()
        written, recorded = db.session.scalars(
            select(AuditEntry).order_by(AuditEntry.id)
        ).all()

        assert (written.target_type, written.target_id, written.at) == (
            "Scorecard",
            7,
            now,
        )
        assert written.detail == recorded.detail == '{"note": "two\\\\x0alines"}'
        assert written.request_id == recorded.request_id == "req-123"
