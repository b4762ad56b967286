"""Funding allocation: the rules of judging/funding.py, the funder's approval, the chair's
sign-off, and who may see and do what (R-05, R-07)."""

import json

import pytest
from sqlalchemy import func, select

from auth.models import AuditEntry
from events import services as event_services
from events.models import Event, EventFunder, EventPhase
from extensions import db, utcnow
from judging import funding, services
from judging.funding import Choice, FundingError
from judging.funding_models import FundingCondition, FundingDecision, FundingKind
from tests.factories import (
    PASSWORD,
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
    sign_in,
)

P = EventPhase
K = FundingKind


@pytest.fixture
def ev(app):
    """An event in moderation, locked, pot £10,000 and cap £5,000; three ranked pitches
    asking £4,000, £3,000 and £5,000; a chair, a funder and an organiser."""
    with app.app_context():
        organiser = make_user(email="org@example.org")
        event = make_event(organiser, slug="fund", phase=P.MODERATION, pot=10_000)
        chair = make_judge(event, make_user(email="chair@example.org"), chair=True)
        funder = make_user(email="funder@example.org")
        db.session.add(EventFunder(event_id=event.id, user_id=funder.id))
        pitches = []
        for n, (ask, mark) in enumerate(((4000, 5), (3000, 4), (5000, 3)), start=1):
            team = make_team(
                event,
                make_user(email=f"lead{n}@example.org"),
                name=f"Team {n}",
                submitted=True,
            )
            team.pitch.funding_requested = ask
            make_scorecard(
                team.pitch, chair, [mark] * 7, event, feedback=f"Feedback {n}"
            )
            pitches.append(team.pitch.id)
        event.moderation_locked_at = utcnow()
        db.session.commit()
        return {
            "event_id": event.id,
            "pitches": pitches,
            "organiser": organiser.id,
            "chair": chair.id,
            "funder": funder.id,
        }


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == "fund"))


def _user(pk):
    from auth.models import User

    return db.session.get(User, pk)


def _decide(ev, n: int, choice: Choice) -> bool:
    return funding.decide(_user(ev["organiser"]), _event(), ev["pitches"][n], choice)


def _approve(ev, pk=None, seen=None, roles=frozenset({"funder"})) -> None:
    event = _event()
    funding.approve(
        _user(pk or ev["funder"]), event, seen or funding.fingerprint(event), roles
    )


def _audit(action: str) -> list[dict]:
    return [
        json.loads(e.detail)
        for e in db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
    ]


# --- the rules, table-driven -------------------------------------------------------------

OK = [
    (0, Choice(K.FULL), 4000),
    (0, Choice(K.FULL, 4000), 4000),
    (0, Choice(K.PART, 2500, scope="Two homes, not three"), 2500),
    (0, Choice(K.CONDITIONS, 4000, conditions=("DPIA signed off",)), 4000),
    (0, Choice(K.CONDITIONS, 3000, conditions=("DPIA", "Safety review")), 3000),
    (0, Choice(K.SUPPORT, note="Mentoring from the QI coach"), 0),
    (0, Choice(K.SIGNPOST, note="The home's training budget"), 0),
    (0, Choice(K.DECLINE, note="No evidence of need yet"), 0),
]


@pytest.mark.parametrize(("n", "choice", "awarded"), OK)
def test_valid_decisions_are_stored_with_their_award(app, ev, n, choice, awarded):
    with app.app_context():
        _decide(ev, n, choice)
        db.session.commit()
        stored = db.session.scalar(select(FundingDecision))

        assert (stored.kind, stored.amount_pounds) == (choice.kind, awarded)
        assert [c.text for c in stored.conditions] == list(choice.conditions)
        assert stored.decided_by_id == ev["organiser"]


