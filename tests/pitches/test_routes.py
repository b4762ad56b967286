"""Problem statements, teams and pitches over HTTP: approval before publication, team
membership, the submission deadline and phase (R-06), the funding cap, mass assignment
(R-03) and plain-text clean-up (R-24)."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from auth.models import AuditEntry
from events.models import Event, EventPhase
from extensions import db
from pitches.models import (
    Background,
    Pitch,
    PitchStatus,
    PitchType,
    ProblemStatement,
    ProblemStatus,
    Team,
    TeamMember,
)
from tests.factories import (
    PITCH_FIELDS,
    make_event,
    make_problem,
    make_team,
    make_user,
    sign_in,
)

PROBLEM_FORM = {
    "title": "Night-time falls",
    "one_sentence": "Residents fall at night on the way to the toilet.",
    "who_affected": "Residents with dementia",
    "setting": "care_home_nursing",
    "story": "Night staff find residents on the floor.",
    "scale": "",
    "tried": "",
    "better": "Nobody falls.",
    "owner_name": "Nina Nurse",
    "owner_role": "Registered Nurse",
    "owner_contact": "nina@example.org",
    "willing_to_pitch": "live",
    "publish_consent": "y",
}
PITCH_FORM = {
    key: (value.value if isinstance(value, PitchType) else str(value))
    for key, value in PITCH_FIELDS.items()
}


def _client_for(app, user_id: str):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == "hack"))


def _actions() -> list[str]:
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


@pytest.fixture
def setup(app):
    """Event 'hack' (open) with an approved problem, a team with a lead, and others."""
    with app.app_context():
        organiser = make_user(name="Olive Organiser")
        event = make_event(organiser, slug="hack", cap=5000)
        problem = make_problem(event, title="Dehydration")
        lead = make_user(name="Lena Lead")
        team = make_team(
            event,
            lead,
            name="Sip Squad",
            problem=problem,
            members=[("Dev Developer", Background.DEVELOPER)],
        )
        rival = make_user(name="Rita Rival")
        rival_team = make_team(
            event,
            rival,
            name="Rivals",
            problem=problem,
            members=[("Rival Member", Background.DESIGNER)],
        )
        plain = make_user(name="Pat Plain")
        db.session.commit()
        return {
            "organiser": organiser.get_id(),
            "lead": lead.get_id(),
            "lead_pk": lead.id,
            "rival": rival.get_id(),
            "plain": plain.get_id(),
            "plain_pk": plain.id,
            "problem_id": problem.id,
            "team_id": team.id,
            "member_id": team.members[1].id,
            "lead_member_id": team.members[0].id,
            "pitch_id": team.pitch.id,
            "rival_team_id": rival_team.id,
            "rival_member_id": rival_team.members[1].id,
        }


def _set_phase(app, phase: EventPhase, **changes) -> None:
    with app.app_context():
        event = _event()
        event.phase = phase
        for key, value in changes.items():
            setattr(event, key, value)
        db.session.commit()


# --- problem statements ----------------------------------------------------------------


def test_problem_statement_is_private_until_an_organiser_approves_it(app, setup):
    # Arrange
    poster = _client_for(app, setup["plain"])
    anonymous = app.test_client()
    stranger = _client_for(app, setup["rival"])
    organiser = _client_for(app, setup["organiser"])

    # Act
    posted = poster.post("/events/hack/problems/new", data=PROBLEM_FORM)
    with app.app_context():
        problem = db.session.scalar(
            select(ProblemStatement).where(ProblemStatement.title == "Night-time falls")
        )
        problem_id, status_before = problem.id, problem.status
    url = f"/events/hack/problems/{problem_id}"
    before = {
        "anonymous": anonymous.get(url).status_code,
        "stranger": stranger.get(url).status_code,
        "owner": poster.get(url).status_code,
        "organiser": organiser.get(url).status_code,
    }
    public_list = anonymous.get("/events/hack/problems").text
    public_page = anonymous.get("/events/hack").text
    decided = organiser.post(f"{url}/decision", data={"decision": "approve"})
    after = anonymous.get(url)

    # Assert
    assert posted.status_code == 302
    assert posted.headers["Location"] == url
    assert status_before == ProblemStatus.SUBMITTED
    assert before == {"anonymous": 404, "stranger": 404, "owner": 200, "organiser": 200}
    assert "Night-time falls" not in public_list
    assert "Night-time falls" not in public_page
    assert decided.status_code == 302
    assert after.status_code == 200
    assert "Night-time falls" in anonymous.get("/events/hack/problems").text
    with app.app_context():
        problem = db.session.get(ProblemStatement, problem_id)
        assert problem.status == ProblemStatus.APPROVED
        assert problem.ref.startswith("P")
        assert problem.decided_at is not None
        assert problem.owner_id == setup["plain_pk"]
        assert _actions()[-2:] == ["problem.submitted", "problem.decided"]


def test_declined_problem_stays_hidden(app, setup):
    # Arrange
    with app.app_context():
        problem = make_problem(_event(), status=ProblemStatus.SUBMITTED, title="Nope")
        db.session.commit()
        problem_id = problem.id
    organiser = _client_for(app, setup["organiser"])

    # Act
    organiser.post(
        f"/events/hack/problems/{problem_id}/decision", data={"decision": "decline"}
    )
    response = app.test_client().get(f"/events/hack/problems/{problem_id}")

    # Assert
    assert response.status_code == 404
    with app.app_context():
        problem = db.session.get(ProblemStatement, problem_id)
        assert problem.status == ProblemStatus.DECLINED
        assert problem.decided_at is not None


def test_r02_only_organisers_decide_problems(app, setup):
    # Arrange
    with app.app_context():
        owner = make_user()
        problem = make_problem(_event(), owner, status=ProblemStatus.SUBMITTED)
        db.session.commit()
        owner_id, problem_id = owner.get_id(), problem.id

    # Act
    answers = [
        _client_for(app, user)
        .post(
            f"/events/hack/problems/{problem_id}/decision",
            data={"decision": "approve"},
        )
        .status_code
        for user in (owner_id, setup["lead"], setup["plain"])
    ]

    # Assert
    assert answers == [404, 404, 404]
    with app.app_context():
        assert db.session.get(ProblemStatement, problem_id).status == (
            ProblemStatus.SUBMITTED
        )


def test_r03_problem_post_cannot_set_status_ref_or_owner(app, setup):
    # Arrange
    client = _client_for(app, setup["plain"])

    # Act
    client.post(
        "/events/hack/problems/new",
        data=PROBLEM_FORM
        | {"status": "approved", "ref": "P99", "owner_id": "1", "event_id": "99"},
    )

    # Assert
    with app.app_context():
        problem = db.session.scalar(
            select(ProblemStatement).where(ProblemStatement.title == "Night-time falls")
        )
        assert problem.status == ProblemStatus.SUBMITTED
        assert problem.ref == ""
        assert problem.owner_id == setup["plain_pk"]
        assert problem.event_id == _event().id


def test_r24_problem_text_is_cleaned_of_control_characters(app, setup):
    # Arrange
    client = _client_for(app, setup["plain"])

    # Act
    client.post(
        "/events/hack/problems/new",
        data=PROBLEM_FORM
        | {"title": " Night\x00-time\u202e falls ", "story": "Line one\r\nLine two"},
    )

    # Assert
    with app.app_context():
        problem = db.session.scalar(
            select(ProblemStatement).where(
                ProblemStatement.owner_id == setup["plain_pk"]
            )
        )
        assert problem.title == "Night-time falls"
        assert problem.story == "Line one\nLine two"


@pytest.mark.parametrize(
    "change",
    [
        {"publish_consent": ""},
        {"story": "Resident 943 476 5919 fell twice."},  # looks like an NHS number
        {"title": "x" * 81},
        {"setting": "space_station"},
    ],
    ids=["no-consent", "nhs-number", "title-too-long", "unknown-setting"],
)
def test_problem_post_refuses_invalid_input(app, setup, change):
    # Arrange
    client = _client_for(app, setup["plain"])

    # Act
    response = client.post("/events/hack/problems/new", data=PROBLEM_FORM | change)

    # Assert
    assert response.status_code == 200
    with app.app_context():
        count = db.session.scalar(
            select(func.count(ProblemStatement.id)).where(
                ProblemStatement.owner_id == setup["plain_pk"]
            )
        )
        assert count == 0


def test_r06_problem_post_refused_once_submissions_close(app, setup):
    # Arrange
    _set_phase(app, EventPhase.SUBMISSIONS_CLOSED)
    client = _client_for(app, setup["plain"])

    # Act
    response = client.post("/events/hack/problems/new", data=PROBLEM_FORM)

    # Assert
    assert response.status_code == 200
    assert "You cannot post a problem statement" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(ProblemStatement.id))) == 1


# --- teams -----------------------------------------------------------------------------


def _team_form(problem_id: int, **changes) -> dict[str, str]:
    return {
        "team_name": "Falls Fixers",
        "problem_id": str(problem_id),
        "name": "Pat Plain",
        "background": "nurse_ahp",
        "role_title": "Ward sister",
        "organisation": "City Hospital",
    } | changes


def test_create_team_stores_team_lead_and_empty_pitch(app, setup):
    # Arrange
    client = _client_for(app, setup["plain"])

    # Act
    response = client.post(
        "/events/hack/teams/new", data=_team_form(setup["problem_id"])
    )

    # Assert
    assert response.status_code == 302
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == "Falls Fixers"))
        assert response.headers["Location"] == f"/events/hack/teams/{team.id}"
        assert team.problem_id == setup["problem_id"]
        assert team.created_by_id == setup["plain_pk"]
        assert team.ref == "T03"
        [lead] = team.members
        assert (lead.user_id, lead.is_lead, lead.background) == (
            setup["plain_pk"],
            True,
            Background.NURSE_AHP,
        )
        assert (lead.name, lead.role_title, lead.organisation) == (
            "Pat Plain",
            "Ward sister",
            "City Hospital",
        )
        pitch = team.pitch
        assert pitch.status == PitchStatus.DRAFT
        assert pitch.event_id == team.event_id
        assert (pitch.title, pitch.funding_requested) == ("", None)
        assert "team.created" in _actions()
    assert client.get(response.headers["Location"]).status_code == 200


def test_r03_create_team_ignores_event_lead_and_owner_fields(app, setup):
    # Arrange
    with app.app_context():
        other_event = make_event(slug="other")
        db.session.commit()
        other_id = other_event.id
    client = _client_for(app, setup["plain"])

    # Act
    client.post(
        "/events/hack/teams/new",
        data=_team_form(
            setup["problem_id"],
            event_id=str(other_id),
            created_by_id="1",
            user_id="1",
            is_lead="",
        ),
    )

    # Assert
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == "Falls Fixers"))
        assert team.event_id == _event().id
        assert team.created_by_id == setup["plain_pk"]
        assert team.members[0].user_id == setup["plain_pk"]
        assert team.members[0].is_lead is True


@pytest.mark.parametrize("case", ["unapproved-problem", "taken-name", "closed-phase"])
def test_create_team_refused(app, setup, case):
    # Arrange
    with app.app_context():
        pending = make_problem(_event(), status=ProblemStatus.SUBMITTED)
        db.session.commit()
        pending_id = pending.id
    data = _team_form(setup["problem_id"])
    if case == "unapproved-problem":
        data = _team_form(pending_id)
    elif case == "taken-name":
        data["team_name"] = "SIP SQUAD"
    else:
        _set_phase(app, EventPhase.SUBMISSIONS_CLOSED)
    client = _client_for(app, setup["plain"])

    # Act
    response = client.post("/events/hack/teams/new", data=data)

    # Assert
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(Team.id))) == 2


def test_add_member_stores_name_and_background(app, setup):
    # Arrange
    client = _client_for(app, setup["lead"])
    team_id = setup["team_id"]

    # Act
    response = client.post(
        f"/events/hack/teams/{team_id}/members",
        data={
            "name": "Cara Carer",
            "background": "lived_experience",
            "role_title": "Daughter of a resident",
            "organisation": "",
        },
    )

    # Assert
    assert response.status_code == 302
    with app.app_context():
        member = db.session.scalar(
            select(TeamMember).where(TeamMember.name == "Cara Carer")
        )
        assert member.team_id == team_id
        assert member.background == Background.LIVED_EXPERIENCE
        assert member.user_id is None
        assert member.is_lead is False
        assert "team.member_added" in _actions()


@pytest.mark.parametrize("who", ["rival", "organiser", "plain"])
def test_r02_add_member_to_someone_elses_team_answers_404(app, setup, who):
    # Arrange
    client = _client_for(app, setup[who])

    # Act
    response = client.post(
        f"/events/hack/teams/{setup['team_id']}/members",
        data={"name": "Intruder", "background": "developer"},
    )

    # Assert
    assert response.status_code == 404
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(TeamMember.id)).where(TeamMember.name == "Intruder")
            )
            == 0
        )


def test_r06_add_member_refused_once_submissions_close(app, setup):
    # Arrange
    _set_phase(app, EventPhase.SUBMISSIONS_CLOSED)
    client = _client_for(app, setup["lead"])

    # Act
    response = client.post(
        f"/events/hack/teams/{setup['team_id']}/members",
        data={"name": "Late Larry", "background": "developer"},
    )

    # Assert
    assert response.status_code == 400
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(TeamMember.id)).where(TeamMember.name == "Late Larry")
            )
            == 0
        )


def test_remove_member_deletes_the_row(app, setup):
    # Arrange
    client = _client_for(app, setup["lead"])

    # Act
    client.post(
        f"/events/hack/teams/{setup['team_id']}/members/{setup['member_id']}/remove"
    )

    # Assert
    with app.app_context():
        assert db.session.get(TeamMember, setup["member_id"]) is None
        assert "team.member_removed" in _actions()


def test_remove_member_refuses_the_lead(app, setup):
    # Arrange
    client = _client_for(app, setup["lead"])
    url = (
        f"/events/hack/teams/{setup['team_id']}"
        f"/members/{setup['lead_member_id']}/remove"
    )

    # Act
    client.post(url)

    # Assert
    with app.app_context():
        assert db.session.get(TeamMember, setup["lead_member_id"]) is not None


def test_r02_remove_member_of_another_team_answers_404(app, setup):
    # Arrange: the lead names the rival team's member under their own team's URL
    client = _client_for(app, setup["lead"])
    url = (
        f"/events/hack/teams/{setup['team_id']}"
        f"/members/{setup['rival_member_id']}/remove"
    )

    # Act
    response = client.post(url)

    # Assert
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(TeamMember, setup["rival_member_id"]) is not None


def test_r02_team_page_shows_only_own_team(app, setup):
    # Arrange
    client = _client_for(app, setup["lead"])

    # Act
    own = client.get(f"/events/hack/teams/{setup['team_id']}")
    rival = client.get(f"/events/hack/teams/{setup['rival_team_id']}")

    # Assert
    assert own.status_code == 200
    assert "Dev Developer" in own.text
    assert rival.status_code == 404
    assert "Rival Member" not in rival.text


def test_organiser_teams_list_shows_every_team(app, setup):
    # Arrange
    client = _client_for(app, setup["organiser"])

    # Act
    response = client.get("/events/hack/teams")

    # Assert
    assert response.status_code == 200
    assert "Sip Squad" in response.text and "Rivals" in response.text


# --- pitches: R-06, R-03 ---------------------------------------------------------------


def _pitch_url(setup) -> str:
    return f"/events/hack/teams/{setup['team_id']}/pitch"


def _pitch(setup) -> Pitch:
    return db.session.get(Pitch, setup["pitch_id"])


def test_pitch_saved_as_draft_while_open(app, setup):
    # Arrange
    client = _client_for(app, setup["lead"])

    # Act
    response = client.post(
        _pitch_url(setup),
        data={"title": "Sip\x07 Smart ", "funding_requested": "4000", "action": "save"},
    )

    # Assert
    assert response.status_code == 302
    with app.app_context():
        pitch = _pitch(setup)
        assert (pitch.title, pitch.funding_requested) == ("Sip Smart", 4000)
        assert pitch.status == PitchStatus.DRAFT
        assert pitch.submitted_at is None
        assert "pitch.saved" in _actions()


def test_r06_pitch_cannot_be_submitted_before_submissions_open(app, setup):
    # Arrange
    client = _client_for(app, setup["lead"])

    # Act
    response = client.post(_pitch_url(setup), data=PITCH_FORM | {"action": "submit"})

    # Assert
    assert response.status_code == 200
    assert "Submissions are not open yet" in response.text
    with app.app_context():
        assert _pitch(setup).status == PitchStatus.DRAFT
        assert _pitch(setup).title == ""


def test_pitch_submitted_when_complete_and_open(app, setup):
    # Arrange
    _set_phase(app, EventPhase.SUBMISSIONS_OPEN)
    client = _client_for(app, setup["lead"])

    # Act
    response = client.post(_pitch_url(setup), data=PITCH_FORM | {"action": "submit"})

    # Assert
    assert response.status_code == 302
    with app.app_context():
        pitch = _pitch(setup)
        assert pitch.status == PitchStatus.SUBMITTED
        assert pitch.submitted_at is not None
        assert pitch.pitch_type == PitchType.SERVICE
        assert pitch.beneficiaries_count == 120
        assert "pitch.submitted" in _actions()


def test_incomplete_pitch_cannot_be_submitted(app, setup):
    # Arrange
    _set_phase(app, EventPhase.SUBMISSIONS_OPEN)
    client = _client_for(app, setup["lead"])

    # Act
    response = client.post(
        _pitch_url(setup), data=PITCH_FORM | {"plan": "", "action": "submit"}
    )

    # Assert
    assert "Complete every section before submitting" in response.text
    with app.app_context():
        assert _pitch(setup).status == PitchStatus.DRAFT
        assert _pitch(setup).title == ""


def test_r06_pitch_edit_after_deadline_refused_and_unchanged(app, setup):
    # Arrange: submissions open; the deadline is two days away
    _set_phase(app, EventPhase.SUBMISSIONS_OPEN)
    with app.app_context():
        deadline = _event().submissions_close_at

    # Act: the same edit just before and just after the deadline
    with time_machine.travel(deadline - timedelta(minutes=1), tick=False):
        before = _client_for(app, setup["lead"]).post(
            _pitch_url(setup), data={"title": "Before", "action": "save"}
        )
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        after = _client_for(app, setup["lead"]).post(
            _pitch_url(setup), data={"title": "After", "action": "save"}
        )

    # Assert
    assert before.status_code == 302
    assert after.status_code == 200
    assert "The submission deadline has passed" in after.text
    with app.app_context():
        assert _pitch(setup).title == "Before"


@pytest.mark.parametrize(
    "phase",
    [EventPhase.DRAFT, EventPhase.SUBMISSIONS_CLOSED, EventPhase.JUDGING],
)
def test_r06_pitch_edit_in_wrong_phase_refused_and_unchanged(app, setup, phase):
    # Arrange
    _set_phase(app, phase)
    client = _client_for(app, setup["lead"])

    # Act
    response = client.post(
        _pitch_url(setup), data={"title": "Too late", "action": "save"}
    )

    # Assert
    assert response.status_code == 200
    with app.app_context():
        assert _pitch(setup).title == ""
        assert "pitch.saved" not in _actions()


def test_r06_funding_over_the_cap_refused(app, setup):
    # Arrange
    client = _client_for(app, setup["lead"])

    # Act
    response = client.post(
        _pitch_url(setup),
        data={"title": "Greedy", "funding_requested": "5001", "action": "save"},
    )

    # Assert
    assert "cannot be more than the cap of £5,000" in response.text
    with app.app_context():
        assert _pitch(setup).funding_requested is None
        assert _pitch(setup).title == ""


@pytest.mark.parametrize("value", ["-1", "4000.5", "1e3", "lots"])
def test_funding_must_be_a_whole_non_negative_number(app, setup, value):
    # Arrange
    client = _client_for(app, setup["lead"])

    # Act
    response = client.post(
        _pitch_url(setup), data={"funding_requested": value, "action": "save"}
    )

    # Assert
    assert response.status_code == 200
    with app.app_context():
        assert _pitch(setup).funding_requested is None


def test_r03_pitch_form_cannot_set_status_team_event_or_order(app, setup):
    # Arrange
    with app.app_context():
        other_event_id = make_event(slug="other").id
        db.session.commit()
    client = _client_for(app, setup["lead"])

    # Act
    client.post(
        _pitch_url(setup),
        data={
            "title": "Honest",
            "action": "save",
            "status": "submitted",
            "team_id": str(setup["rival_team_id"]),
            "event_id": str(other_event_id),
            "running_order": "1",
            "submitted_at": "2020-01-01T00:00",
        },
    )

    # Assert
    with app.app_context():
        pitch = _pitch(setup)
        assert pitch.title == "Honest"
        assert pitch.status == PitchStatus.DRAFT
        assert pitch.team_id == setup["team_id"]
        assert pitch.event_id == _event().id
        assert pitch.running_order is None
        assert pitch.submitted_at is None


def test_r02_pitch_of_another_team_cannot_be_edited(app, setup):
    # Arrange
    client = _client_for(app, setup["rival"])

    # Act
    page = client.get(_pitch_url(setup))
    response = client.post(
        _pitch_url(setup), data={"title": "Sabotage", "action": "save"}
    )

    # Assert
    assert (page.status_code, response.status_code) == (404, 404)
    with app.app_context():
        assert _pitch(setup).title == ""


def test_organiser_reads_a_pitch_in_full(app, setup):
    # Arrange
    with app.app_context():
        pitch = _pitch(setup)
        for key, value in PITCH_FIELDS.items():
            setattr(pitch, key, value)
        db.session.commit()
    client = _client_for(app, setup["organiser"])

    # Act
    response = client.get(f"/events/hack/pitches/{setup['pitch_id']}")

    # Assert
    assert response.status_code == 200
    assert "Pilot marked cups." in response.text
    assert "£4,000" in response.text


def test_team_page_and_problems_list_for_team_lead_show_no_other_teams(app, setup):
    # Arrange
    client = _client_for(app, setup["lead"])

    # Act
    home = client.get("/")

    # Assert
    assert "Sip Squad" in home.text
    assert "Rivals" not in home.text
