"""Organiser set-up over HTTP: creating and editing events, phases (R-06), the rubric,
the panel, and single-use expiring judge invitations (R-12)."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import func, select

from auth.models import AuditEntry
from events import services as event_services
from events.models import (
    Criterion,
    Event,
    EventFunder,
    EventOrganiser,
    EventPhase,
    JudgeInvitation,
    PanelMember,
)
from extensions import db, utcnow
from tests.factories import make_event, make_judge, make_user, sign_in

EVENT_FORM = {
    "name": "Care Homes Hack 2026",
    "slug": "care-homes-2026",
    "event_type": "hack_to_fund",
    "starts_at": "2026-07-01T09:00",  # BST: 08:00 UTC
    "ends_at": "2026-07-02T17:00",
    "submissions_close_at": "2026-12-01T17:00",  # GMT: 17:00 UTC
    "venue": "Town hall",
    "description": "Two days of care-home ideas.",
    "pot_pounds": "25000",
    "cap_pounds": "5000",
    "preset": "B",
}


def _client_for(app, user_id: str):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def _event(slug: str) -> Event:
    return db.session.scalar(select(Event).where(Event.slug == slug))


def _actions() -> list[str]:
    return db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()


@pytest.fixture
def organised(app):
    """An organiser with an event in the 'open' phase; returns their id string."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser", is_organiser=True)
        make_event(organiser, slug="hack")
        db.session.commit()
        return organiser.get_id()


# --- creating and editing events -------------------------------------------------------


def test_create_event_stores_a_draft_with_its_rubric_and_organiser(app):
    # Arrange
    with app.app_context():
        organiser = make_user(is_organiser=True)
        db.session.commit()
        organiser_id, user_pk = organiser.get_id(), organiser.id
    client = _client_for(app, organiser_id)

    # Act
    response = client.post("/events/new", data=EVENT_FORM)

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"] == "/events/care-homes-2026/manage"
    with app.app_context():
        event = _event("care-homes-2026")
        assert event.phase == EventPhase.DRAFT
        assert event.starts_at == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
        assert event.submissions_close_at == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
        assert (event.pot_pounds, event.cap_pounds) == (25000, 5000)
        assert [c.code for c in event.criteria] == [f"C{n}" for n in range(1, 8)]
        assert sum(c.weight for c in event.criteria) == 100
        assert db.session.scalars(select(EventOrganiser.user_id)).all() == [user_pk]
        assert _actions() == ["event.created"]


def test_r03_create_event_ignores_phase_and_publication_fields(app):
    # Arrange
    with app.app_context():
        organiser = make_user(is_organiser=True)
        db.session.commit()
        client = _client_for(app, organiser.get_id())

    # Act
    client.post(
        "/events/new",
        data=EVENT_FORM
        | {"phase": "published", "published_at": "2026-01-01T00:00", "id": "77"},
    )

    # Assert
    with app.app_context():
        event = _event("care-homes-2026")
        assert event.phase == EventPhase.DRAFT
        assert event.published_at is None
        assert event.id != 77


def test_create_event_refused_for_account_without_organiser_right(app):
    # Arrange
    with app.app_context():
        user = make_user()
        db.session.commit()
        client = _client_for(app, user.get_id())

    # Act
    page = client.get("/events/new")
    response = client.post("/events/new", data=EVENT_FORM)

    # Assert
    assert (page.status_code, response.status_code) == (404, 404)
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cap_pounds": "30000"}, "cannot be more than the funding pot"),
        ({"slug": "Bad Slug!"}, "Slug must be lower-case"),
        ({"ends_at": "2026-06-30T09:00"}, "must end after it starts"),
        ({"pot_pounds": "-1"}, "Enter a whole number of pounds"),
    ],
)
def test_create_event_refuses_invalid_details(app, change, message):
    # Arrange
    with app.app_context():
        organiser = make_user(is_organiser=True)
        db.session.commit()
        client = _client_for(app, organiser.get_id())

    # Act
    response = client.post("/events/new", data=EVENT_FORM | change)

    # Assert
    assert response.status_code == 200
    assert message in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 0