REFUSED = [
    (0, Choice(K.FULL, 3500), "amount", "Fund in full awards the £4,000 asked for"),
    (0, Choice(K.PART, 4000, scope="x"), "amount", "less than the £4,000 asked for"),
    (0, Choice(K.PART, 0, scope="x"), "amount", "Enter the amount to award"),
    (0, Choice(K.PART, 2000), "scope", "Describe the reduced scope"),
    (0, Choice(K.CONDITIONS, 4000), "conditions", "Add at least one condition"),
    (
        0,
        Choice(K.CONDITIONS, 4500, conditions=("x",)),
        "amount",
        "more than the £4,000",
    ),
    (0, Choice(K.CONDITIONS, conditions=("x",)), "amount", "Enter the amount"),
    (0, Choice(K.SUPPORT, 100, note="x"), "amount", "awards no money"),
    (0, Choice(K.SUPPORT), "note", "what support the team gets"),
    (0, Choice(K.SIGNPOST), "note", "where the team can get funding"),
    (0, Choice(K.DECLINE), "note", "feedback on why it is declined"),
    (
        0,
        Choice(K.CONDITIONS, 1, conditions=tuple("abcdefghijk")),
        "conditions",
        "at most 10",
    ),
]


@pytest.mark.parametrize(("n", "choice", "field", "message"), REFUSED)
def test_invalid_decisions_are_refused_naming_the_field(
    app, ev, n, choice, field, message
):
    with app.app_context():
        with pytest.raises(FundingError) as refused:
            _decide(ev, n, choice)
        db.session.rollback()

        assert refused.value.field == field
        assert message in str(refused.value)
        assert db.session.scalar(select(func.count()).select_from(FundingDecision)) == 0


def test_an_award_above_the_cap_is_refused(app, ev):
    with app.app_context():
        _event().cap_pounds = 2000
        db.session.commit()

        with pytest.raises(FundingError, match="more than the £2,000 cap per team"):
            _decide(ev, 1, Choice(K.PART, 2500, scope="Less"))


def test_over_allocation_is_refused_saying_by_how_much(app, ev):
    with app.app_context():
        _decide(ev, 0, Choice(K.FULL))  # 4,000
        _decide(ev, 1, Choice(K.FULL))  # 7,000
        db.session.commit()

        with pytest.raises(FundingError) as refused:
            _decide(ev, 2, Choice(K.FULL))  # would be 12,000 of 10,000
        db.session.rollback()
        allocated = db.session.scalar(select(func.sum(FundingDecision.amount_pounds)))

    assert str(refused.value) == (
        "That would allocate £12,000, £2,000 more than the £10,000 pot. £3,000 is left."
    )
    assert allocated == 7000


def test_changing_a_decision_counts_its_old_award_back_into_the_pot(app, ev):
    with app.app_context():
        _decide(ev, 0, Choice(K.FULL))
        _decide(ev, 2, Choice(K.FULL))  # 9,000 of 10,000
        _decide(ev, 2, Choice(K.PART, 3000, scope="One home"))  # 7,000
        _decide(ev, 1, Choice(K.FULL))  # 10,000: the pot exactly
        db.session.commit()
        allocation = funding.allocation(_event())

    assert (allocation.allocated, allocation.left, allocation.undecided) == (
        10_000,
        0,
        0,
    )
    assert [r.awarded for r in allocation.rows] == [4000, 3000, 3000]


@pytest.mark.parametrize(
    ("phase", "locked", "message"),
    [
        (P.JUDGING, False, "once the panel chair has locked moderation"),
        (P.MODERATION, False, "once the panel chair has locked moderation"),
        (P.PUBLISHED, True, "The results are published"),
    ],
)
def test_decisions_only_between_the_lock_and_publication(
    app, ev, phase, locked, message
):
    with app.app_context():
        event = _event()
        event.phase = phase
        event.moderation_locked_at = utcnow() if locked else None
        db.session.commit()

        with pytest.raises(FundingError, match=message):
            _decide(ev, 0, Choice(K.FULL))


def test_a_pitch_of_another_event_is_404(app, ev):
    from werkzeug.exceptions import NotFound

    with app.app_context():
        other = make_event(slug="other")
        team = make_team(other, submitted=True)
        db.session.commit()

        with pytest.raises(NotFound):
            funding.decide(
                _user(ev["organiser"]), _event(), team.pitch.id, Choice(K.FULL)
            )


