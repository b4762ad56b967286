"""Table-driven tests of the pure scoring rules (no app, no database)."""

import csv
import io
from decimal import Decimal
from fractions import Fraction

import pytest

from demo import data
from judging import scoring
from judging.scoring import Card, CriterionSpec, Rubric

# Preset B: C1..C7, weights 15/20/15/20/15/10/5, tie-break C2 then C4.
PRESET_B = Rubric(
    criteria=(
        CriterionSpec(1, "C1", "Problem", 15),
        CriterionSpec(2, "C2", "Benefit", 20, tie_break_rank=1),
        CriterionSpec(3, "C3", "Equity", 15),
        CriterionSpec(4, "C4", "Feasibility", 20, tie_break_rank=2),
        CriterionSpec(5, "C5", "Value", 15),
        CriterionSpec(6, "C6", "Innovation", 10),
        CriterionSpec(7, "C7", "Team", 5),
    )
)
SIMPLE = Rubric(
    criteria=(CriterionSpec(1, "A", "A", 50, 1), CriterionSpec(2, "B", "B", 50))
)


def marks(*values: int) -> dict[int, int]:
    return dict(enumerate(values, start=1))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((5, 5, 3, 4, 4, 4, 4), Fraction(420, 100)),  # T01 J1 = 4.20
        ((4, 4, 4, 1, 4, 4, 4), Fraction(340, 100)),  # T05 J4 = 3.40
        ((1, 1, 1, 1, 1, 1, 1), Fraction(1)),
        ((5, 5, 5, 5, 5, 5, 5), Fraction(5)),
    ],
)
def test_weighted_score_preset_b(values, expected):
    assert scoring.weighted_score(marks(*values), PRESET_B) == expected


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({1: 5}, "Every criterion needs a mark"),
        ({1: 5, 2: 5, 9: 3}, "not in this rubric"),
        ({1: 0, 2: 3}, "from 1 to 5"),
        ({1: 6, 2: 3}, "from 1 to 5"),
        ({1: 3.0, 2: 3}, "whole numbers"),
        ({1: True, 2: 3}, "whole numbers"),
        ({1: float("nan"), 2: 3}, "whole numbers"),
        ({1: "3", 2: 3}, "whole numbers"),
    ],
)
def test_validate_marks_rejects(bad, message):
    with pytest.raises(scoring.ScoringError, match=message):
        scoring.validate_marks(bad, SIMPLE)


def test_score_pitch_mean_median_range_and_stdev():
    cards = [
        Card(1, 10, marks(4, 2)),
        Card(1, 11, marks(5, 5)),
        Card(1, 12, marks(3, 3)),
    ]
    result = scoring.score_pitch(1, cards, SIMPLE)
    assert (result.mean, result.median, result.lowest, result.highest) == (
        Decimal("3.67"),
        Decimal("3.00"),
        Decimal("3.00"),
        Decimal("5.00"),
    )
    assert result.spread == Decimal("2.00")
    assert result.stdev == Decimal("0.94")  # population sd of 3, 5, 3
    assert result.judges_counted == 3
    assert [(c.code, c.mean) for c in result.criterion_means] == [
        ("A", Decimal("4.00")),
        ("B", Decimal("3.33")),
    ]


def test_score_pitch_excludes_conflicted_and_incomplete_cards():
    cards = [Card(1, 10, marks(4, 4)), Card(1, 11, marks(1, 1)), Card(1, 12, {1: 5})]
    result = scoring.score_pitch(1, cards, SIMPLE, conflicted=[11])
    assert result.judges_counted == 1
    assert result.mean == Decimal("4.00")
    assert result.conflicted_judges == (11,)


def test_score_pitch_with_no_counted_cards_is_unscored():
    result = scoring.score_pitch(1, [Card(1, 10, marks(4, 4))], SIMPLE, conflicted=[10])
    assert (result.mean, result.judges_counted) == (None, 0)


def _rank(cards, pitch_ids, conflicts=()):
    ranked = scoring.compute_results(pitch_ids, cards, SIMPLE, conflicts)
    return [(r.rank, r.result.pitch_id, r.tied) for r in ranked], ranked