def test_create_event_refuses_a_slug_in_use(app, organised):
    # Arrange
    client = _client_for(app, organised)

    # Act
    response = client.post("/events/new", data=EVENT_FORM | {"slug": "hack"})

    # Assert
    assert "Another event already uses that slug" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id))) == 1


def test_edit_event_saves_details_and_audits_the_change(app, organised):
    # Arrange
    client = _client_for(app, organised)

    # Act
    response = client.post(
        "/events/hack/edit", data=EVENT_FORM | {"slug": "hack", "venue": "New venue"}
    )

    # Assert
    assert response.status_code == 302
    with app.app_context():
        assert _event("hack").venue == "New venue"
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "event.updated")
        )
        assert '"venue": ["Test venue", "New venue"]' in entry.detail


def test_edit_event_form_shows_stored_choices_and_resaves_them_unchanged(
    app, organised
):
    # Arrange: the edit form is pre-filled from the stored event (an Enum-backed radio)
    client = _client_for(app, organised)
    page = client.get("/events/hack/edit").get_data(as_text=True)
    fields = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', page))
    checked = re.findall(r'name="event_type" type="radio" value="(\w+)" checked', page)

    # Act: post the form back exactly as shown
    response = client.post(
        "/events/hack/edit", data=fields | {"event_type": checked[0], "description": ""}
    )

    # Assert
    assert checked == ["hack_to_fund"]
    assert response.status_code == 302
    with app.app_context():
        assert _event("hack").event_type.value == "hack_to_fund"


def test_r06_edit_event_refused_once_judging_started(app, organised):
    # Arrange
    with app.app_context():
        _event("hack").phase = EventPhase.JUDGING
        db.session.commit()
    client = _client_for(app, organised)

    # Act
    response = client.post(
        "/events/hack/edit",
        data=EVENT_FORM
        | {"slug": "hack", "pot_pounds": "99999", "cap_pounds": "99999"},
    )

    # Assert
    assert response.status_code == 200
    assert "locked once judging has started" in response.text
    with app.app_context():
        assert (_event("hack").pot_pounds, _event("hack").cap_pounds) == (25000, 5000)


# --- phases: R-06 ----------------------------------------------------------------------


def test_r06_phase_moves_one_legal_step_and_is_audited(app, organised):
    # Arrange
    client = _client_for(app, organised)

    # Act
    response = client.post("/events/hack/phase", data={"target": "submissions_open"})

    # Assert
    assert response.status_code == 302
    with app.app_context():
        assert _event("hack").phase == EventPhase.SUBMISSIONS_OPEN
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "event.phase_changed")
        )
        assert entry.detail == '{"new": "submissions_open", "old": "open"}'


@pytest.mark.parametrize("target", ["judging", "moderation", "draft-x", ""])
def test_r06_phase_refuses_illegal_or_unknown_targets(app, organised, target):
    # Arrange
    client = _client_for(app, organised)

    # Act
    client.post("/events/hack/phase", data={"target": target})

    # Assert
    with app.app_context():
        assert _event("hack").phase == EventPhase.OPEN
        assert "event.phase_changed" not in _actions()


def test_r07_phase_form_cannot_publish_results(app, organised):
    # Arrange
    with app.app_context():
        _event("hack").phase = EventPhase.MODERATION
        db.session.commit()
    client = _client_for(app, organised)

    # Act
    response = client.post("/events/hack/phase", data={"target": "published"})

    # Assert
    assert response.headers["Location"] == "/events/hack/results"
    with app.app_context():
        assert _event("hack").phase == EventPhase.MODERATION
        assert _event("hack").published_at is None


def test_r06_judging_cannot_start_unless_weights_add_to_100(app, organised):
    # Arrange
    with app.app_context():
        event = _event("hack")
        event.phase = EventPhase.SUBMISSIONS_CLOSED
        event.criteria[0].weight += 1
        db.session.commit()
    client = _client_for(app, organised)

    # Act
    client.post("/events/hack/phase", data={"target": "judging"})

    # Assert
    with app.app_context():
        assert _event("hack").phase == EventPhase.SUBMISSIONS_CLOSED


# --- the rubric ------------------------------------------------------------------------