def test_every_decision_is_audited_with_old_and_new(app, ev):
    with app.app_context():
        _decide(ev, 0, Choice(K.FULL))
        _decide(ev, 0, Choice(K.CONDITIONS, 3500, conditions=("DPIA",)))
        _decide(ev, 0, Choice(K.CONDITIONS, 3500, conditions=("DPIA",)))  # no change
        db.session.commit()
        entries = _audit("funding.decided")

    assert len(entries) == 2
    assert entries[0]["old"] is None
    assert entries[0]["new"]["kind"] == "full" and entries[0]["new"]["amount"] == 4000
    assert entries[1]["old"]["amount"] == 4000
    assert entries[1]["new"] == {
        "kind": "conditions",
        "amount": 3500,
        "scope": "",
        "note": "",
        "conditions": [{"text": "DPIA", "met_at": None}],
    }


# --- approval and sign-off -------------------------------------------------------------


def _decide_all(ev) -> None:
    _decide(ev, 0, Choice(K.FULL))
    _decide(ev, 1, Choice(K.CONDITIONS, 3000, conditions=("Safety review", "DPIA")))
    _decide(ev, 2, Choice(K.DECLINE, note="Recurrent cost unfunded"))


def test_funder_approves_only_when_every_pitch_has_a_decision(app, ev):
    with app.app_context():
        _decide(ev, 0, Choice(K.FULL))
        db.session.commit()
        with pytest.raises(
            FundingError, match="2 pitches have no funding decision yet"
        ):
            _approve(ev)
        db.session.rollback()
        _decide(ev, 1, Choice(K.FULL))
        _decide(ev, 2, Choice(K.DECLINE, note="No"))
        _approve(ev)
        db.session.commit()

        event = _event()
        assert event.allocation_approved_by_id == ev["funder"]
        entry = _audit("funding.approved")[0]
        assert (entry["allocated"], entry["pot"], entry["old"]) == (7000, 10000, None)
        assert entry["fingerprint"] == funding.fingerprint(event)


def test_only_a_funder_approves(app, ev):
    from werkzeug.exceptions import NotFound

    with app.app_context():
        _decide_all(ev)
        for pk in (ev["organiser"], ev["chair"]):
            with pytest.raises(NotFound):
                _approve(ev, pk)


def test_chair_signs_off_only_after_the_funders_approval(app, ev):
    from werkzeug.exceptions import NotFound

    with app.app_context():
        _decide_all(ev)
        with pytest.raises(FundingError, match="funder must approve"):
            funding.sign_off(_user(ev["chair"]), _event())
        _approve(ev)
        with pytest.raises(NotFound):
            funding.sign_off(_user(ev["organiser"]), _event())
        funding.sign_off(_user(ev["chair"]), _event())
        db.session.commit()

        assert _event().signed_off_by_id == ev["chair"]


def test_an_event_without_a_pot_is_signed_off_without_a_funder(app, ev):
    with app.app_context():
        _event().pot_pounds = 0
        db.session.commit()
        funding.sign_off(_user(ev["chair"]), _event())

        assert _event().signed_off_at is not None


def test_a_change_after_approval_withdraws_approval_and_sign_off(app, ev):
    with app.app_context():
        _decide_all(ev)
        _approve(ev)
        funding.sign_off(_user(ev["chair"]), _event())
        db.session.commit()

        withdrawn = _decide(ev, 2, Choice(K.SIGNPOST, note="The ICS fund"))
        db.session.commit()
        event = _event()

        assert withdrawn is True
        assert (event.allocation_approved_at, event.signed_off_at) == (None, None)
        assert len(_audit("funding.approvals_withdrawn")) == 1
        with pytest.raises(event_services.EventError, match="sign the results off"):
            services.publish_results(_user(ev["organiser"]), event)