@pytest.mark.parametrize(
    ("cards", "expected"),
    [
        # Plain order by mean.
        (
            [Card(1, 9, marks(3, 3)), Card(2, 9, marks(5, 5)), Card(3, 9, marks(4, 4))],
            [(1, 2, False), (2, 3, False), (3, 1, False)],
        ),
        # Equal means: higher A (tie-break 1) wins.
        (
            [Card(1, 9, marks(3, 5)), Card(2, 9, marks(5, 3))],
            [(1, 2, False), (2, 1, False)],
        ),
        # Equal on everything: tied, shared rank, next rank skips.
        (
            [Card(1, 9, marks(4, 4)), Card(2, 9, marks(4, 4)), Card(3, 9, marks(2, 2))],
            [(1, 1, True), (1, 2, True), (3, 3, False)],
        ),
    ],
)
def test_rank_orders_and_breaks_ties(cards, expected):
    order, _ = _rank(cards, [1, 2, 3][: len({c.pitch_id for c in cards})])
    assert order == expected


def test_rank_marks_unresolved_tie_for_the_chair():
    _, ranked = _rank([Card(1, 9, marks(4, 4)), Card(2, 9, marks(4, 4))], [1, 2])
    assert [r.note for r in ranked] == [scoring.CHAIR_DECIDES, scoring.CHAIR_DECIDES]


def test_rank_lists_unscored_pitches_last_without_rank():
    order, ranked = _rank([Card(2, 9, marks(1, 1))], [1, 2])
    assert order == [(1, 2, False), (None, 1, False)]
    assert ranked[-1].note == "No complete scorecards"


def test_rank_uses_exact_means_not_rounded_ones():
    # 10/3 = 3.333... and 3.33 display the same but are not equal.
    cards = [
        Card(1, 9, marks(3, 3)),
        Card(1, 8, marks(3, 3)),
        Card(1, 7, marks(4, 4)),
        Card(2, 9, {1: 3, 2: 4}),
        Card(2, 8, {1: 3, 2: 3}),
        Card(2, 7, {1: 4, 2: 3}),
    ]
    order, ranked = _rank(cards, [1, 2])
    assert ranked[0].result.mean == ranked[1].result.mean == Decimal("3.33")
    assert [t for _, _, t in order] == [True, True]  # truly equal here: 10/3 each


def _demo_inputs():
    rubric = PRESET_B
    codes = {c.code: c.id for c in rubric.criteria}
    teams = {t[0]: n for n, t in enumerate(data.TEAMS, start=1)}
    judges = {j[0]: n for n, j in enumerate(data.JUDGES, start=101)}
    cards = []
    for team, judge, *values in csv.reader(io.StringIO(data.SCORES_CSV)):
        cards.append(
            Card(
                teams[team],
                judges[judge],
                {codes[f"C{i}"]: int(v) for i, v in enumerate(values, 1)},
            )
        )
    conflicts = [(teams[t], judges[j]) for t, j, _ in data.CONFLICTS]
    return rubric, teams, cards, conflicts


def test_demo_matrix_reproduces_domain_ranking():
    rubric, teams, cards, conflicts = _demo_inputs()
    ranked = scoring.compute_results(list(teams.values()), cards, rubric, conflicts)
    ref = {n: t for t, n in teams.items()}
    assert [ref[r.result.pitch_id] for r in ranked] == data.EXPECTED_RANKING
    assert [r.rank for r in ranked] == list(range(1, 13))
    means = {ref[r.result.pitch_id]: str(r.result.mean) for r in ranked}
    assert means == {
        "T01": "4.33",
        "T03": "4.22",
        "T02": "3.95",
        "T04": "3.88",
        "T07": "3.74",
        "T06": "3.63",
        "T09": "3.63",
        "T05": "3.54",
        "T08": "3.48",
        "T11": "3.38",
        "T10": "3.11",
        "T12": "3.02",
    }


def test_demo_t06_beats_t09_on_benefit_tie_break():
    rubric, teams, cards, conflicts = _demo_inputs()
    ranked = scoring.compute_results(list(teams.values()), cards, rubric, conflicts)
    t06, t09 = (
        next(r for r in ranked if r.result.pitch_id == teams[t]) for t in ("T06", "T09")
    )
    assert t06.result.mean_exact == t09.result.mean_exact == Fraction(2180, 600)
    assert (t06.rank, t09.rank, t06.tied, t09.tied) == (6, 7, False, False)
    assert "C2" in t06.note and "4.17 against 3.50" in t06.note


def test_demo_t07_counts_five_judges_without_the_conflicted_one():
    rubric, teams, cards, conflicts = _demo_inputs()
    ranked = scoring.compute_results(list(teams.values()), cards, rubric, conflicts)
    t07 = next(r for r in ranked if r.result.pitch_id == teams["T07"])
    assert (t07.result.judges_counted, t07.result.mean) == (5, Decimal("3.74"))
    assert (t07.result.lowest, t07.result.highest) == (Decimal("3.55"), Decimal("4.05"))


