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
  mapped scores, ``event sd * mean z + event mean``. A judge who scored one pitch only,
  or gave every pitch the same score, has no spread to standardise: their z is 0 (they
  neither lift nor sink anyone). Standard deviations are population ones. Square roots
  are not exact, so z-scores are computed with 28 significant digits and pitches are
  ranked by their mean z to 18 decimal places (``Z_PLACES``): rounding noise in the last
  digits never splits pitches whose mean z is mathematically equal. Every other method
  is exact.

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
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import combinations
from math import lcm
from operator import mul

from events.rubrics import AggregationMethod
from judging.scoring import (
    Card,
    Rubric,
    count_cards,
    line_index,
    to_display,
)

TRIM_MIN_JUDGES = 5
LEAN_MARGIN = Fraction(3, 10)
AGREEMENT_MIN_SHARED = 3
# Mean z-scores are compared to 18 decimal places: 28-digit arithmetic leaves noise near
# the 27th, and it must never split pitches whose mean z is mathematically equal.
Z_PLACES = Decimal("1e-18")


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
    table = ScoreTable.counted(cards, rubric, conflicts)
    return {
        p: {j: Fraction(v, table.d) for j, v in per.items()}
        for p, per in table.points.items()
    }


def _sd_of(numerators: Sequence[int], d: int) -> Decimal:
    """The population standard deviation of numerators / d, to 28 significant digits:
    exactly (n * sum(a^2) - (sum a)^2) / (n d)^2 under the root, all whole numbers."""
    n = len(numerators)
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


