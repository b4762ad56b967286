"""The optional draw among pitches tied at the funding line (scoring rule 8): declared
before judging, its seed drawn when the chair locks moderation, applied to the ranking
and printed with the results."""

import hashlib
import json
import re

import pytest
from sqlalchemy import select

from auth.models import AuditEntry, User
from events.models import Event, EventPhase
from extensions import db
from tests.factories import (
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
    sign_in,
)

SLUG = "draw"
# T01 leads; T02, T03 and T04 tie on every criterion; T05 trails. Each asks £1,000 and
# the pot is £2,000, so the funding line falls inside the tie.
MARKS = {"T01": 5, "T02": 4, "T03": 4, "T04": 4, "T05": 2}


@pytest.fixture
def tied(app):
    with app.app_context():
        organiser = make_user(is_organiser=True)
        event = make_event(organiser, slug=SLUG, pot=2_000, cap=1_000)
        chair = make_judge(event, chair=True)
        pitches = {}
        for ref in MARKS:
            team = make_team(event, submitted=True)
            team.ref = ref
            team.pitch.funding_requested = 1_000
            pitches[ref] = team.pitch
        db.session.commit()
        return {
            "event_id": event.id,
            "organiser": organiser.id,
            "chair": chair.id,
            "pitches": pitches,
        }


def _client(app, user_id):
    client = app.test_client()
    with app.app_context():
        sign_in(client, db.session.get(User, user_id))
    return client


def _score_and_lock(app, tied):
    with app.app_context():
        event = db.session.get(Event, tied["event_id"])
        chair = db.session.get(User, tied["chair"])
        event.phase = EventPhase.JUDGING
        for ref, mark in MARKS.items():
            pitch = db.session.merge(tied["pitches"][ref], load=True)
            make_scorecard(pitch, chair, [mark] * 7, event)
        event.phase = EventPhase.MODERATION
        db.session.commit()
    response = _client(app, tied["chair"]).post(f"/events/{SLUG}/moderation/lock")
    assert response.status_code == 302


def _ranking(app, tied):
    from judging import services

    with app.app_context():
        results = services.compute_results(db.session.get(Event, tied["event_id"]))
        return results, [
            (row.team.ref, row.rank, row.ranked.tied) for row in results.rows
        ]


def test_declared_draw_orders_the_tie_at_the_funding_line(app, tied):
    organiser = _client(app, tied["organiser"])
    page = organiser.get(f"/events/{SLUG}/rubric").text
    assert "Draw lots between pitches still tied at the funding line" in page
    saved = organiser.post(
        f"/events/{SLUG}/rubric/method", data={"method": "mean", "tie_draw": "y"}
    )
    assert saved.status_code == 302
    with app.app_context():
        event = db.session.get(Event, tied["event_id"])
        assert (event.funding_tie_draw, event.funding_tie_seed) == (True, None)
        declared = db.session.scalar(
            select(AuditEntry.detail).where(
                AuditEntry.action == "results_method.declared"
            )
        )
        assert json.loads(declared)["tie_draw"] is True

    _score_and_lock(app, tied)

    with app.app_context():
        event = db.session.get(Event, tied["event_id"])
        seed = event.funding_tie_seed
        assert re.fullmatch(r"[0-9a-f]{16}", seed)
        locked = db.session.scalar(
            select(AuditEntry.detail).where(AuditEntry.action == "moderation.locked")
        )
        assert json.loads(locked)["tie_draw_seed"] == seed
    results, ranking = _ranking(app, tied)
    expected = sorted(
        ("T02", "T03", "T04"),
        key=lambda ref: hashlib.sha256(f"{seed}:{ref}".encode()).hexdigest(),
    )
    assert [ref for ref, _, _ in ranking] == ["T01", *expected, "T05"]
    assert [rank for _, rank, _ in ranking] == [1, 2, 3, 4, 5]
    assert not any(tied_ for _, _, tied_ in ranking)
    assert [t.ref for t in results.draw.tickets] == expected

    page = organiser.get(f"/events/{SLUG}/results").text
    assert f"The draw at the funding line (seed {seed})" in page
    for ref in expected:
        digest = hashlib.sha256(f"{seed}:{ref}".encode()).hexdigest()
        assert digest in page
    # Only the method statement names the rule: no row is left for the chair.
    assert page.count("Tied: the chair decides") == 1
    assert "placed 1 of 3 by the declared draw" in page
    # The declared method's column (the first) of "Other methods" agrees with it.
    methods_table = page[
        page.index('id="methods"') : page.index("Is the result robust?")
    ]
    declared_column = re.findall(
        r'scope="row">(T0\d)[^<]*</th>\s*<td[^>]*>[^<]*'
        r'<span class="nhsuk-body-s">\(rank (\d)(, tied)?\)',
        methods_table,
    )
    assert declared_column == [(ref, str(rank), "") for ref, rank, _ in ranking]


def test_without_a_declared_draw_the_chair_decides(app, tied):
    _score_and_lock(app, tied)

    with app.app_context():
        event = db.session.get(Event, tied["event_id"])
        assert (event.funding_tie_draw, event.funding_tie_seed) == (False, None)
        locked = db.session.scalar(
            select(AuditEntry.detail).where(AuditEntry.action == "moderation.locked")
        )
        assert "tie_draw_seed" not in json.loads(locked)
    results, ranking = _ranking(app, tied)
    assert ranking == [
        ("T01", 1, False),
        ("T02", 2, True),
        ("T03", 2, True),
        ("T04", 2, True),
        ("T05", 5, False),
    ]
    assert results.draw is None
    page = _client(app, tied["organiser"]).get(f"/events/{SLUG}/results").text
    assert page.count("Tied: the chair decides") > 1  # the statement and the rows
    assert "The draw at the funding line" not in page


def test_the_draw_is_locked_with_the_method_once_judging_starts(app, tied):
    with app.app_context():
        db.session.get(Event, tied["event_id"]).phase = EventPhase.JUDGING
        db.session.commit()
    organiser = _client(app, tied["organiser"])
    organiser.post(
        f"/events/{SLUG}/rubric/method", data={"method": "mean", "tie_draw": "y"}
    )
    with app.app_context():
        assert db.session.get(Event, tied["event_id"]).funding_tie_draw is False
    page = organiser.get(f"/events/{SLUG}/rubric").text
    assert "No draw at the funding line: the chair decides ties." in page
