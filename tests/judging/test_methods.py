"""Table-driven tests of the other aggregation methods, robustness and the judge report
(judging/methods.py), on small examples worked by hand, and on the demo panel."""

import json
import random
import re
from decimal import Decimal
from fractions import Fraction

import pytest

from judging import methods, scoring
from judging.methods import Lean, Method
from judging.scoring import Card, CriterionSpec, Rubric
from tests.judging.test_scoring import _demo_inputs

# Two criteria of equal weight: a judge's weighted score is the mean of their two marks,
# so (5, 5) scores 5.00 and (4, 3) scores 3.50. A is the tie-break criterion.
SIMPLE = Rubric(
    criteria=(CriterionSpec(1, "A", "A", 50, 1), CriterionSpec(2, "B", "B", 50))
)
MARKS = {
    Fraction(5): (5, 5),
    Fraction(9, 2): (5, 4),
    Fraction(4): (4, 4),
    Fraction(7, 2): (4, 3),
    Fraction(3): (3, 3),
    Fraction(2): (2, 2),
    Fraction(1): (1, 1),
}


def cards_for(table: dict[int, dict[int, float]]) -> list[Card]:
    """{pitch: {judge: weighted score}} -> cards whose weighted scores are those."""
    return [
        Card(p, j, dict(enumerate(MARKS[Fraction(s).limit_denominator()], start=1)))
        for p, by_judge in table.items()
        for j, s in by_judge.items()
    ]


# --- methods side by side -----------------------------------------------------------------

FIVE_AND_FOUR = {
    1: {11: 5, 12: 4, 13: 4, 14: 3, 15: 1},  # mean 3.40, median 4, trimmed 11/3
    2: {11: 4, 12: 4, 13: 3, 14: 3},  # mean 3.50, median 3.50, too few to trim
}


@pytest.mark.parametrize(
    ("method", "pitch1", "pitch2"),
    [
        (Method.MEAN, Fraction(17, 5), Fraction(7, 2)),
        (Method.MEDIAN, Fraction(4), Fraction(7, 2)),
        (Method.TRIMMED_MEAN, Fraction(11, 3), None),
    ],
)
def test_exact_methods_on_a_hand_worked_pair(method, pitch1, pitch2):
    scores = methods.counted_scores(cards_for(FIVE_AND_FOUR), SIMPLE)

    got = methods.method_scores([1, 2], scores, method)

    assert (got[1].exact, got[2].exact) == (pitch1, pitch2)
    assert (got[1].judges, got[2].judges) == (5, 4)


@pytest.mark.parametrize(
    ("method", "order"),
    [
        (Method.MEAN, [2, 1]),  # 3.50 above 3.40
        (Method.MEDIAN, [1, 2]),  # 4 above 3.50
        # Pitch 2 cannot be trimmed: it ranks on its mean, 3.50, below 3.67.
        (Method.TRIMMED_MEAN, [1, 2]),
    ],
)
def test_each_method_ranks_the_pair_its_own_way(method, order):
    rows = methods.rank_by([1, 2], cards_for(FIVE_AND_FOUR), SIMPLE, method)

    assert [r.pitch_id for r in rows] == order
    assert [r.rank for r in rows] == [1, 2]


def test_trimmed_mean_shows_a_dash_when_there_is_nothing_to_trim():
    rows = methods.rank_by(
        [1, 2], cards_for(FIVE_AND_FOUR), SIMPLE, Method.TRIMMED_MEAN
    )

    shown = {r.pitch_id: r.score.shown for r in rows}
    assert shown == {1: Decimal("3.67"), 2: None}


# A lenient judge (11) scored pitches 1 and 2, a harsh one (12) pitches 3 and 4: each
# judge's better pitch is one standard deviation above their own mean.
SPLIT = {1: {11: 5}, 2: {11: 4}, 3: {12: 3}, 4: {12: 2}}


def test_z_scores_map_each_judge_onto_the_event_scale():
    scores = methods.counted_scores(cards_for(SPLIT), SIMPLE)

    mapped = methods.z_scores(scores)

    # Event mean 3.5, population sd sqrt(1.25) = 1.1180...; z = +1 or -1.
    assert round(mapped[1][11], 4) == Decimal("4.6180")
    assert round(mapped[2][11], 4) == Decimal("2.3820")
    assert mapped[3][12] == mapped[1][11]
    assert mapped[4][12] == mapped[2][11]


