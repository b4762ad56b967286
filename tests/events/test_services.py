"""Event services: creation from presets, slugs, phases, the rubric, invitations and panel."""

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select, update
from werkzeug.exceptions import NotFound

from auth.models import AuditEntry
from events import services
from events.models import (
    Criterion,
    EventOrganiser,
    EventPhase,
    EventType,
    JudgeInvitation,
    PanelMember,
)
from events.rubrics import LEVEL_LABELS, PRESET_A, PRESET_B
from extensions import db
from tests.factories import make_event, make_judge, make_user

P = EventPhase
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def details(**overrides) -> services.EventDetails:
    base = services.EventDetails(
        name="Care Homes Hackathon",
        slug="care-homes",
        event_type=EventType.HACK_TO_FUND,
        starts_at=NOW + timedelta(days=10),
        ends_at=NOW + timedelta(days=11),
        submissions_close_at=NOW + timedelta(days=11, hours=4),
        venue="Riverside Innovation Hub",
        description="Two days",
        pot_pounds=25_000,
        cap_pounds=5_000,
    )
    return replace(base, **overrides)


def actions(event_id: int | None = None) -> list[str]:
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if event_id is not None:
        query = query.where(AuditEntry.event_id == event_id)
    return list(db.session.scalars(query))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def edits_for(event, **changes) -> list[services.CriterionEdit]:
    """Edits that keep every criterion as it is, except the given {code: {field: value}}."""
    out = []
    for c in event.criteria:
        fields = dict(
            criterion_id=c.id,
            name=c.name,
            question=c.question,
            weight=c.weight,
            tie_break_rank=c.tie_break_rank,
            descriptors={lv.score: lv.descriptor for lv in c.levels},
        )
        fields.update(changes.get(c.code, {}))
        out.append(services.CriterionEdit(**fields))
    return out


# --- create_event ----------------------------------------------------------------------


def test_create_event_preset_b_copies_the_seed_funding_rubric(app):
    with app.app_context():
        user = make_user(is_organiser=True)

        event = services.create_event(user, details(), "B")

        rubric = [
            (c.position, c.code, c.name, c.weight, c.tie_break_rank)
            for c in event.criteria
        ]
        assert rubric == [
            (1, "C1", "Problem & insight", 15, None),
            (2, "C2", "Benefit to patients/residents, carers & staff", 20, 1),
            (3, "C3", "Equity, inclusion & safety", 15, None),
            (4, "C4", 'Feasibility & delivery plan ("viability")', 20, 2),
            (5, "C5", "Value for money & sustainability", 15, None),
            (6, "C6", "Innovation & spread", 10, None),
            (7, "C7", "Team & co-production", 5, None),
        ]
        assert (event.rubric_preset, event.scale_min, event.scale_max) == ("B", 1, 5)
        assert event.phase == P.DRAFT


def test_create_event_preset_b_copies_five_level_descriptors_per_criterion(app):
    with app.app_context():
        event = services.create_event(make_user(), details(), "B")

        copied = [
            [(lv.score, lv.label, lv.descriptor) for lv in c.levels]
            for c in event.criteria
        ]
        expected = [
            [(s, LEVEL_LABELS[s], spec.descriptors[s]) for s in (5, 4, 3, 2, 1)]
            for spec in PRESET_B.criteria
        ]
        assert copied == expected
        assert [len(c.levels) for c in event.criteria] == [5] * 7


def test_create_event_preset_a_copies_the_hackathon_rubric(app):
    with app.app_context():
        event = services.create_event(make_user(), details(), "A")

        assert [(c.code, c.weight) for c in event.criteria] == [
            ("C1", 20),
            ("C2", 25),
            ("C3", 15),
            ("C4", 25),
            ("C5", 15),
        ]
        assert [c.name for c in event.criteria] == [c.name for c in PRESET_A.criteria]
        assert [len(c.levels) for c in event.criteria] == [5] * 5
        assert event.rubric_preset == "A"


def test_create_event_rubric_is_a_copy_per_event(app):
    with app.app_context():
        user = make_user()
        first = services.create_event(user, details(slug="first"), "B")
        second = services.create_event(user, details(slug="second"), "B")

        first.criteria[0].weight = 99

        assert second.criteria[0].weight == 15
        assert count(Criterion) == 14


