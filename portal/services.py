"""Pages that bring every package together: the home dashboard, public event page and the
organiser's overview. This package sits to the right of judging, so it may use them all."""

from dataclasses import dataclass

from sqlalchemy import func, select

from auth.models import User
from events import services as event_services
from events.models import Event, EventOrganiser, EventPhase, PanelMember
from extensions import db
from judging import categories, funding, live, prizes, votes
from judging import services as judging_services
from judging.models import Scorecard
from pitches import services as pitch_services
from pitches.models import (
    Pitch,
    PitchStatus,
    ProblemStatement,
    ProblemStatus,
    Team,
    TeamMember,
)


@dataclass(frozen=True)
class Dashboard:
    organising: list[Event]
    judging: list[Event]
    teams: list[tuple[Team, str]]
    problems: list[tuple[ProblemStatement, str]]


def dashboard_for(user: User) -> Dashboard:
    """Collect what the signed-in user takes part in, across every event."""
    organising = db.session.scalars(
        select(Event)
        .join(EventOrganiser, EventOrganiser.event_id == Event.id)
        .where(EventOrganiser.user_id == user.id)
        .order_by(Event.starts_at.desc())
    )
    judging = db.session.scalars(
        select(Event)
        .join(PanelMember, PanelMember.event_id == Event.id)
        .where(PanelMember.user_id == user.id)
        .order_by(Event.starts_at.desc())
    )
    teams = db.session.execute(
        select(Team, Event.slug)
        .join(Event, Event.id == Team.event_id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == user.id)
        .order_by(Team.created_at.desc())
    ).all()
    problems = db.session.execute(
        select(ProblemStatement, Event.slug)
        .join(Event, Event.id == ProblemStatement.event_id)
        .where(ProblemStatement.owner_id == user.id)
        .order_by(ProblemStatement.created_at.desc())
    ).all()
    return Dashboard(list(organising), list(judging), list(teams), list(problems))


@dataclass(frozen=True)
class Overview:
    problems_pending: int
    problems_approved: int
    teams: int
    pitches_submitted: int
    pitches_draft: int
    judges: int
    scorecards: int


def organiser_overview(event: Event) -> Overview:
    """Count what the organiser needs to see at a glance."""

    def count(query) -> int:
        return db.session.scalar(select(func.count()).select_from(query.subquery()))

    problems = select(ProblemStatement.status).where(
        ProblemStatement.event_id == event.id
    )
    pitches = select(Pitch.status).where(
        Pitch.event_id == event.id, Pitch.is_practice.is_(False)
    )
    return Overview(
        problems_pending=count(
            problems.where(ProblemStatement.status == ProblemStatus.SUBMITTED)
        ),
        problems_approved=count(
            problems.where(ProblemStatement.status == ProblemStatus.APPROVED)
        ),
        teams=count(
            select(Team.id)
            .outerjoin(Pitch, Pitch.team_id == Team.id)
            .where(Team.event_id == event.id, Pitch.is_practice.is_not(True))
        ),
        pitches_submitted=count(pitches.where(Pitch.status == PitchStatus.SUBMITTED)),
        pitches_draft=count(pitches.where(Pitch.status == PitchStatus.DRAFT)),
        judges=len(event_services.list_panel(event)),
        scorecards=count(
            select(Scorecard.id)
            .join(Pitch, Pitch.id == Scorecard.pitch_id)
            .where(Pitch.event_id == event.id, Pitch.is_practice.is_(False))
        ),
    )


def public_page(event: Event) -> dict:
    """Return what the public event page shows; ranks only once results are published."""
    published = event.phase == EventPhase.PUBLISHED
    session = live.current_session(event)
    results = judging_services.compute_results(event) if published else None
    vote_tally = votes.tally(event) if published else None
    return {
        "event": event,
        "problems": pitch_services.list_problems(event),
        "results": results,
        # People's Choice, apart from the panel's result, once published.
        "vote_tally": vote_tally,
        "vote": votes.get_vote(event),
        "categories": categories.by_category(results) if published else [],
        "awarded": prizes.awarded(event) if published else [],
        "blended": votes.blended_ranking(results, vote_tally) if published else [],
        # Published funding decisions; the notes and conditions stay with each team.
        "funding": funding.decisions_by_pitch(event) if published else {},
        "tie_break": event_services.tie_break_chain(event),
        "running_order": live.state(event).order if session.order_published_at else (),
        "order_seed": session.order_seed if session.order_published_at else None,
    }