def _rubric_form(slug: str) -> dict[str, str]:
    data = {}
    for c in _event(slug).criteria:
        data |= {
            f"c{c.id}_name": c.name,
            f"c{c.id}_question": c.question,
            f"c{c.id}_weight": str(c.weight),
            f"c{c.id}_tie": str(c.tie_break_rank or ""),
        }
        data |= {f"c{c.id}_level{lv.score}": lv.descriptor for lv in c.levels}
    return data


def test_rubric_edit_saves_weights_names_and_tie_break(app, organised):
    # Arrange
    with app.app_context():
        data = _rubric_form("hack")
        first, second = (c.id for c in _event("hack").criteria[:2])
    data[f"c{first}_weight"] = str(int(data[f"c{first}_weight"]) + 5)
    data[f"c{second}_weight"] = str(int(data[f"c{second}_weight"]) - 5)
    data[f"c{first}_name"] = "Problem\u202e & insight"  # bidi control stripped
    data[f"c{first}_tie"] = "3"
    client = _client_for(app, organised)

    # Act
    response = client.post("/events/hack/rubric", data=data)

    # Assert
    assert response.status_code == 302
    with app.app_context():
        c1, c2 = _event("hack").criteria[:2]
        assert (c1.weight, c2.weight) == (20, 15)
        assert c1.name == "Problem & insight"
        assert c1.tie_break_rank == 3
        assert "rubric.updated" in _actions()


@pytest.mark.parametrize("problem", ["weights", "duplicate-tie"])
def test_rubric_edit_refuses_bad_rubric_and_keeps_the_old_one(app, organised, problem):
    # Arrange
    with app.app_context():
        data = _rubric_form("hack")
        ids = [c.id for c in _event("hack").criteria]
        before = {c.id: (c.weight, c.tie_break_rank) for c in _event("hack").criteria}
    if problem == "weights":
        data[f"c{ids[0]}_weight"] = "50"
    else:
        data[f"c{ids[0]}_tie"] = data[f"c{ids[1]}_tie"] = "1"
    client = _client_for(app, organised)

    # Act
    response = client.post("/events/hack/rubric", data=data)

    # Assert
    assert response.status_code == 200
    with app.app_context():
        after = {c.id: (c.weight, c.tie_break_rank) for c in _event("hack").criteria}
        assert after == before


def test_r06_rubric_locked_once_judging_started(app, organised):
    # Arrange
    with app.app_context():
        _event("hack").phase = EventPhase.JUDGING
        db.session.commit()
        data = _rubric_form("hack")
        first, second = (c.id for c in _event("hack").criteria[:2])
    data[f"c{first}_weight"] = str(int(data[f"c{first}_weight"]) + 5)
    data[f"c{second}_weight"] = str(int(data[f"c{second}_weight"]) - 5)
    client = _client_for(app, organised)

    # Act
    response = client.post("/events/hack/rubric", data=data)

    # Assert
    assert "locked once judging has started" in response.text
    with app.app_context():
        assert db.session.get(Criterion, first).weight == 15


# --- the panel -------------------------------------------------------------------------


def test_set_chair_makes_one_judge_the_chair(app, organised):
    # Arrange
    with app.app_context():
        event = _event("hack")
        make_judge(event, chair=True)
        make_judge(event)
        db.session.commit()
        old, new = db.session.scalars(select(PanelMember).order_by(PanelMember.id))
        old_id, new_id = old.id, new.id
    client = _client_for(app, organised)

    # Act
    client.post("/events/hack/panel/chair", data={"member_id": str(new_id)})

    # Assert
    with app.app_context():
        assert db.session.get(PanelMember, new_id).is_chair is True
        assert db.session.get(PanelMember, old_id).is_chair is False


def test_remove_judge_before_judging(app, organised):
    # Arrange
    with app.app_context():
        make_judge(_event("hack"))
        db.session.commit()
        member_id = db.session.scalar(select(PanelMember.id))
    client = _client_for(app, organised)

    # Act
    client.post("/events/hack/panel/remove", data={"member_id": str(member_id)})

    # Assert
    with app.app_context():
        assert db.session.get(PanelMember, member_id) is None
        assert "panel.judge_removed" in _actions()


