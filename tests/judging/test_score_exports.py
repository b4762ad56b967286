"""Score exports (issue 4, item 8): a card that does not count says why."""

import json

from sqlalchemy import select

from auth.models import User
from events.models import EventPhase
from extensions import db
from tests.factories import (
    declare_conflict,
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    sign_in,
)


def test_a_conflicted_card_is_exported_as_not_counted_with_the_reason(app, client):
    with app.app_context():
        event = make_event(slug="exp", phase=EventPhase.MODERATION)
        judge = make_judge(event)
        team = make_team(event, name="=cmd|' /C calc'!A0", submitted=True)
        make_scorecard(team.pitch, judge, [4] * 7, event)
        declare_conflict(team.pitch, judge, "Works with them")
        db.session.commit()
        organiser = db.session.scalar(select(User).where(User.is_organiser.is_(True)))
        sign_in(client, organiser)

    rows = json.loads(client.get("/events/exp/results/scores-by-judge.json").data)[
        "rows"
    ]
    as_csv = client.get("/events/exp/results/scores-by-judge.csv").text

    assert len(rows) == 1
    assert (rows[0]["counted"], rows[0]["why_not_counted"]) == (
        False,
        "conflict of interest",
    )
    assert rows[0]["weighted_score"] == "4.00"
    assert "'=cmd|' /C calc'!A0" in as_csv  # the formula is defused in CSV