def _demo_ranked():
    rubric, teams, cards, conflicts = _demo_inputs()
    ranked = scoring.compute_results(list(teams.values()), cards, rubric, conflicts)
    asks = {teams[t[0]]: t[5] for t in data.TEAMS}
    return rubric, teams, ranked, asks


def test_funding_line_falls_on_the_pitch_that_exhausts_the_pot():
    _, teams, ranked, asks = _demo_ranked()
    line = scoring.funding_line(ranked, asks, 25_000)
    assert ranked[line].result.pitch_id == teams["T09"]  # 25,250 asked by then


@pytest.mark.parametrize(("pot", "expected"), [(0, None), (1, 0), (10**9, 11)])
def test_funding_line_edges(pot, expected):
    _, _, ranked, asks = _demo_ranked()
    assert scoring.funding_line(ranked, asks, pot) == expected


def test_demo_moderation_flags_match_the_domain():
    rubric, teams, ranked, asks = _demo_ranked()
    ref = {n: t for t, n in teams.items()}

    flags = scoring.moderation_flags(ranked, rubric, asks, 25_000)

    assert [(ref[f.pitch_id], f.kind) for f in flags] == [
        ("T03", "criterion_range"),
        ("T04", "criterion_range"),
        ("T09", "funding_line"),
        ("T05", "criterion_range"),
        ("T05", "funding_line"),
    ]
    assert flags[0].message == "C6 Innovation: judges' marks range from 2 to 5"
    assert "0.09 wide" in flags[2].message


@pytest.mark.parametrize(
    ("cards", "kinds"),
    [
        # Weighted range 1.5 exactly (5.0 vs 3.5) flags; A range 2 does not.
        (
            [Card(1, 1, marks(5, 5)), Card(1, 2, marks(3, 4)), Card(2, 1, marks(1, 1))],
            {(1, "weighted_range")},
        ),
        # Criterion range of 3 flags.
        (
            [Card(1, 1, marks(5, 3)), Card(1, 2, marks(2, 4)), Card(2, 1, marks(1, 1))],
            {(1, "criterion_range")},
        ),
        # Top two within 0.10 (3.50 vs 3.50 is 0, tied) flag both.
        (
            [Card(1, 1, marks(4, 3)), Card(2, 1, marks(3, 4))],
            {(1, "top_two"), (2, "top_two")},
        ),
    ],
)
def test_moderation_flags_thresholds(cards, kinds):
    ranked = scoring.compute_results([1, 2], cards, SIMPLE)
    flags = scoring.moderation_flags(ranked, SIMPLE)
    assert {(f.pitch_id, f.kind) for f in flags} == kinds


# Pitch 1: weighted 4, 4, 1 (mean 3.00, median 4.00); pitch 2: 4, 4, 4 (4.00 both).
DECLARED_CARDS = [
    Card(1, 1, marks(4, 4)),
    Card(1, 2, marks(4, 4)),
    Card(1, 3, marks(1, 1)),
    Card(2, 1, marks(4, 4)),
    Card(2, 2, marks(4, 4)),
    Card(2, 3, marks(4, 4)),
]


def test_close_calls_are_measured_in_the_declared_methods_score():
    ranked = scoring.compute_results([1, 2], DECLARED_CARDS, SIMPLE)
    by_median = {1: Fraction(4), 2: Fraction(4)}

    by_mean = scoring.moderation_flags(ranked, SIMPLE)
    declared = scoring.moderation_flags(
        ranked, SIMPLE, scores=by_median, basis="median"
    )

    # By the mean the top two are 1.00 apart; by the median they are level. (Pitch 1's
    # spread of marks is flagged either way.)
    close = [(f.pitch_id, f.kind, f.message) for f in declared if f.kind == "top_two"]
    assert not [f for f in by_mean if f.kind == "top_two"]
    assert close == [
        (pitch, "top_two", "The top two are 0.00 apart by median (within 0.10)")
        for pitch in (2, 1)
    ]
    assert {f.kind for f in declared} - {"top_two"} == {f.kind for f in by_mean}