def test_create_event_makes_the_creator_organiser_and_audits(app):
    with app.app_context():
        user = make_user(is_organiser=True)

        event = services.create_event(user, details(), "B")
        db.session.flush()

        organisers = db.session.execute(
            select(EventOrganiser.event_id, EventOrganiser.user_id)
        ).all()
        assert organisers == [(event.id, user.id)]
        assert services.is_organiser(user, event) is True
        assert services.is_organiser(make_user(), event) is False
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.action, entry.actor_id, entry.event_id, entry.target_type) == (
            "event.created",
            user.id,
            event.id,
            "Event",
        )


@pytest.mark.parametrize("slug", ["a", "care-homes-2026", "x1-y2-z3", "2026"])
def test_create_event_slug_valid(app, slug):
    with app.app_context():
        event = services.create_event(make_user(), details(slug=slug), "B")

        assert event.slug == slug


@pytest.mark.parametrize(
    "slug",
    [
        "",
        "Care-Homes",
        "care homes",
        "care_homes",
        "care--homes",
        "-care",
        "care-",
        "café",
        "care/homes",
        "../etc",
    ],
)
def test_create_event_slug_invalid_refused(app, slug):
    with app.app_context():
        user = make_user()

        with pytest.raises(services.EventError, match="Slug must be"):
            services.create_event(user, details(slug=slug), "B")

        assert count(services.Event) == 0


def test_create_event_slug_clash_refused(app):
    with app.app_context():
        user = make_user()
        services.create_event(user, details(slug="care-homes"), "B")

        with pytest.raises(services.EventError, match="already uses that slug"):
            services.create_event(user, details(slug="care-homes"), "A")

        assert count(services.Event) == 1


def test_create_event_cap_over_pot_refused(app):
    with app.app_context():
        user = make_user()

        with pytest.raises(services.EventError, match="cap cannot be more"):
            services.create_event(
                user, details(pot_pounds=4_000, cap_pounds=4_001), "B"
            )

        assert count(services.Event) == 0


def test_create_event_cap_equal_to_pot_accepted(app):
    with app.app_context():
        event = services.create_event(
            make_user(), details(pot_pounds=5_000, cap_pounds=5_000), "B"
        )

        assert (event.pot_pounds, event.cap_pounds) == (5_000, 5_000)


def test_create_event_ending_before_start_refused(app):
    with app.app_context():
        user = make_user()

        with pytest.raises(services.EventError, match="end after it starts"):
            services.create_event(user, details(ends_at=NOW + timedelta(days=9)), "B")


# --- update_event ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "phase", [P.DRAFT, P.OPEN, P.SUBMISSIONS_OPEN, P.SUBMISSIONS_CLOSED]
)
def test_update_event_before_judging_changes_details_and_audits(app, phase):
    with app.app_context():
        user = make_user()
        event = services.create_event(user, details(), "B")
        event.phase = phase

        services.update_event(user, event, details(name="Renamed", pot_pounds=30_000))

        assert (event.name, event.pot_pounds, event.slug) == (
            "Renamed",
            30_000,
            "care-homes",
        )
        assert actions(event.id) == ["event.created", "event.updated"]


@pytest.mark.parametrize("phase", [P.JUDGING, P.MODERATION, P.PUBLISHED])
def test_update_event_once_judging_started_refused(app, phase):
    with app.app_context():
        user = make_user()
        event = services.create_event(user, details(), "B")
        event.phase = phase
        db.session.flush()

        with pytest.raises(services.EventError, match="locked once judging"):
            services.update_event(user, event, details(cap_pounds=1))

        assert (event.name, event.cap_pounds) == ("Care Homes Hackathon", 5_000)
        assert actions(event.id) == ["event.created"]


def test_update_event_keeping_its_own_slug_accepted(app):
    with app.app_context():
        user = make_user()
        event = services.create_event(user, details(slug="mine"), "B")

        services.update_event(user, event, details(slug="mine", venue="Hall B"))

        assert event.venue == "Hall B"


def test_update_event_taking_another_events_slug_refused(app):
    with app.app_context():
        user = make_user()
        services.create_event(user, details(slug="taken"), "B")
        event = services.create_event(user, details(slug="mine"), "B")

        with pytest.raises(services.EventError, match="already uses that slug"):
            services.update_event(user, event, details(slug="taken"))

        assert event.slug == "mine"


