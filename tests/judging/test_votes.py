"""People's Choice (judging/votes.py): declared rules, one ballot per device, the tally,
the optional blend, and where it shows (never before publication to the public)."""

import hashlib
import json
import re
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from auth.models import AuditEntry, User
from demo import data as demo_data
from demo.services import ballots, load_demo
from events.models import Event, EventPhase
from extensions import db
from judging import votes
from judging.vote_models import Ballot, BallotPick, PeoplesChoice
from tests.factories import (
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
    sign_in,
)

SLUG = "vote"


# --- the pure rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("votes_by_pitch", "order", "expected"),
    [
        ({1: 5, 2: 9, 3: 5}, [1, 2, 3], [(2, 1), (1, 2), (3, 2)]),
        ({1: 1, 2: 1, 3: 1}, [3, 1, 2], [(3, 1), (1, 1), (2, 1)]),
        ({2: 4}, [1, 2, 3], [(2, 1), (1, 2), (3, 2)]),  # no vote is 0 votes
        ({}, [1, 2], [(1, 1), (2, 1)]),
    ],
)
def test_rank_votes_shares_ranks_for_equal_votes(votes_by_pitch, order, expected):
    assert votes.rank_votes(votes_by_pitch, order) == expected


def test_blend_worked_by_hand():
    # Scale 1-5, audience weight 20%. Most votes: 10.
    # Pitch 1: panel 4, votes 0  -> audience 1,  blended 0.8*4   + 0.2*1   = 3.4
    # Pitch 2: panel 3, votes 10 -> audience 5,  blended 0.8*3   + 0.2*5   = 3.4
    # Pitch 3: panel 7/2, votes 5 -> audience 3, blended 0.8*3.5 + 0.2*3   = 3.4
    # All blend to 3.4: ordered by panel score, and all differ there, so ranks 1, 2, 3.
    rows = votes.blend(
        {1: Fraction(4), 2: Fraction(3), 3: Fraction(7, 2)}, {2: 10, 3: 5}, 20, 1, 5
    )
    assert [(r.pitch_id, r.rank) for r in rows] == [(1, 1), (3, 2), (2, 3)]
    assert {r.blended for r in rows} == {Fraction(17, 5)}
    assert [r.audience for r in rows] == [1, 3, 5]


def test_blend_equal_panel_and_blended_share_a_rank():
    rows = votes.blend({1: Fraction(3), 2: Fraction(3)}, {1: 2, 2: 2}, 50, 1, 5)
    assert [r.rank for r in rows] == [1, 1]


def test_demo_ballots_add_up_to_domain_12_7():
    rules = demo_data.PEOPLES_CHOICE
    cast = ballots(rules["votes"], rules["picks"], rules["voters"])
    assert len(cast) == 148
    assert all(len(set(b)) == 3 for b in cast)
    counted = {}
    for ballot in cast:
        for ref in ballot:
            counted[ref] = counted.get(ref, 0) + 1
    assert counted == rules["votes"]
    assert sum(counted.values()) == 444


# --- the flow ----------------------------------------------------------------------------


@pytest.fixture
def vote_event(app):
    with app.app_context():
        organiser = make_user(is_organiser=True)
        event = make_event(organiser, slug=SLUG, phase=EventPhase.JUDGING)
        chair = make_judge(event, chair=True)
        teams = [make_team(event, submitted=True, name=f"Team {n}") for n in range(3)]
        practice = make_team(event, submitted=True, name="Practice team")
        practice.pitch.is_practice = True
        other = make_event(make_user(is_organiser=True), slug="other-vote")
        stranger_pitch = make_team(other, submitted=True).pitch
        for team, mark in zip(teams, (4, 3, 2), strict=True):
            make_scorecard(team.pitch, chair, [mark] * 7, event)
        db.session.commit()
        return {
            "organiser": organiser.id,
            "pitches": [t.pitch.id for t in teams],
            "practice": practice.pitch.id,
            "stranger": stranger_pitch.id,
            "event_id": event.id,
        }


def _organiser(app, ids):
    client = app.test_client()
    with app.app_context():
        sign_in(client, db.session.get(User, ids["organiser"]))
    return client


def _ballots(app):
    with app.app_context():
        return sorted(
            (b.device_digest, sorted(p.pitch_id for p in b.picks))
            for b in db.session.scalars(select(Ballot))
        )


def _cookie(client):
    return next(c.value for c in client._cookies.values() if c.key.endswith("pp-voter"))


