"""The central access policy, end to end: deny by default (R-01), the role matrix and
object-level 404s (R-02), and tenant isolation between events (R-08)."""

import re
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import func, select

from auth import policy
from auth.models import AuditEntry
from events.models import EventPhase, JudgeInvitation, PanelMember
from extensions import db, utcnow
from judging.models import ConflictDeclaration
from pitches.models import (
    Background,
    Pitch,
    ProblemStatement,
    ProblemStatus,
    TeamMember,
)
from tests.conftest import build_app
from tests.factories import (
    add_organiser,
    make_event,
    make_judge,
    make_problem,
    make_team,
    make_user,
    sign_in,
)

# Every endpoint anyone may call without signing in, and nothing else.
PUBLIC_ALLOWLIST = {
    "static",
    "assets",
    "healthz",
    "auth.login",
    "auth.register",
    "portal.home",
    "portal.detail",
    "pitches.problems",
    "pitches.problem",
    # The projector screen and its feed: 404 until the running order is published, and
    # they never show scores or judges (tests/judging/test_live.py).
    "live.screen",
    "live.state_json",
    # People's Choice (judging/votes.py): the audience's ballot, and the projector's QR
    # screen and its count. The screen is 404 until the vote opens and never shows votes;
    # the ballot takes one CSRF-protected POST per device and shows no results.
    "votes.ballot",
    "votes.screen",
    "votes.screen_json",
}

ROLES = (
    "anonymous",
    "plain",
    "member",
    "other_member",
    "judge",
    "other_organiser",
    "organiser",
)


def _normalise(body: bytes) -> str:
    """Drop what changes on every request (CSP nonce, request id, CSRF token)."""
    text = body.decode()
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', text)
    return re.sub(r"<code>[0-9a-f]{16}</code>", "<code></code>", text)


# --- deny by default --------------------------------------------------------------


def test_r01_every_endpoint_declares_a_policy(app):
    # Arrange
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}

    # Act
    missing = sorted(e for e in endpoints if policy.policy_for(app, e) is None)

    # Assert
    assert missing == []


def test_r01_every_declared_rule_is_known(app):
    # Arrange
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}

    # Act
    unknown = {
        e: sorted(policy.policy_for(app, e) - policy.ALL_RULES) for e in endpoints
    }

    # Assert
    assert {e: r for e, r in unknown.items() if r} == {}


def test_r01_public_endpoints_equal_the_allowlist(app):
    # Arrange
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}

    # Act
    public = {e for e in endpoints if policy.PUBLIC in policy.policy_for(app, e)}

    # Assert
    assert public == PUBLIC_ALLOWLIST


def test_r01_no_public_endpoint_accepts_post_except_sign_in_and_register(app):
    # Arrange
    rules = list(app.url_map.iter_rules())

    # Act
    public_posts = {
        r.endpoint
        for r in rules
        if "POST" in r.methods and policy.PUBLIC in policy.policy_for(app, r.endpoint)
    }

    # Assert
    # The audience's People's Choice ballot is the one public form besides them.
    assert public_posts == {"auth.login", "auth.register", "votes.ballot"}


def test_r01_endpoint_without_policy_answers_403_and_never_runs(app, database_url):
    # Arrange: a throwaway route on a fresh app, registered without @allow
    fresh = build_app(database_url)
    calls = []

    @fresh.route("/no-policy")
    def no_policy():
        calls.append(1)
        return "secret"

    with app.app_context():
        user = make_user()
        db.session.commit()
        user_id = user.get_id()
    anonymous = fresh.test_client()
    signed_in = fresh.test_client()
    sign_in(signed_in, user_id)

    # Act
    as_anonymous = anonymous.get("/no-policy")
    as_user = signed_in.get("/no-policy")

    # Assert
    assert as_anonymous.status_code == 403
    assert as_user.status_code == 403
    assert b"secret" not in as_anonymous.data + as_user.data
    assert calls == []


def test_r01_allow_refuses_unknown_or_missing_rules():
    # Arrange / Act / Assert
    with pytest.raises(ValueError):
        policy.allow("admin")
    with pytest.raises(ValueError):
        policy.allow()