def test_update_event_cap_over_pot_refused(app):
    with app.app_context():
        user = make_user()
        event = services.create_event(user, details(), "B")

        with pytest.raises(services.EventError, match="cap cannot be more"):
            services.update_event(user, event, details(cap_pounds=30_000))

        assert event.cap_pounds == 5_000


def test_update_event_audit_lists_only_changed_fields(app):
    with app.app_context():
        user = make_user()
        event = services.create_event(user, details(), "B")

        services.update_event(user, event, details(venue="Hall B"))
        db.session.flush()

        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "event.updated")
        )
        assert entry.detail == '{"venue": ["Riverside Innovation Hub", "Hall B"]}'


# --- phases ----------------------------------------------------------------------------

LEGAL = [(s, t) for s, targets in services.TRANSITIONS.items() for t in targets]
ILLEGAL = [
    (s, t)
    for s, t in itertools.product(EventPhase, EventPhase)
    if t not in services.TRANSITIONS[s]
]


def test_transitions_cover_every_phase():
    assert set(services.TRANSITIONS) == set(EventPhase)


def test_transitions_published_is_terminal():
    assert services.TRANSITIONS[P.PUBLISHED] == ()


@pytest.mark.parametrize(
    ("source", "target"), LEGAL, ids=[f"{s.value}->{t.value}" for s, t in LEGAL]
)
def test_change_phase_legal_step_moves_and_audits(app, source, target):
    with app.app_context():
        user = make_user()
        event = make_event(user, phase=source)

        services.change_phase(user, event, target)
        db.session.flush()

        assert event.phase == target
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "event.phase_changed")
        )
        assert entry.detail == f'{{"new": "{target.value}", "old": "{source.value}"}}'
        assert (event.published_at is not None) == (target == P.PUBLISHED)


@pytest.mark.parametrize(
    ("source", "target"),
    ILLEGAL,
    ids=[f"{s.value}->{t.value}" for s, t in ILLEGAL],
)
def test_change_phase_illegal_step_refused(app, source, target):
    with app.app_context():
        user = make_user()
        event = make_event(user, phase=source)

        with pytest.raises(services.EventError, match="cannot go from"):
            services.change_phase(user, event, target)

        assert event.phase == source
        assert actions(event.id) == ["event.created"]


def test_allowed_transitions_follow_the_table(app):
    with app.app_context():
        event = make_event(phase=P.SUBMISSIONS_CLOSED)

        assert services.allowed_transitions(event) == (P.JUDGING, P.SUBMISSIONS_OPEN)


def test_change_phase_to_judging_with_weights_not_100_refused(app):
    with app.app_context():
        user = make_user()
        event = make_event(user, phase=P.SUBMISSIONS_CLOSED)
        event.criteria[0].weight = 14  # the rubric now adds up to 99
        db.session.flush()

        with pytest.raises(services.EventError, match="they add up to 99"):
            services.change_phase(user, event, P.JUDGING)

        assert event.phase == P.SUBMISSIONS_CLOSED


# --- rubric ----------------------------------------------------------------------------


def test_update_rubric_changes_weights_names_descriptors_and_tie_break(app):
    with app.app_context():
        user = make_user()
        event = make_event(user, phase=P.OPEN)

        services.update_rubric(
            user,
            event,
            edits_for(
                event,
                C1={"weight": 20, "name": "Problem", "tie_break_rank": 3},
                C7={"descriptors": {5: "Co-produced throughout"}},
                C6={"weight": 5},
            ),
        )
        db.session.flush()

        assert [c.weight for c in event.criteria] == [20, 20, 15, 20, 15, 5, 5]
        assert event.criteria[0].name == "Problem"
        assert event.criteria[6].levels[0].descriptor == "Co-produced throughout"
        assert [c.code for c in services.tie_break_chain(event)] == ["C2", "C4", "C1"]
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "rubric.updated")
        )
        assert entry.detail == (
            '{"tie_break": ["C2", "C4", "C1"], "weights": {"C1": 20, "C2": 20, '
            '"C3": 15, "C4": 20, "C5": 15, "C6": 5, "C7": 5}}'
        )


