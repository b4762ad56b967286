"""Conflicts of interest (R-04) and blind judging: declarations of interests, organisation
matches the organiser decides, exclusion from results, the register export (R-27), and
who may reach each page (R-01, R-02)."""

import csv
import io
import json

import pytest
from sqlalchemy import select

from auth.models import AuditEntry, User
from events.models import Event, EventPhase, PanelMember
from exports import csv_safe, to_csv
from extensions import db
from judging import conflicts, services
from judging.models import ConflictDecision
from pitches.models import Background, TeamMember
from tests.factories import (
    declare_conflict,
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
    sign_in,
)

J1_MARKS = [4, 3, 5, 2, 4, 5, 1]  # weighted 3.50 on preset B
J2_MARKS = [2, 2, 2, 2, 2, 2, 1]  # weighted 1.95


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == "coi"))


def _client_for(app, user_id: str):
    client = app.test_client()
    sign_in(client, user_id)
    return client


def _audit(action: str) -> list[dict]:
    rows = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    )
    return [json.loads(r.detail) | {"actor_id": r.actor_id} for r in rows]


@pytest.fixture
def coi(app):
    """Event 'coi' in judging; judge 1 works at Leeds Teaching Hospitals, as does a
    member of team 'Sip Squad'; judge 2 is unrelated."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olive Organiser")
        event = make_event(organiser, slug="coi", phase=EventPhase.JUDGING)
        judge1 = make_judge(event, make_user("j1@example.org", "Jan One"))
        judge2 = make_judge(event, make_user("j2@example.org", "Jo Two"))
        lead = make_user("lead@example.org", "Lena Lead")
        team1 = make_team(
            event,
            lead,
            name="Sip Squad",
            submitted=True,
            members=[("Priya Patel", Background.CLINICIAN)],
        )
        team1.members[1].organisation = "Leeds Teaching Hospitals "
        team2 = make_team(event, name="Falls Fixers", submitted=True)
        member1 = db.session.scalar(
            select(PanelMember).where(PanelMember.user_id == judge1.id)
        )
        member1.organisation = "  leeds teaching HOSPITALS"
        member1.interests = "Governor of a care home"
        outsider = make_user("plain@example.org", "Pat Plain")
        db.session.commit()
        return {
            "organiser": organiser.get_id(),
            "organiser_pk": organiser.id,
            "judge1": judge1.get_id(),
            "judge1_pk": judge1.id,
            "judge2": judge2.get_id(),
            "judge2_pk": judge2.id,
            "lead": lead.get_id(),
            "outsider": outsider.get_id(),
            "pitch1": team1.pitch.id,
            "pitch2": team2.pitch.id,
        }


def _decide(app, coi, decision: str, pitch_key: str = "pitch1"):
    client = _client_for(app, coi["organiser"])
    return client.post(
        "/events/coi/conflicts/decide",
        data={
            "pitch_id": str(coi[pitch_key]),
            "judge_id": str(coi["judge1_pk"]),
            "decision": decision,
        },
    )


# --- blind judging -----------------------------------------------------------------------


def _set_blind(app, blind: bool) -> None:
    with app.app_context():
        _event().is_blind = blind
        db.session.commit()


@pytest.mark.parametrize(
    "path",
    ["/events/coi/judge/pitches/{pitch}", "/events/coi/judge/pitches/{pitch}/conflict"],
)
def test_blind_judging_hides_member_names_and_organisations_from_judges(app, coi, path):
    # Arrange
    _set_blind(app, True)
    judge2 = _client_for(app, coi["judge2"])

    # Act
    queue = judge2.get("/events/coi/judge").get_data(as_text=True)
    page = judge2.get(path.format(pitch=coi["pitch1"])).get_data(as_text=True)

    # Assert
    for html in (queue, page):
        assert "Sip Squad" in html
        assert "Priya Patel" not in html
        assert "Lena Lead" not in html
        assert "Leeds Teaching Hospitals" not in html


def test_not_blind_judges_see_member_names_and_organisations(app, coi):
    # Arrange
    _set_blind(app, False)
    judge2 = _client_for(app, coi["judge2"])

    # Act
    html = judge2.get(f"/events/coi/judge/pitches/{coi['pitch1']}").get_data(
        as_text=True
    )

    # Assert
    assert "Priya Patel" in html
    assert "Leeds Teaching Hospitals" in html


def test_blind_judging_organisers_still_see_member_names(app, coi):
    # Arrange
    _set_blind(app, True)
    organiser = _client_for(app, coi["organiser"])

    # Act
    with app.app_context():
        team_id = db.session.scalar(
            select(TeamMember.team_id).where(TeamMember.name == "Priya Patel")
        )
    html = organiser.get(f"/events/coi/teams/{team_id}").get_data(as_text=True)

    # Assert
    assert "Priya Patel" in html
    assert "Lena Lead" in html


def test_blind_judging_is_saved_from_the_event_form(app, coi):
    # Arrange
    with app.app_context():
        event = _event()
        event.phase = EventPhase.OPEN
        db.session.commit()
    organiser = _client_for(app, coi["organiser"])
    form = organiser.get("/events/coi/edit").get_data(as_text=True)
    assert 'name="is_blind"' in form
    data = {
        "name": "COI event",
        "slug": "coi",
        "event_type": "hack_to_fund",
        "starts_at": "2030-05-01T09:00",
        "ends_at": "2030-05-01T17:00",
        "submissions_close_at": "2030-04-30T17:00",
        "venue": "Leeds",
        "description": "",
        "pot_pounds": "25000",
        "cap_pounds": "5000",
        "is_blind": "y",
    }

    # Act
    response = organiser.post("/events/coi/edit", data=data)

    # Assert
    assert response.status_code == 302
    with app.app_context():
        assert _event().is_blind is True
        assert _audit("event.updated")[-1]["is_blind"] == ["False", "True"]


# --- the judge's declaration of interests ------------------------------------------------


def test_declaration_prompt_shown_until_the_judge_declares(app, coi):
    # Arrange
    judge2 = _client_for(app, coi["judge2"])
    before = judge2.get("/events/coi/judge").get_data(as_text=True)

    # Act
    response = judge2.post(
        "/events/coi/judge/declaration",
        data={"organisation": "  NHS   England ", "interests": "Adviser to a startup"},
    )
    after = judge2.get("/events/coi/judge").get_data(as_text=True)

    # Assert
    assert response.status_code == 302
    assert "Complete your declaration of interests" in before
    assert "Complete your declaration of interests" not in after
    assert "Change your declaration of interests" in after
    with app.app_context():
        member = db.session.scalar(
            select(PanelMember).where(PanelMember.user_id == coi["judge2_pk"])
        )
        assert (member.organisation, member.interests) == (
            "NHS England",
            "Adviser to a startup",
        )
        assert member.declared_at is not None
        assert _audit("conflict.interests_declared") == [
            {
                "organisation": "NHS England",
                "first": True,
                "actor_id": coi["judge2_pk"],
            }
        ]


def test_declaration_without_organisation_is_refused(app, coi):
    # Arrange
    judge2 = _client_for(app, coi["judge2"])

    # Act
    response = judge2.post(
        "/events/coi/judge/declaration", data={"organisation": "  ", "interests": ""}
    )

    # Assert
    assert response.status_code == 200
    assert "Enter your organisation" in response.get_data(as_text=True)
    with app.app_context():
        member = db.session.scalar(
            select(PanelMember).where(PanelMember.user_id == coi["judge2_pk"])
        )
        assert member.declared_at is None


def test_queue_rows_link_to_declare_a_conflict(app, coi):
    # Arrange
    judge2 = _client_for(app, coi["judge2"])

    # Act
    html = judge2.get("/events/coi/judge").get_data(as_text=True)

    # Assert
    for pitch in ("pitch1", "pitch2"):
        assert f'href="/events/coi/judge/pitches/{coi[pitch]}/conflict"' in html
    assert 'href="/events/coi/judge/declaration"' in html


# --- organisation matches ----------------------------------------------------------------


def test_same_organisation_is_flagged_case_insensitive_and_trimmed(app, coi):
    # Act
    with app.app_context():
        flags = conflicts.flagged_pairs(_event())
        pairs = [(f.pitch.id, f.member.user_id, f.pending) for f in flags]

    # Assert
    assert pairs == [(coi["pitch1"], coi["judge1_pk"], True)]


def test_empty_or_none_organisation_is_never_flagged(app, coi):
    # Arrange
    with app.app_context():
        for m in db.session.scalars(select(PanelMember)):
            m.organisation = "none"
        member = db.session.scalar(
            select(TeamMember).where(TeamMember.name == "Priya Patel")
        )
        member.organisation = "None"
        db.session.commit()

        # Act
        flags = conflicts.flagged_pairs(_event())

    # Assert
    assert flags == []


def test_flag_not_raised_for_pairs_already_conflicted(app, coi):
    # Arrange
    with app.app_context():
        event = _event()
        pitch1 = services.pitch_services.get_pitch_or_404(event, coi["pitch1"])
        declare_conflict(pitch1, db.session.get(User, coi["judge1_pk"]))
        db.session.commit()

        # Act
        flags = conflicts.flagged_pairs(event)

    # Assert
    assert flags == []


def test_organiser_page_lists_flags_and_declarations(app, coi):
    # Arrange
    organiser = _client_for(app, coi["organiser"])

    # Act
    html = organiser.get("/events/coi/conflicts").get_data(as_text=True)

    # Assert
    assert "Jan One" in html
    assert "Sip Squad" in html
    assert "leeds teaching HOSPITALS" in html
    assert "Governor of a care home" in html
    assert 'value="conflicted"' in html
    assert 'value="not_conflict"' in html


def test_organiser_conflicted_decision_excludes_scores_and_hides_pitch(app, coi):
    # Arrange
    with app.app_context():
        event = _event()
        pitch1 = services.pitch_services.get_pitch_or_404(event, coi["pitch1"])
        j1 = db.session.get(User, coi["judge1_pk"])
        j2 = db.session.get(User, coi["judge2_pk"])
        make_scorecard(pitch1, j1, J1_MARKS)
        make_scorecard(pitch1, j2, J2_MARKS)
        db.session.commit()
        before = services.compute_results(event)
    judge1 = _client_for(app, coi["judge1"])
    assert judge1.get(f"/events/coi/judge/pitches/{coi['pitch1']}").status_code == 200

    # Act
    response = _decide(app, coi, "conflicted")

    # Assert
    assert response.status_code == 302
    assert judge1.get(f"/events/coi/judge/pitches/{coi['pitch1']}").status_code == 404
    queue = judge1.get("/events/coi/judge").get_data(as_text=True)
    assert "Sip Squad" not in queue
    assert "Falls Fixers" in queue
    with app.app_context():
        event = _event()
        after = services.compute_results(event)
        row = next(r for r in after.rows if r.pitch.id == coi["pitch1"])
        row_before = next(r for r in before.rows if r.pitch.id == coi["pitch1"])
        assert row_before.result.judges_counted == 2
        assert row.result.judges_counted == 1
        assert [(n.judge.id, n.reason) for n in after.conflicts] == [
            (
                coi["judge1_pk"],
                "Organiser decision: same organisation (leeds teaching HOSPITALS)",
            )
        ]
        assert services.conflicted_pitch_ids(
            event, db.session.get(User, coi["judge1_pk"])
        ) == {coi["pitch1"]}
        assert _audit("conflict.decided") == [
            {
                "judge_id": coi["judge1_pk"],
                "decision": "conflicted",
                "previous": None,
                "organisation": "leeds teaching HOSPITALS",
                "actor_id": coi["organiser_pk"],
            }
        ]


def test_organiser_decision_appears_on_results_page(app, coi):
    # Arrange
    _decide(app, coi, "conflicted")
    organiser = _client_for(app, coi["organiser"])

    # Act
    html = organiser.get("/events/coi/results").get_data(as_text=True)

    # Assert
    assert "Organiser decision: same organisation (leeds teaching HOSPITALS)" in html


def test_not_a_conflict_keeps_scores_and_can_be_changed(app, coi):
    # Act
    first = _decide(app, coi, "not_conflict")
    judge1 = _client_for(app, coi["judge1"])
    visible = judge1.get(f"/events/coi/judge/pitches/{coi['pitch1']}").status_code
    second = _decide(app, coi, "conflicted")

    # Assert
    assert (first.status_code, visible, second.status_code) == (302, 200, 302)
    with app.app_context():
        decisions = db.session.scalars(select(ConflictDecision)).all()
        assert [(d.pitch_id, d.judge_id, d.is_conflict) for d in decisions] == [
            (coi["pitch1"], coi["judge1_pk"], True)
        ]
        assert [(a["decision"], a["previous"]) for a in _audit("conflict.decided")] == [
            ("not_conflict", None),
            ("conflicted", "not_conflict"),
        ]


def test_decision_on_unflagged_pair_is_404_and_stores_nothing(app, coi):
    # Act
    response = _decide(app, coi, "conflicted", pitch_key="pitch2")

    # Assert
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(ConflictDecision)).all() == []
        assert _audit("conflict.decided") == []


def test_decision_with_bad_value_is_refused(app, coi):
    # Act
    response = _decide(app, coi, "maybe")

    # Assert
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(ConflictDecision)).all() == []


def test_decision_refused_after_publication(app, coi):
    # Arrange
    with app.app_context():
        _event().phase = EventPhase.PUBLISHED
        db.session.commit()

    # Act
    _decide(app, coi, "conflicted")

    # Assert
    with app.app_context():
        assert db.session.scalars(select(ConflictDecision)).all() == []


def test_r20_decision_needs_csrf_token(csrf_app, coi):
    # Arrange
    client = csrf_app.test_client()
    sign_in(client, coi["organiser"])

    # Act
    response = client.post(
        "/events/coi/conflicts/decide",
        data={
            "pitch_id": str(coi["pitch1"]),
            "judge_id": str(coi["judge1_pk"]),
            "decision": "conflicted",
        },
    )

    # Assert
    assert response.status_code == 400
    with csrf_app.app_context():
        assert db.session.scalars(select(ConflictDecision)).all() == []


# --- the register ------------------------------------------------------------------------


def _register(app, coi) -> tuple:
    response = _client_for(app, coi["organiser"]).get("/events/coi/conflicts.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    return response, rows


def test_register_csv_lists_every_kind_of_conflict(app, coi):
    # Arrange
    with app.app_context():
        event = _event()
        member2 = db.session.scalar(
            select(PanelMember).where(PanelMember.user_id == coi["judge2_pk"])
        )
        pitch2 = services.pitch_services.get_pitch_or_404(event, coi["pitch2"])
        declare_conflict(pitch2, member2.user, "My sister is on the team")
        conflicts.save_declaration(member2.user, event, "NHS England", "")
        db.session.commit()
    _decide(app, coi, "conflicted")

    # Act
    response, rows = _register(app, coi)

    # Assert
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="coi-conflicts.csv"'
    )
    assert rows[0] == list(conflicts.REGISTER_HEADER)
    body = [(r[0], r[1], r[4], r[5], r[6]) for r in rows[1:]]
    assert body == [
        ("Jo Two", "NHS England", "", "interests", "Declaration of interests"),
        (
            "Jo Two",
            "NHS England",
            "Falls Fixers",
            "declared",
            "My sister is on the team",
        ),
        (
            "Jan One",
            "leeds teaching HOSPITALS",
            "Sip Squad",
            "organiser",
            "Organiser decision: same organisation (leeds teaching HOSPITALS)",
        ),
    ]
    assert all(r[7] for r in rows[1:])
    with app.app_context():
        assert len(_audit("conflicts.exported")) == 1


def test_register_csv_includes_automatic_conflicts(app, coi):
    # Arrange
    with app.app_context():
        event = _event()
        lead = db.session.scalar(
            select(TeamMember).where(TeamMember.name == "Lena Lead")
        )
        make_judge(event, db.session.get(User, lead.user_id))
        db.session.commit()

    # Act
    _, rows = _register(app, coi)

    # Assert
    assert [(r[0], r[4], r[5], r[6]) for r in rows[1:]] == [
        ("Lena Lead", "Sip Squad", "automatic", "Member of the team")
    ]


def test_r27_register_csv_escapes_formulas(app, coi):
    # Arrange
    with app.app_context():
        member1 = db.session.scalar(
            select(PanelMember).where(PanelMember.user_id == coi["judge1_pk"])
        )
        member1.user.display_name = '=HYPERLINK("http://evil")'
        member1.organisation = "@SUM(A1)"
        member1.interests = "＋cmd|' /C calc'!A0"
        member1.declared_at = member1.joined_at
        db.session.commit()

    # Act
    _, rows = _register(app, coi)

    # Assert
    assert rows[1][:3] == [
        '\'=HYPERLINK("http://evil")',
        "'@SUM(A1)",
        "'＋cmd|' /C calc'!A0",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+44 113", "'+44 113"),
        ("-2", "'-2"),
        ("@foo", "'@foo"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\nx", "'\nx"),
        ("＝1", "'＝1"),
        ("＋1", "'＋1"),
        ("－1", "'－1"),
        ("＠x", "'＠x"),
        ("Plain text", "Plain text"),
        ("a=b", "a=b"),
        (3, 3),
        (-2, -2),
        (None, ""),
    ],
)
def test_r27_csv_safe_prefixes_formula_cells(value, expected):
    assert csv_safe(value) == expected


def test_r27_to_csv_quotes_per_rfc_4180():
    # Act
    text = to_csv(["a", "b"], [['say "hi", then', 5]])

    # Assert
    assert text == 'a,b\r\n"say ""hi"", then",5\r\n'


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["judge1", "lead", "outsider"])
@pytest.mark.parametrize("path", ["/events/coi/conflicts", "/events/coi/conflicts.csv"])
def test_r02_organiser_pages_are_404_for_others(app, coi, who, path):
    # Act
    response = _client_for(app, coi[who]).get(path)

    # Assert
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["judge1", "lead", "outsider"])
def test_r02_decisions_are_404_for_non_organisers(app, coi, who):
    # Act
    response = _client_for(app, coi[who]).post(
        "/events/coi/conflicts/decide",
        data={
            "pitch_id": str(coi["pitch1"]),
            "judge_id": str(coi["judge1_pk"]),
            "decision": "not_conflict",
        },
    )

    # Assert
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(ConflictDecision)).all() == []


@pytest.mark.parametrize("who", ["organiser", "lead", "outsider"])
def test_r02_declaration_page_is_judges_only(app, coi, who):
    # Act
    response = _client_for(app, coi[who]).get("/events/coi/judge/declaration")

    # Assert
    assert response.status_code == 404


def test_r02_other_events_organiser_cannot_see_conflicts(app, coi):
    # Arrange
    with app.app_context():
        other = make_user("other-org@example.org", "Other Organiser")
        make_event(other, slug="elsewhere")
        db.session.commit()
        other_id = other.get_id()

    # Act
    response = _client_for(app, other_id).get("/events/coi/conflicts.csv")

    # Assert
    assert response.status_code == 404


def test_anonymous_is_sent_to_sign_in(client, coi):
    # Act
    response = client.get("/events/coi/conflicts")

    # Assert
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