def test_the_whole_vote(app, vote_event):
    ids = vote_event
    organiser = _organiser(app, ids)
    audience = app.test_client()

    # Nothing is declared: the ballot says voting is not open; the screen is not there.
    assert "Voting is not open yet" in audience.get(f"/events/{SLUG}/vote").text
    assert audience.get(f"/events/{SLUG}/peoples-choice/screen").status_code == 404

    # Declare: two picks, blended at 20%.
    page = organiser.get(f"/events/{SLUG}/peoples-choice").text
    assert "How many different pitches does each voter choose?" in page
    saved = organiser.post(
        f"/events/{SLUG}/peoples-choice/rules",
        data={"picks": "2", "blend_percent": "20"},
    )
    assert saved.status_code == 302
    bad = organiser.post(
        f"/events/{SLUG}/peoples-choice/rules",
        data={"picks": "2", "blend_percent": "５"},
    )
    assert bad.status_code == 400
    with app.app_context():
        vote = db.session.scalar(select(PeoplesChoice))
        assert (vote.picks, vote.blend_percent, vote.opened_at) == (2, 20, None)
    # Declared but not open: organisers may preview the screen, the public may not.
    assert audience.get(f"/events/{SLUG}/peoples-choice/screen").status_code == 404
    assert organiser.get(f"/events/{SLUG}/peoples-choice/screen").status_code == 200

    assert organiser.post(f"/events/{SLUG}/peoples-choice/open").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(PeoplesChoice)).opened_at is not None
    # The rules are fixed once open.
    organiser.post(
        f"/events/{SLUG}/peoples-choice/rules",
        data={"picks": "1", "blend_percent": "0"},
    )
    with app.app_context():
        vote = db.session.scalar(select(PeoplesChoice))
        assert (vote.picks, vote.blend_percent) == (2, 20)

    # The projector: QR code, ballot address and count, no votes.
    screen = audience.get(f"/events/{SLUG}/peoples-choice/screen").text
    assert "<svg" in screen and f"/events/{SLUG}/vote" in screen
    assert ">0 ballots</p>" in screen

    # The ballot lists the real pitches, not the practice pitch.
    ballot = audience.get(f"/events/{SLUG}/vote").text
    assert "Choose your 2 favourite pitches" in ballot
    for n in range(3):
        assert f"Team {n}</label>" in ballot
    assert f'value="{ids["practice"]}"' not in ballot

    p0, p1, p2 = ids["pitches"]
    for picks, message in [
        ([p0], "Choose 2 different pitches: you chose 1"),
        ([p0, p1, p2], "Choose 2 different pitches: you chose 3"),
        ([p0, p0], "Choose each pitch only once"),
        ([p0, ids["practice"]], "Choose from the pitches on the ballot"),
        ([p0, ids["stranger"]], "Choose from the pitches on the ballot"),
    ]:
        refused = audience.post(f"/events/{SLUG}/vote", data={"pitch": picks})
        assert refused.status_code == 400, picks
        assert message in refused.text
    assert _ballots(app) == []

    cast = audience.post(f"/events/{SLUG}/vote", data={"pitch": [p0, p1]})
    assert cast.status_code == 302
    token = _cookie(audience)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert _ballots(app) == [(digest, sorted([p0, p1]))]
    # The same device: thanked, and a second ballot is refused.
    assert "Thank you for voting" in audience.get(f"/events/{SLUG}/vote").text
    again = audience.post(f"/events/{SLUG}/vote", data={"pitch": [p1, p2]})
    assert "Thank you for voting" in again.text
    assert len(_ballots(app)) == 1

    for picks in ([p1, p2], [p1, p0]):
        other = app.test_client()
        assert (
            other.post(f"/events/{SLUG}/vote", data={"pitch": picks}).status_code == 302
        )
    with app.app_context():
        event = db.session.get(Event, ids["event_id"])
        tally = votes.tally(event)
        assert [(r.pitch.id, r.votes, r.rank) for r in tally.rows] == [
            (p1, 3, 1),
            (p0, 2, 2),
            (p2, 1, 3),
        ]
        assert (tally.ballots, tally.votes_cast) == (3, 6)
    assert "3 ballots" in organiser.get(f"/events/{SLUG}/peoples-choice").text

    # Closing is final: no more ballots, no reopening.
    assert organiser.post(f"/events/{SLUG}/peoples-choice/close").status_code == 302
    late = app.test_client()
    assert (
        "Voting has closed"
        in late.post(f"/events/{SLUG}/vote", data={"pitch": [p0, p2]}).text
    )
    organiser.post(f"/events/{SLUG}/peoples-choice/open")
    with app.app_context():
        assert db.session.scalar(select(PeoplesChoice)).closed_at is not None
        assert db.session.scalar(select(func.count(Ballot.id))) == 3
        actions = [
            (a.action, json.loads(a.detail))
            for a in db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.like("vote.%"))
                .order_by(AuditEntry.id)
            )
        ]
        assert [a for a, _ in actions] == [
            "vote.declared",
            "vote.opened",
            "vote.closed",
        ]
        assert actions[0][1]["new"] == {"picks": 2, "blend_percent": 20}
        assert actions[2][1]["ballots"] == 3

    # Results: the tally and the blend, worked by hand. Panel means 4, 3, 2 (scale 1-5);
    # votes 2, 3, 1 of most 3 -> audience 1 + 4*2/3 = 11/3, 5, 1 + 4/3 = 7/3.
    # Blended: 0.8*4 + 0.2*11/3 = 3.93; 0.8*3 + 0.2*5 = 3.40; 0.8*2 + 0.2*7/3 = 2.07.
    results = organiser.get(f"/events/{SLUG}/results").text
    assert "People&#39;s Choice</h2>" in results or "People's Choice</h2>" in results
    assert "Blended ranking (80% panel, 20% audience)" in results
    blended = re.findall(r">(\d\.\d\d)</td></tr>", results)
    assert blended[-3:] == ["3.93", "3.40", "2.07"]

    # The public event page shows nothing of it before publication.
    public = app.test_client().get(f"/events/{SLUG}").text
    assert "People&#39;s Choice" not in public and "People's Choice</h2>" not in public
    with app.app_context():
        event = db.session.get(Event, ids["event_id"])
        event.phase = EventPhase.PUBLISHED
        event.published_at = datetime.now(UTC)
        db.session.commit()
    public = app.test_client().get(f"/events/{SLUG}").text
    assert "People's Choice</h2>" in public or "People&#39;s Choice</h2>" in public
    assert "wins" in public and "3 ballots" in public


