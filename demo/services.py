"""Load the demo event of domain section 12: idempotent, dates relative to today."""

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from auth import services as auth_services
from auth.models import User
from demo import data
from events import services as event_services
from events.models import (
    Event,
    EventFunder,
    EventOrganiser,
    EventPhase,
    EventType,
    PanelMember,
)
from extensions import db
from judging import votes
from judging.funding_models import FundingCondition, FundingDecision, FundingKind
from judging.models import ConflictDeclaration, Mark, Recommendation, Scorecard
from judging.vote_models import Ballot, BallotPick, PeoplesChoice
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

LONDON = ZoneInfo("Europe/London")
WORDS = (
    "amber birch cedar delta ember fern grove harbour iris juniper kestrel linden "
    "meadow nettle orchard pebble quartz rowan sorrel thistle willow"
).split()


@dataclass(frozen=True)
class DemoResult:
    event: Event
    created: bool
    password: str
    sign_ins: list[tuple[str, str, str]]  # (role, name, email)


def email_for(name: str) -> str:
    """Return the demo email address for a person: first.last@example.org."""
    bare = re.sub(r"^Dr\s+", "", name)
    return re.sub(r"[^a-z.]", "", bare.lower().replace(" ", ".")) + "@example.org"


def new_password() -> str:
    """Return a random four-word password (long enough, easy to type on a tablet)."""
    return "-".join(secrets.choice(WORDS) for _ in range(4))


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LONDON).astimezone(
        ZoneInfo("UTC")
    )


class _Accounts:
    """Create demo accounts on demand, all with the one shared password hash."""

    def __init__(self, password: str):
        self.hash = generate_password_hash(password, method="scrypt")
        self.by_name: dict[str, User] = {}

    def get(self, name: str) -> User:
        if name not in self.by_name:
            email = email_for(name)
            user = db.session.scalar(select(User).where(User.email == email))
            if user is None:
                user = User(email=email, display_name=name, password_hash=self.hash)
                db.session.add(user)
            self.by_name[name] = user
        return self.by_name[name]


CONDITIONS = (
    "Release after a DPIA and clinical-safety officer review, with the care-home "
    "manager's sign-off."
)


def _feedback(marks: dict[str, int], names: dict[str, str]) -> str:
    best = max(marks, key=lambda c: (marks[c], c))
    worst = min(marks, key=lambda c: (marks[c], c))
    return (
        f"Strongest on {names[best].lower()}. To make this more fundable, strengthen "
        f"{names[worst].lower()}."
    )


def _recommendation(weighted: float) -> Recommendation:
    if weighted >= 4.0:
        return Recommendation.FUND
    if weighted >= 3.5:
        return Recommendation.FUND_WITH_CONDITIONS
    if weighted >= 3.0:
        return Recommendation.SUPPORT_NOT_CASH
    return Recommendation.DO_NOT_FUND


def load_demo(
    today: date, password: str, phase: EventPhase = EventPhase.JUDGING
) -> DemoResult:
    """Create the demo event unless it exists; the caller commits."""
    existing = db.session.scalar(select(Event).where(Event.slug == data.EVENT["slug"]))
    if existing is not None:
        return DemoResult(existing, False, password, sign_ins())
    accounts = _Accounts(password)
    d0 = today - timedelta(days=data.TODAY_OFFSET_DAYS)
    lead = accounts.get(data.ORGANISERS[0][0])
    lead.is_organiser = True
    db.session.flush()
    details = event_services.EventDetails(
        name=data.EVENT["name"],
        slug=data.EVENT["slug"],
        event_type=EventType.HACK_TO_FUND,
        starts_at=_at(d0, 8, 30),
        ends_at=_at(d0 + timedelta(days=1), 17),
        submissions_close_at=_at(d0 + timedelta(days=1), 13, 30),
        venue=data.EVENT["venue"],
        description=data.EVENT["description"],
        pot_pounds=data.EVENT["pot_pounds"],
        cap_pounds=data.EVENT["cap_pounds"],
    )
    event = event_services.create_event(lead, details, "B")
    second = accounts.get(data.ORGANISERS[1][0])
    second.is_organiser = True
    db.session.flush()
    db.session.add(EventOrganiser(event_id=event.id, user_id=second.id))
    problems = _load_problems(event, accounts, d0)
    teams = _load_teams(event, accounts, problems, d0)
    judges = _load_panel(event, accounts)
    funder = accounts.get(data.FUNDER[0])
    db.session.flush()
    db.session.add(
        EventFunder(
            event_id=event.id,
            user_id=funder.id,
            joined_at=_at(d0 - timedelta(days=30), 10),
        )
    )
    _load_scores(event, teams, judges, d0)
    event.phase = phase
    _load_vote(event, lead, teams, d0, closed=phase != EventPhase.JUDGING)
    if phase == EventPhase.PUBLISHED:
        _load_outcome(event, accounts, teams, judges, d0)
    db.session.flush()
    return DemoResult(event, True, password, sign_ins())


