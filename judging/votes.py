"""People's Choice: the audience vote, its tally and the optional blend (domain 4.4).

Rules
-----
1. **Declared first.** The organiser declares how many different pitches each ballot
   must name (1 to 6; Q Exchange asks for six so that people do not only back the one
   they know) and whether the vote is shown separately from the panel result (the
   default, as Dorset and the Care Innovation Challenge do) or blended with it at a
   weight of 1% to 50%. Both are fixed once the vote opens, and audited.
2. **Open and close.** Organisers open the vote (between submissions closing and the
   results' publication) and close it; a closed vote never reopens. Only the event's
   submitted pitches, practice pitches aside, are on the ballot.
3. **One ballot per device.** The voter's browser keeps a random token; the ballot is
   stored against the token's SHA-256 digest, unique per event. A ballot names exactly
   the declared number of different pitches and cannot be changed. A device token can be
   cleared, so the vote is an audience award, not a secure election: it carries no money
   and is shown apart from the panel's decision.
4. **Tally.** A pitch's votes are the ballots naming it. Pitches are ranked by votes,
   most first; equal votes share a rank (1, 2, 2, 4 ...). The winner is the pitch (or
   the pitches, when tied) ranked first; there is no winner without a ballot.
5. **Blend** (when declared). A pitch's audience score puts its votes on the rubric's
   scale: ``scale_min + (scale_max - scale_min) * votes / most votes`` (so the most-voted
   pitch scores the top of the scale and a pitch with no vote the bottom). Its blended
   score is ``(100 - w)% * panel score + w% * audience score`` with the panel score by the
   event's declared method. Pitches are ranked by blended score, then by panel score;
   pitches still equal share a rank. Arithmetic is exact. The blended ranking is shown
   beside the panel's; the funding allocation follows the panel's ranking (domain 10:
   votes are shown separately from the panel decision).
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Event, EventPhase
from extensions import db, utcnow
from judging import methods
from judging.scoring import to_display
from judging.vote_models import Ballot, BallotPick, PeoplesChoice
from pitches import services as pitch_services
from pitches.models import Pitch

MAX_PICKS = 6
MAX_BLEND = 50
# The phases in which the vote may be open: from the close of submissions to publication.
VOTING_PHASES = (
    EventPhase.SUBMISSIONS_CLOSED,
    EventPhase.JUDGING,
    EventPhase.MODERATION,
)


class VoteError(Exception):
    """A user-facing reason why a vote action or a ballot was refused."""


class AlreadyVoted(VoteError):
    """The device has cast its ballot already (rule 3)."""


def device_digest(token: str) -> str:
    """The digest a ballot is stored against (rule 3)."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_vote(event: Event) -> PeoplesChoice | None:
    """The event's vote, or None when none has been declared."""
    return db.session.scalar(
        select(PeoplesChoice).where(PeoplesChoice.event_id == event.id)
    )


def declare(user: User, event: Event, picks: int, blend_percent: int) -> PeoplesChoice:
    """Declare (or change, until the vote opens) the picks rule and the blend (rule 1).

    :raises VoteError: once the vote has opened, or for numbers out of range.
    """
    event = event_services.lock_event(event)
    if not 1 <= picks <= MAX_PICKS:
        raise VoteError(f"Each ballot names from 1 to {MAX_PICKS} pitches")
    if not 0 <= blend_percent <= MAX_BLEND:
        raise VoteError(f"The audience's weight is from 0% to {MAX_BLEND}%")
    vote = get_vote(event)
    if vote is not None and vote.opened_at is not None:
        raise VoteError("The vote has opened: its rules can no longer change")
    if vote is None:
        vote = PeoplesChoice(event_id=event.id)
        db.session.add(vote)
    elif (vote.picks, vote.blend_percent) == (picks, blend_percent):
        return vote
    old = {"picks": vote.picks, "blend_percent": vote.blend_percent}
    vote.picks, vote.blend_percent, vote.declared_by_id = picks, blend_percent, user.id
    db.session.flush()
    audit.record(
        "vote.declared",
        actor=user,
        event_id=event.id,
        target=vote,
        old=old,
        new={"picks": picks, "blend_percent": blend_percent},
    )
    return vote