def test_publication_needs_the_sign_off(app, ev):
    with app.app_context():
        _decide_all(ev)
        _approve(ev)
        with pytest.raises(event_services.EventError, match="sign the results off"):
            services.publish_results(_user(ev["organiser"]), _event())
        funding.sign_off(_user(ev["chair"]), _event())
        services.publish_results(_user(ev["organiser"]), _event())
        db.session.commit()

        assert _event().phase == P.PUBLISHED


def test_conditions_are_marked_met_and_reopened_with_audit(app, ev):
    with app.app_context():
        _decide_all(ev)
        db.session.commit()
        first = db.session.scalar(
            select(FundingCondition).order_by(FundingCondition.position)
        )
        organiser = _user(ev["organiser"])

        funding.set_condition_met(organiser, _event(), first.id, True)
        funding.set_condition_met(organiser, _event(), first.id, True)  # no change
        met_at = first.met_at
        funding.set_condition_met(organiser, _event(), first.id, False)
        db.session.commit()

        assert met_at is not None and first.met_at is None
        assert len(_audit("funding.condition_met")) == 1
        assert len(_audit("funding.condition_reopened")) == 1


# --- pages and access ------------------------------------------------------------------


def _client(app, email: str):
    """A client signed in through the form, so the session is fresh (R-07)."""
    client = app.test_client()
    client.post("/login", data={"email": email, "password": PASSWORD})
    return client


def test_organiser_decides_through_the_form_and_sees_the_running_total(app, ev):
    client = _client(app, "org@example.org")
    pitch = ev["pitches"][1]

    form = client.get(f"/events/fund/funding/{pitch}")
    saved = client.post(
        f"/events/fund/funding/{pitch}",
        data={"kind": "part", "amount": "£2,500", "scope": "One home only", "note": ""},
    )
    page = client.get("/events/fund/funding").text

    assert form.status_code == 200 and 'value="3000"' in form.text
    assert saved.status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(FundingDecision))
        assert (stored.kind, stored.amount_pounds, stored.scope) == (
            K.PART,
            2500,
            "One home only",
        )
    assert "Fund in part" in page and "£2,500" in page and "£7,500" in page


def test_a_refused_decision_shows_the_error_on_its_field_and_keeps_the_input(app, ev):
    client = _client(app, "org@example.org")

    response = client.post(
        f"/events/fund/funding/{ev['pitches'][0]}",
        data={"kind": "part", "amount": "2500", "scope": "", "note": "Keep me"},
    )

    assert response.status_code == 400
    assert "Describe the reduced scope" in response.text
    assert "Keep me" in response.text
    assert "Error: " in response.text.split("</title>")[0]


@pytest.mark.parametrize("amount", ["１０００", "1e3", "-5", "10.5", "NaN"])
def test_amounts_must_be_whole_ascii_pounds(app, ev, amount):
    client = _client(app, "org@example.org")

    response = client.post(
        f"/events/fund/funding/{ev['pitches'][0]}",
        data={"kind": "conditions", "amount": amount, "conditions": "x"},
    )

    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FundingDecision)) == 0


def test_r07_deciding_needs_a_fresh_sign_in(app, ev):
    client = app.test_client()
    with app.app_context():
        sign_in(client, _user(ev["organiser"]))  # restored session: not fresh

    response = client.post(
        f"/events/fund/funding/{ev['pitches'][0]}", data={"kind": "full"}
    )

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FundingDecision)) == 0


@pytest.mark.parametrize(
    "email", ["chair@example.org", "lead1@example.org", "nobody@example.org"]
)
def test_r05_only_organisers_and_funders_see_the_allocation(app, ev, email):
    with app.app_context():
        if email == "nobody@example.org":
            make_user(email=email)
            db.session.commit()
    client = _client(app, email)

    # The chair reads the allocation once moderation is locked (to sign it off).
    listing = 200 if email == "chair@example.org" else 404
    assert client.get("/events/fund/funding").status_code == listing
    assert client.get(f"/events/fund/funding/{ev['pitches'][0]}").status_code == 404
    assert (
        client.post(
            f"/events/fund/funding/{ev['pitches'][0]}", data={"kind": "full"}
        ).status_code
        == 404
    )