def test_z_scores_undo_a_lenient_and_a_harsh_judge_in_split_mode():
    cards = cards_for(SPLIT)

    by_mean = methods.rank_by([1, 2, 3, 4], cards, SIMPLE, Method.MEAN)
    by_z = methods.rank_by([1, 2, 3, 4], cards, SIMPLE, Method.Z_SCORE)

    assert [r.pitch_id for r in by_mean] == [1, 2, 3, 4]
    # The harsh judge's better pitch now sits with the lenient judge's better one;
    # the tie-break (mean mark on A: 5 against 3) puts pitch 1 first.
    assert [(r.pitch_id, r.rank) for r in by_z] == [(1, 1), (3, 2), (2, 3), (4, 4)]
    assert [r.score.shown for r in by_z] == [
        Decimal("4.62"),
        Decimal("4.62"),
        Decimal("2.38"),
        Decimal("2.38"),
    ]


def test_a_judge_without_spread_neither_lifts_nor_sinks_anyone():
    # Judge 11 gave both pitches 4 (no spread): z = 0, the event mean, for both.
    cards = cards_for({1: {11: 4, 12: 5}, 2: {11: 4, 12: 3}})

    mapped = methods.z_scores(methods.counted_scores(cards, SIMPLE))

    assert mapped[1][11] == mapped[2][11] == Decimal(4)


def test_conflicted_and_incomplete_cards_count_in_no_method():
    cards = cards_for({1: {11: 5, 12: 1, 13: 3}})
    cards.append(Card(1, 14, {1: 5}))  # incomplete

    scores = methods.counted_scores(cards, SIMPLE, conflicts=[(1, 12)])

    assert scores == {1: {11: Fraction(5), 13: Fraction(3)}}


@pytest.mark.parametrize("method", list(Method))
def test_equal_pitches_share_a_rank_by_every_method(method):
    cards = cards_for({1: {11: 4, 12: 3}, 2: {11: 4, 12: 3}, 3: {11: 2, 12: 2}})

    rows = methods.rank_by([1, 2, 3], cards, SIMPLE, method)

    assert [(r.pitch_id, r.rank, r.tied) for r in rows] == [
        (1, 1, True),
        (2, 1, True),
        (3, 3, False),
    ]


def test_mean_method_matches_the_scoring_module_on_the_demo():
    rubric, teams, cards, conflicts = _demo_inputs()
    pitch_ids = list(teams.values())

    by_method = methods.rank_by(pitch_ids, cards, rubric, Method.MEAN, conflicts)
    by_scoring = scoring.compute_results(pitch_ids, cards, rubric, conflicts)

    assert [(r.pitch_id, r.rank) for r in by_method] == [
        (r.result.pitch_id, r.rank) for r in by_scoring
    ]


# --- robustness ---------------------------------------------------------------------------

# Judge 11 is lenient on pitch 1; without them, or by the median, pitch 2 wins.
HINGE = {1: {11: 5, 12: 3, 13: 3}, 2: {11: 3, 12: 3.5, 13: 3.5}}


def test_robustness_flags_a_winner_that_hinges_on_one_judge():
    base, findings = methods.robustness(
        [1, 2], cards_for(HINGE), SIMPLE, Method.MEAN, asks={1: 100, 2: 100}, pot=100
    )

    assert (base.winners, base.funded) == ({1}, {1})
    without = {f.judge_id: f for f in findings if f.kind == "without_judge"}
    assert without[11].winner_changes and without[11].funded_changes
    assert without[11].outcome.winners == {2}
    assert not without[12].changes_anything
    assert not without[13].changes_anything
    by_method = {f.method: f for f in findings if f.kind == "method"}
    assert set(by_method) == {Method.MEDIAN, Method.TRIMMED_MEAN, Method.Z_SCORE}
    assert by_method[Method.MEDIAN].winner_changes
    assert by_method[Method.MEDIAN].outcome.funded == {2}
    # Three judges cannot be trimmed: the trimmed mean falls back to the mean.
    assert not by_method[Method.TRIMMED_MEAN].changes_anything