def test_r17_removed_judge_is_signed_out_everywhere(app, organised):
    # Arrange: the judge is signed in on a tablet
    with app.app_context():
        judge = make_judge(_event("hack"))
        db.session.commit()
        judge_id = judge.get_id()
        member_id = db.session.scalar(select(PanelMember.id))
    tablet = _client_for(app, judge_id)
    assert tablet.get("/events/hack/judge").status_code == 200

    # Act
    _client_for(app, organised).post(
        "/events/hack/panel/remove", data={"member_id": str(member_id)}
    )
    response = tablet.get("/")

    # Assert: the old session no longer names a signed-in user
    assert "Sign out" not in response.text
    assert tablet.get("/events/hack/judge").status_code == 302


def test_r06_remove_judge_refused_once_judging_started(app, organised):
    # Arrange
    with app.app_context():
        make_judge(_event("hack"))
        _event("hack").phase = EventPhase.JUDGING
        db.session.commit()
        member_id = db.session.scalar(select(PanelMember.id))
    client = _client_for(app, organised)

    # Act
    client.post("/events/hack/panel/remove", data={"member_id": str(member_id)})

    # Assert
    with app.app_context():
        assert db.session.get(PanelMember, member_id) is not None


def _funder(
    app, email: str = "fran@example.org", slug: str = "hack"
) -> tuple[int, str]:
    """Add a funder to an event; return the EventFunder id and the user's login id."""
    with app.app_context():
        user = make_user(email, "Fran Funder")
        row = event_services.add_funder(None, _event(slug), user)
        db.session.commit()
        return row.id, user.get_id()


def test_remove_funder_before_approval_signs_them_out(app, organised):
    # Arrange: the funder is signed in
    funder_id, login = _funder(app)
    browser = _client_for(app, login)
    assert browser.get("/events/hack/funding").status_code == 200

    # Act
    response = _client_for(app, organised).post(
        "/events/hack/funders/remove", data={"member_id": str(funder_id)}
    )

    # Assert
    assert response.headers["Location"] == "/events/hack/panel"
    with app.app_context():
        assert db.session.get(EventFunder, funder_id) is None
        assert "funders.removed" in _actions()
    assert browser.get("/events/hack/funding").status_code == 302  # signed out


def test_remove_funder_refused_once_the_allocation_is_approved(app, organised):
    # Arrange
    funder_id, _ = _funder(app)
    with app.app_context():
        _event("hack").allocation_approved_at = utcnow()
        db.session.commit()
    client = _client_for(app, organised)

    # Act
    client.post("/events/hack/funders/remove", data={"member_id": str(funder_id)})
    page = client.get("/events/hack/panel").text

    # Assert
    assert "cannot be removed once the funding allocation is approved" in page
    assert "funders/remove" not in page
    with app.app_context():
        assert db.session.get(EventFunder, funder_id) is not None
        assert "funders.removed" not in _actions()


def test_remove_funder_of_another_event_or_by_a_judge_refused(app, organised):
    # Arrange: a funder of another event, and a judge of this one
    with app.app_context():
        make_event(make_user("o2@example.org", "Otto Other"), slug="other")
        judge = make_judge(_event("hack"))
        db.session.commit()
        judge_login = judge.get_id()
    other_id, _ = _funder(app, slug="other")
    mine_id, _ = _funder(app, email="fay@example.org")

    # Act
    elsewhere = _client_for(app, organised).post(
        "/events/hack/funders/remove", data={"member_id": str(other_id)}
    )
    by_judge = _client_for(app, judge_login).post(
        "/events/hack/funders/remove", data={"member_id": str(mine_id)}
    )

    # Assert
    assert elsewhere.status_code == 404
    assert by_judge.status_code == 404
    with app.app_context():
        assert db.session.get(EventFunder, other_id) is not None
        assert db.session.get(EventFunder, mine_id) is not None