def test_r01_anonymous_is_sent_to_sign_in_for_every_non_public_get(app, client):
    # Arrange
    with app.app_context():
        event = make_event(slug="ev-anon", phase=EventPhase.JUDGING)
        team = make_team(event, submitted=True)
        db.session.commit()
        ids = {"slug": "ev-anon", "pitch_id": team.pitch.id, "team_id": team.id}
        ids |= {"problem_id": team.problem_id, "token": "x", "invitation_id": 1}
        ids |= {"member_id": 1, "filename": "x", "kind": "judge", "fmt": "csv"}
        ids |= {"pack_id": 1}
    rules = [
        r
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and r.endpoint not in PUBLIC_ALLOWLIST
    ]

    # Act
    answers = {}
    with app.test_request_context():
        urls = {
            r.endpoint: url_for(r.endpoint, **{k: ids[k] for k in r.arguments})
            for r in rules
        }
    for endpoint, url in urls.items():
        response = client.get(url)
        answers[endpoint] = (response.status_code, response.headers.get("Location"))

    # Assert
    expected = {
        endpoint: (302, "/login?next=" + url.replace("/", "%2F"))
        for endpoint, url in urls.items()
    }
    assert answers == expected


# --- the role matrix -------------------------------------------------------


@pytest.fixture
def world(app):
    """Event A in judging with one team of each kind; event B run by someone else."""
    with app.app_context():
        organiser = make_user(name="Olive Organiser")
        event = make_event(organiser, slug="event-a", phase=EventPhase.JUDGING)
        judge = make_judge(event, make_user(name="Jude Judge"))
        member = make_user(name="Mo Member")
        team = make_team(event, member, submitted=True)
        other_member = make_user(name="Otto Other")
        make_team(event, other_member, submitted=True)
        other_organiser = make_user(name="Bea Organiser")
        other_event = make_event(other_organiser, slug="event-b")
        plain = make_user(name="Pat Plain")
        db.session.commit()
        data = {
            "users": {
                "plain": plain.get_id(),
                "member": member.get_id(),
                "other_member": other_member.get_id(),
                "judge": judge.get_id(),
                "other_organiser": other_organiser.get_id(),
                "organiser": organiser.get_id(),
            },
            "team_id": team.id,
            "pitch_id": team.pitch.id,
            "other_event_id": other_event.id,
        }
    return data


def _matrix_urls(world) -> dict[str, str]:
    base = "/events/event-a"
    return {
        "manage": f"{base}/manage",
        "rubric": f"{base}/rubric",
        "panel": f"{base}/panel",
        "teams": f"{base}/teams",
        "pitch": f"{base}/pitches/{world['pitch_id']}",
        "results": f"{base}/results",
        "results_pdf": f"{base}/results.pdf",
        "scores_xlsx": f"{base}/results/scores-by-judge.xlsx",
        "queue": f"{base}/judge",
        "scorecard": f"{base}/judge/pitches/{world['pitch_id']}",
        "team": f"{base}/teams/{world['team_id']}",
        "edit_pitch": f"{base}/teams/{world['team_id']}/pitch",
        "edit_event": f"{base}/edit",
        "conflict": f"{base}/judge/pitches/{world['pitch_id']}/conflict",
    }


ALLOWED = {
    "anonymous": set(),
    "plain": set(),
    "member": {"team", "edit_pitch"},
    "other_member": set(),
    "judge": {"queue", "scorecard", "conflict"},
    "other_organiser": set(),
    "organiser": {
        "manage",
        "rubric",
        "panel",
        "teams",
        "pitch",
        "results",
        "results_pdf",
        "scores_xlsx",
        "team",
        "edit_event",
    },
}


@pytest.mark.parametrize("role", ROLES)
def test_r02_r08_role_matrix(app, world, role):
    # Arrange
    client = app.test_client()
    if role != "anonymous":
        sign_in(client, world["users"][role])
    urls = _matrix_urls(world)
    if role == "organiser":
        urls.pop("results_pdf")  # rendered once, in its own test below
    denied = 302 if role == "anonymous" else 404

    # Act
    answers = {name: client.get(url).status_code for name, url in urls.items()}

    # Assert
    expected = {name: 200 if name in ALLOWED[role] else denied for name in urls}
    assert answers == expected