@pytest.mark.parametrize(("c1_weight", "total"), [(14, 99), (16, 101), (40, 125)])
def test_update_rubric_weights_not_100_refused(app, c1_weight, total):
    with app.app_context():
        user = make_user()
        event = make_event(user, phase=P.DRAFT)

        with pytest.raises(services.EventError, match=f"they add up to {total}"):
            services.update_rubric(
                user, event, edits_for(event, C1={"weight": c1_weight})
            )

        assert [c.weight for c in event.criteria] == [15, 20, 15, 20, 15, 10, 5]
        assert actions(event.id) == ["event.created"]


def test_update_rubric_duplicate_tie_break_positions_refused(app):
    with app.app_context():
        user = make_user()
        event = make_event(user, phase=P.DRAFT)

        with pytest.raises(services.EventError, match="one criterion only"):
            services.update_rubric(
                user, event, edits_for(event, C3={"tie_break_rank": 1})
            )

        assert [c.tie_break_rank for c in event.criteria] == [
            None,
            1,
            None,
            2,
            None,
            None,
            None,
        ]


def test_update_rubric_missing_criterion_refused(app):
    with app.app_context():
        user = make_user()
        event = make_event(user, phase=P.DRAFT)

        with pytest.raises(services.EventError, match="Every criterion"):
            services.update_rubric(user, event, edits_for(event)[:-1])


@pytest.mark.parametrize("phase", [P.JUDGING, P.MODERATION, P.PUBLISHED])
def test_update_rubric_from_judging_on_refused(app, phase):
    with app.app_context():
        user = make_user()
        event = make_event(user, phase=phase)

        with pytest.raises(services.EventError, match="rubric is locked"):
            services.update_rubric(
                user, event, edits_for(event, C1={"weight": 10}, C2={"weight": 25})
            )

        assert [c.weight for c in event.criteria][:2] == [15, 20]
        assert services.can_edit_rubric(event) is False


@pytest.mark.parametrize(
    "phase", [P.DRAFT, P.OPEN, P.SUBMISSIONS_OPEN, P.SUBMISSIONS_CLOSED]
)
def test_can_edit_rubric_before_judging(app, phase):
    with app.app_context():
        event = make_event(phase=phase)

        assert services.can_edit_rubric(event) is True


# --- invitations -----------------------------------------------------------------------


def test_create_invitation_stores_only_a_hash_and_audits(app):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser)

        with time_machine.travel(NOW, tick=False):
            token = services.create_invitation(organiser, event, note="  For Judith  ")
            db.session.flush()

        invitation = db.session.scalar(select(JudgeInvitation))
        data = URLSafeTimedSerializer(
            app.config["SECRET_KEY"], salt=services.INVITE_SALT
        ).loads(token)
        assert data["i"] == invitation.id
        assert invitation.nonce_hash == services._hash(data["n"])
        assert data["n"] not in invitation.nonce_hash
        assert invitation.note == "For Judith"
        assert (invitation.created_at, invitation.expires_at) == (
            NOW,
            NOW + timedelta(days=14),
        )
        with time_machine.travel(NOW + timedelta(days=13), tick=False):
            assert services.list_open_invitations(event) == [invitation]
        assert actions(event.id)[-1] == "panel.invitation_created"


def test_find_invitation_genuine_token_returns_it(app):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser)
        token = services.create_invitation(organiser, event)

        invitation = services.find_invitation(token)

        assert invitation.event_id == event.id


def test_redeem_invitation_adds_judge_marks_used_and_audits(app):
    with app.app_context():
        organiser, judge = make_user(), make_user()
        event = make_event(organiser)
        token = services.create_invitation(organiser, event)

        joined = services.redeem_invitation(judge, token)
        db.session.flush()

        assert joined.id == event.id
        assert [m.user_id for m in services.list_panel(event)] == [judge.id]
        invitation = db.session.scalar(select(JudgeInvitation))
        assert invitation.used_by_id == judge.id
        assert invitation.used_at is not None
        assert services.list_open_invitations(event) == []
        assert actions(event.id)[-2:] == ["panel.judge_added", "panel.invitation_used"]


def test_redeem_invitation_second_use_refused(app):
    with app.app_context():
        organiser, first, second = make_user(), make_user(), make_user()
        event = make_event(organiser)
        token = services.create_invitation(organiser, event)
        services.redeem_invitation(first, token)

        with pytest.raises(services.EventError, match="not valid or has expired"):
            services.redeem_invitation(second, token)

        assert [m.user_id for m in services.list_panel(event)] == [first.id]