def test_organisers_only_and_not_of_another_event(app, vote_event):
    ids = vote_event
    with app.app_context():
        judge = db.session.scalar(
            select(User).where(
                User.id != ids["organiser"], User.is_organiser.is_(False)
            )
        )
        stranger = make_user(is_organiser=True)
        make_event(stranger, slug="strangers")
        db.session.commit()
        clients = []
        for user in (judge, stranger):
            client = app.test_client()
            sign_in(client, user)
            clients.append(client)
    for client in clients:
        assert client.get(f"/events/{SLUG}/peoples-choice").status_code == 404
        assert (
            client.post(
                f"/events/{SLUG}/peoples-choice/rules",
                data={"picks": "1", "blend_percent": "0"},
            ).status_code
            == 404
        )
        assert client.post(f"/events/{SLUG}/peoples-choice/open").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(PeoplesChoice)) is None


def test_the_vote_cannot_open_before_submissions_close(app, vote_event):
    organiser = _organiser(app, vote_event)
    with app.app_context():
        db.session.get(Event, vote_event["event_id"]).phase = EventPhase.OPEN
        db.session.commit()
    organiser.post(
        f"/events/{SLUG}/peoples-choice/rules",
        data={"picks": "1", "blend_percent": "0"},
    )
    response = organiser.post(
        f"/events/{SLUG}/peoples-choice/open", follow_redirects=True
    )
    assert "The vote can open once submissions have closed" in response.text
    with app.app_context():
        assert db.session.scalar(select(PeoplesChoice)).opened_at is None


# --- the demo ----------------------------------------------------------------------------


def test_demo_peoples_choice_is_domain_12_7(app):
    with app.app_context():
        load_demo(date.today(), "pw-amber-birch", phase=EventPhase.PUBLISHED)
        db.session.commit()
        event = db.session.scalar(
            select(Event).where(Event.slug == demo_data.EVENT["slug"])
        )
        tally = votes.tally(event)
        assert tally.ballots == 148 and tally.votes_cast == 444
        assert {r.pitch.team.ref: r.votes for r in tally.rows} == (
            demo_data.PEOPLES_CHOICE["votes"]
        )
        assert [w.pitch.team.ref for w in tally.winners] == ["T07"]
        assert db.session.scalar(select(func.count(BallotPick.id))) == 444
    public = app.test_client().get(f"/events/{demo_data.EVENT['slug']}").text
    assert "T07 Tea &amp; Talk</strong> wins" in public
    assert "148 ballots" in public


def test_demo_t07_feedback_and_result_sheet_mention_the_peoples_choice(app):
    from judging import feedback, pdf, services

    with app.app_context():
        load_demo(date.today(), "pw-amber-birch", phase=EventPhase.PUBLISHED)
        db.session.commit()
        event = db.session.scalar(
            select(Event).where(Event.slug == demo_data.EVENT["slug"])
        )
        by_ref = {fb.row.team.ref: fb for fb in feedback.all_feedback(event)}
        assert by_ref["T07"].audience_line == (
            "Your pitch won the People's Choice, with 71 votes from 148 ballots (the "
            "audience's vote, apart from the panel's decision)."
        )
        assert by_ref["T12"].audience_line.startswith(
            "Your pitch came 12 in the People's Choice, with 12 votes"
        )
        with app.test_request_context():
            html = pdf.results_sheet_html(services.compute_results(event))
        # Domain 12.7: T07's funding row carries "+ People's Choice", and no other does.
        assert (
            html.count("+ People&#39;s Choice.") + html.count("+ People's Choice.") == 1
        )
        rows = re.findall(r"<tr>(?:(?!</tr>).)*T07 Tea &amp; Talk.*?</tr>", html, re.S)
        assert any("+ People" in row and "Fund in full" in row for row in rows)