def open_vote(user: User, event: Event) -> PeoplesChoice:
    """Open the declared vote (rule 2).

    :raises VoteError: if nothing is declared, the vote is open or closed already, the
        event is not between submissions closing and publication, or there are fewer
        pitches than each ballot must name.
    """
    event = event_services.lock_event(event)
    vote = get_vote(event)
    if vote is None:
        raise VoteError("Declare the vote's rules first")
    if vote.closed_at is not None:
        raise VoteError("The vote has closed: it cannot reopen")
    if vote.opened_at is not None:
        raise VoteError("The vote is already open")
    if event.phase not in VOTING_PHASES:
        raise VoteError(
            "The vote can open once submissions have closed, until the results are "
            f"published (the event is '{event.phase.label}')"
        )
    on_ballot = len(ballot_pitches(event))
    if on_ballot < vote.picks:
        raise VoteError(
            f"Each ballot must name {vote.picks} pitches, but only {on_ballot} are "
            "on the ballot"
        )
    vote.opened_at, vote.opened_by_id = utcnow(), user.id
    audit.record("vote.opened", actor=user, event_id=event.id, target=vote)
    return vote


def close_vote(user: User, event: Event) -> PeoplesChoice:
    """Close the open vote for good (rule 2).

    :raises VoteError: if the vote is not open.
    """
    event = event_services.lock_event(event)
    vote = get_vote(event)
    if vote is None or not vote.is_open:
        raise VoteError("The vote is not open")
    vote.closed_at, vote.closed_by_id = utcnow(), user.id
    audit.record(
        "vote.closed",
        actor=user,
        event_id=event.id,
        target=vote,
        ballots=ballot_count(event),
    )
    return vote


def ballot_pitches(event: Event) -> list[Pitch]:
    """The pitches on the ballot, in running order (practice pitches never)."""
    return pitch_services.list_submitted_pitches(event)


def has_voted(event: Event, token: str | None) -> bool:
    if not token:
        return False
    return (
        db.session.scalar(
            select(Ballot.id).where(
                Ballot.event_id == event.id,
                Ballot.device_digest == device_digest(token),
            )
        )
        is not None
    )


def cast(event: Event, token: str, pitch_ids: Sequence[int]) -> Ballot:
    """Store one device's ballot (rule 3).

    :raises VoteError: if the vote is not open, the ballot does not name exactly the
        declared number of different pitches on the ballot, or the device has voted.
    """
    vote = get_vote(event)
    if vote is None or not vote.is_open:
        raise VoteError("Voting is not open")
    chosen = set(pitch_ids)
    if len(chosen) != len(pitch_ids):
        raise VoteError("Choose each pitch only once")
    if len(chosen) != vote.picks:
        raise VoteError(
            "Choose one pitch"
            if vote.picks == 1
            else f"Choose {vote.picks} different pitches: you chose {len(chosen)}"
        )
    on_ballot = {p.id for p in ballot_pitches(event)}
    if not chosen <= on_ballot:
        raise VoteError("Choose from the pitches on the ballot")
    ballot = Ballot(event_id=event.id, device_digest=device_digest(token))
    ballot.picks = [BallotPick(pitch_id=p) for p in sorted(chosen)]
    db.session.add(ballot)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise AlreadyVoted("This device has already voted") from None
    return ballot


def ballot_count(event: Event) -> int:
    return db.session.scalar(
        select(func.count(Ballot.id)).where(Ballot.event_id == event.id)
    )


@dataclass(frozen=True)
class TallyRow:
    rank: int | None  # None: no ballot has been cast
    pitch: Pitch
    votes: int


@dataclass(frozen=True)
class Tally:
    vote: PeoplesChoice
    ballots: int
    rows: tuple[TallyRow, ...]

    @property
    def winners(self) -> list[TallyRow]:
        return [r for r in self.rows if r.rank == 1] if self.ballots else []

    @property
    def votes_cast(self) -> int:
        return sum(r.votes for r in self.rows)