def test_redeem_invitation_claimed_concurrently_refused(app):
    """The conditional UPDATE is the guard: the row was used after it was read."""
    with app.app_context():
        organiser, racer, judge = make_user(), make_user(), make_user()
        event = make_event(organiser)
        token = services.create_invitation(organiser, event)
        invitation = services.find_invitation(token)
        # Another request claims it; this session's copy of the row still looks unused.
        db.session.execute(
            update(JudgeInvitation)
            .where(JudgeInvitation.id == invitation.id)
            .values(used_at=datetime.now(UTC), used_by_id=racer.id)
            .execution_options(synchronize_session=False)
        )
        assert invitation.used_at is None

        with pytest.raises(services.EventError, match="not valid or has expired"):
            services.redeem_invitation(judge, token)

        assert services.list_panel(event) == []
        assert "panel.invitation_used" not in actions(event.id)


def test_redeem_invitation_revoked_refused(app):
    with app.app_context():
        organiser, judge = make_user(), make_user()
        event = make_event(organiser)
        token = services.create_invitation(organiser, event)
        services.revoke_invitation(organiser, event, services.find_invitation(token).id)

        with pytest.raises(services.EventError, match="not valid or has expired"):
            services.redeem_invitation(judge, token)

        assert services.list_panel(event) == []
        assert services.list_open_invitations(event) == []
        assert actions(event.id)[-1] == "panel.invitation_revoked"


def test_revoke_invitation_of_another_event_not_found(app):
    with app.app_context():
        organiser = make_user()
        event, other = make_event(organiser), make_event(organiser)
        token = services.create_invitation(organiser, event)
        invitation_id = services.find_invitation(token).id

        with pytest.raises(NotFound):
            services.revoke_invitation(organiser, other, invitation_id)

        assert services.find_invitation(token).revoked_at is None


@pytest.mark.parametrize("days_later", [14, 15, 30])
def test_find_invitation_expired_refused(app, days_later):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser)
        with time_machine.travel(NOW, tick=False):
            token = services.create_invitation(organiser, event)

        with time_machine.travel(NOW + timedelta(days=days_later, seconds=1)):
            with pytest.raises(services.EventError, match="not valid or has expired"):
                services.find_invitation(token)


def test_find_invitation_just_before_expiry_accepted(app):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser)
        with time_machine.travel(NOW, tick=False):
            token = services.create_invitation(organiser, event)

        with time_machine.travel(NOW + timedelta(days=13, hours=23), tick=False):
            invitation = services.find_invitation(token)

        assert invitation.event_id == event.id


def test_find_invitation_row_expiry_checked_even_with_valid_signature(app):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser)
        token = services.create_invitation(organiser, event)
        invitation = services.find_invitation(token)
        invitation.expires_at = datetime.now(UTC) - timedelta(seconds=1)

        with pytest.raises(services.EventError, match="not valid or has expired"):
            services.find_invitation(token)


def _flip(token: str, index: int) -> str:
    char = "A" if token[index] != "A" else "B"
    return token[:index] + char + token[index + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: _flip(t, 2), id="payload-changed"),
        pytest.param(lambda t: _flip(t, -2), id="signature-changed"),
        pytest.param(lambda t: t[:-1], id="truncated"),
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "not-a-token", id="garbage"),
    ],
)
def test_find_invitation_tampered_refused(app, tamper):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser)
        token = services.create_invitation(organiser, event)

        with pytest.raises(services.EventError, match="not valid or has expired"):
            services.find_invitation(tamper(token))


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(lambda inv: {"i": inv.id, "n": "guessed-nonce"}, id="wrong-nonce"),
        pytest.param(lambda inv: {"i": inv.id + 1000, "n": "x"}, id="unknown-id"),
        pytest.param(lambda inv: {"i": str(inv.id), "n": "x"}, id="id-not-int"),
        pytest.param(lambda inv: [inv.id], id="not-a-dict"),
    ],
)
def test_find_invitation_validly_signed_forgery_refused(app, payload):
    """Even with the signing key, a token needs the nonce whose hash was stored."""
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser)
        services.create_invitation(organiser, event)
        invitation = db.session.scalar(select(JudgeInvitation))
        forged = URLSafeTimedSerializer(
            app.config["SECRET_KEY"], salt=services.INVITE_SALT
        ).dumps(payload(invitation))

        with pytest.raises(services.EventError, match="not valid or has expired"):
            services.find_invitation(forged)