def test_the_funding_line_is_measured_in_the_declared_methods_score():
    ranked = scoring.compute_results([1, 2], DECLARED_CARDS, SIMPLE)
    asks, pot = {1: 3000, 2: 3000}, 3000  # the pot reaches pitch 2 only

    by_mean = scoring.moderation_flags(ranked, SIMPLE, asks, pot)
    # A pitch with no score by the method (None) is measured by its mean.
    declared = scoring.moderation_flags(
        ranked, SIMPLE, asks, pot, scores={1: None, 2: Fraction(31, 10)}, basis="x"
    )

    assert not [f for f in by_mean if f.kind == "funding_line"]
    assert [f.message for f in declared if f.kind == "funding_line"] == [
        "The last funded pitch: the funding line is 0.10 wide by x (within 0.10)",
        "The first unfunded pitch: the funding line is 0.10 wide by x (within 0.10)",
    ]


# --- rule 8: the draw at the funding line --------------------------------------------
# Pitch 1 leads; pitches 2, 3 and 4 tie on every criterion; pitch 5 trails.
# Tickets for seed "seed42", worked out with sha256sum, not with the code under test:
#   printf '%s' 'seed42:T02' | sha256sum -> 581f324e...; T03 -> 9bfb4580...;
#   T04 -> 23dde766...   so the drawn order is T04, T02, T03.
DRAW_REFS = {1: "T01", 2: "T02", 3: "T03", 4: "T04", 5: "T05"}
DRAW_CARDS = [
    Card(1, 1, {1: 5, 2: 5}),
    Card(2, 1, {1: 4, 2: 4}),
    Card(3, 1, {1: 4, 2: 4}),
    Card(4, 1, {1: 4, 2: 4}),
    Card(5, 1, {1: 2, 2: 2}),
]


def _draw(pot, seed="seed42", asks=None):
    ranked = scoring.compute_results(range(1, 6), DRAW_CARDS, SIMPLE)
    asks = asks or {p: 1_000 for p in range(1, 6)}
    return scoring.draw_at_funding_line(ranked, asks, pot, seed, DRAW_REFS)


@pytest.mark.parametrize(
    ("pot", "seed", "order", "ranks", "drawn"),
    [
        # The line falls inside the tie (pitches 2-4 need 3,000 after pitch 1's 1,000).
        (2_000, "seed42", [1, 4, 2, 3, 5], [1, 2, 3, 4, 5], ["T04", "T02", "T03"]),
        (3_500, "seed42", [1, 4, 2, 3, 5], [1, 2, 3, 4, 5], ["T04", "T02", "T03"]),
        # The pot funds the whole tie in full: nothing to draw, the tie stays shared.
        (4_000, "seed42", [1, 2, 3, 4, 5], [1, 2, 2, 2, 5], None),
        # The line is on the untied leader: nothing to draw.
        (1_000, "seed42", [1, 2, 3, 4, 5], [1, 2, 2, 2, 5], None),
        # No draw declared (no seed) or no pot: the chair decides.
        (2_000, None, [1, 2, 3, 4, 5], [1, 2, 2, 2, 5], None),
        (0, "seed42", [1, 2, 3, 4, 5], [1, 2, 2, 2, 5], None),
    ],
)
def test_draw_at_the_funding_line(pot, seed, order, ranks, drawn):
    ranked, draw = _draw(pot, seed)
    assert [r.result.pitch_id for r in ranked] == order
    assert [r.rank for r in ranked] == ranks
    if drawn is None:
        assert draw is None
        assert [r.tied for r in ranked][1:4] == [True, True, True]
        return
    assert [t.ref for t in draw.tickets] == drawn
    assert draw.seed == seed
    assert [t.digest[:8] for t in draw.tickets] == ["23dde766", "581f324e", "9bfb4580"]
    assert not any(r.tied for r in ranked)
    assert (
        ranked[1].note == "Tied at the funding line: placed 1 of 3 by the declared draw"
    )


def test_draw_digest_is_sha256_of_seed_and_reference():
    assert scoring.draw_digest("seed42", "T01").startswith("695e82bdaf84be81")


def test_a_different_seed_can_give_a_different_order():
    orders = {
        tuple(t.ref for t in _draw(2_000, seed)[1].tickets)
        for seed in ("a", "b", "c", "d", "e", "f")
    }
    assert len(orders) > 1


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Fraction(2180, 600), "3.63"),
        (Fraction(1, 200), "0.01"),  # half-up
        (Fraction(-1, 200), "-0.01"),  # half away from zero
        (Fraction(-1, 1000), "0.00"),  # never "-0.00"
        (Fraction(0), "0.00"),
        (Fraction(5), "5.00"),
        (Fraction(499, 100), "4.99"),
    ],
)
def test_to_display_rounds_half_up_to_two_places(value, shown):
    assert str(scoring.to_display(value)) == shown
