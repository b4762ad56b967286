"""Other ways to combine the judges' scores, and how robust a result is (domain 4.4 rule 7).

Pure functions beside judging.scoring (no Flask, ORM or PDF); they take the same
``Card`` and ``Rubric`` values and honour the same conflicts.

Methods
-------
A judge's *weighted score* for a pitch is scoring rule 2. Over the judges counted for a
pitch (complete scorecards, no conflict), a pitch's score by each method is:

- **mean** (the default): the mean of the weighted scores (scoring rule 4).
- **median**: the middle weighted score, or the mean of the two middle ones.
- **trimmed mean**: with at least ``TRIM_MIN_JUDGES`` (5) judges, the mean after
  dropping the single highest and the single lowest weighted score. With fewer judges
  there is nothing to trim: the pitch has no trimmed mean (shown as "–"), and ranking by
  this method uses its plain mean.
- **z-score** (per-judge standardisation, the default when judges score different
  subsets in split mode): each judge's weighted scores are standardised against that
  judge's own mean and standard deviation over every pitch they were counted for,
  ``z = (s - judge mean) / judge sd``, then mapped back to the rubric's scale with the
  mean and standard deviation of all counted weighted scores of the event,
  ``mapped = z * event sd + event mean``. A pitch's score is the mean of its judges'
  mapped scores. A judge who scored one pitch only, or gave every pitch the same score,
  has no spread to standardise: their z is 0 (they neither lift nor sink anyone).
  Standard deviations are population ones. Square roots are not exact, so z-scores are
  computed with 28 significant digits; every other method is exact.

Ranking by any method orders pitches by that score, highest first, then by the event's
tie-break chain (the same as scoring rule 5); pitches still equal share a rank.

Robustness
----------
For the declared method the result is computed again leaving out each judge in turn, and
by every other method. Each is compared with the declared result on three things: the
**winner** (the pitch ranked first, or the pitches tied first), the **top three** (as a
set) and the **funded set** (the pitches above and on the funding line, scoring rule 7).
Each difference is reported in plain words.

Judges against the panel
------------------------
A judge's *lean* is the mean, over the pitches they were counted for, of their weighted
score minus the mean of the other counted judges' weighted scores for the same pitch
(pitches nobody else scored are left out). A lean of ``LEAN_MARGIN`` (0.30) or more is
*lenient*, -0.30 or less *harsh*, anything between *in line*. The panel's *agreement* is
the mean Spearman rank correlation between every pair of judges who share at least
``AGREEMENT_MIN_SHARED`` (3) pitches, read as: 0.70 or more strong, 0.40 to 0.70
moderate, 0.20 to 0.40 weak, below 0.20 little or none.
"""

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import combinations
from math import lcm

from events.rubrics import AggregationMethod
from judging.scoring import (
    Card,
    Rubric,
    ScoringError,
    line_index,
    to_display,
    weighted_score,
)

TRIM_MIN_JUDGES = 5
LEAN_MARGIN = Fraction(3, 10)
AGREEMENT_MIN_SHARED = 3


# The declared method is an event setting, so the enum lives with the rubric.
Method = AggregationMethod


@dataclass(frozen=True)
class MethodScore:
    """One pitch's score by one method; ``exact`` is None when the method has none."""

    pitch_id: int
    method: Method
    exact: Fraction | Decimal | None
    judges: int

    @property
    def shown(self) -> Decimal | None:
        if self.exact is None:
            return None
        if isinstance(self.exact, Fraction):
            return to_display(self.exact)
        return to_display(Fraction(self.exact))


@dataclass(frozen=True)
class MethodRow:
    rank: int | None
    pitch_id: int
    score: MethodScore
    tied: bool


# --- the methods --------------------------------------------------------------------------


