"""What each team reads once the results are published (issue 4, item 7).

Rules:

1. A team's feedback exists only after publication (R-05); organisers may preview it
   before, to check what will go out.
2. Its scores are the mean mark per criterion of the scorecards that counted (conflicted
   and unassigned judges' cards never count), beside the cohort average: the mean of the
   same figure over every ranked pitch of the event.
3. The judges' written feedback is shown without names, in an order that does not follow
   the panel's (sorted by text), so no comment can be matched to a judge by position.
   Private notes are never shown.
4. The funding decision, with its conditions and whether each is met, and the next steps
   for that outcome.
"""

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select

from events.models import Event, EventPhase
from extensions import db
from judging import prizes, scoring, services, votes
from judging.funding import decisions_by_pitch
from judging.funding_models import FundingDecision, FundingKind
from judging.models import Scorecard

NEXT_STEPS = {
    FundingKind.FULL: (
        "Sign and return the award agreement.",
        "Book your delivery-planning session: the money is released to your cost "
        "centre after it.",
        "Send a progress report every three months, with your measures.",
    ),
    FundingKind.PART: (
        "Sign and return the award agreement.",
        "Book your delivery-planning session: the money is released to your cost "
        "centre after it.",
        "Send a progress report every three months, with your measures.",
    ),
    FundingKind.CONDITIONS: (
        "Sign and return the award agreement.",
        "Meet each condition of the award: the money is released when the organisers "
        "have marked every one met.",
        "Send a progress report every three months, with your measures.",
    ),
    FundingKind.SUPPORT: (
        "The organisers will put you in touch with the people offering support.",
        "You are welcome to pitch again at a later round.",
    ),
    FundingKind.SIGNPOST: ("Follow up the funding route suggested below.",),
    FundingKind.DECLINE: (
        "Read the judges' feedback: many ideas succeed at a second attempt.",
        "Ask the organisers about mentoring or a later round.",
    ),
}


ALL_CONDITIONS_MET = "Every condition of the award is met: the money can be released."


@dataclass(frozen=True)
class CriterionLine:
    code: str
    name: str
    weight: int
    team: Decimal | None
    cohort: Decimal | None


@dataclass(frozen=True)
class TeamFeedback:
    event: Event
    row: services.ResultRow
    ranked_count: int
    criteria: tuple[CriterionLine, ...]
    score: Decimal | None
    cohort_score: Decimal | None
    comments: tuple[str, ...]
    decision: FundingDecision | None
    # The team's place in the People's Choice, once the vote has closed (judging/votes).
    audience: votes.TallyRow | None = None
    audience_ballots: int = 0
    # The special prizes the panel gave this pitch: (name, citation).
    prizes: tuple[tuple[str, str], ...] = ()

    @property
    def audience_line(self) -> str:
        """The People's Choice in one sentence, for the feedback sheet."""
        if self.audience is None or not self.audience_ballots:
            return ""
        won = (
            "won the People's Choice"
            if self.audience.rank == 1
            else (f"came {self.audience.rank} in the People's Choice")
        )
        return (
            f"Your pitch {won}, with {self.audience.votes} votes from "
            f"{self.audience_ballots} ballots (the audience's vote, apart from the "
            "panel's decision)."
        )

    @property
    def next_steps(self) -> tuple[str, ...]:
        if self.decision is None:
            return ()
        steps = NEXT_STEPS[self.decision.kind]
        conditions = self.decision.conditions
        if conditions and all(c.met_at is not None for c in conditions):
            steps = tuple(
                ALL_CONDITIONS_MET if step.startswith("Meet each condition") else step
                for step in steps
            )
        return steps


def is_published(event: Event) -> bool:
    return event.phase == EventPhase.PUBLISHED


def _mean(values: list[Fraction]) -> Decimal | None:
    return (
        scoring.to_display(sum(values, Fraction(0)) / len(values)) if values else None
    )


def _comments(
    results: services.Results, pitch_ids: list[int]
) -> dict[int, tuple[str, ...]]:
    """The counted scorecards' written feedback per pitch, sorted, in one query."""
    counted = {(c.pitch_id, c.judge_id) for c in results.cards} - set(results.excluded)
    out: dict[int, list[str]] = {p: [] for p in pitch_ids}
    for pitch_id, judge_id, text in db.session.execute(
        select(Scorecard.pitch_id, Scorecard.judge_id, Scorecard.feedback).where(
            Scorecard.pitch_id.in_(pitch_ids)
        )
    ):
        if (pitch_id, judge_id) in counted and text.strip():
            out[pitch_id].append(text.strip())
    return {p: tuple(sorted(texts)) for p, texts in out.items()}


def _build(
    event: Event, results: services.Results, rows: list[services.ResultRow]
) -> list[TeamFeedback]:
    """Feedback for these rows: the cohort figures once, comments and decisions in one
    query each."""
    ranked = [r for r in results.rows if r.rank is not None]
    cohort = {
        criterion.id: _mean(
            [
                m.exact
                for r in ranked
                for m in r.result.criterion_means
                if m.criterion_id == criterion.id
            ]
        )
        for criterion in results.criteria
    }
    declared = results.declared_scores
    if declared:
        cohort_scores = [
            Fraction(str(declared[r.pitch.id]))
            for r in ranked
            if declared.get(r.pitch.id) is not None
        ]
    else:
        cohort_scores = [
            r.result.mean_exact for r in ranked if r.result.mean_exact is not None
        ]
    cohort_score = _mean(cohort_scores)
    comments = _comments(results, [r.pitch.id for r in rows])
    decisions = decisions_by_pitch(event)
    tally = votes.tally(event)
    closed = tally is not None and tally.vote.closed_at is not None
    audience = {t.pitch.id: t for t in tally.rows} if closed else {}
    won: dict[int, list[tuple[str, str]]] = {}
    for prize in prizes.awarded(event):
        won.setdefault(prize.pitch_id, []).append((prize.name, prize.citation))
    out = []
    for row in rows:
        own = {m.criterion_id: m.mean for m in row.result.criterion_means}
        lines = tuple(
            CriterionLine(c.code, c.name, c.weight, own.get(c.id), cohort[c.id])
            for c in results.criteria
        )
        score = (
            declared.get(row.pitch.id, row.result.mean) if declared else row.result.mean
        )
        out.append(
            TeamFeedback(
                event,
                row,
                len(ranked),
                lines,
                score,
                cohort_score,
                comments[row.pitch.id],
                decisions.get(row.pitch.id),
                audience.get(row.pitch.id),
                tally.ballots if closed else 0,
                tuple(won.get(row.pitch.id, ())),
            )
        )
    return out


def team_feedback(
    event: Event, pitch_id: int, results: services.Results | None = None
) -> TeamFeedback | None:
    """The feedback of the team whose pitch this is; None if it was not submitted."""
    results = results or services.compute_results(event)
    rows = [r for r in results.rows if r.pitch.id == pitch_id]
    return _build(event, results, rows)[0] if rows else None


def all_feedback(event: Event) -> list[TeamFeedback]:
    """Every submitted team's feedback, in ranked order, from one computation and a
    fixed number of queries."""
    results = services.compute_results(event)
    return _build(event, results, list(results.rows))