class ScoreTable:
    """The counted weighted scores, prepared once for every method, every judge left
    out and the judge report: pass one wherever ``scores`` is taken.

    Judge j's weighted score for pitch p is ``points[p][j] / d``: whole numbers over
    one common denominator (for real scorecards, the rubric's total weight). Each exact
    method's value for a pitch is kept as a whole-number *key*, the value times
    ``scale = d * L``, where L is a multiple of every judge count a pitch can have (and
    of 2, for medians). Ranking then compares whole numbers, exactly as the values
    compare, and a trimmed mean that falls back to the plain mean stays on the same
    scale. Z-scores are 28-digit decimals; their key is the pitch's mean z, which orders
    pitches as the mapped score does (it is ``event sd * mean z + event mean``).

    A table belongs to the cards it was made from: the keys and rankings it works out
    with every judge are remembered, so pass it only with those cards.
    """

    def __init__(
        self,
        points: Mapping[int, Mapping[int, int]],
        d: int,
        marks: Mapping[int, Mapping[int, Mapping[int, int]]] | None = None,
    ):
        self.d = d
        self.points = {p: dict(per) for p, per in points.items() if per}
        self.totals = {p: sum(per.values()) for p, per in self.points.items()}
        # The counted cards' marks (pitch -> judge -> marks), for the tie-break chain,
        # when the table was made from the cards.
        self.marks = marks
        self._chains: dict[tuple[int, int | None], tuple[int, ...]] = {}
        self._keys: dict[tuple[Method, tuple[int, ...]], dict[int, object]] = {}
        self._placed: dict[tuple[Method, tuple[int, ...]], list] = {}
        most = max((len(per) for per in self.points.values()), default=1)
        self.scale = d * lcm(2, *range(1, most + 1))
        self.pitches_of: dict[int, list[int]] = {}
        for pitch, per in self.points.items():
            for judge in per:
                self.pitches_of.setdefault(judge, []).append(pitch)
        self._z: tuple[dict[int, dict[int, Decimal]], Decimal, Decimal] | None = None
        self._z_totals: dict[int, Decimal] = {}

    @classmethod
    def counted(
        cls,
        cards: Iterable[Card],
        rubric: Rubric,
        conflicts: Iterable[tuple[int, int]] = (),
    ) -> "ScoreTable":
        """The table of the complete, valid cards without a conflict (scoring rules 1-3),
        straight from the marks: a weighted score is a whole number over the total
        weight."""
        counted = count_cards(cards, rubric, conflicts)
        total_weight = sum(c.weight for c in rubric.criteria)
        if not counted:
            return cls({}, max(total_weight, 1), counted)
        ids = [c.id for c in rubric.criteria]
        factors = [c.weight for c in rubric.criteria]
        points = {
            pitch: {
                judge: sum(map(mul, factors, map(marks.__getitem__, ids)))
                for judge, marks in per.items()
            }
            for pitch, per in counted.items()
        }
        return cls(points, total_weight, counted)

    @classmethod
    def of(
        cls, scores: "Mapping[int, Mapping[int, Fraction]] | ScoreTable"
    ) -> "ScoreTable":
        """The table of counted_scores' weighted scores (a table is returned as it is)."""
        if isinstance(scores, ScoreTable):
            return scores
        d = lcm(*{s.denominator for per in scores.values() for s in per.values()})
        return cls(
            {
                p: {j: s.numerator * (d // s.denominator) for j, s in per.items()}
                for p, per in scores.items()
            },
            d,
        )

    def unit(self) -> int:
        """L: every key is a value times d * L."""
        return self.scale // self.d

    def z(self) -> tuple[dict[int, dict[int, Decimal]], Decimal, Decimal]:
        """Every counted score's z against its judge (pitch -> judge -> z), and the
        event's mean and standard deviation (see the module docstring)."""
        if self._z is None:
            self._z = _standardise(self.points, self.d)
        return self._z

    def key(self, pitch: int, method: Method, left_out: int | None = None):
        """The pitch's key by one method (None without counted judges); a trimmed mean
        without enough judges gives the plain mean's key, as ranking uses it.

        The mean and the mean z are worked from the pitch's total, less the judge left
        out: the sum of whole numbers is exact, and a z total is off by far less than
        the 18 places z keys are compared to."""
        per = self.points.get(pitch, {})
        n = len(per) - (left_out in per)
        if not n:
            return None
        if method == Method.Z_SCORE:
            z = self.z()[0][pitch]
            total = self._z_totals.get(pitch)
            with localcontext() as ctx:
                ctx.prec = 28
                if total is None:
                    total = self._z_totals[pitch] = sum(z.values(), Decimal(0))
                if left_out in z:
                    total -= z[left_out]
                return (total / n).quantize(Z_PLACES)
        unit = self.unit()
        if method == Method.MEAN or (
            method == Method.TRIMMED_MEAN and n < TRIM_MIN_JUDGES
        ):
            total = self.totals[pitch] - per.get(left_out, 0)
            return total * (unit // n)
        values = [v for j, v in per.items() if j != left_out]
        if method == Method.MEDIAN:
            values.sort()
            middle = (
                values[n // 2] * 2 if n % 2 else values[n // 2 - 1] + values[n // 2]
            )
            return middle * (unit // 2)
        # The trimmed mean, with enough judges.
        return (sum(values) - min(values) - max(values)) * (unit // (n - 2))

    def keys(self, pitch_ids: Sequence[int], method: Method) -> dict[int, object]:
        """Every pitch's key by the method, with every judge (worked out once)."""
        memo = (method, tuple(pitch_ids))
        if memo not in self._keys:
            self._keys[memo] = {p: self.key(p, method) for p in pitch_ids}
        return self._keys[memo]

    def placed(
        self,
        pitch_ids: Sequence[int],
        method: Method,
        marks: Mapping[int, Mapping[int, Mapping[int, int]]],
        rubric: Rubric,
    ) -> list[tuple[int, int, bool]]:
        """_place by the method with every judge, worked out once: the rankings shown
        and the robustness checks by method share it."""
        memo = (method, tuple(pitch_ids))
        if memo not in self._placed:
            keys = self.keys(pitch_ids, method)
            self._placed[memo] = _place(pitch_ids, keys, self, marks, rubric)
        return self._placed[memo]

    def keys_without(
        self, keys: Mapping[int, object], method: Method, judge: int
    ) -> dict[int, object]:
        """The keys with one judge left out: only the pitches they scored change."""
        changed = dict(keys)
        pitches = [p for p in self.pitches_of.get(judge, ()) if p in changed]
        if method == Method.MEAN:  # the default, inline: one step a pitch
            unit, totals, points = self.unit(), self.totals, self.points
            for pitch in pitches:
                per = points[pitch]
                n = len(per) - 1
                changed[pitch] = (
                    (totals[pitch] - per[judge]) * (unit // n) if n else None
                )
            return changed
        for pitch in pitches:
            changed[pitch] = self.key(pitch, method, left_out=judge)
        return changed

    def judges(self, pitch: int, left_out: int | None = None) -> list[int]:
        return [j for j in self.points.get(pitch, {}) if j != left_out]

    def score(self, pitch: int, method: Method) -> MethodScore:
        """The pitch's score by the method, as shown."""
        judges = len(self.points.get(pitch, {}))
        exact: Fraction | Decimal | None = None
        if judges and method == Method.Z_SCORE:
            _, event_mean, event_sd = self.z()
            with localcontext() as ctx:
                ctx.prec = 28
                exact = self.key(pitch, method) * event_sd + event_mean
        elif judges and not (
            method == Method.TRIMMED_MEAN and judges < TRIM_MIN_JUDGES
        ):
            exact = Fraction(self.key(pitch, method), self.scale)
        return MethodScore(pitch, method, exact, judges)


# What the functions below take: counted_scores' weighted scores, or their table.
Scores = Mapping[int, Mapping[int, Fraction]] | ScoreTable


def _standardise(
    points: Mapping[int, Mapping[int, int]], d: int
) -> tuple[dict[int, dict[int, Decimal]], Decimal, Decimal]:
    by_judge: dict[int, list[int]] = {}
    for per_pitch in points.values():
        for judge, value in per_pitch.items():
            by_judge.setdefault(judge, []).append(value)
    everything = [v for values in by_judge.values() for v in values]
    if not everything:
        return {}, Decimal(0), Decimal(0)
    event_mean = _dec(Fraction(sum(everything), d * len(everything)))
    event_sd = _sd_of(everything, d)
    judge_stats = {
        judge: (_dec(Fraction(sum(values), d * len(values))), _sd_of(values, d))
        for judge, values in by_judge.items()
    }
    z: dict[int, dict[int, Decimal]] = {}
    with localcontext() as ctx:
        ctx.prec = 28
        scale = Decimal(d)
        for pitch, per_pitch in points.items():
            for judge, value in per_pitch.items():
                mean, sd = judge_stats[judge]
                z.setdefault(pitch, {})[judge] = (
                    (Decimal(value) / scale - mean) / sd if sd else Decimal(0)
                )
    return z, event_mean, event_sd


def z_scores(
    scores: Scores,
) -> dict[int, dict[int, Decimal]]:
    """Map every counted weighted score to the rubric scale by per-judge standardisation
    (see the module docstring): pitch id -> judge id -> mapped score."""
    z, event_mean, event_sd = ScoreTable.of(scores).z()
    with localcontext() as ctx:
        ctx.prec = 28
        return {
            pitch: {judge: v * event_sd + event_mean for judge, v in per.items()}
            for pitch, per in z.items()
        }


def method_scores(
    pitch_ids: Iterable[int],
    scores: Scores,
    method: Method,
) -> dict[int, MethodScore]:
    """Every pitch's score by one method (None for a pitch without counted judges)."""
    table = ScoreTable.of(scores)
    return {pitch: table.score(pitch, method) for pitch in pitch_ids}


def _chain_key(
    table: ScoreTable,
    pitch: int,
    marks: Mapping[int, Mapping[int, Mapping[int, int]]],
    rubric: Rubric,
    left_out: int | None,
) -> tuple[int, ...]:
    """One pitch's mean marks on the tie-break chain, over its counted judges, each
    times the table's unit (a multiple of every judge count): whole numbers that
    compare as the means do. Worked out once per pitch and judge left out."""
    cached = table._chains.get((pitch, left_out))
    if cached is not None:
        return cached
    if left_out is not None and table.marks is marks:
        # Every counted judge has marks here: the totals of all, less the one left out.
        whole = _chain_key(table, pitch, marks, rubric, None)
        n = len(table.points[pitch]) - (left_out in table.points[pitch])
        if left_out not in table.points[pitch] or not n:
            key = whole if n else ()
        else:
            unit, given = table.unit(), marks[pitch][left_out]
            full_n = n + 1
            key = tuple(
                (total // (unit // full_n) - given[c.id]) * (unit // n)
                for total, c in zip(whole, rubric.tie_break_chain, strict=True)
            )
        table._chains[(pitch, left_out)] = key
        return key
    given = marks.get(pitch, {})
    counted = [given[j] for j in table.judges(pitch, left_out) if j in given]
    key: tuple[int, ...] = ()
    if counted:
        per = table.unit() // len(counted)
        key = tuple(sum(m[c.id] for m in counted) * per for c in rubric.tie_break_chain)
    table._chains[(pitch, left_out)] = key
    return key


def rank_by(
    pitch_ids: Sequence[int],
    cards: Sequence[Card],
    rubric: Rubric,
    method: Method,
    conflicts: Iterable[tuple[int, int]] = (),
    scores: Scores | None = None,
) -> list[MethodRow]:
    """Rank the pitches by one method, with the tie-break chain; equal pitches share a
    rank. A trimmed mean that is not available ranks by the plain mean. ``scores`` is
    counted_scores(cards, rubric, conflicts), or its ScoreTable, when the caller has it
    already."""
    table = (
        ScoreTable.counted(cards, rubric, conflicts)
        if scores is None
        else ScoreTable.of(scores)
    )
    return _rank(pitch_ids, _marks_of(table, cards), rubric, method, table)


def _marks_of(table: ScoreTable, cards: Iterable[Card]):
    return table.marks if table.marks is not None else _marks_by_pitch(cards)


def _marks_by_pitch(cards: Iterable[Card]) -> dict[int, dict[int, Mapping[int, int]]]:
    """pitch id -> judge id -> marks, for the tie-break chain."""
    out: dict[int, dict[int, Mapping[int, int]]] = {}
    for card in cards:
        out.setdefault(card.pitch_id, {})[card.judge_id] = card.marks
    return out


def _place(
    pitch_ids: Sequence[int],
    keys: Mapping[int, object],
    table: ScoreTable,
    marks: Mapping[int, Mapping[int, Mapping[int, int]]],
    rubric: Rubric,
    left_out: int | None = None,
) -> list[tuple[int, int, bool]]:
    """(pitch id, rank, tied) of the pitches with a key, highest first, then by the
    tie-break chain; pitches still equal share a rank and are tied."""
    scored = [p for p in pitch_ids if keys[p] is not None]
    # The tie-break chain only matters between equal scores: work it out for those.
    seen: dict[object, int] = {}
    for p in scored:
        seen[keys[p]] = seen.get(keys[p], 0) + 1
    # Sorted as (-key, -chain, pitch) tuples made once: highest first, then the chain,
    # then the pitch id for a fixed order among pitches still equal.
    order = []
    for p in scored:
        key = keys[p]
        if seen[key] > 1:
            chain = _chain_key(table, p, marks, rubric, left_out)
            order.append((-key, tuple(-v for v in chain), p))
        else:
            order.append((-key, (), p))
    order.sort()
    placed: list[tuple[int, int, bool]] = []
    position = 0
    last = len(order) - 1
    for index, (key, chain, pitch) in enumerate(order):
        same_as_previous = index > 0 and order[index - 1][:2] == (key, chain)
        if not same_as_previous:
            position = index + 1
        tied = same_as_previous or (
            index < last and order[index + 1][:2] == (key, chain)
        )
        placed.append((pitch, position, tied))
    return placed


def _rank(
    pitch_ids: Sequence[int],
    marks: Mapping[int, Mapping[int, Mapping[int, int]]],
    rubric: Rubric,
    method: Method,
    table: ScoreTable,
) -> list[MethodRow]:
    placed = table.placed(pitch_ids, method, marks, rubric)
    rows = [
        MethodRow(rank, pitch, table.score(pitch, method), tied)
        for pitch, rank, tied in placed
    ]
    ranked = {pitch for pitch, _, _ in placed}
    rows.extend(
        MethodRow(None, p, table.score(p, method), False)
        for p in pitch_ids
        if p not in ranked
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
    return _outcome(
        [(r.pitch_id, r.rank) for r in rows if r.rank is not None], asks, pot
    )


def _outcome(
    ranked: Sequence[tuple[int, int]], asks: Mapping[int, int], pot: int
) -> Outcome:
    """The outcome of (pitch id, rank) pairs in ranked order."""
    winners = frozenset(p for p, rank in ranked if rank == 1)
    top_three = frozenset(p for p, rank in ranked if rank <= 3)
    line = line_index([p for p, _ in ranked], asks, pot)
    funded = (
        frozenset(p for p, _ in ranked[: line + 1]) if line is not None else frozenset()
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
    scores: Scores | None = None,
) -> tuple[Outcome, list[Finding]]:
    """Recompute the declared result without each judge, and by each other method.
    ``scores`` is counted_scores(cards, rubric, conflicts), or its ScoreTable, when the
    caller has it."""
    table = (
        ScoreTable.counted(cards, rubric, conflicts)
        if scores is None
        else ScoreTable.of(scores)
    )
    marks = _marks_of(table, cards)

    def outcome(placed: list[tuple[int, int, bool]]) -> Outcome:
        return _outcome([(pitch, rank) for pitch, rank, _ in placed], asks, pot)

    base = outcome(table.placed(pitch_ids, declared, marks, rubric))
    base_keys = table.keys(pitch_ids, declared)

    def finding(kind, judge, method, found: Outcome) -> Finding:
        return Finding(
            kind,
            judge,
            method,
            found,
            found.winners != base.winners,
            found.top_three != base.top_three,
            found.funded != base.funded,
        )

    findings = []
    # Leaving a judge out changes only the pitches they scored: the other keys stay.
    for judge in sorted({c.judge_id for c in cards}):
        keys = table.keys_without(base_keys, declared, judge)
        placed = _place(pitch_ids, keys, table, marks, rubric, left_out=judge)
        findings.append(finding("without_judge", judge, declared, outcome(placed)))
    for method in Method:
        if method != declared:
            found = outcome(table.placed(pitch_ids, method, marks, rubric))
            findings.append(finding("method", None, method, found))
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


def judge_reports(scores: Scores) -> list[JudgeReport]:
    """Each judge's mean and spread, and their lean against the rest of the panel."""
    table = ScoreTable.of(scores)
    d = table.d
    by_judge: dict[int, list[int]] = {}
    # A gap, the judge's score minus the other judges' mean, is
    # (a * (n - 1) - (total - a)) / (d * (n - 1)): summed per n - 1 as whole numbers.
    gaps: dict[int, dict[int, int]] = {}
    shared: dict[int, int] = {}
    for per_pitch in table.points.values():
        total, others = sum(per_pitch.values()), len(per_pitch) - 1
        for judge, value in per_pitch.items():
            by_judge.setdefault(judge, []).append(value)
            if others:
                sums = gaps.setdefault(judge, {})
                sums[others] = sums.get(others, 0) + value * others - (total - value)
                shared[judge] = shared.get(judge, 0) + 1
    reports = []
    for judge in sorted(by_judge):
        values = by_judge[judge]
        lean = None
        if judge in gaps:
            lean = (
                sum(
                    (Fraction(num, d * k) for k, num in gaps[judge].items()),
                    Fraction(0),
                )
                / shared[judge]
            )
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
                to_display(Fraction(sum(values), d * len(values))),
                to_display(Fraction(_sd_of(values, d))),
                to_display(lean) if lean is not None else None,
                verdict,
            )
        )
    return reports


def _ranks(values: Sequence[Fraction | float | int]) -> list[float]:
    """Average ranks (1 = lowest), ties sharing the mean of their places."""
    return list(map(_average_ranks(Counter(values)).__getitem__, values))


def _average_ranks(counts: Mapping) -> dict:
    """Each value's average rank among values counted this many times each."""
    average = {}
    below = 0
    for value, count in sorted(counts.items()):
        average[value] = below + (count + 1) / 2
        below += count
    return average


def spearman(
    a: Sequence[Fraction | float], b: Sequence[Fraction | float]
) -> Decimal | None:
    """Spearman's rank correlation of two paired lists (None when either is constant).

    Ranks are exact; the correlation is worked in floating point and given to 12
    places: it is a reading of the panel, never a decision."""
    return _rho(_ranks(a), _ranks(b))


def _rho(
    ra: list[float], rb: list[float], va: float | None = None, vb: float | None = None
) -> Decimal | None:
    """Pearson's correlation of two lists of average ranks: Spearman's rho. Average
    ranks of n values always add up to n (n + 1) / 2, so both means are (n + 1) / 2.
    ``va`` and ``vb`` are each list's :func:`_spread`, when already worked out."""
    n = len(ra)
    va = _spread(ra) if va is None else va
    vb = _spread(rb) if vb is None else vb
    if not va or not vb:  # a constant list has no order
        return None
    cov = sum(map(mul, ra, rb)) - n * ((n + 1) / 2) ** 2
    return Decimal(repr(round(cov / (va * vb) ** 0.5, 12)))


def _spread(ranks: list[float]) -> float:
    """n times the variance of a list of average ranks (0 when they are all equal)."""
    n = len(ranks)
    if ranks.count(ranks[0]) == n:
        return 0.0
    return sum(map(mul, ranks, ranks)) - n * ((n + 1) / 2) ** 2


@dataclass(frozen=True)
class Agreement:
    value: Decimal | None  # None when no two judges share enough pitches
    pairs: int
    reading: str


def agreement(scores: Scores) -> Agreement:
    """The panel's agreement: the mean Spearman correlation over judge pairs (see the
    module docstring), with a plain-English reading."""
    # Ranked on the whole-number points: exact, and much faster than fractions.
    by_judge: dict[int, dict[int, int]] = {}
    for pitch, per_pitch in ScoreTable.of(scores).points.items():
        for judge, value in per_pitch.items():
            by_judge.setdefault(judge, {})[pitch] = value
    # A pair sharing all of a judge's pitches uses that judge's ranks, worked out once
    # (every pair, on a full panel). Else the shared pitches are ranked from how often
    # the judge gave each score, less the scores of the pitches the pair do not share.
    whole: dict[int, tuple[list[float], float]] = {}
    counts = {judge: Counter(mine.values()) for judge, mine in by_judge.items()}

    def ranks(
        judge: int, shared: list[int], common: set[int]
    ) -> tuple[list[float], float | None]:
        """The judge's ranks on the shared pitches, and their spread when known."""
        mine = by_judge[judge]
        if len(shared) < len(mine):
            left = counts[judge].copy()
            left.subtract(map(mine.__getitem__, mine.keys() - common))
            average = _average_ranks(left)
            return list(map(average.__getitem__, map(mine.__getitem__, shared))), None
        if judge not in whole:
            average = _average_ranks(counts[judge])
            got = list(map(average.__getitem__, map(mine.__getitem__, shared)))
            whole[judge] = got, _spread(got)
        return whole[judge]

    rhos = []
    for a, b in combinations(sorted(by_judge), 2):
        common = by_judge[a].keys() & by_judge[b].keys()
        if len(common) < AGREEMENT_MIN_SHARED:
            continue
        shared = sorted(common)  # one order for both
        (ra, va), (rb, vb) = ranks(a, shared, common), ranks(b, shared, common)
        rho = _rho(ra, rb, va, vb)
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
