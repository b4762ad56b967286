"""The scoring rules of domain section 4.4, as pure functions (no Flask, ORM or PDF).

Rules
-----
1. **Marks.** A judge gives every criterion of the event's rubric a whole number on the
   rubric's scale (default 1-5). A scorecard is *complete* when it has a valid mark for every
   criterion; incomplete scorecards are left out of every figure.
2. **A judge's weighted score** for a pitch is ``sum(weight * mark) / sum(weight)``, which
   stays on the rubric's own scale (with weights adding to 100 this is domain 4.2's
   ``sum(w * s) / 100``, a value from 1.00 to 5.00).
3. **Conflicts.** A judge with a declared (or automatic) conflict of interest for a pitch is
   not counted for it, even if a scorecard exists. A pitch's figures are taken over its
   remaining judges (domain 4.4 rule 2).
4. **A pitch's score** is the *mean* of its counted judges' weighted scores. Beside it: the
   *median*, the *range* (lowest and highest weighted score) and the population standard
   deviation, so split panels are visible; and the mean mark per criterion.
5. **Ranking.** Pitches with at least one counted scorecard are ranked by mean, highest
   first. Pitches with equal means are ordered by the event's tie-break chain: the higher
   mean mark on the first tie-break criterion (default C2 Benefit), then the next (default
   C4 Feasibility). Pitches still equal after the whole chain are **tied**: they share a
   rank (1, 2, 2, 4 ...) and are marked "Tied: the chair decides"; they are never silently
   put in an order. Pitches with no counted scorecard are listed last, unranked.
7. **Moderation flags** (domain 4.4 rule 5) are prompts for discussion, never automatic
   changes. A pitch is flagged when any criterion's marks differ by
   ``CRITERION_RANGE_FLAG`` (3) points or more between judges; when its judges' weighted
   scores differ by ``WEIGHTED_RANGE_FLAG`` (1.5) or more; when it is one of the top two
   and their means are within ``CLOSE_MARGIN`` (0.10); or when it is the last funded or
   the first unfunded pitch and their means are within 0.10. The funding line falls on
   the first pitch, walking down the ranking, at which the asks add up to the pot or more
   (that pitch may be funded in part); every pitch below it is unfunded.
6. **Exactness.** All arithmetic is exact (``fractions.Fraction``), so two pitches tie only
   when their means are truly equal (as T06 and T09 are in the demo: 2180/600 each), never
   through rounding. Figures are rounded half-up to 2 decimal places for display only.
8. **The draw at the funding line** (optional, declared before judging). When the pitch
   on the funding line is still tied after the tie-break chain, and the pot does not
   cover every pitch of its tie in full, the tied pitches are put in order by lot: each
   gets the SHA-256 digest, in hexadecimal, of ``"<seed>:<team reference>"`` (for
   example ``"3f9a0c1d2e4b5a69:T06"``), and the lowest digest goes first. The seed is
   drawn when the chair locks moderation and is printed with the results, so anyone can
   reproduce the order (``printf '%s' '3f9a0c1d2e4b5a69:T06' | sha256sum``). The drawn
   pitches take consecutive ranks; ties anywhere else still share a rank.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

TWO_PLACES = Decimal("0.01")
CHAIR_DECIDES = "Tied: the chair decides"


class ScoringError(ValueError):
    """Marks that do not fit the rubric."""


@dataclass(frozen=True)
class CriterionSpec:
    id: int
    code: str
    name: str
    weight: int
    tie_break_rank: int | None = None


@dataclass(frozen=True)
class Rubric:
    criteria: tuple[CriterionSpec, ...]
    scale_min: int = 1
    scale_max: int = 5

    @property
    def tie_break_chain(self) -> tuple[CriterionSpec, ...]:
        chain = [c for c in self.criteria if c.tie_break_rank is not None]
        return tuple(sorted(chain, key=lambda c: c.tie_break_rank))


@dataclass(frozen=True, slots=True)
class Card:
    """One judge's marks for one pitch: criterion id -> mark."""

    pitch_id: int
    judge_id: int
    marks: Mapping[int, int] = field(hash=False)


@dataclass(frozen=True, slots=True)
class CriterionMean:
    criterion_id: int
    code: str
    mean: Decimal
    exact: Fraction = field(repr=False, compare=False)
    lowest: int = 0
    highest: int = 0

    @property
    def spread(self) -> int:
        return self.highest - self.lowest


