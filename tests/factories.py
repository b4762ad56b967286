"""Plain factory functions: keyword defaults, add, flush, return (need an app context)."""

import time
from datetime import UTC, datetime, timedelta
from itertools import count

from werkzeug.security import generate_password_hash

from auth.models import User
from events import services as event_services
from events.models import Event, EventOrganiser, EventPhase, EventType, PanelMember
from extensions import db
from judging.models import ConflictDeclaration, Mark, Recommendation, Scorecard
from judging.saving import ScoreInput
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

PASSWORD = "correct horse battery staple"
_HASH = generate_password_hash(PASSWORD, method="scrypt")  # hashed once, reused
_seq = count(1)


def make_user(
    email: str | None = None, name: str | None = None, *, is_organiser: bool = False
) -> User:
    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.org",
        display_name=name or f"User {n}",
        password_hash=_HASH,
        is_organiser=is_organiser,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_event(
    organiser: User | None = None,
    *,
    slug: str | None = None,
    phase: EventPhase = EventPhase.OPEN,
    preset: str = "B",
    cap: int = 5000,
    pot: int = 25000,
    deadline: datetime | None = None,
) -> Event:
    organiser = organiser or make_user(is_organiser=True)
    now = datetime.now(UTC)
    details = event_services.EventDetails(
        name=f"Test event {slug or next(_seq)}",
        slug=slug or f"event-{next(_seq)}",
        event_type=EventType.HACK_TO_FUND,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
        submissions_close_at=deadline or now + timedelta(days=2),
        venue="Test venue",
        description="",
        pot_pounds=pot,
        cap_pounds=cap,
    )
    event = event_services.create_event(organiser, details, preset)
    event.phase = phase
    db.session.flush()
    return event


def add_organiser(event: Event, user: User) -> None:
    db.session.add(EventOrganiser(event_id=event.id, user_id=user.id))
    db.session.flush()


def make_judge(event: Event, user: User | None = None, *, chair: bool = False) -> User:
    user = user or make_user()
    db.session.add(PanelMember(event_id=event.id, user_id=user.id, is_chair=chair))
    db.session.flush()
    return user


def make_problem(
    event: Event,
    owner: User | None = None,
    *,
    status: ProblemStatus = ProblemStatus.APPROVED,
    title: str = "Residents don't drink enough",
) -> ProblemStatement:
    owner = owner or make_user()
    problem = ProblemStatement(
        event_id=event.id,
        owner_id=owner.id,
        title=title,
        ref=f"P{next(_seq)}",
        one_sentence="Residents forget to drink.",
        who_affected="Residents",
        setting=Setting.CARE_HOME_NURSING,
        story="Fluid charts are half complete.",
        better="Everyone drinks enough.",
        owner_name=owner.display_name,
        owner_role="Nurse",
        owner_contact=owner.email,
        willing_to_pitch="live",
        publish_consent=True,
        status=status,
    )
    db.session.add(problem)
    db.session.flush()
    return problem


PITCH_FIELDS = dict(
    title="Sip Smart",
    summary="Marked cups and a tablet tally.",
    pitch_type=PitchType.SERVICE,
    problem_text="Residents do not drink enough.",
    evidence="7 admissions last winter.",
    existing="Nothing local.",
    plan="Pilot marked cups.",
    beneficiaries_count=120,
    beneficiaries_unit="residents",
    difference="Fewer admissions.",
    funding_requested=4000,
)


def make_team(
    event: Event,
    lead: User | None = None,
    *,
    name: str | None = None,
    problem: ProblemStatement | None = None,
    submitted: bool = False,
    members: list[tuple[str, Background]] = (),
) -> Team:
    lead = lead or make_user()
    problem = problem or make_problem(event)
    n = next(_seq)
    team = Team(
        event_id=event.id,
        name=name or f"Team {n}",
        ref=f"T{n:02d}",
        problem_id=problem.id,
        created_by_id=lead.id,
    )
    team.members.append(
        TeamMember(
            user_id=lead.id,
            name=lead.display_name,
            background=Background.CARE_STAFF,
            is_lead=True,
        )
    )
    for member_name, background in members:
        team.members.append(TeamMember(name=member_name, background=background))
    team.pitch = Pitch(event_id=event.id)
    if submitted:
        for key, value in PITCH_FIELDS.items():
            setattr(team.pitch, key, value)
        team.pitch.status = PitchStatus.SUBMITTED
        team.pitch.submitted_at = datetime.now(UTC)
    db.session.add(team)
    db.session.flush()
    return team


def make_scorecard(
    pitch: Pitch,
    judge: User,
    marks: dict[str, int] | list[int],
    event: Event | None = None,
    feedback: str = "Good work.",
) -> Scorecard:
    event = event or db.session.get(Event, pitch.event_id)
    criteria = event.criteria
    values = marks if isinstance(marks, list) else [marks[c.code] for c in criteria]
    card = Scorecard(
        pitch_id=pitch.id,
        judge_id=judge.id,
        feedback=feedback,
        revision=1,
        marks=[
            Mark(criterion_id=c.id, value=v)
            for c, v in zip(criteria, values, strict=False)
        ],
    )
    db.session.add(card)
    db.session.flush()
    return card


def score_input(
    event: Event,
    values: list[int],
    key: str,
    *,
    base: int = 0,
    feedback: str = "Clear benefit; cost the pilot.",
    recommendation: Recommendation | None = Recommendation.FUND,
    **extra,
) -> ScoreInput:
    """A complete scorecard to save through judging.services.record_scorecard: one mark
    per criterion, in the rubric's order."""
    return ScoreInput(
        marks={c.id: v for c, v in zip(event.criteria, values, strict=True)},
        feedback=feedback,
        recommendation=recommendation,
        submission_key=key,
        base_revision=base,
        **extra,
    )


def declare_conflict(pitch: Pitch, judge: User, reason: str = "Friend") -> None:
    db.session.add(
        ConflictDeclaration(pitch_id=pitch.id, judge_id=judge.id, reason=reason)
    )
    db.session.flush()


def sign_in(client, user: User | str) -> None:
    """Put a user's Flask-Login keys in a test client's session: no scrypt check.

    The session is not "fresh" (as after a restore from the remember-me cookie); tests of
    fresh-login actions sign in through POST /login instead.
    """
    user_id = user if isinstance(user, str) else user.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = False


def make_pack(client, slug: str, kind: str, wait: float = 120) -> bytes:
    """Ask for a document pack as an organiser would (judging/packs.py: a real
    background process), wait for it and return the PDF. Raises if it fails or takes
    longer than ``wait`` seconds: a test never leaves a pack process running."""
    asked = client.post(f"/events/{slug}/results/packs/{kind}")
    assert asked.status_code == 302, asked.status_code
    page = asked.headers["Location"]
    deadline = time.monotonic() + wait
    while True:
        state = client.get(page, headers={"Accept": "application/json"}).get_json()
        if state["status"] == "done":
            break
        assert state["status"] != "failed", state["message"]
        assert time.monotonic() < deadline, f"pack still {state} after {wait} s"
        time.sleep(0.2)
    download = client.get(page + ".pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    return download.data
