"""extensions.Prepared: a Core statement run on the driver's cursor must store and read
exactly what SQLAlchemy's own execution does, on SQLite and on PostgreSQL."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError

from auth.models import AuditEntry, User
from events.models import Criterion, Event, EventPhase
from extensions import Prepared, db
from judging import saving
from judging.models import Recommendation, Scorecard, ScoreSubmission
from tests.factories import make_event, make_judge, make_team

_cards = Scorecard.__table__
# The save's own statements (judging/saving.py), and a plain select to compare.
_NEW_CARD, _NEW_KEY = saving._NEW_CARD, saving._NEW_KEY
_CARD = select(
    _cards.c.id,
    _cards.c.recommendation,
    _cards.c.submitted_at,
    _cards.c.feedback,
).where(_cards.c.pitch_id == bindparam("pitch_id"))


@pytest.fixture
def scene(app):
    with app.app_context():
        event = make_event(slug="prep", phase=EventPhase.JUDGING)
        judge = make_judge(event)
        pitches = [make_team(event, submitted=True).pitch for _ in range(2)]
        db.session.commit()
        yield event, judge, pitches


def _card(pitch, judge, recommendation, feedback="Clear plan") -> dict:
    now = datetime(2026, 11, 23, 14, 32, 5, 123456, tzinfo=UTC)
    return {
        "pitch_id": pitch.id,
        "judge_id": judge.id,
        "revision": 1,
        "submitted_at": now,
        "updated_at": now,
        "feedback": feedback,
        "recommendation": recommendation,
        "conditions": "",
        "private_notes": "",
    }


def test_an_insert_stores_what_the_orm_reads_back(scene):
    event, judge, (pitch, _) = scene
    conn = db.session.connection()

    (card_id,) = _NEW_CARD.first(
        conn, _card(pitch, judge, Recommendation.FUND_WITH_CONDITIONS)
    )
    db.session.commit()

    card = db.session.get(Scorecard, card_id)
    assert card.pitch_id == pitch.id and card.judge_id == judge.id
    assert card.recommendation is Recommendation.FUND_WITH_CONDITIONS
    # An aware UTC datetime in, the same aware datetime out (extensions.UTCDateTime).
    assert card.submitted_at == datetime(2026, 11, 23, 14, 32, 5, 123456, tzinfo=UTC)
    assert card.submitted_at.tzinfo is not None


def test_a_select_converts_every_column_as_sqlalchemy_does(scene):
    event, judge, (pitch, other) = scene
    conn = db.session.connection()
    _NEW_CARD.first(conn, _card(pitch, judge, Recommendation.SUPPORT_NOT_CASH))
    _NEW_CARD.first(conn, _card(other, judge, None, feedback="No recommendation"))

    for pitch_id in (pitch.id, other.id):
        ours = Prepared(_CARD).mapping(conn, {"pitch_id": pitch_id})
        theirs = dict(conn.execute(_CARD, {"pitch_id": pitch_id}).mappings().one())
        assert ours == theirs
    assert ours["recommendation"] is None  # NULL stays None
    assert Prepared(_CARD).first(conn, {"pitch_id": -1}) is None
    assert Prepared(_CARD).all(conn, {"pitch_id": -1}) == []


def test_the_scorecard_context_matches_sqlalchemys_own_execution(scene):
    """The save's locked query: enums, booleans, a datetime, repeated parameters."""
    event, judge, (pitch, _) = scene
    conn = db.session.connection()
    (card_id,) = _NEW_CARD.first(conn, _card(pitch, judge, Recommendation.FUND))
    _NEW_KEY.run(
        conn,
        {
            "key": "k-1",
            "judge_id": judge.id,
            "scorecard_id": card_id,
            "revision": 1,
            "at": datetime.now(UTC),
        },
    )
    values = {"slug": "prep", "pitch_id": pitch.id, "judge_id": judge.id, "key": "k-1"}

    ours = saving._CONTEXT.mapping(conn, values)
    theirs = dict(conn.execute(saving._CONTEXT.statement, values).mappings().one())

    assert ours == theirs
    assert ours["phase"] is EventPhase.JUDGING
    assert (ours["scorecard_id"], ours["key_scorecard_id"]) == (card_id, card_id)
    assert ours["voided"] is False and ours["conflicted"] is False


def test_the_rubric_reads_as_the_orm_does(scene):
    event, judge, _ = scene
    rows = saving._RUBRIC.all(db.session.connection(), {"slug": "prep"})
    weights = db.session.scalars(
        select(Criterion.weight)
        .where(Criterion.event_id == event.id)
        .order_by(Criterion.position)
    ).all()
    assert [row[7] for row in rows] == weights
    assert {type(row[7]) for row in rows} == {int}
    assert {row[1] for row in rows} == {EventPhase.JUDGING}


def test_many_rows_in_one_call(scene):
    event, judge, (pitch, _) = scene
    conn = db.session.connection()
    (card_id,) = _NEW_CARD.first(conn, _card(pitch, judge, Recommendation.FUND))
    keys = [str(uuid.uuid4()) for _ in range(3)]
    _NEW_KEY.run_many(
        conn,
        [
            {
                "key": key,
                "judge_id": judge.id,
                "scorecard_id": card_id,
                "revision": n,
                "at": datetime.now(UTC),
            }
            for n, key in enumerate(keys, 1)
        ],
    )
    stored = db.session.execute(
        select(ScoreSubmission.key, ScoreSubmission.revision).order_by(
            ScoreSubmission.revision
        )
    ).all()
    assert [tuple(r) for r in stored] == [(k, n) for n, k in enumerate(keys, 1)]


def test_driver_errors_are_sqlalchemys(scene):
    """Callers catch SQLAlchemy's exceptions (a busy database is OperationalError, R-46),
    so a statement on the driver's cursor must raise those too."""
    event, judge, (pitch, _) = scene
    conn = db.session.connection()
    _NEW_CARD.first(conn, _card(pitch, judge, Recommendation.FUND))
    with pytest.raises(IntegrityError):  # one scorecard per judge per pitch
        _NEW_CARD.first(conn, _card(pitch, judge, Recommendation.FUND))
    db.session.rollback()
    assert db.session.scalar(select(Scorecard.id)) is None


def test_expanding_parameters_are_refused(app):
    statement = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    with app.app_context():
        with pytest.raises(ValueError, match="expanding"):
            Prepared(statement).all(db.session.connection(), {"ids": [1]})


def test_one_compilation_per_dialect(scene):
    prepared = Prepared(select(Event.id).where(Event.slug == bindparam("slug")))
    conn = db.session.connection()
    assert prepared.first(conn, {"slug": "prep"}) == (scene[0].id,)
    assert prepared.first(conn, {"slug": "none"}) is None
    assert list(prepared._plans) == [conn.dialect.name]


def test_values_sqlalchemy_would_fill_are_refused(app):
    """A literal's parameter or a column default left out of column_keys would be filled
    by SQLAlchemy's execution; a Prepared statement says so instead of failing later."""
    literal = select(User.id).where(User.id == 5)
    defaulted = Prepared(insert(AuditEntry.__table__), ["action"])  # "at", "detail"
    with app.app_context():
        conn = db.session.connection()
        with pytest.raises(ValueError, match="by name"):
            Prepared(literal).all(conn, {})
        with pytest.raises(ValueError, match=r"\['at', 'detail'\]"):
            defaulted.run(conn, {"action": "x"})
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