@dataclass(frozen=True)
class PitchResult:
    pitch_id: int
    judges_counted: int
    conflicted_judges: tuple[int, ...]
    mean: Decimal | None
    median: Decimal | None
    lowest: Decimal | None
    highest: Decimal | None
    stdev: Decimal | None
    criterion_means: tuple[CriterionMean, ...]
    judge_scores: tuple[tuple[int, Decimal], ...]
    mean_exact: Fraction | None = field(repr=False, compare=False)

    @property
    def spread(self) -> Decimal | None:
        if self.lowest is None or self.highest is None:
            return None
        return self.highest - self.lowest

    def criterion_mean(self, criterion_id: int) -> Fraction:
        for cm in self.criterion_means:
            if cm.criterion_id == criterion_id:
                return cm.exact
        return Fraction(0)


@dataclass(frozen=True)
class RankedPitch:
    rank: int | None
    result: PitchResult
    tied: bool = False
    note: str = ""


def to_display(value: Fraction | None) -> Decimal | None:
    """Round an exact value half-up to 2 decimal places for display."""
    if value is None:
        return None
    return _hundredths(value.numerator, value.denominator)


@lru_cache(maxsize=4096)
def _hundredths(numerator: int, denominator: int) -> Decimal:
    """numerator / denominator (denominator > 0) rounded half-up, away from zero, to 2
    places, in whole numbers: to_display without making a Fraction.

    Remembered: a panel's weighted scores and means repeat the same few hundred
    fractions over and over (Decimals are immutable, so sharing one is safe)."""
    hundredths, rest = divmod(abs(numerator) * 100, denominator)
    if 2 * rest >= denominator:
        hundredths += 1
    return Decimal(-hundredths if numerator < 0 else hundredths).scaleb(-2)


def validate_marks(marks: Mapping[int, int], rubric: Rubric) -> None:
    """Check the marks are one whole number on the scale for each criterion, and no more.

    :raises ScoringError: naming the first problem found.
    """
    expected = {c.id for c in rubric.criteria}
    unknown = set(marks) - expected
    if unknown:
        raise ScoringError(f"Marks for criteria not in this rubric: {sorted(unknown)}")
    missing = expected - set(marks)
    if missing:
        raise ScoringError("Every criterion needs a mark")
    for value in marks.values():
        if type(value) is not int:
            raise ScoringError("Marks must be whole numbers")
        if not rubric.scale_min <= value <= rubric.scale_max:
            raise ScoringError(
                f"Marks must be from {rubric.scale_min} to {rubric.scale_max}"
            )
    if sum(c.weight for c in rubric.criteria) <= 0:
        raise ScoringError("The rubric's weights must be positive")


def is_valid(marks: Mapping[int, int], expected: set[int], low: int, high: int) -> bool:
    """Rule 1 as validate_marks checks it, for many cards: ``expected`` is the rubric's
    criterion ids, ``low`` and ``high`` its scale (and its weights are positive)."""
    if marks.keys() != expected:
        return False
    values = marks.values()
    return not values or (
        set(map(type, values)) == {int} and low <= min(values) and max(values) <= high
    )


def is_complete(marks: Mapping[int, int], rubric: Rubric) -> bool:
    """Whether the marks form a complete, valid scorecard for the rubric."""
    try:
        validate_marks(marks, rubric)
    except ScoringError:
        return False
    return True


def weighted_score(marks: Mapping[int, int], rubric: Rubric) -> Fraction:
    """Return sum(weight * mark) / sum(weight), exactly, on the rubric's scale.

    :raises ScoringError: if the marks are not a complete, valid scorecard.
    """
    validate_marks(marks, rubric)
    total_weight = sum(c.weight for c in rubric.criteria)
    return Fraction(sum(c.weight * marks[c.id] for c in rubric.criteria), total_weight)


def _stdev(points: Sequence[int], total_weight: int) -> Decimal:
    """The population standard deviation of points / total_weight, rounded for display:
    exactly (n * sum(p^2) - (sum p)^2) / (n * total_weight)^2 under the root."""
    n, total = len(points), sum(points)
    variance = Fraction(
        n * sum(p * p for p in points) - total * total, (n * total_weight) ** 2
    )
    exact = Decimal(variance.numerator) / Decimal(variance.denominator)
    return exact.sqrt().quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def score_pitch(
    pitch_id: int,
    cards: Iterable[Card],
    rubric: Rubric,
    conflicted: Iterable[int] = (),
) -> PitchResult:
    """Combine the complete, non-conflicted scorecards of one pitch (rules 1-4)."""
    conflicted = tuple(sorted(set(conflicted)))
    counted = {
        c.judge_id: c.marks
        for c in cards
        if c.pitch_id == pitch_id
        and c.judge_id not in conflicted
        and is_complete(c.marks, rubric)
    }
    return _score_counted(pitch_id, counted, rubric, conflicted)