def test_funder_sees_decisions_but_no_scores_and_cannot_decide(app, ev):
    with app.app_context():
        _decide_all(ev)
        db.session.commit()
    client = _client(app, "funder@example.org")

    page = client.get("/events/fund/funding").text
    decide = client.post(
        f"/events/fund/funding/{ev['pitches'][0]}",
        data={"kind": "decline", "note": "x"},
    )

    assert "Fund with conditions" in page and "Approve the allocation" in page
    assert f'name="fingerprint" value="{_fingerprint(app)}"' in page
    assert "Feedback 1" not in page  # judges' feedback and scores stay with organisers
    assert "5.00" not in page and "Mean" not in page
    assert decide.status_code == 404


def test_funder_before_the_lock_sees_nothing_to_approve(app, ev):
    with app.app_context():
        _event().moderation_locked_at = None
        db.session.commit()
    client = _client(app, "funder@example.org")

    page = client.get("/events/fund/funding").text

    assert "There is nothing to approve yet" in page
    assert "Team 1" not in page


def test_whole_flow_over_http_allocate_approve_sign_off_publish(app, ev):
    organiser = _client(app, "org@example.org")
    for pitch, data in zip(
        ev["pitches"],
        [
            {"kind": "full", "amount": "4000"},
            {
                "kind": "conditions",
                "amount": "3000",
                "conditions": "Safety review\n- DPIA\n",
            },
            {"kind": "decline", "note": "Not this time"},
        ],
        strict=True,
    ):
        assert (
            organiser.post(f"/events/fund/funding/{pitch}", data=data).status_code
            == 302
        )
    refused = organiser.post("/events/fund/results/publish")
    funder = _client(app, "funder@example.org")
    seen = funder.get("/events/fund/funding").text.split('name="fingerprint" value="')[
        1
    ][:32]
    approved = funder.post("/events/fund/funding/approve", data={"fingerprint": seen})
    signed = _client(app, "chair@example.org").post("/events/fund/results/sign-off")
    published = organiser.post("/events/fund/results/publish")

    assert refused.headers["Location"] == "/events/fund/results"
    assert approved.status_code == signed.status_code == 302
    assert published.headers["Location"] == "/events/fund"
    with app.app_context():
        event = _event()
        assert event.phase == P.PUBLISHED
        conditions = db.session.scalars(
            select(FundingCondition.text).order_by(FundingCondition.position)
        ).all()
        assert conditions == ["Safety review", "DPIA"]


def test_funder_invitation_makes_a_funder_not_a_judge(app, ev):
    organiser = _client(app, "org@example.org")
    page = organiser.post(
        "/events/fund/funders/invitations", data={"note": "Naomi"}
    ).text
    link = page.split('id="invite-link">')[1].split("<")[0]
    with app.app_context():
        make_user(email="naomi@example.org")
        db.session.commit()
    naomi = _client(app, "naomi@example.org")

    landing = naomi.get(link.replace("http://localhost", "")).text
    accepted = naomi.post(link.replace("http://localhost", ""))

    assert "Funder invitation link" in page
    assert "Approve the funding allocation" in landing
    assert accepted.headers["Location"] == "/events/fund/funding"
    with app.app_context():
        from auth.models import User

        naomi_id = db.session.scalar(
            select(User.id).where(User.email == "naomi@example.org")
        )
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(EventFunder)
                .where(EventFunder.user_id == naomi_id)
            )
            == 1
        )
        assert event_services.get_panel_member(_event(), _user(naomi_id)) is None


def _fingerprint(app) -> str:
    with app.app_context():
        return funding.fingerprint(_event())


def test_an_approval_of_a_table_that_has_since_changed_is_refused(app, ev):
    with app.app_context():
        _decide_all(ev)
        seen = funding.fingerprint(_event())
        _decide(ev, 2, Choice(K.SIGNPOST, note="The ICS fund"))  # changed meanwhile
        with pytest.raises(FundingError, match="changed while you were reading"):
            _approve(ev, seen=seen)
        _approve(ev)

        assert _event().allocation_approved_by_id == ev["funder"]