@pytest.mark.parametrize("member_id", ["²", "５", "9" * 30, "-1", "1.0", " 1"])
@pytest.mark.parametrize("action", ["chair", "remove"])
def test_panel_actions_ignore_malformed_member_ids(app, organised, action, member_id):
    # Arrange
    with app.app_context():
        make_judge(_event("hack"))
        db.session.commit()
    client = _client_for(app, organised)

    # Act
    response = client.post(
        f"/events/hack/panel/{action}", data={"member_id": member_id}
    )

    # Assert
    assert response.status_code == 302
    with app.app_context():
        member = db.session.scalar(select(PanelMember))
        assert member is not None and member.is_chair is False


# --- judge invitations: R-12 -----------------------------------------------------------


def _create_link(app, organiser_id: str, note: str = "For Dr Jones") -> str:
    """Create an invitation as the organiser and return the link's path."""
    response = _client_for(app, organiser_id).post(
        "/events/hack/panel/invitations", data={"note": note}
    )
    assert response.status_code == 200
    link = re.search(r'id="invite-link">([^<]+)<', response.text).group(1)
    return urlsplit(link).path


def test_invitation_link_is_shown_once_and_only_its_hash_stored(app, organised):
    # Arrange
    client = _client_for(app, organised)

    # Act
    created = client.post("/events/hack/panel/invitations", data={"note": "Dr Jones"})
    panel = client.get("/events/hack/panel")

    # Assert
    link = re.search(r'id="invite-link">([^<]+)<', created.text).group(1)
    assert link.startswith("http://localhost/invitations/")
    token = urlsplit(link).path.rsplit("/", 1)[1]
    assert token not in panel.text
    assert "Dr Jones" in panel.text
    with app.app_context():
        invitation = db.session.scalar(select(JudgeInvitation))
        assert re.fullmatch(r"[0-9a-f]{64}", invitation.nonce_hash)
        assert invitation.nonce_hash not in token
        assert invitation.note == "Dr Jones"
        assert invitation.used_at is None
        left = invitation.expires_at - utcnow()
        assert timedelta(days=13, hours=23) < left <= timedelta(days=14)
        assert "panel.invitation_created" in _actions()


def test_invitation_is_redeemed_once(app, organised):
    # Arrange
    path = _create_link(app, organised)
    with app.app_context():
        judge, latecomer = make_user(name="Jo Judge"), make_user(name="Lee Late")
        db.session.commit()
        judge_id, judge_pk = judge.get_id(), judge.id
        latecomer_id, latecomer_pk = latecomer.get_id(), latecomer.id
    judge_client = _client_for(app, judge_id)
    late_client = _client_for(app, latecomer_id)

    # Act
    page = judge_client.get(path)
    accepted = judge_client.post(path)
    second_page = late_client.get(path)
    second_use = late_client.post(path)

    # Assert
    assert page.status_code == 200
    assert "Test event hack" in page.text
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == "/events/hack/judge"
    assert judge_client.get("/events/hack/judge").status_code == 200
    assert (second_page.status_code, second_use.status_code) == (410, 410)
    with app.app_context():
        members = db.session.scalars(select(PanelMember.user_id)).all()
        assert members == [judge_pk]
        invitation = db.session.scalar(select(JudgeInvitation))
        assert invitation.used_by_id == judge_pk
        assert invitation.used_at is not None
        assert latecomer_pk not in members
        assert "panel.invitation_used" in _actions()


def test_invitation_cannot_be_reused_by_the_same_user(app, organised):
    # Arrange
    path = _create_link(app, organised)
    with app.app_context():
        judge = make_user()
        db.session.commit()
        judge_id = judge.get_id()
    client = _client_for(app, judge_id)
    client.post(path)

    # Act
    again = client.post(path)

    # Assert
    assert again.status_code == 410
    with app.app_context():
        assert db.session.scalar(select(func.count(PanelMember.id))) == 1


def test_invitation_needs_a_signed_in_user(app, organised):
    # Arrange
    path = _create_link(app, organised)

    # Act
    response = app.test_client().get(path)

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Finvitations%2F")