def _load_problems(event, accounts, d0) -> dict[str, ProblemStatement]:
    out = {}
    for (
        ref,
        title,
        owner,
        role,
        setting,
        sentence,
        who,
        story,
        scale,
        better,
    ) in data.PROBLEMS:
        user = accounts.get(owner)
        problem = ProblemStatement(
            event_id=event.id,
            owner_id=None,
            ref=ref,
            title=title,
            one_sentence=sentence,
            who_affected=who,
            setting=Setting(setting),
            story=story,
            scale=scale,
            tried="",
            better=better,
            owner_name=owner,
            owner_role=role,
            owner_contact=email_for(owner),
            willing_to_pitch="live",
            publish_consent=True,
            status=ProblemStatus.APPROVED,
            created_at=_at(d0 - timedelta(days=90), 10),
            decided_at=_at(d0 - timedelta(days=60), 10),
        )
        db.session.add(problem)
        db.session.flush()
        problem.owner_id = user.id
        out[ref] = problem
    return out


def _load_teams(event, accounts, problems, d0) -> dict[str, Team]:
    order = {ref: n for n, ref in enumerate(data.RUNNING_ORDER, start=1)}
    out = {}
    for ref, name, problem_ref, idea, kind, ask, members in data.TEAMS:
        lead_user = accounts.get(members[0][0])
        db.session.flush()
        team = Team(
            event_id=event.id,
            name=name,
            ref=ref,
            problem_id=problems[problem_ref].id,
            created_by_id=lead_user.id,
            created_at=_at(d0, 11),
        )
        for i, (person, background, role) in enumerate(members):
            team.members.append(
                TeamMember(
                    user_id=accounts.get(person).id if i == 0 else None,
                    name=person,
                    background=Background(background),
                    role_title=role,
                    is_lead=i == 0,
                )
            )
        db.session.add(team)
        users = [accounts.get(member.name) for member in team.members]
        db.session.flush()  # gives the new accounts their ids
        for member, user in zip(team.members, users, strict=True):
            member.user_id = user.id  # every demo member has an account
        problem = problems[problem_ref]
        team.pitch = Pitch(
            event_id=event.id,
            title=name,
            summary=idea + ".",
            pitch_type=PitchType(kind),
            problem_text=problem.story,
            evidence=problem.scale
            or "Local audit and staff feedback across our homes.",
            existing="Nothing local does this today, and no existing budget covers it.",
            plan=f"{idea}. We will pilot it for three months, then review with residents, "
            "families and staff.",
            beneficiaries_count=120,
            beneficiaries_unit="residents across 3 homes",
            difference=problem.better,
            funding_requested=ask,
            status=PitchStatus.SUBMITTED,
            running_order=order[ref],
            submitted_at=_at(d0 + timedelta(days=1), 13, 10),
            updated_at=_at(d0 + timedelta(days=1), 13, 10),
        )
        out[ref] = team
    db.session.flush()
    return out


def _load_panel(event, accounts) -> dict[str, User]:
    out = {}
    for code, name, _role, is_chair in data.JUDGES:
        user = accounts.get(name)
        db.session.flush()
        db.session.add(
            PanelMember(event_id=event.id, user_id=user.id, is_chair=is_chair)
        )
        out[code] = user
    db.session.flush()
    return out


def _load_outcome(event, accounts, teams, judges, d0) -> None:
    """Moderation locked, the pot allocated as in domain 12.7, approved by the funder,
    signed off by the chair and published with the outcome letters (domain 11.1, D+7)."""
    organiser = accounts.get(data.ORGANISERS[0][0])
    funder = accounts.get(data.FUNDER[0])
    chair = judges[next(code for code, *_, is_chair in data.JUDGES if is_chair)]
    event.moderation_locked_at = _at(d0 + timedelta(days=1), 16, 40)
    decided = _at(d0 + timedelta(days=1), 17, 30)
    met = _at(d0 + timedelta(days=data.CONDITIONS_MET_DAY), 11)
    repitch_day = d0 + timedelta(days=155)
    repitch = f"{repitch_day.day} {repitch_day:%B %Y}"
    for ref, kind, amount, scope, note, conditions in data.FUNDING:
        decision = FundingDecision(
            event_id=event.id,
            pitch_id=teams[ref].pitch.id,
            kind=FundingKind(kind),
            amount_pounds=amount,
            scope=scope,
            note=note.format(repitch=repitch),
            decided_by_id=organiser.id,
            decided_at=decided,
            conditions=[
                FundingCondition(
                    position=n, text=text, met_at=met, met_by_id=organiser.id
                )
                for n, text in enumerate(conditions, start=1)
            ],
        )
        db.session.add(decision)
    event.allocation_approved_at = _at(d0 + timedelta(days=3), 10)
    event.allocation_approved_by_id = funder.id
    event.signed_off_at = _at(d0 + timedelta(days=3), 14)
    event.signed_off_by_id = chair.id
    event.published_at = _at(d0 + timedelta(days=7), 9)