@pytest.mark.parametrize(
    "other", [{"team"}, {"organiser"}, {"judge"}, {"problem_owner"}]
)
def test_a_funder_with_another_role_cannot_approve(app, ev, other):
    with app.app_context():
        _decide_all(ev)
        with pytest.raises(FundingError, match="another role in this event"):
            _approve(ev, roles=frozenset({"funder", *other}))


def test_a_funder_who_is_also_in_a_team_sees_no_allocation(app, ev):
    with app.app_context():
        db.session.add(
            EventFunder(event_id=ev["event_id"], user_id=_user_by("lead1@example.org"))
        )
        db.session.commit()
    client = _client(app, "lead1@example.org")

    assert client.get("/events/fund/funding").status_code == 404
    assert (
        client.post("/events/fund/funding/approve").headers["Location"]
        == "/events/fund/funding"
    )
    with app.app_context():
        assert _event().allocation_approved_at is None


def _user_by(email: str) -> int:
    from auth.models import User

    return db.session.scalar(select(User.id).where(User.email == email))


def test_an_organiser_cannot_take_a_funder_invitation(app, ev):
    organiser = _client(app, "org@example.org")
    page = organiser.post("/events/fund/funders/invitations", data={"note": "x"}).text
    link = (
        page.split('id="invite-link">')[1].split("<")[0].replace("http://localhost", "")
    )

    refused = organiser.post(link)

    assert refused.status_code == 410
    assert "cannot also approve its funding" in refused.text
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(EventFunder)
                .where(EventFunder.user_id == ev["organiser"])
            )
            == 0
        )


def test_editing_conditions_keeps_when_the_kept_ones_were_met(app, ev):
    with app.app_context():
        _decide(ev, 1, Choice(K.CONDITIONS, 3000, conditions=("Safety review", "DPIA")))
        db.session.commit()
        first = db.session.scalar(
            select(FundingCondition).where(FundingCondition.text == "Safety review")
        )
        funding.set_condition_met(_user(ev["organiser"]), _event(), first.id, True)
        db.session.commit()

        _decide(
            ev,
            1,
            Choice(
                K.CONDITIONS, 3000, conditions=("Safety review", "DPIA by the IG team")
            ),
        )
        db.session.commit()
        rows = {c.text: c.met_at for c in db.session.scalars(select(FundingCondition))}
        last = _audit("funding.decided")[-1]

    assert rows["Safety review"] is not None and rows["DPIA by the IG team"] is None
    assert last["old"]["conditions"][0]["met_at"] is not None
    assert last["new"]["conditions"][1] == {
        "text": "DPIA by the IG team",
        "met_at": None,
    }


def test_an_unchanged_decision_keeps_who_made_it(app, ev):
    with app.app_context():
        _decide(ev, 0, Choice(K.FULL))
        db.session.commit()
        first = db.session.scalar(select(FundingDecision)).decided_at
        second_organiser = make_user(email="org2@example.org")
        funding.decide(second_organiser, _event(), ev["pitches"][0], Choice(K.FULL))
        db.session.commit()
        stored = db.session.scalar(select(FundingDecision))

        assert (stored.decided_by_id, stored.decided_at) == (ev["organiser"], first)


def test_many_lines_in_the_ignored_conditions_box_do_not_block_a_decline(app, ev):
    with app.app_context():
        _decide(ev, 0, Choice(K.DECLINE, note="No", conditions=tuple("abcdefghijkl")))

        assert db.session.scalar(select(FundingDecision)).conditions == []


def test_funder_reads_the_allocation_after_publication(app, ev):
    with app.app_context():
        _decide_all(ev)
        _approve(ev)
        funding.sign_off(_user(ev["chair"]), _event())
        services.publish_results(_user(ev["organiser"]), _event())
        db.session.commit()
    page = _client(app, "funder@example.org").get("/events/fund/funding").text

    assert "Fund with conditions" in page and "approved this allocation" in page
    assert "Approve the allocation" not in page