def test_robustness_of_a_clear_result_finds_nothing():
    cards = cards_for({1: {11: 5, 12: 5, 13: 4.5}, 2: {11: 2, 12: 3, 13: 2}})

    _, findings = methods.robustness(
        [1, 2], cards, SIMPLE, Method.MEAN, asks={1: 50, 2: 50}, pot=50
    )

    assert not any(f.changes_anything for f in findings)


@pytest.mark.parametrize(
    ("pot", "funded"),
    [(0, set()), (100, {1}), (150, {1, 2}), (1000, {1, 2, 3})],
)
def test_outcome_funded_set_follows_the_funding_line(pot, funded):
    rows = methods.rank_by(
        [1, 2, 3],
        cards_for({1: {11: 5}, 2: {11: 4}, 3: {11: 3}}),
        SIMPLE,
        Method.MEAN,
    )

    outcome = methods.outcome_of(rows, {1: 100, 2: 100, 3: 100}, pot)

    assert outcome.funded == funded
    assert (outcome.winners, outcome.top_three) == ({1}, {1, 2, 3})


def _random_event(rng):
    """A small random event: weights, scale, missing, incomplete and conflicted cards."""
    weights = [rng.choice([10, 20, 25, 30, 50]) for _ in range(rng.randint(1, 4))]
    rubric = Rubric(
        tuple(
            CriterionSpec(100 + i, f"C{i}", f"C{i}", w, i + 1 if i < 2 else None)
            for i, w in enumerate(weights)
        ),
        1,
        rng.choice([3, 5]),
    )
    pitch_ids = list(range(1, rng.randint(2, 12) + 1))
    judges = range(11, 11 + rng.randint(2, 8))
    cards = []
    for p in pitch_ids:
        for j in judges:
            if rng.random() < 0.75:
                marks = {
                    c.id: rng.randint(1, rubric.scale_max) for c in rubric.criteria
                }
                if rng.random() < 0.05:
                    marks.pop(rubric.criteria[0].id)  # incomplete: never counted
                cards.append(Card(p, j, marks))
    conflicts = [(rng.choice(pitch_ids), rng.choice(judges)) for _ in range(2)]
    asks = {p: rng.choice([0, 100, 200, 300]) for p in pitch_ids}
    return pitch_ids, cards, rubric, conflicts, asks, rng.choice([0, 100, 300, 5000])


@pytest.mark.parametrize("method", list(Method))
def test_leaving_a_judge_out_is_ranking_without_their_cards(method):
    """The robustness check works from each pitch's totals; it must agree with ranking
    the event again from the cards, without the judge's, on many random events."""
    rng = random.Random(20261122)
    for _ in range(60):
        pitch_ids, cards, rubric, conflicts, asks, pot = _random_event(rng)

        base, findings = methods.robustness(
            pitch_ids, cards, rubric, method, asks, pot, conflicts
        )

        assert base == methods.outcome_of(
            methods.rank_by(pitch_ids, cards, rubric, method, conflicts), asks, pot
        )
        for finding in findings:
            if finding.kind == "method":
                again = methods.rank_by(
                    pitch_ids, cards, rubric, finding.method, conflicts
                )
            else:
                without = [c for c in cards if c.judge_id != finding.judge_id]
                again = methods.rank_by(pitch_ids, without, rubric, method, conflicts)
            assert finding.outcome == methods.outcome_of(again, asks, pot)


def test_equal_mean_z_scores_are_not_split_by_rounding():
    # Judges 15 and 16 give the two pitches 5 and 86/21 the other way round (z +1 and
    # -1), judge 17 scores pitch 2 only (z 0): both pitches' mean z is exactly 0. In 28
    # digits the twenty-firsts leave noise in the last place, which once put pitch 2
    # first (4.466666666666666666666666667 against ...666).
    twenty_firsts = {1: {15: 105, 16: 86}, 2: {15: 86, 16: 105, 17: 87}}
    scores = {
        p: {j: Fraction(v, 21) for j, v in per.items()}
        for p, per in twenty_firsts.items()
    }

    rows = methods.rank_by([1, 2], [], SIMPLE, Method.Z_SCORE, scores=scores)

    assert [(r.pitch_id, r.rank, r.tied) for r in rows] == [(1, 1, True), (2, 1, True)]


# --- judges against the panel -------------------------------------------------------------