def test_find_invitation_signed_with_another_key_refused(app):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser)
        services.create_invitation(organiser, event)
        invitation = db.session.scalar(select(JudgeInvitation))
        forged = URLSafeTimedSerializer(
            "some-other-secret", salt=services.INVITE_SALT
        ).dumps({"i": invitation.id, "n": "x"})

        with pytest.raises(services.EventError, match="not valid or has expired"):
            services.find_invitation(forged)


# --- panel -----------------------------------------------------------------------------


def test_add_judge_is_idempotent_and_audits_once(app):
    with app.app_context():
        organiser, judge = make_user(), make_user()
        event = make_event(organiser)

        first = services.add_judge(organiser, event, judge)
        second = services.add_judge(organiser, event, judge)

        assert first.id == second.id
        assert count(PanelMember) == 1
        assert actions(event.id) == ["event.created", "panel.judge_added"]


def test_set_chair_makes_exactly_one_chair(app):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser)
        make_judge(event, make_user(name="Ann"), chair=True)
        make_judge(event, make_user(name="Bob"))
        cal = services.get_panel_member(event, make_judge(event, make_user(name="Cal")))

        services.set_chair(organiser, event, cal.id)
        db.session.flush()

        chairs = db.session.execute(
            select(PanelMember.id).where(PanelMember.is_chair.is_(True))
        ).all()
        assert chairs == [(cal.id,)]
        assert [m.user.display_name for m in services.list_panel(event)] == [
            "Cal",
            "Ann",
            "Bob",
        ]
        assert actions(event.id)[-1] == "panel.chair_set"


def test_set_chair_judge_of_another_event_not_found(app):
    with app.app_context():
        organiser = make_user()
        event, other = make_event(organiser), make_event(organiser)
        chair = make_judge(event, chair=True)
        outsider = services.get_panel_member(other, make_judge(other))

        with pytest.raises(NotFound):
            services.set_chair(organiser, event, outsider.id)

        assert services.get_panel_member(event, chair).is_chair is True
        assert "panel.chair_set" not in actions()


@pytest.mark.parametrize(
    "phase", [P.DRAFT, P.OPEN, P.SUBMISSIONS_OPEN, P.SUBMISSIONS_CLOSED]
)
def test_remove_judge_before_judging_removes_and_audits(app, phase):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser, phase=phase)
        member = services.get_panel_member(event, make_judge(event))

        services.remove_judge(organiser, event, member.id)
        db.session.flush()

        assert count(PanelMember) == 0
        assert actions(event.id)[-1] == "panel.judge_removed"


@pytest.mark.parametrize("phase", [P.JUDGING, P.MODERATION, P.PUBLISHED])
def test_remove_judge_once_judging_started_refused(app, phase):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser, phase=phase)
        member = services.get_panel_member(event, make_judge(event))

        with pytest.raises(services.EventError, match="cannot be removed"):
            services.remove_judge(organiser, event, member.id)

        assert count(PanelMember) == 1
        assert "panel.judge_removed" not in actions()


def test_remove_judge_of_another_event_not_found(app):
    with app.app_context():
        organiser = make_user()
        event, other = make_event(organiser), make_event(organiser)
        outsider = services.get_panel_member(other, make_judge(other))

        with pytest.raises(NotFound):
            services.remove_judge(organiser, event, outsider.id)

        assert count(PanelMember) == 1


# --- listings --------------------------------------------------------------------------


def test_list_events_for_user_returns_organised_and_judged_newest_first(app):
    with app.app_context():
        user = make_user()
        services.create_event(
            user,
            details(slug="early", starts_at=datetime(2020, 1, 1, tzinfo=UTC)),
            "B",
        )
        judged = make_event(slug="judged")
        make_judge(judged, user)
        make_event(slug="unrelated")

        listed = services.list_events_for_user(user)

        assert [e.slug for e in listed] == ["judged", "early"]


def test_list_public_events_leaves_out_drafts(app):
    with app.app_context():
        make_event(slug="draft", phase=P.DRAFT)
        make_event(slug="open", phase=P.OPEN)

        assert [e.slug for e in services.list_public_events()] == ["open"]