def test_r02_organiser_downloads_result_sheet(app, world):
    # Arrange
    client = app.test_client()
    sign_in(client, world["users"]["organiser"])

    # Act
    response = client.get("/events/event-a/results.pdf")

    # Assert
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_r02_anonymous_redirect_names_the_page_and_shows_no_data(app, world, client):
    # Arrange
    url = f"/events/event-a/pitches/{world['pitch_id']}"

    # Act
    response = client.get(url)

    # Assert
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert location.query == "next=%2Fevents%2Fevent-a%2Fpitches%2F" + str(
        world["pitch_id"]
    )
    assert b"Sip Smart" not in response.data


def test_r02_denial_is_audited(app, world):
    # Arrange
    client = app.test_client()
    sign_in(client, world["users"]["plain"])

    # Act
    client.get("/events/event-a/manage")

    # Assert
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "access.denied")
        ).all()
        assert len(entries) == 1
        assert entries[0].actor_id == int(world["users"]["plain"].split(":")[0])
        assert '"/events/event-a/manage"' in entries[0].detail


def test_r02_not_yours_looks_exactly_like_not_found(app, world):
    # Arrange
    client = app.test_client()
    sign_in(client, world["users"]["other_member"])

    # Act
    not_yours = client.get(f"/events/event-a/teams/{world['team_id']}")
    missing = client.get("/events/event-a/teams/999999")
    no_event = client.get("/events/no-such-event/teams/1")

    # Assert
    assert not_yours.status_code == missing.status_code == no_event.status_code == 404
    assert _normalise(not_yours.data) == _normalise(missing.data)
    assert _normalise(not_yours.data) == _normalise(no_event.data)
    assert b"Mo Member" not in not_yours.data


def test_r02_oversized_id_answers_404_not_500(app, world):
    # Arrange
    client = app.test_client()
    sign_in(client, world["users"]["organiser"])
    huge = "9" * 30

    # Act
    answers = [
        client.get(f"/events/event-a/pitches/{huge}").status_code,
        client.get(f"/events/event-a/teams/{huge}").status_code,
        client.get(f"/events/event-a/problems/{huge}").status_code,
        client.post(f"/events/event-a/panel/invitations/{huge}/revoke").status_code,
    ]

    # Assert
    assert answers == [404, 404, 404, 404]


def test_r02_draft_event_is_hidden_from_everyone_but_its_organisers(app):
    # Arrange
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser, slug="secret-draft", phase=EventPhase.DRAFT)
        problem = make_problem(event)
        other = make_user()
        db.session.commit()
        org_id, other_id, problem_id = organiser.get_id(), other.get_id(), problem.id
    anonymous, stranger, owner = (app.test_client() for _ in range(3))
    sign_in(stranger, other_id)
    sign_in(owner, org_id)
    urls = [
        "/events/secret-draft",
        "/events/secret-draft/problems",
        f"/events/secret-draft/problems/{problem_id}",
    ]

    # Act
    seen = {
        "anonymous": [anonymous.get(u).status_code for u in urls],
        "stranger": [stranger.get(u).status_code for u in urls],
        "organiser": [owner.get(u).status_code for u in urls],
    }
    home = anonymous.get("/")

    # Assert
    assert seen == {
        "anonymous": [404, 404, 404],
        "stranger": [404, 404, 404],
        "organiser": [200, 200, 200],
    }
    assert b"secret-draft" not in home.data


# --- ids of another event under this event's slug ---------------------------------


@pytest.fixture
def two_events(app):
    """One person organises, judges and is in a team in both events A and B."""
    with app.app_context():
        everyone = make_user(name="Ava Allroles")
        event_a = make_event(everyone, slug="event-a", phase=EventPhase.JUDGING)
        event_b = make_event(slug="event-b", phase=EventPhase.JUDGING)
        add_organiser(event_b, everyone)
        make_judge(event_a, everyone)
        make_judge(event_b, everyone)
        team_a = make_team(event_a, make_user(), submitted=True)
        team_a.members.append(
            TeamMember(user_id=everyone.id, name="Ava", background=Background.DESIGNER)
        )
        team_b = make_team(event_b, make_user(), submitted=True)
        team_b.members.append(
            TeamMember(user_id=everyone.id, name="Ava", background=Background.DESIGNER)
        )
        judge_b = make_judge(event_b)
        member_b = db.session.scalar(
            select(PanelMember).where(PanelMember.user_id == judge_b.id)
        )
        invitation_b = JudgeInvitation(
            event_id=event_b.id,
            nonce_hash="0" * 64,
            expires_at=utcnow().replace(year=utcnow().year + 1),
        )
        db.session.add(invitation_b)
        db.session.commit()
        data = {
            "user": everyone.get_id(),
            "pitch_b": team_b.pitch.id,
            "team_b": team_b.id,
            "member_b": team_b.members[0].id,
            "problem_b": team_b.problem_id,
            "panel_member_b": member_b.id,
            "invitation_b": invitation_b.id,
        }
    return data