def _load_vote(event, organiser, teams, d0, *, closed: bool) -> None:
    """People's Choice (domain 12.7): open during the final pitches. On demo day it has
    closed with its 148 ballots; in the judging rehearsal it is still open and empty, so
    it can be tried."""
    rules = data.PEOPLES_CHOICE
    vote = PeoplesChoice(
        event_id=event.id,
        picks=rules["picks"],
        blend_percent=0,
        declared_by_id=organiser.id,
        opened_at=_at(d0 + timedelta(days=1), 14),
        opened_by_id=organiser.id,
    )
    db.session.add(vote)
    if not closed:
        return
    vote.closed_at, vote.closed_by_id = (
        _at(d0 + timedelta(days=1), 15, 50),
        organiser.id,
    )
    for n, refs in enumerate(ballots(rules["votes"], rules["picks"], rules["voters"])):
        ballot = Ballot(
            event_id=event.id,
            device_digest=votes.device_digest(f"demo-voter-{n}"),
            cast_at=_at(d0 + timedelta(days=1), 14, 5)
            + timedelta(minutes=n * 100 // rules["voters"]),
        )
        ballot.picks = [BallotPick(pitch_id=teams[ref].pitch.id) for ref in refs]
        db.session.add(ballot)


def ballots(counts: dict[str, int], picks: int, voters: int) -> list[tuple[str, ...]]:
    """Ballots of ``picks`` different teams that add up to ``counts`` exactly: each
    ballot takes the teams with the most votes still to give (the counts allow it when
    they add up to picks x voters and none exceeds the number of voters)."""
    left = dict(counts)
    out = []
    for _ in range(voters):
        chosen = sorted(left, key=lambda ref: (-left[ref], ref))[:picks]
        for ref in chosen:
            left[ref] -= 1
        out.append(tuple(chosen))
    if any(left.values()) or any(v < 0 for v in left.values()):
        raise ValueError("the vote counts do not fit the ballots")
    return out


def _load_scores(event, teams, judges, d0) -> None:
    criteria = {c.code: c for c in event.criteria}
    names = {c.code: c.name for c in event.criteria}
    at = _at(d0 + timedelta(days=1), 15, 50)
    for row in csv.reader(io.StringIO(data.SCORES_CSV)):
        team_ref, judge_code, *values = row
        marks = dict(zip(sorted(criteria), map(int, values), strict=True))
        weighted = sum(criteria[c].weight * m for c, m in marks.items()) / 100
        card = Scorecard(
            pitch_id=teams[team_ref].pitch.id,
            judge_id=judges[judge_code].id,
            feedback=_feedback(marks, names),
            recommendation=_recommendation(weighted),
            conditions=CONDITIONS
            if _recommendation(weighted) == Recommendation.FUND_WITH_CONDITIONS
            else "",
            revision=1,
            submitted_at=at,
            updated_at=at,
            marks=[
                Mark(criterion_id=criteria[c].id, value=m) for c, m in marks.items()
            ],
        )
        db.session.add(card)
    for team_ref, judge_code, reason in data.CONFLICTS:
        db.session.add(
            ConflictDeclaration(
                pitch_id=teams[team_ref].pitch.id,
                judge_id=judges[judge_code].id,
                reason=reason,
                declared_at=_at(d0 + timedelta(days=1), 13, 35),
            )
        )
    db.session.flush()


def sign_ins() -> list[tuple[str, str, str]]:
    """Return (role, name, email) for the demo accounts worth signing in as."""
    rows = [("Organiser", n, email_for(n)) for n, _ in data.ORGANISERS]
    rows += [
        ("Judge (chair)" if chair else "Judge", n, email_for(n))
        for _, n, _, chair in data.JUDGES
    ]
    rows.append(
        ("Funder (approves funding)", data.FUNDER[0], email_for(data.FUNDER[0]))
    )
    rows += [
        (f"Team lead, {t[1]}", t[6][0][0], email_for(t[6][0][0]))
        for t in data.TEAMS[:2]
    ]
    return rows


def reset_passwords(password: str) -> int:
    """Give every demo account (…@example.org) the shared password; return how many."""
    users = db.session.scalars(select(User).where(User.email.like("%@example.org")))
    count = 0
    hashed = generate_password_hash(password, method="scrypt")
    for user in users:
        user.password_hash = hashed
        auth_services.revoke_sessions(user)
        count += 1
    return count


def demo_exists() -> bool:
    """Whether the demo event is already in the database."""
    return (
        db.session.scalar(select(Event.id).where(Event.slug == data.EVENT["slug"]))
        is not None
    )


def password_file(instance_path: str) -> Path:
    return Path(instance_path) / "demo-password.txt"