def test_judge_report_on_the_hinge_example():
    reports = methods.judge_reports(methods.counted_scores(cards_for(HINGE), SIMPLE))

    by_judge = {r.judge_id: r for r in reports}
    # Judge 11: 5 - 3 on pitch 1, 3 - 3.5 on pitch 2: a lean of +0.75.
    assert (by_judge[11].mean, by_judge[11].spread, by_judge[11].lean) == (
        Decimal("4.00"),
        Decimal("1.00"),
        Decimal("0.75"),
    )
    assert by_judge[11].verdict == Lean.LENIENT
    # Judge 12: 3 - 4 on pitch 1, 3.5 - 3.25 on pitch 2: -0.375, shown -0.38.
    assert (by_judge[12].lean, by_judge[12].verdict) == (Decimal("-0.38"), Lean.HARSH)


@pytest.mark.parametrize(
    ("lean", "verdict"),
    [
        (Fraction(3, 10), Lean.LENIENT),
        (Fraction(29, 100), Lean.IN_LINE),
        (Fraction(-3, 10), Lean.HARSH),
        (Fraction(0), Lean.IN_LINE),
    ],
)
def test_lean_thresholds_are_inclusive(lean, verdict):
    # Judge 11 against one other judge on one pitch: the lean is the gap itself.
    scores = {1: {11: Fraction(3) + lean, 12: Fraction(3)}}

    (report, _) = methods.judge_reports(scores)

    assert report.verdict == verdict


def test_a_judge_who_shared_no_pitch_has_no_lean():
    reports = methods.judge_reports({1: {11: Fraction(4)}, 2: {12: Fraction(2)}})

    assert [(r.lean, r.verdict) for r in reports] == [(None, None), (None, None)]


def test_demo_panel_finds_the_lenient_and_the_harsh_judge():
    rubric, _, cards, conflicts = _demo_inputs()

    reports = methods.judge_reports(methods.counted_scores(cards, rubric, conflicts))

    verdicts = {r.judge_id: r.verdict for r in reports}
    # Domain 12.5: J2 Gareth Lowry lenient, J3 Dr Priya Venkatesan harsh, J1 calibrated.
    assert verdicts[102] == Lean.LENIENT
    assert verdicts[103] == Lean.HARSH
    assert verdicts[101] == Lean.IN_LINE


@pytest.mark.parametrize(
    ("a", "b", "rho"),
    [
        ([1, 2, 3], [1, 2, 3], Decimal(1)),
        ([1, 2, 3], [3, 2, 1], Decimal(-1)),
        # Ties share the mean of their places: ranks 1.5, 1.5, 3.
        ([1, 2, 3], [1, 1, 2], Decimal("0.8660")),
        ([1, 2, 3], [2, 2, 2], None),
    ],
)
def test_spearman_by_hand(a, b, rho):
    got = methods.spearman([Fraction(x) for x in a], [Fraction(x) for x in b])

    assert (round(got, 4) if got is not None else None) == rho


@pytest.mark.parametrize(
    ("table", "value", "words"),
    [
        ({p: {11: p, 12: p} for p in (1, 2, 3)}, Decimal("1.00"), "strong agreement"),
        ({p: {11: p, 12: 4 - p} for p in (1, 2, 3)}, Decimal("-1.00"), "little or no"),
        ({1: {11: 1, 12: 1}, 2: {11: 2, 12: 2}}, None, "Not enough shared pitches"),
    ],
)
def test_agreement_reading(table, value, words):
    scores = {p: {j: Fraction(s) for j, s in per.items()} for p, per in table.items()}

    result = methods.agreement(scores)

    assert result.value == value
    assert words in result.reading


def test_demo_panel_agreement_is_read_in_plain_english():
    rubric, _, cards, conflicts = _demo_inputs()

    result = methods.agreement(methods.counted_scores(cards, rubric, conflicts))

    assert result.pairs == 15  # six judges, every pair shares at least three pitches
    assert result.value is not None
    assert result.reading.startswith(f"{result.value}, ")


# --- the declared method in the app -------------------------------------------------------