def counted_scores(
    cards: Iterable[Card], rubric: Rubric, conflicts: Iterable[tuple[int, int]] = ()
) -> dict[int, dict[int, Fraction]]:
    """Weighted scores of the counted cards: pitch id -> judge id -> score."""
    excluded = set(conflicts)
    scores: dict[int, dict[int, Fraction]] = {}
    for card in cards:
        if (card.pitch_id, card.judge_id) in excluded:
            continue
        try:  # checks the card is complete and valid, once
            score = weighted_score(card.marks, rubric)
        except ScoringError:
            continue
        scores.setdefault(card.pitch_id, {})[card.judge_id] = score
    return scores


def _common(values: Sequence[Fraction]) -> tuple[list[int], int]:
    """The values as whole numbers over one common denominator: (numerators, d).

    Adding Fractions one by one reduces every partial sum (a gcd each time); weighted
    scores share a handful of denominators, so summing whole numerators is exact and
    many times faster."""
    d = lcm(*(v.denominator for v in values))
    return [v.numerator * (d // v.denominator) for v in values], d


def _mean(values: Sequence[Fraction]) -> Fraction:
    numerators, d = _common(values)
    return Fraction(sum(numerators), d * len(values))


def _trimmed(values: Sequence[Fraction]) -> Fraction | None:
    if len(values) < TRIM_MIN_JUDGES:
        return None
    numerators, d = _common(values)
    numerators.sort()
    return Fraction(sum(numerators[1:-1]), d * (len(numerators) - 2))


def _median(values: Sequence[Fraction]) -> Fraction:
    numerators, d = _common(values)
    numerators.sort()
    n = len(numerators)
    if n % 2:
        return Fraction(numerators[n // 2], d)
    return Fraction(numerators[n // 2 - 1] + numerators[n // 2], 2 * d)


def _sd(values: Sequence[Fraction]) -> Decimal:
    """Population standard deviation, to 28 significant digits."""
    # Exactly (n * sum(a^2) - (sum a)^2) / (n d)^2 with a = v * d, all whole numbers.
    numerators, d = _common(values)
    n = len(values)
    total = sum(numerators)
    variance = Fraction(
        n * sum(a * a for a in numerators) - total * total, (n * d) ** 2
    )
    with localcontext() as ctx:
        ctx.prec = 28
        return (Decimal(variance.numerator) / Decimal(variance.denominator)).sqrt()


def _dec(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 28
        return Decimal(value.numerator) / Decimal(value.denominator)


def z_scores(
    scores: Mapping[int, Mapping[int, Fraction]],
) -> dict[int, dict[int, Decimal]]:
    """Map every counted weighted score to the rubric scale by per-judge standardisation
    (see the module docstring): pitch id -> judge id -> mapped score."""
    by_judge: dict[int, list[Fraction]] = {}
    for per_pitch in scores.values():
        for judge, score in per_pitch.items():
            by_judge.setdefault(judge, []).append(score)
    everything = [s for values in by_judge.values() for s in values]
    if not everything:
        return {}
    event_mean, event_sd = _dec(_mean(everything)), _sd(everything)
    judge_stats = {
        judge: (_dec(_mean(values)), _sd(values)) for judge, values in by_judge.items()
    }
    mapped: dict[int, dict[int, Decimal]] = {}
    with localcontext() as ctx:
        ctx.prec = 28
        for pitch, per_pitch in scores.items():
            for judge, score in per_pitch.items():
                mean, sd = judge_stats[judge]
                z = (_dec(score) - mean) / sd if sd else Decimal(0)
                mapped.setdefault(pitch, {})[judge] = z * event_sd + event_mean
    return mapped


def method_scores(
    pitch_ids: Iterable[int],
    scores: Mapping[int, Mapping[int, Fraction]],
    method: Method,
) -> dict[int, MethodScore]:
    """Every pitch's score by one method (None for a pitch without counted judges)."""
    mapped = z_scores(scores) if method == Method.Z_SCORE else {}
    result = {}
    for pitch in pitch_ids:
        values = list(scores.get(pitch, {}).values())
        exact: Fraction | Decimal | None = None
        if values:
            if method == Method.MEAN:
                exact = _mean(values)
            elif method == Method.MEDIAN:
                exact = _median(values)
            elif method == Method.TRIMMED_MEAN:
                exact = _trimmed(values)
            else:
                z = list(mapped[pitch].values())
                with localcontext() as ctx:
                    ctx.prec = 28
                    exact = sum(z, Decimal(0)) / len(z)
        result[pitch] = MethodScore(pitch, method, exact, len(values))
    return result


def _chain_means(
    pitch: int,
    marks: Mapping[int, Mapping[int, Mapping[int, int]]],
    rubric: Rubric,
    scores: Mapping[int, Mapping[int, Fraction]],
) -> tuple[Fraction, ...]:
    """One pitch's mean marks on the tie-break chain, over its counted judges."""
    counted = [
        marks[pitch][j] for j in scores.get(pitch, {}) if j in marks.get(pitch, {})
    ]
    if not counted:
        return ()
    return tuple(
        Fraction(sum(m[c.id] for m in counted), len(counted))
        for c in rubric.tie_break_chain
    )


def rank_by(
    pitch_ids: Sequence[int],
    cards: Sequence[Card],
    rubric: Rubric,
    method: Method,
    conflicts: Iterable[tuple[int, int]] = (),
    scores: Mapping[int, Mapping[int, Fraction]] | None = None,
) -> list[MethodRow]:
    """Rank the pitches by one method, with the tie-break chain; equal pitches share a
    rank. A trimmed mean that is not available ranks by the plain mean. ``scores`` is
    counted_scores(cards, rubric, conflicts) when the caller has it already."""
    if scores is None:
        scores = counted_scores(cards, rubric, conflicts)
    return _rank(pitch_ids, _marks_by_pitch(cards), rubric, method, scores)


def _sortable(values: Mapping[int, Fraction | Decimal]) -> Mapping[int, object]:
    """Keys that order and compare as the values do: whole numbers over one common
    denominator when every value is a Fraction (comparing Fractions is slow), else the
    values themselves."""
    if not values or not all(isinstance(v, Fraction) for v in values.values()):
        return values
    d = lcm(*(v.denominator for v in values.values()))
    return {p: v.numerator * (d // v.denominator) for p, v in values.items()}


def _marks_by_pitch(cards: Iterable[Card]) -> dict[int, dict[int, Mapping[int, int]]]:
    """pitch id -> judge id -> marks, for the tie-break chain."""
    out: dict[int, dict[int, Mapping[int, int]]] = {}
    for card in cards:
        out.setdefault(card.pitch_id, {})[card.judge_id] = card.marks
    return out


def _rank(
    pitch_ids: Sequence[int],
    marks: Mapping[int, Mapping[int, Mapping[int, int]]],
    rubric: Rubric,
    method: Method,
    scores: Mapping[int, Mapping[int, Fraction]],
) -> list[MethodRow]:
    by_method = method_scores(pitch_ids, scores, method)
    fallback = (
        method_scores(pitch_ids, scores, Method.MEAN)
        if method == Method.TRIMMED_MEAN
        else {}
    )

    def value(pitch: int):
        exact = by_method[pitch].exact
        if exact is None and pitch in fallback:
            exact = fallback[pitch].exact
        return exact

    values = {p: value(p) for p in pitch_ids}
    scored = [p for p in pitch_ids if values[p] is not None]
    # The tie-break chain only matters between equal scores: work it out for those.
    seen: dict[object, int] = {}
    for p in scored:
        seen[values[p]] = seen.get(values[p], 0) + 1
    sortable = _sortable({p: values[p] for p in scored})
    key = {
        p: (
            sortable[p],
            _chain_means(p, marks, rubric, scores) if seen[values[p]] > 1 else (),
        )
        for p in scored
    }
    scored.sort(key=lambda p: (-key[p][0], tuple(-v for v in key[p][1]), p))
    rows: list[MethodRow] = []
    position = 0
    for index, pitch in enumerate(scored):
        if index == 0 or key[scored[index - 1]] != key[pitch]:
            position = index + 1
        tied = any(
            0 <= other < len(scored) and key[scored[other]] == key[pitch]
            for other in (index - 1, index + 1)
        )
        rows.append(MethodRow(position, pitch, by_method[pitch], tied))
    rows.extend(
        MethodRow(None, p, by_method[p], False) for p in pitch_ids if p not in key
    )
    return rows


# --- robustness ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a ranking decides: the winner(s), the top three and the funded set."""

    winners: frozenset[int]
    top_three: frozenset[int]
    funded: frozenset[int]


@dataclass(frozen=True)
class Finding:
    """One alternative computation and how its outcome differs from the declared one."""

    kind: str  # "without_judge" | "method"
    judge_id: int | None
    method: Method
    outcome: Outcome
    winner_changes: bool
    top_three_changes: bool
    funded_changes: bool

    @property
    def changes_anything(self) -> bool:
        return self.winner_changes or self.top_three_changes or self.funded_changes


def outcome_of(rows: Sequence[MethodRow], asks: Mapping[int, int], pot: int) -> Outcome:
    """The winner(s), top three and funded set of a ranking (scoring rule 7's line)."""
    ranked = [r for r in rows if r.rank is not None]
    winners = frozenset(r.pitch_id for r in ranked if r.rank == 1)
    top_three = frozenset(r.pitch_id for r in ranked if r.rank <= 3)
    line = line_index([r.pitch_id for r in ranked], asks, pot)
    funded = (
        frozenset(r.pitch_id for r in ranked[: line + 1])
        if line is not None
        else frozenset()
    )
    return Outcome(winners, top_three, funded)


def robustness(
    pitch_ids: Sequence[int],
    cards: Sequence[Card],
    rubric: Rubric,
    declared: Method,
    asks: Mapping[int, int],
    pot: int,
    conflicts: Iterable[tuple[int, int]] = (),
    scores: Mapping[int, Mapping[int, Fraction]] | None = None,
) -> tuple[Outcome, list[Finding]]:
    """Recompute the declared result without each judge, and by each other method.
    ``scores`` is counted_scores(cards, rubric, conflicts) when the caller has it."""
    if scores is None:
        scores = counted_scores(cards, rubric, conflicts)
    marks = _marks_by_pitch(cards)
    base = outcome_of(_rank(pitch_ids, marks, rubric, declared, scores), asks, pot)

    def finding(kind, judge, method, rows) -> Finding:
        outcome = outcome_of(rows, asks, pot)
        return Finding(
            kind,
            judge,
            method,
            outcome,
            outcome.winners != base.winners,
            outcome.top_three != base.top_three,
            outcome.funded != base.funded,
        )

    findings = []
    # Weighted scores are worked out once; leaving a judge out only drops theirs.
    for judge in sorted({c.judge_id for c in cards}):
        # The tie-break reads marks only for judges in `without`: no need to drop theirs.
        without = {
            p: {j: s for j, s in per.items() if j != judge} for p, per in scores.items()
        }
        without = {p: per for p, per in without.items() if per}
        rows = _rank(pitch_ids, marks, rubric, declared, without)
        findings.append(finding("without_judge", judge, declared, rows))
    for method in Method:
        if method != declared:
            rows = _rank(pitch_ids, marks, rubric, method, scores)
            findings.append(finding("method", None, method, rows))
    return base, findings


# --- judges against the panel -------------------------------------------------------------


class Lean(enum.Enum):
    LENIENT = "lenient"
    IN_LINE = "in line"
    HARSH = "harsh"


@dataclass(frozen=True)
class JudgeReport:
    judge_id: int
    pitches: int
    mean: Decimal
    spread: Decimal  # population standard deviation of their weighted scores
    lean: Decimal | None  # None when they shared no pitch with another judge
    verdict: Lean | None


def judge_reports(scores: Mapping[int, Mapping[int, Fraction]]) -> list[JudgeReport]:
    """Each judge's mean and spread, and their lean against the rest of the panel."""
    by_judge: dict[int, list[Fraction]] = {}
    gaps: dict[int, list[Fraction]] = {}
    for per_pitch in scores.values():
        total, count = sum(per_pitch.values(), Fraction(0)), len(per_pitch)
        for judge, score in per_pitch.items():
            by_judge.setdefault(judge, []).append(score)
            if count > 1:  # the other judges' mean, from the pitch's total
                gaps.setdefault(judge, []).append(score - (total - score) / (count - 1))
    reports = []
    for judge in sorted(by_judge):
        values = by_judge[judge]
        lean = _mean(gaps[judge]) if gaps.get(judge) else None
        verdict = None
        if lean is not None:
            verdict = (
                Lean.LENIENT
                if lean >= LEAN_MARGIN
                else Lean.HARSH
                if lean <= -LEAN_MARGIN
                else Lean.IN_LINE
            )
        reports.append(
            JudgeReport(
                judge,
                len(values),
                to_display(_mean(values)),
                to_display(Fraction(_sd(values))),
                to_display(lean) if lean is not None else None,
                verdict,
            )
        )
    return reports


def _ranks(values: Sequence[Fraction | float]) -> list[float]:
    """Average ranks (1 = lowest), ties sharing the mean of their places."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            ranks[i] = (start + end + 2) / 2
        start = end + 1
    return ranks


def spearman(
    a: Sequence[Fraction | float], b: Sequence[Fraction | float]
) -> Decimal | None:
    """Spearman's rank correlation of two paired lists (None when either is constant).

    Ranks are exact; the correlation is worked in floating point and given to 12
    places: it is a reading of the panel, never a decision."""
    ra, rb = _ranks(a), _ranks(b)
    n = len(ra)
    ma, mb = sum(ra) / n, sum(rb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    va = sum((x - ma) ** 2 for x in ra)
    vb = sum((y - mb) ** 2 for y in rb)
    if not va or not vb:
        return None
    return Decimal(repr(round(cov / (va * vb) ** 0.5, 12)))


@dataclass(frozen=True)
class Agreement:
    value: Decimal | None  # None when no two judges share enough pitches
    pairs: int
    reading: str


def agreement(scores: Mapping[int, Mapping[int, Fraction]]) -> Agreement:
    """The panel's agreement: the mean Spearman correlation over judge pairs (see the
    module docstring), with a plain-English reading."""
    # Ranked as floats: equal scores stay equal, and it is much faster than fractions.
    by_judge: dict[int, dict[int, float]] = {}
    for pitch, per_pitch in scores.items():
        for judge, score in per_pitch.items():
            by_judge.setdefault(judge, {})[pitch] = float(score)
    rhos = []
    for a, b in combinations(sorted(by_judge), 2):
        shared = [p for p in by_judge[a] if p in by_judge[b]]
        if len(shared) < AGREEMENT_MIN_SHARED:
            continue
        rho = spearman(
            [by_judge[a][p] for p in shared], [by_judge[b][p] for p in shared]
        )
        if rho is not None:
            rhos.append(rho)
    if not rhos:
        return Agreement(
            None, 0, "Not enough shared pitches to measure how far the judges agree"
        )
    with localcontext() as ctx:
        ctx.prec = 28
        value = sum(rhos, Decimal(0)) / len(rhos)
    shown = to_display(Fraction(value))
    if value >= Decimal("0.70"):
        words = "strong agreement: the judges largely put the pitches in the same order"
    elif value >= Decimal("0.40"):
        words = "moderate agreement: the judges mostly agree, with some differences"
    elif value >= Decimal("0.20"):
        words = "weak agreement: the judges often ordered the pitches differently"
    else:
        words = (
            "little or no agreement: the judges ordered the pitches very differently"
        )
    return Agreement(shown, len(rhos), f"{shown}, {words}")