def weighted_points(marks: Mapping[int, int], rubric: Rubric) -> int:
    """A complete card's weighted score times the total weight: a whole number (rule 2)."""
    return sum(c.weight * marks[c.id] for c in rubric.criteria)


def _score_counted(
    pitch_id: int,
    counted: Mapping[int, Mapping[int, int]],
    rubric: Rubric,
    conflicted: tuple[int, ...],
    points: Mapping[int, int] | None = None,
) -> PitchResult:
    """Rules 2-4 over the pitch's counted marks (judge id -> marks: complete, valid, not
    conflicted); ``points`` holds each judge's weighted_points when already worked out."""
    if not counted:
        return PitchResult(
            pitch_id, 0, conflicted, None, None, None, None, None, (), (), None
        )
    judges = sorted(counted)
    cards = [counted[j] for j in judges]
    # Every weighted score is a whole number over the total weight (rule 2): the figures
    # below are worked out on those whole numbers, exactly, then made Fractions once.
    total_weight = sum(c.weight for c in rubric.criteria)
    if points is None:
        points = {j: weighted_points(counted[j], rubric) for j in judges}
    scored = [points[j] for j in judges]
    n = len(scored)
    mean = Fraction(sum(scored), total_weight * n)
    ordered = sorted(scored)
    middle = (
        Fraction(ordered[n // 2], total_weight)
        if n % 2
        else Fraction(ordered[n // 2 - 1] + ordered[n // 2], 2 * total_weight)
    )
    per_criterion = []
    for crit in rubric.criteria:
        given = [marks[crit.id] for marks in cards]
        exact = Fraction(sum(given), n)
        per_criterion.append(
            CriterionMean(
                crit.id, crit.code, to_display(exact), exact, min(given), max(given)
            )
        )
    return PitchResult(
        pitch_id=pitch_id,
        judges_counted=n,
        conflicted_judges=conflicted,
        mean=to_display(mean),
        median=to_display(middle),
        lowest=_hundredths(ordered[0], total_weight),
        highest=_hundredths(ordered[-1], total_weight),
        stdev=_stdev(scored, total_weight),
        criterion_means=tuple(per_criterion),
        judge_scores=tuple(
            (j, _hundredths(p, total_weight))
            for j, p in zip(judges, scored, strict=True)
        ),
        mean_exact=mean,
    )


def _tie_key(
    result: PitchResult, chain: Sequence[CriterionSpec]
) -> tuple[Fraction, ...]:
    return tuple(result.criterion_mean(c.id) for c in chain)


def _break_note(mine, other, chain, won: bool) -> str:
    """Describe the first tie-break criterion on which two equal means differ."""
    for crit, a, b in zip(chain, mine, other, strict=True):
        if a != b:
            word = "higher" if won else "lower"
            return (
                f"Equal mean; placed by the tie-break: {word} mean {crit.code} "
                f"{crit.name} ({to_display(a)} against {to_display(b)})"
            )
    return ""


def rank(results: Sequence[PitchResult], rubric: Rubric) -> list[RankedPitch]:
    """Order pitch results by mean, apply the tie-break chain, and number the ranks (rule 5)."""
    chain = rubric.tie_break_chain
    scored = [r for r in results if r.mean_exact is not None]
    unscored = sorted(
        (r for r in results if r.mean_exact is None), key=lambda r: r.pitch_id
    )
    # Each pitch's key, made once: its mean, and its tie-break means when another
    # pitch has the same mean (the chain never decides between different means).
    shared = Counter(r.mean_exact for r in scored)
    keys = {
        r.pitch_id: (
            r.mean_exact,
            _tie_key(r, chain) if shared[r.mean_exact] > 1 else (),
        )
        for r in scored
    }
    scored.sort(
        key=lambda r: (
            -r.mean_exact,
            tuple(-v for v in keys[r.pitch_id][1]),
            r.pitch_id,
        )
    )
    ranked: list[RankedPitch] = []
    position = 0
    for index, result in enumerate(scored):
        key = keys[result.pitch_id]
        prev = scored[index - 1] if index else None
        nxt = scored[index + 1] if index + 1 < len(scored) else None
        prev_key = keys[prev.pitch_id] if prev else None
        nxt_key = keys[nxt.pitch_id] if nxt else None
        if prev_key != key:
            position = index + 1
        tied = key in (prev_key, nxt_key)
        note = CHAIR_DECIDES if tied else ""
        if not tied and nxt is not None and nxt.mean_exact == result.mean_exact:
            note = _break_note(key[1], nxt_key[1], chain, won=True)
        elif not tied and prev is not None and prev.mean_exact == result.mean_exact:
            note = _break_note(key[1], prev_key[1], chain, won=False)
        ranked.append(RankedPitch(position, result, tied, note))
    ranked.extend(
        RankedPitch(None, r, False, "No complete scorecards") for r in unscored
    )
    return ranked


def compute_results(
    pitch_ids: Iterable[int],
    cards: Iterable[Card],
    rubric: Rubric,
    conflicts: Iterable[tuple[int, int]] = (),
) -> list[RankedPitch]:
    """Score and rank every pitch. ``conflicts`` holds (pitch_id, judge_id) pairs."""
    excluded = set(conflicts)
    return rank_counted(
        pitch_ids, count_cards(cards, rubric, excluded), rubric, excluded
    )


def count_cards(
    cards: Iterable[Card], rubric: Rubric, conflicts: Iterable[tuple[int, int]] = ()
) -> dict[int, dict[int, Mapping[int, int]]]:
    """The marks that count (rules 1 and 3): pitch id -> judge id -> marks, for every
    complete, valid card without a conflict; none when the weights are not positive."""
    excluded = set(conflicts)
    expected = {c.id for c in rubric.criteria}
    low, high = rubric.scale_min, rubric.scale_max
    counted: dict[int, dict[int, Mapping[int, int]]] = {}
    if sum(c.weight for c in rubric.criteria) <= 0:
        return counted
    for card in cards:
        if (card.pitch_id, card.judge_id) not in excluded and is_valid(
            card.marks, expected, low, high
        ):
            counted.setdefault(card.pitch_id, {})[card.judge_id] = card.marks
    return counted


def rank_counted(
    pitch_ids: Iterable[int],
    counted: Mapping[int, Mapping[int, Mapping[int, int]]],
    rubric: Rubric,
    conflicts: Iterable[tuple[int, int]] = (),
    points: Mapping[int, Mapping[int, int]] | None = None,
) -> list[RankedPitch]:
    """compute_results for marks already counted by :func:`count_cards`, as
    judging.methods.ScoreTable.counted keeps them with their ``points`` (pitch id ->
    judge id -> weighted_points). ``conflicts`` only names the conflicted judges."""
    conflicted: dict[int, set[int]] = {}
    for pitch_id, judge_id in conflicts:
        conflicted.setdefault(pitch_id, set()).add(judge_id)
    points = points or {}
    results = [
        _score_counted(
            pid,
            counted.get(pid, {}),
            rubric,
            tuple(sorted(conflicted.get(pid, ()))),
            points.get(pid),
        )
        for pid in pitch_ids
    ]
    return rank(results, rubric)


CRITERION_RANGE_FLAG = 3
WEIGHTED_RANGE_FLAG = Fraction(3, 2)
CLOSE_MARGIN = Fraction(1, 10)


@dataclass(frozen=True)
class Flag:
    pitch_id: int
    kind: str  # "criterion_range" | "weighted_range" | "top_two" | "funding_line"
    message: str


def funding_line(
    ranked: Sequence[RankedPitch], asks: Mapping[int, int], pot: int
) -> int | None:
    """Return the index in ``ranked`` of the last pitch the pot reaches (rule 7), or None
    when there is no pot or no ranked pitch. Every ranked pitch is funded if the pot
    covers them all."""
    return line_index(
        [r.result.pitch_id for r in ranked if r.rank is not None], asks, pot
    )


def line_index(
    pitch_ids: Sequence[int], asks: Mapping[int, int], pot: int
) -> int | None:
    """Walking down pitches in ranked order, the index of the first at which the asks add
    up to the pot or more (rule 7); the last index when the pot covers them all, and None
    when there is no pot or no pitch."""
    if pot <= 0 or not pitch_ids:
        return None
    total = 0
    for index, pitch_id in enumerate(pitch_ids):
        total += asks.get(pitch_id, 0)
        if total >= pot:
            return index
    return len(pitch_ids) - 1


def moderation_flags(
    ranked: Sequence[RankedPitch],
    rubric: Rubric,
    asks: Mapping[int, int] | None = None,
    pot: int = 0,
    scores: Mapping[int, Fraction | None] | None = None,
    basis: str = "",
) -> list[Flag]:
    """Return the discussion prompts of rule 7, in ranking order.

    The top two and the funding line are measured in the score the pitches were ranked
    by: the mean (rule 4), or, when another method was declared (judging.methods), its
    exact ``scores`` by pitch id, named by ``basis`` (for example "median") in the
    message. A pitch with no score by that method (a trimmed mean with too few judges)
    was ranked by its mean, and is measured by it.
    """
    flags: list[Flag] = []
    scored = [r for r in ranked if r.rank is not None]

    def score(result: PitchResult) -> Fraction:
        declared = scores.get(result.pitch_id) if scores else None
        return result.mean_exact if declared is None else declared

    by = f" by {basis}" if basis else ""
    names = {c.id: f"{c.code} {c.name}" for c in rubric.criteria}
    for row in scored:
        result = row.result
        for cm in result.criterion_means:
            if cm.spread >= CRITERION_RANGE_FLAG:
                flags.append(
                    Flag(
                        result.pitch_id,
                        "criterion_range",
                        f"{names[cm.criterion_id]}: judges' marks range from "
                        f"{cm.lowest} to {cm.highest}",
                    )
                )
        if result.highest - result.lowest >= to_display(WEIGHTED_RANGE_FLAG):
            flags.append(
                Flag(
                    result.pitch_id,
                    "weighted_range",
                    f"Weighted scores range from {result.lowest} to {result.highest}",
                )
            )
    if len(scored) >= 2:
        first, second = scored[0].result, scored[1].result
        if score(first) - score(second) <= CLOSE_MARGIN:
            gap = to_display(score(first) - score(second))
            for r in (first, second):
                flags.append(
                    Flag(
                        r.pitch_id,
                        "top_two",
                        f"The top two are {gap} apart{by} (within 0.10)",
                    )
                )
    line = funding_line(ranked, asks or {}, pot)
    if line is not None and line + 1 < len(scored):
        last, first_out = scored[line].result, scored[line + 1].result
        if score(last) - score(first_out) <= CLOSE_MARGIN:
            gap = to_display(score(last) - score(first_out))
            for r, side in ((last, "last funded"), (first_out, "first unfunded")):
                flags.append(
                    Flag(
                        r.pitch_id,
                        "funding_line",
                        f"The {side} pitch: the funding line is {gap} wide{by} "
                        "(within 0.10)",
                    )
                )
    order = {r.result.pitch_id: n for n, r in enumerate(ranked)}
    return sorted(flags, key=lambda f: order.get(f.pitch_id, 0))


@dataclass(frozen=True)
class DrawTicket:
    pitch_id: int
    ref: str
    digest: str  # SHA-256 of "<seed>:<ref>", hexadecimal


@dataclass(frozen=True)
class Draw:
    """The draw among pitches tied at the funding line (rule 8): tickets in drawn order."""

    seed: str
    tickets: tuple[DrawTicket, ...]


def draw_digest(seed: str, ref: str) -> str:
    """The ticket of one tied pitch (rule 8)."""
    return hashlib.sha256(f"{seed}:{ref}".encode()).hexdigest()


def draw_at_funding_line(
    ranked: Sequence[RankedPitch],
    asks: Mapping[int, int],
    pot: int,
    seed: str | None,
    refs: Mapping[int, str],
) -> tuple[list[RankedPitch], Draw | None]:
    """Order pitches still tied on the funding line by lot (rule 8); return the ranking
    and the draw, or the ranking unchanged and None when there is nothing to draw."""
    ranked = list(ranked)
    line = funding_line(ranked, asks, pot)
    if seed is None or line is None or not ranked[line].tied:
        return ranked, None
    rank_at_line = ranked[line].rank
    group = [i for i, r in enumerate(ranked) if r.tied and r.rank == rank_at_line]
    if sum(asks.get(r.result.pitch_id, 0) for r in ranked[: group[-1] + 1]) <= pot:
        return ranked, None  # the pot funds every pitch of the tie in full
    tickets = sorted(
        (
            DrawTicket(pid, refs[pid], draw_digest(seed, refs[pid]))
            for pid in (ranked[i].result.pitch_id for i in group)
        ),
        key=lambda t: t.digest,
    )
    by_id = {ranked[i].result.pitch_id: ranked[i] for i in group}
    for offset, ticket in enumerate(tickets):
        ranked[group[0] + offset] = replace(
            by_id[ticket.pitch_id],
            rank=rank_at_line + offset,
            tied=False,
            note=f"Tied at the funding line: placed {offset + 1} of {len(tickets)} "
            "by the declared draw",
        )
    return ranked, Draw(seed, tuple(tickets))