def test_r08_ids_of_another_event_answer_404_for_reads(app, two_events):
    # Arrange
    client = app.test_client()
    sign_in(client, two_events["user"])
    ids = two_events

    # Act
    answers = {
        "pitch": client.get(f"/events/event-a/pitches/{ids['pitch_b']}").status_code,
        "team": client.get(f"/events/event-a/teams/{ids['team_b']}").status_code,
        "edit_pitch": client.get(
            f"/events/event-a/teams/{ids['team_b']}/pitch"
        ).status_code,
        "problem": client.get(
            f"/events/event-a/problems/{ids['problem_b']}"
        ).status_code,
        "scorecard": client.get(
            f"/events/event-a/judge/pitches/{ids['pitch_b']}"
        ).status_code,
        "conflict": client.get(
            f"/events/event-a/judge/pitches/{ids['pitch_b']}/conflict"
        ).status_code,
    }
    control = client.get(f"/events/event-b/pitches/{ids['pitch_b']}").status_code

    # Assert
    assert answers == dict.fromkeys(answers, 404)
    assert control == 200


def test_r08_ids_of_another_event_change_nothing(app, two_events):
    # Arrange
    client = app.test_client()
    sign_in(client, two_events["user"])
    ids = two_events
    with app.app_context():
        members_before = db.session.scalar(select(func.count(TeamMember.id)))

    # Act
    answers = [
        client.post(
            f"/events/event-a/problems/{ids['problem_b']}/decision",
            data={"decision": "decline"},
        ).status_code,
        client.post(
            f"/events/event-a/judge/pitches/{ids['pitch_b']}/conflict",
            data={"reason": "cross-event"},
        ).status_code,
        client.post(
            f"/events/event-a/teams/{ids['team_b']}/members",
            data={"name": "Intruder", "background": "developer"},
        ).status_code,
        client.post(
            f"/events/event-a/teams/{ids['team_b']}/members/{ids['member_b']}/remove"
        ).status_code,
        client.post(
            f"/events/event-a/teams/{ids['team_b']}/pitch",
            data={"title": "Hijacked", "action": "save"},
        ).status_code,
        client.post(
            "/events/event-a/panel/remove", data={"member_id": ids["panel_member_b"]}
        ).status_code,
        client.post(
            "/events/event-a/panel/chair", data={"member_id": ids["panel_member_b"]}
        ).status_code,
        client.post(
            f"/events/event-a/panel/invitations/{ids['invitation_b']}/revoke"
        ).status_code,
    ]

    # Assert
    assert answers == [404] * len(answers)
    with app.app_context():
        problem = db.session.get(ProblemStatement, ids["problem_b"])
        assert problem.status == ProblemStatus.APPROVED
        assert db.session.scalar(select(func.count(ConflictDeclaration.id))) == 0
        assert db.session.scalar(select(func.count(TeamMember.id))) == members_before
        assert db.session.get(TeamMember, ids["member_b"]) is not None
        assert db.session.get(Pitch, ids["pitch_b"]).title == "Sip Smart"
        member = db.session.get(PanelMember, ids["panel_member_b"])
        assert member is not None and member.is_chair is False
        assert db.session.get(JudgeInvitation, ids["invitation_b"]).revoked_at is None


def test_r08_organiser_of_another_event_cannot_change_this_one(app, world):
    # Arrange
    client = app.test_client()
    sign_in(client, world["users"]["other_organiser"])

    # Act
    answers = [
        client.post("/events/event-a/phase", data={"target": "moderation"}).status_code,
        client.post("/events/event-a/panel/invitations", data={}).status_code,
        client.post("/events/event-a/results/publish").status_code,
        client.get("/events/event-a/results.pdf").status_code,
    ]

    # Assert
    assert answers == [404, 404, 404, 404]
    with app.app_context():
        from events.models import Event

        event = db.session.scalar(select(Event).where(Event.slug == "event-a"))
        assert event.phase == EventPhase.JUDGING
        assert db.session.scalar(select(func.count(JudgeInvitation.id))) == 0
