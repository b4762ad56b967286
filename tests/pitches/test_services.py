"""Pitch services: problem statements, teams, pitches and the event roles of a user."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from auth.models import AuditEntry
from events.models import EventPhase
from events.services import EventError
from extensions import db
from pitches import services
from pitches.models import (
    Background,
    Pitch,
    PitchStatus,
    PitchType,
    ProblemStatement,
    ProblemStatus,
    Setting,
    Team,
    TeamMember,
)
from tests.factories import (
    PITCH_FIELDS,
    add_organiser,
    make_event,
    make_judge,
    make_problem,
    make_team,
    make_user,
)

P = EventPhase
OTHER_PHASES = [p for p in EventPhase if p not in (P.OPEN, P.SUBMISSIONS_OPEN)]
DEADLINE = datetime(2026, 5, 15, 12, 30, tzinfo=UTC)

PROBLEM = services.ProblemDetails(
    title="Residents don't drink enough",
    one_sentence="Residents with dementia forget to drink.",
    who_affected="Residents living with dementia",
    setting=Setting.CARE_HOME_NURSING,
    story="Fluid charts are half-complete by teatime.",
    scale="7 admissions last winter",
    tried="Jugs on every table",
    better="Everyone drinks enough every day",
    owner_name="Bernadette Cole",
    owner_role="Registered Nurse",
    owner_contact="bernadette.cole@example.org",
    willing_to_pitch="live",
    publish_consent=True,
)
LEAD = services.MemberDetails(
    name="Jodie Park",
    background=Background.CARE_STAFF,
    organisation="Elmstead Lodge",
    role_title="Senior carer",
)
PITCH = services.PitchDetails(**PITCH_FIELDS)
NUMBERS_AND_CHOICES = ("pitch_type", "beneficiaries_count", "funding_requested")


def actions(event_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.event_id == event_id)
            .order_by(AuditEntry.id)
        )
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def pitch_state(pitch: Pitch) -> dict:
    fields = [*PITCH_FIELDS, "status", "submitted_at", "updated_at"]
    return {name: getattr(pitch, name) for name in fields}


# --- problem statements ----------------------------------------------------------------


@pytest.mark.parametrize("phase", [P.OPEN, P.SUBMISSIONS_OPEN])
def test_submit_problem_in_open_phases_stores_it_unapproved(app, phase):
    with app.app_context():
        owner = make_user()
        event = make_event(phase=phase)

        problem = services.submit_problem(owner, event, PROBLEM)

        stored = db.session.get(ProblemStatement, problem.id)
        assert (stored.event_id, stored.owner_id, stored.status, stored.ref) == (
            event.id,
            owner.id,
            ProblemStatus.SUBMITTED,
            "",
        )
        assert (stored.title, stored.setting) == (PROBLEM.title, PROBLEM.setting)
        assert actions(event.id)[-1] == "problem.submitted"


@pytest.mark.parametrize("phase", OTHER_PHASES, ids=[p.value for p in OTHER_PHASES])
def test_submit_problem_in_other_phases_refused(app, phase):
    with app.app_context():
        owner = make_user()
        event = make_event(phase=phase)

        with pytest.raises(EventError, match="post a problem statement"):
            services.submit_problem(owner, event, PROBLEM)

        assert count(ProblemStatement) == 0


def test_submit_problem_without_publish_consent_refused(app):
    with app.app_context():
        owner = make_user()
        event = make_event(phase=P.OPEN)

        with pytest.raises(services.PitchError, match="permission to publish"):
            services.submit_problem(
                owner, event, replace(PROBLEM, publish_consent=False)
            )

        assert count(ProblemStatement) == 0


def test_decide_problem_approvals_get_refs_in_order(app):
    with app.app_context():
        organiser, owner = make_user(), make_user()
        event = make_event(organiser, phase=P.OPEN)
        first, declined, second, third = (
            services.submit_problem(owner, event, PROBLEM) for _ in range(4)
        )

        services.decide_problem(organiser, event, second.id, approve=True)
        services.decide_problem(organiser, event, declined.id, approve=False)
        services.decide_problem(organiser, event, first.id, approve=True)
        services.decide_problem(organiser, event, third.id, approve=True)

        assert [(p.ref, p.status) for p in (first, declined, second, third)] == [
            ("P2", ProblemStatus.APPROVED),
            ("", ProblemStatus.DECLINED),
            ("P1", ProblemStatus.APPROVED),
            ("P3", ProblemStatus.APPROVED),
        ]
        assert all(p.decided_at is not None for p in (first, declined, second))
        assert actions(event.id).count("problem.decided") == 4


def test_decide_problem_reapproval_keeps_its_ref(app):
    with app.app_context():
        organiser, owner = make_user(), make_user()
        event = make_event(organiser, phase=P.OPEN)
        problem = services.submit_problem(owner, event, PROBLEM)
        services.decide_problem(organiser, event, problem.id, approve=True)

        services.decide_problem(organiser, event, problem.id, approve=True)

        assert problem.ref == "P1"


def test_decide_problem_refs_count_per_event(app):
    with app.app_context():
        organiser, owner = make_user(), make_user()
        event, other = make_event(organiser), make_event(organiser)
        elsewhere = services.submit_problem(owner, other, PROBLEM)
        services.decide_problem(organiser, other, elsewhere.id, approve=True)
        problem = services.submit_problem(owner, event, PROBLEM)

        services.decide_problem(organiser, event, problem.id, approve=True)

        assert (elsewhere.ref, problem.ref) == ("P1", "P1")


def test_decide_problem_of_another_event_not_found(app):
    with app.app_context():
        organiser, owner = make_user(), make_user()
        event, other = make_event(organiser), make_event(organiser)
        problem = services.submit_problem(owner, other, PROBLEM)

        with pytest.raises(NotFound):
            services.decide_problem(organiser, event, problem.id, approve=True)

        assert problem.status == ProblemStatus.SUBMITTED


@pytest.mark.parametrize(
    ("status", "own", "roles", "visible"),
    [
        (ProblemStatus.APPROVED, False, frozenset(), True),
        (ProblemStatus.SUBMITTED, False, frozenset(), False),
        (ProblemStatus.DECLINED, False, frozenset({"team"}), False),
        (ProblemStatus.SUBMITTED, True, frozenset(), True),
        (ProblemStatus.DECLINED, False, frozenset({"organiser"}), True),
    ],
)
def test_get_visible_problem_follows_status_owner_and_role(
    app, status, own, roles, visible
):
    with app.app_context():
        owner, viewer = make_user(), make_user()
        event = make_event(phase=P.OPEN)
        problem = make_problem(event, owner, status=status)

        def fetch():
            return services.get_visible_problem_or_404(
                event, problem.id, owner if own else viewer, roles
            )

        if visible:
            assert fetch().id == problem.id
        else:
            with pytest.raises(NotFound):
                fetch()


# --- teams -----------------------------------------------------------------------------


@pytest.mark.parametrize("phase", [P.OPEN, P.SUBMISSIONS_OPEN])
def test_create_team_makes_lead_member_and_empty_pitch(app, phase):
    with app.app_context():
        user = make_user()
        event = make_event(phase=phase)
        problem = make_problem(event)

        team = services.create_team(user, event, "Sip Smart", problem.id, LEAD)

        stored = db.session.get(Team, team.id)
        assert (stored.name, stored.ref, stored.problem_id, stored.created_by_id) == (
            "Sip Smart",
            "T01",
            problem.id,
            user.id,
        )
        members = [
            (m.user_id, m.name, m.background, m.organisation, m.role_title, m.is_lead)
            for m in stored.members
        ]
        assert members == [
            (
                user.id,
                "Jodie Park",
                Background.CARE_STAFF,
                "Elmstead Lodge",
                "Senior carer",
                True,
            )
        ]
        assert stored.pitch.status == PitchStatus.DRAFT
        assert services.missing_for_submission(stored.pitch) == sorted(PITCH_FIELDS)
        assert stored.pitch.event_id == event.id
        assert actions(event.id)[-1] == "team.created"


def test_create_team_refs_count_up(app):
    with app.app_context():
        event = make_event(phase=P.OPEN)
        problem = make_problem(event)

        refs = [
            services.create_team(make_user(), event, name, problem.id, LEAD).ref
            for name in ("One", "Two", "Three")
        ]

        assert refs == ["T01", "T02", "T03"]


@pytest.mark.parametrize("status", [ProblemStatus.SUBMITTED, ProblemStatus.DECLINED])
def test_create_team_on_unapproved_problem_refused(app, status):
    with app.app_context():
        event = make_event(phase=P.OPEN)
        problem = make_problem(event, status=status)

        with pytest.raises(services.PitchError, match="approved problem"):
            services.create_team(make_user(), event, "Sip Smart", problem.id, LEAD)

        assert count(Team) == 0


def test_create_team_on_problem_of_another_event_not_found(app):
    with app.app_context():
        event, other = make_event(phase=P.OPEN), make_event(phase=P.OPEN)
        problem = make_problem(other)

        with pytest.raises(NotFound):
            services.create_team(make_user(), event, "Sip Smart", problem.id, LEAD)

        assert count(Team) == 0


@pytest.mark.parametrize("name", ["Sip Smart", "sip smart", "SIP SMART", "sIP sMART"])
def test_create_team_name_taken_case_insensitively_refused(app, name):
    with app.app_context():
        event = make_event(phase=P.OPEN)
        problem = make_problem(event)
        services.create_team(make_user(), event, "Sip Smart", problem.id, LEAD)

        with pytest.raises(services.PitchError, match="already has that name"):
            services.create_team(make_user(), event, name, problem.id, LEAD)

        assert count(Team) == 1


def test_create_team_same_name_in_another_event_accepted(app):
    with app.app_context():
        event, other = make_event(phase=P.OPEN), make_event(phase=P.OPEN)
        services.create_team(
            make_user(), other, "Sip Smart", make_problem(other).id, LEAD
        )

        team = services.create_team(
            make_user(), event, "Sip Smart", make_problem(event).id, LEAD
        )

        assert (team.event_id, team.ref) == (event.id, "T01")


@pytest.mark.parametrize("phase", OTHER_PHASES, ids=[p.value for p in OTHER_PHASES])
def test_create_team_in_other_phases_refused(app, phase):
    with app.app_context():
        event = make_event(phase=phase)
        problem = make_problem(event)

        with pytest.raises(EventError, match="form a team"):
            services.create_team(make_user(), event, "Sip Smart", problem.id, LEAD)

        assert count(Team) == 0


def test_add_member_and_remove_member_audit(app):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.OPEN)
        team = make_team(event, lead)

        row = services.add_member(
            lead,
            event,
            team,
            services.MemberDetails("Ruth Adeyemi", Background.LIVED_EXPERIENCE, "", ""),
        )
        services.remove_member(lead, event, team, row.id)
        db.session.flush()

        assert [m.name for m in db.session.get(Team, team.id).members] == [
            lead.display_name
        ]
        assert actions(event.id)[-2:] == ["team.member_added", "team.member_removed"]


def test_remove_member_lead_refused(app):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.OPEN)
        team = make_team(event, lead)

        with pytest.raises(services.PitchError, match="lead cannot be removed"):
            services.remove_member(lead, event, team, team.members[0].id)

        assert count(TeamMember) == 1


@pytest.mark.parametrize("phase", OTHER_PHASES, ids=[p.value for p in OTHER_PHASES])
def test_add_member_in_other_phases_refused(app, phase):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=phase)
        team = make_team(event, lead)

        with pytest.raises(EventError, match="change the team"):
            services.add_member(
                lead,
                event,
                team,
                services.MemberDetails("X", Background.ACADEMIC, "", ""),
            )

        assert count(TeamMember) == 1


# --- pitches ---------------------------------------------------------------------------


def test_save_pitch_draft_in_open_phase(app):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.OPEN)
        team = make_team(event, lead)
        draft = replace(PITCH, summary="", plan="", funding_requested=None)

        pitch = services.save_pitch(lead, event, team, draft, submit=False)

        assert (pitch.status, pitch.title, pitch.summary, pitch.submitted_at) == (
            PitchStatus.DRAFT,
            "Sip Smart",
            "",
            None,
        )
        assert services.missing_for_submission(pitch) == [
            "funding_requested",
            "plan",
            "summary",
        ]
        assert actions(event.id)[-1] == "pitch.saved"


def test_save_pitch_submit_in_open_phase_refused(app):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.OPEN)
        team = make_team(event, lead)
        before = pitch_state(team.pitch)

        with pytest.raises(services.PitchError, match="not open yet"):
            services.save_pitch(lead, event, team, PITCH, submit=True)

        assert pitch_state(team.pitch) == before


def test_save_pitch_submit_before_deadline_submits(app):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.SUBMISSIONS_OPEN, deadline=DEADLINE)
        team = make_team(event, lead)

        with time_machine.travel(DEADLINE - timedelta(minutes=1), tick=False):
            pitch = services.save_pitch(lead, event, team, PITCH, submit=True)

        db.session.flush()
        stored = db.session.get(Pitch, pitch.id)
        assert stored.status == PitchStatus.SUBMITTED
        assert stored.submitted_at == DEADLINE - timedelta(minutes=1)
        assert {k: getattr(stored, k) for k in PITCH_FIELDS} == PITCH_FIELDS
        assert actions(event.id)[-1] == "pitch.submitted"


def test_save_pitch_edit_after_submission_stays_submitted(app):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.SUBMISSIONS_OPEN, deadline=DEADLINE)
        team = make_team(event, lead)
        with time_machine.travel(DEADLINE - timedelta(hours=2), tick=False):
            services.save_pitch(lead, event, team, PITCH, submit=True)

        with time_machine.travel(DEADLINE - timedelta(hours=1), tick=False):
            pitch = services.save_pitch(
                lead, event, team, replace(PITCH, title="Sip Smarter"), submit=False
            )

        assert (pitch.status, pitch.title, pitch.submitted_at) == (
            PitchStatus.SUBMITTED,
            "Sip Smarter",
            DEADLINE - timedelta(hours=2),
        )
        assert actions(event.id)[-2:] == ["pitch.submitted", "pitch.saved"]


def test_save_pitch_edit_after_submission_with_a_gap_refused(app):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.SUBMISSIONS_OPEN, deadline=DEADLINE)
        team = make_team(event, lead)
        with time_machine.travel(DEADLINE - timedelta(hours=2), tick=False):
            services.save_pitch(lead, event, team, PITCH, submit=True)
            before = pitch_state(team.pitch)

            with pytest.raises(services.PitchError, match="Complete every section"):
                services.save_pitch(
                    lead, event, team, replace(PITCH, plan=""), submit=False
                )

        assert pitch_state(team.pitch) == before


@pytest.mark.parametrize(
    ("field", "empty"),
    [
        (name, None if name in NUMBERS_AND_CHOICES else "")
        for name in sorted(PITCH_FIELDS)
    ],
)
def test_save_pitch_submit_with_missing_field_refused(app, field, empty):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.SUBMISSIONS_OPEN)
        team = make_team(event, lead)
        before = pitch_state(team.pitch)

        with pytest.raises(services.PitchError, match="Complete every section"):
            services.save_pitch(
                lead, event, team, replace(PITCH, **{field: empty}), submit=True
            )

        assert pitch_state(team.pitch) == before
        assert actions(event.id) == ["event.created"]


def test_missing_for_submission_lists_empty_fields_sorted():
    details = replace(PITCH, title="", pitch_type=None, beneficiaries_count=None)

    assert services.missing_for_submission(details) == [
        "beneficiaries_count",
        "pitch_type",
        "title",
    ]


def test_missing_for_submission_zero_is_not_missing():
    details = replace(PITCH, beneficiaries_count=0, funding_requested=0)

    assert services.missing_for_submission(details) == []


@pytest.mark.parametrize("submit", [False, True])
def test_save_pitch_funding_over_cap_refused(app, submit):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.SUBMISSIONS_OPEN, cap=5_000)
        team = make_team(event, lead)
        before = pitch_state(team.pitch)

        with pytest.raises(services.PitchError, match="cap of £5,000"):
            services.save_pitch(
                lead,
                event,
                team,
                replace(PITCH, funding_requested=5_001),
                submit=submit,
            )

        assert pitch_state(team.pitch) == before


def test_save_pitch_funding_equal_to_cap_accepted(app):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.SUBMISSIONS_OPEN, cap=5_000)
        team = make_team(event, lead)

        pitch = services.save_pitch(
            lead, event, team, replace(PITCH, funding_requested=5_000), submit=True
        )

        assert (pitch.funding_requested, pitch.status) == (5_000, PitchStatus.SUBMITTED)


@pytest.mark.parametrize("submit", [False, True])
@pytest.mark.parametrize(
    "after", [timedelta(0), timedelta(seconds=1), timedelta(days=3)]
)
def test_save_pitch_after_deadline_locked_and_unchanged(app, submit, after):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.SUBMISSIONS_OPEN, deadline=DEADLINE)
        team = make_team(event, lead)
        with time_machine.travel(DEADLINE - timedelta(hours=1), tick=False):
            services.save_pitch(lead, event, team, PITCH, submit=False)
        db.session.commit()
        before = pitch_state(team.pitch)

        with time_machine.travel(DEADLINE + after, tick=False):
            with pytest.raises(services.PitchError, match="deadline has passed"):
                services.save_pitch(
                    lead, event, team, replace(PITCH, title="Too late"), submit=submit
                )

        assert pitch_state(team.pitch) == before
        db.session.rollback()
        stored = db.session.get(Pitch, team.pitch.id)
        assert (stored.title, stored.status) == ("Sip Smart", PitchStatus.DRAFT)


@pytest.mark.parametrize(
    "phase",
    [P.DRAFT, P.SUBMISSIONS_CLOSED, P.JUDGING, P.MODERATION, P.PUBLISHED],
    ids=lambda p: p.value,
)
def test_save_pitch_outside_open_phases_locked(app, phase):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=phase)
        team = make_team(event, lead)
        before = pitch_state(team.pitch)

        with pytest.raises(services.PitchError, match="locked"):
            services.save_pitch(lead, event, team, PITCH, submit=False)

        assert pitch_state(team.pitch) == before


@pytest.mark.parametrize(
    ("phase", "offset", "expected"),
    [
        (P.OPEN, timedelta(days=-1), True),
        (P.OPEN, timedelta(days=1), True),
        (P.SUBMISSIONS_OPEN, timedelta(seconds=-1), True),
        (P.SUBMISSIONS_OPEN, timedelta(0), False),
        (P.SUBMISSIONS_CLOSED, timedelta(days=-1), False),
        (P.DRAFT, timedelta(days=-1), False),
    ],
)
def test_can_edit_pitch_by_phase_and_deadline(app, phase, offset, expected):
    with app.app_context():
        event = make_event(phase=phase, deadline=DEADLINE)

        with time_machine.travel(DEADLINE + offset, tick=False):
            assert services.can_edit_pitch(event) is expected


def test_list_submitted_pitches_in_running_order_then_ref(app):
    with app.app_context():
        event = make_event(phase=P.JUDGING)
        teams = [make_team(event, submitted=True) for _ in range(4)]
        make_team(event)  # a draft is never listed
        teams[0].pitch.running_order = 2
        teams[2].pitch.running_order = 1
        db.session.flush()

        listed = services.list_submitted_pitches(event)

        assert [p.team_id for p in listed] == [
            teams[2].id,
            teams[0].id,
            teams[1].id,
            teams[3].id,
        ]


def test_get_team_for_user_member_or_organiser_only(app):
    with app.app_context():
        lead, stranger = make_user(), make_user()
        event = make_event(phase=P.OPEN)
        team = make_team(event, lead)

        mine = services.get_team_for_user_or_404(event, team.id, lead, frozenset())
        as_organiser = services.get_team_for_user_or_404(
            event, team.id, stranger, frozenset({"organiser"})
        )
        with pytest.raises(NotFound):
            services.get_team_for_user_or_404(event, team.id, stranger, frozenset())

        assert (mine.id, as_organiser.id) == (team.id, team.id)


# --- roles -----------------------------------------------------------------------------


def test_event_roles_each_role(app):
    with app.app_context():
        organiser, judge, member, owner, stranger = (make_user() for _ in range(5))
        event = make_event(organiser, slug="roles")
        make_judge(event, judge)
        make_team(event, member)
        make_problem(event, owner)

        roles = {
            name: services.event_roles(user, "roles")
            for name, user in [
                ("organiser", organiser),
                ("judge", judge),
                ("member", member),
                ("owner", owner),
                ("stranger", stranger),
            ]
        }

        assert roles == {
            "organiser": frozenset({"organiser"}),
            "judge": frozenset({"judge"}),
            "member": frozenset({"team"}),
            "owner": frozenset({"problem_owner"}),
            "stranger": frozenset(),
        }


def test_event_roles_several_at_once(app):
    with app.app_context():
        user = make_user()
        event = make_event(slug="many")
        add_organiser(event, user)
        make_judge(event, user)
        make_team(event, user, problem=make_problem(event, user))

        assert services.event_roles(user, "many") == frozenset(
            {"organiser", "judge", "team", "problem_owner"}
        )


def test_event_roles_do_not_leak_between_events(app):
    with app.app_context():
        user = make_user()
        event = make_event(user, slug="mine")
        make_judge(event, user)
        make_event(slug="theirs")

        assert services.event_roles(user, "theirs") == frozenset()
        assert services.event_roles(user, "no-such-event") == frozenset()


def test_event_roles_team_member_without_account_link_has_no_role(app):
    with app.app_context():
        user = make_user()
        event = make_event(slug="linked")
        make_team(event, members=[(user.display_name, Background.DEVELOPER)])

        assert services.event_roles(user, "linked") == frozenset()


def test_pitch_type_enum_round_trips(app):
    with app.app_context():
        lead = make_user()
        event = make_event(phase=P.OPEN)
        team = make_team(event, lead)

        services.save_pitch(
            lead,
            event,
            team,
            replace(PITCH, pitch_type=PitchType.DIGITAL),
            submit=False,
        )
        db.session.commit()
        db.session.expire_all()

        assert db.session.get(Pitch, team.pitch.id).pitch_type == PitchType.DIGITAL