def rank_votes(votes: Mapping[int, int], order: Sequence[int]) -> list[tuple[int, int]]:
    """Rank pitch ids by votes, most first; equal votes share a rank (rule 4). Pitches
    with equal votes keep ``order`` (the running order). Returns (pitch id, rank)."""
    place = {p: n for n, p in enumerate(order)}
    ordered = sorted(order, key=lambda p: (-votes.get(p, 0), place[p]))
    ranked, position = [], 0
    for index, pitch in enumerate(ordered):
        if index == 0 or votes.get(ordered[index - 1], 0) != votes.get(pitch, 0):
            position = index + 1
        ranked.append((pitch, position))
    return ranked


def tally(event: Event) -> Tally | None:
    """Count the event's ballots (rule 4), in two queries; None when no vote is declared."""
    vote = get_vote(event)
    if vote is None:
        return None
    pitches = {p.id: p for p in ballot_pitches(event)}
    votes = dict(
        db.session.execute(
            select(BallotPick.pitch_id, func.count(BallotPick.id))
            .join(Ballot, Ballot.id == BallotPick.ballot_id)
            .where(Ballot.event_id == event.id)
            .group_by(BallotPick.pitch_id)
        ).all()
    )
    ballots = ballot_count(event)
    rows = tuple(
        TallyRow(rank if ballots else None, pitches[pid], votes.get(pid, 0))
        for pid, rank in rank_votes(votes, list(pitches))
    )
    return Tally(vote, ballots, rows)


@dataclass(frozen=True)
class BlendRow:
    rank: int
    pitch_id: int
    panel: Fraction
    audience: Fraction
    blended: Fraction

    @property
    def shown(self) -> tuple[Decimal, Decimal, Decimal]:
        """Panel, audience and blended score, rounded for display only."""
        return tuple(to_display(v) for v in (self.panel, self.audience, self.blended))


def blend(
    panel: Mapping[int, Fraction],
    votes: Mapping[int, int],
    weight_percent: int,
    scale_min: int,
    scale_max: int,
) -> list[BlendRow]:
    """The blended ranking of rule 5, over the pitches with a panel score."""
    most = max(votes.values(), default=0)
    weight = Fraction(weight_percent, 100)
    rows = []
    for pitch_id, score in panel.items():
        share = Fraction(votes.get(pitch_id, 0), most) if most else Fraction(0)
        audience = scale_min + (scale_max - scale_min) * share
        rows.append(
            (pitch_id, score, audience, (1 - weight) * score + weight * audience)
        )
    rows.sort(key=lambda r: (-r[3], -r[1], r[0]))
    ranked, position = [], 0
    for index, (pitch_id, score, audience, blended) in enumerate(rows):
        if index == 0 or rows[index - 1][1::2] != (score, blended):
            position = index + 1
        ranked.append(BlendRow(position, pitch_id, score, audience, blended))
    return ranked


def blended_ranking(results, vote_tally: Tally | None) -> list[BlendRow]:
    """The blended ranking for computed results, or [] when no blend is declared."""
    if vote_tally is None or not vote_tally.vote.blend_percent:
        return []
    if vote_tally.vote.closed_at is None:
        return []
    panel = _panel_scores(results)
    votes = {r.pitch.id: r.votes for r in vote_tally.rows}
    return blend(
        panel,
        votes,
        vote_tally.vote.blend_percent,
        results.event.scale_min,
        results.event.scale_max,
    )


def _panel_scores(results) -> dict[int, Fraction]:
    """Each ranked pitch's panel score by the declared method (a trimmed mean that is not
    available falls back to the mean, as the ranking does)."""
    ranked = [row.pitch.id for row in results.rows if row.rank is not None]
    if results.rubric is None:
        return {}
    scores = results.table or methods.ScoreTable.counted(
        results.cards, results.rubric, results.excluded
    )
    declared = methods.method_scores(ranked, scores, results.event.results_method)
    mean = methods.method_scores(ranked, scores, methods.Method.MEAN)
    return {
        p: Fraction(
            declared[p].exact if declared[p].exact is not None else mean[p].exact
        )
        for p in ranked
    }