@pytest.fixture
def split_scores(app):
    """An event where a lenient judge scored two pitches and a harsh judge two others."""
    from events.models import EventPhase
    from extensions import db
    from tests.factories import make_event, make_judge, make_scorecard, make_team

    with app.app_context():
        event = make_event(slug="declared", phase=EventPhase.SUBMISSIONS_CLOSED)
        lenient, harsh = make_judge(event), make_judge(event)
        teams = [make_team(event, name=f"Team {n}", submitted=True) for n in range(4)]
        values = [(lenient, 5), (lenient, 4), (harsh, 3), (harsh, 2)]
        for team, (judge, value) in zip(teams, values, strict=True):
            make_scorecard(team.pitch, judge, [value] * 7, event)
        db.session.commit()
        return {"event_id": event.id, "teams": [t.name for t in teams]}


def _ranked_names(app, slug="declared"):
    from sqlalchemy import select

    from events.models import Event
    from extensions import db
    from judging import services

    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        results = services.compute_results(event)
        return [(r.team.name, r.rank) for r in results.rows], results.declared_scores


def test_the_ranking_follows_the_declared_method(app, split_scores):
    from sqlalchemy import select

    from auth.models import AuditEntry, User
    from events import services as event_services
    from events.models import Event
    from extensions import db

    by_mean, declared = _ranked_names(app)
    assert [name for name, _ in by_mean] == ["Team 0", "Team 1", "Team 2", "Team 3"]
    assert declared == {}  # the mean needs no extra column

    with app.app_context():
        event = db.session.get(Event, split_scores["event_id"])
        organiser = db.session.scalar(select(User).where(User.is_organiser.is_(True)))
        event_services.declare_results_method(organiser, event, Method.Z_SCORE)
        db.session.commit()
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "results_method.declared")
        )
        assert '"method": "z_score"' in entry.detail
        assert json.loads(entry.detail)["previous"] == {
            "method": "mean",
            "tie_draw": False,
        }

    by_z, declared = _ranked_names(app)
    # Each judge's better pitch is one spread above their own mean: Team 0 and Team 2
    # share the top score, and the tie-break (C2) puts Team 0 first.
    assert by_z == [("Team 0", 1), ("Team 2", 2), ("Team 1", 3), ("Team 3", 4)]
    assert sorted(set(declared.values())) == [Decimal("2.38"), Decimal("4.62")]


def test_the_declared_method_is_locked_once_judging_starts(app, split_scores):
    from sqlalchemy import select

    from auth.models import User
    from events import services as event_services
    from events.models import Event, EventPhase
    from extensions import db

    with app.app_context():
        event = db.session.get(Event, split_scores["event_id"])
        organiser = db.session.scalar(select(User).where(User.is_organiser.is_(True)))
        event.phase = EventPhase.JUDGING
        db.session.commit()

        with pytest.raises(event_services.EventError, match="locked"):
            event_services.declare_results_method(organiser, event, Method.MEDIAN)
        db.session.rollback()
        assert db.session.get(Event, split_scores["event_id"]).results_method == (
            Method.MEAN
        )


def test_organiser_declares_the_method_on_the_rubric_page(app, split_scores):
    from sqlalchemy import select

    from auth.models import User
    from events.models import Event, PanelMember
    from extensions import db
    from tests.factories import sign_in

    with app.app_context():
        organiser = db.session.scalar(select(User).where(User.is_organiser.is_(True)))
        judge_id = db.session.scalar(select(PanelMember.user_id))
        judge = db.session.get(User, judge_id)
        organiser_client, judge_client = app.test_client(), app.test_client()
        sign_in(organiser_client, organiser)
        sign_in(judge_client, judge)

    page = organiser_client.get("/events/declared/rubric").text
    assert "How the judges' scores are combined</h2>" in page
    assert re.search(r'<input[^>]*checked[^>]*value="mean"', page)
    refused = judge_client.post(
        "/events/declared/rubric/method", data={"method": "median"}
    )
    saved = organiser_client.post(
        "/events/declared/rubric/method", data={"method": "median"}
    )
    bogus = organiser_client.post(
        "/events/declared/rubric/method", data={"method": "loudest"}
    )

    assert refused.status_code == 404
    assert saved.status_code == bogus.status_code == 302
    with app.app_context():
        event = db.session.get(Event, split_scores["event_id"])
        assert event.results_method == Method.MEDIAN
    results = organiser_client.get("/events/declared/results").text
    assert "Median of weighted scores (declared)" in results
    assert "A pitch's score is the <strong>median</strong>" in results