@pytest.mark.parametrize(
    "tamper",
    [
        # Not the last character: its low bits can be base64 padding, so a change there
        # may decode to the same signature bytes.
        lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:],  # signature
        lambda t: ("A" if t[0] != "A" else "B") + t[1:],  # payload
        lambda t: t + "x",
        lambda t: "not-a-token",
    ],
    ids=["signature", "payload", "appended", "garbage"],
)
def test_tampered_invitation_answers_410(app, organised, tamper):
    # Arrange
    path = _create_link(app, organised)
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        user = make_user()
        db.session.commit()
        user_id = user.get_id()
    client = _client_for(app, user_id)

    # Act
    page = client.get(f"/invitations/{tamper(token)}")
    used = client.post(f"/invitations/{tamper(token)}")

    # Assert
    assert (page.status_code, used.status_code) == (410, 410)
    assert "This invitation cannot be used" in used.text
    with app.app_context():
        assert db.session.scalar(select(func.count(PanelMember.id))) == 0
        assert db.session.scalar(select(JudgeInvitation.used_at)) is None


def test_invitation_expired_by_time_answers_410(app, organised):
    # Arrange
    path = _create_link(app, organised)
    with app.app_context():
        user = make_user()
        db.session.commit()
        user_id = user.get_id()

    # Act
    with time_machine.travel(utcnow() + timedelta(days=15), tick=False):
        client = _client_for(app, user_id)  # a session signed at the travelled time
        page = client.get(path)
        used = client.post(path)

    # Assert
    assert (page.status_code, used.status_code) == (410, 410)
    with app.app_context():
        assert db.session.scalar(select(func.count(PanelMember.id))) == 0


def test_invitation_past_its_stored_expiry_answers_410(app, organised):
    # Arrange
    path = _create_link(app, organised)
    with app.app_context():
        db.session.scalar(select(JudgeInvitation)).expires_at = utcnow() - timedelta(
            seconds=1
        )
        user = make_user()
        db.session.commit()
        user_id = user.get_id()
    client = _client_for(app, user_id)

    # Act
    response = client.post(path)

    # Assert
    assert response.status_code == 410
    with app.app_context():
        assert db.session.scalar(select(func.count(PanelMember.id))) == 0


def test_revoked_invitation_answers_410(app, organised):
    # Arrange
    path = _create_link(app, organised)
    with app.app_context():
        invitation_id = db.session.scalar(select(JudgeInvitation.id))
        user = make_user()
        db.session.commit()
        user_id = user.get_id()
    organiser = _client_for(app, organised)

    # Act
    organiser.post(f"/events/hack/panel/invitations/{invitation_id}/revoke")
    response = _client_for(app, user_id).post(path)

    # Assert
    assert response.status_code == 410
    with app.app_context():
        assert db.session.get(JudgeInvitation, invitation_id).revoked_at is not None
        assert db.session.scalar(select(func.count(PanelMember.id))) == 0
        assert "panel.invitation_revoked" in _actions()


def test_invitation_for_a_judge_already_on_the_panel_adds_no_second_row(app, organised):
    # Arrange
    path = _create_link(app, organised)
    with app.app_context():
        judge = make_judge(_event("hack"))
        db.session.commit()
        judge_id = judge.get_id()

    # Act
    response = _client_for(app, judge_id).post(path)

    # Assert
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(PanelMember.id))) == 1


def test_r10_invitation_links_are_throttled_after_repeated_bad_tokens(app):
    # Arrange: a signed-in user and a real, unused invitation
    with app.app_context():
        app.config["INVITATION_THROTTLE"] = 3
        organiser = make_user("inv-org@example.org", is_organiser=True)
        event = make_event(organiser, slug="throttled")
        from events import services as event_services

        token = event_services.create_invitation(organiser, event)
        guest = make_user("guesser@example.org")
        db.session.commit()
        guest_id = guest.get_id()
    client = _client_for(app, guest_id)

    # Act: three bad tokens, then the genuine one
    bad = [client.get(f"/invitations/not-a-token-{n}").status_code for n in range(3)]
    genuine = client.get(f"/invitations/{token}")

    # Assert: the genuine link waits too, and the failures are counted in the database
    assert bad == [410, 410, 410]
    assert genuine.status_code == 429
    assert "Wait a few minutes" in genuine.text
    with app.app_context():
        from auth.models import LoginFailure

        keys = db.session.scalars(select(LoginFailure.key)).all()
        assert keys.count(f"invite:user:{guest_id.split(':')[0]}") == 3
