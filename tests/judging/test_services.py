"""Judging services: scorecards (R-26, R-42), conflicts, the queue, progress and results."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from auth.models import AuditEntry
from events.models import Event, EventPhase
from events.services import EventError
from extensions import db, utcnow
from judging import services
from judging.models import Mark, Recommendation, Scorecard, ScoreSubmission
from pitches.models import Background, Pitch, TeamMember
from tests.factories import (
    add_organiser,
    declare_conflict,
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
)

P = EventPhase
ALL_FOURS = [4, 4, 4, 4, 4, 4, 4]


def marks_for(event: Event, values: list[int]) -> dict[int, int]:
    return {c.id: v for c, v in zip(event.criteria, values, strict=True)}


def score_input(
    event: Event,
    values: list[int] = ALL_FOURS,
    *,
    key: str = "key-1",
    base: int = 0,
    feedback: str = "Strong on benefit; cost the pilot.",
) -> services.ScoreInput:
    return services.ScoreInput(
        marks=marks_for(event, values),
        feedback=feedback,
        recommendation=Recommendation.FUND,
        submission_key=key,
        base_revision=base,
    )


def stored_marks(pitch: Pitch, judge) -> list[int]:
    card = services.get_scorecard(pitch, judge)
    if card is None:
        return []
    by_id = {m.criterion_id: m.value for m in card.marks}
    event = db.session.get(Event, pitch.event_id)
    return [by_id.get(c.id) for c in event.criteria]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def judging_setup():
    """An event in judging with one judge and one submitted pitch."""
    event = make_event(phase=P.JUDGING)
    judge = make_judge(event)
    pitch = make_team(event, submitted=True).pitch
    return event, judge, pitch


@contextmanager
def count_queries():
    """Count the SQL statements sent to the database inside the block."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, *args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before_cursor_execute)


# --- record_scorecard -----------------------------------------------------------------


def test_record_scorecard_new_card_stores_marks_and_key(app):
    with app.app_context():
        event, judge, pitch = judging_setup()

        outcome = services.record_scorecard(
            judge, event, pitch, score_input(event, [5, 4, 3, 2, 1, 2, 3])
        )
        db.session.flush()

        assert outcome.replayed is False
        card = db.session.get(Scorecard, outcome.scorecard_id)
        assert (card.pitch_id, card.judge_id, card.revision) == (pitch.id, judge.id, 1)
        assert (card.feedback, card.recommendation) == (
            "Strong on benefit; cost the pilot.",
            Recommendation.FUND,
        )
        assert stored_marks(pitch, judge) == [5, 4, 3, 2, 1, 2, 3]
        submissions = db.session.execute(
            select(
                ScoreSubmission.key,
                ScoreSubmission.judge_id,
                ScoreSubmission.scorecard_id,
                ScoreSubmission.revision,
            )
        ).all()
        assert submissions == [("key-1", judge.id, card.id, 1)]
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "score.saved")
        )
        assert (entry.actor_id, entry.event_id, entry.target_id) == (
            judge.id,
            event.id,
            card.id,
        )


def test_record_scorecard_revision_updates_marks_and_keeps_old_in_audit(app):
    with app.app_context():
        event, judge, pitch = judging_setup()
        services.record_scorecard(judge, event, pitch, score_input(event, ALL_FOURS))

        outcome = services.record_scorecard(
            judge,
            event,
            pitch,
            score_input(event, [5, 5, 5, 5, 5, 5, 5], key="key-2", base=1),
        )
        db.session.flush()

        assert db.session.get(Scorecard, outcome.scorecard_id).revision == 2
        assert stored_marks(pitch, judge) == [5] * 7
        assert count(Mark) == 7
        assert count(Scorecard) == 1
        audits = list(
            db.session.scalars(
                select(AuditEntry.detail)
                .where(AuditEntry.action == "score.saved")
                .order_by(AuditEntry.id)
            )
        )
        ids = [str(c.id) for c in event.criteria]
        assert audits[1].count('"old": {') == 1
        assert all(f'"{i}": 4' in audits[1].split('"old"')[1] for i in ids)
        assert all(f'"{i}": 5' in audits[1].split('"new"')[1] for i in ids)


def _bad_marks(event: Event, kind: str) -> dict:
    ids = [c.id for c in event.criteria]
    good = dict.fromkeys(ids, 4)
    match kind:
        case "missing":
            good.pop(ids[-1])
        case "too-low":
            good[ids[0]] = 0
        case "too-high":
            good[ids[0]] = 6
        case "negative":
            good[ids[0]] = -1
        case "float":
            good[ids[0]] = 4.0
        case "bool":
            good[ids[0]] = True
        case "string":
            good[ids[0]] = "4"
        case "unknown-criterion":
            good[max(ids) + 1000] = 4
        case "empty":
            good = {}
    return good


@pytest.mark.parametrize(
    "kind",
    [
        "missing",
        "too-low",
        "too-high",
        "negative",
        "float",
        "bool",
        "string",
        "unknown-criterion",
        "empty",
    ],
)
def test_record_scorecard_invalid_marks_refused_and_nothing_stored(app, kind):
    with app.app_context():
        event, judge, pitch = judging_setup()
        data = services.ScoreInput(
            marks=_bad_marks(event, kind),
            feedback="Fine.",
            recommendation=None,
            submission_key="key-1",
            base_revision=0,
        )

        with pytest.raises(services.JudgingError):
            services.record_scorecard(judge, event, pitch, data)
        db.session.flush()

        assert (count(Scorecard), count(Mark), count(ScoreSubmission)) == (0, 0, 0)
        assert count(AuditEntry) == 1  # event.created only


def test_record_scorecard_criterion_of_another_event_refused(app):
    with app.app_context():
        event, judge, pitch = judging_setup()
        other = make_event(phase=P.JUDGING)
        marks = marks_for(event, ALL_FOURS)
        marks.pop(event.criteria[0].id)
        marks[other.criteria[0].id] = 4
        data = services.ScoreInput(marks, "Fine.", None, "key-1", 0)

        with pytest.raises(services.JudgingError, match="not in this rubric"):
            services.record_scorecard(judge, event, pitch, data)

        assert count(Scorecard) == 0


@pytest.mark.parametrize("feedback", ["", "   ", "\n\t"])
def test_record_scorecard_without_feedback_refused(app, feedback):
    with app.app_context():
        event, judge, pitch = judging_setup()

        with pytest.raises(services.JudgingError, match="Write feedback"):
            services.record_scorecard(
                judge, event, pitch, score_input(event, feedback=feedback)
            )
        db.session.flush()

        assert (count(Scorecard), count(Mark), count(ScoreSubmission)) == (0, 0, 0)


def test_record_scorecard_invalid_revision_keeps_previous_marks(app):
    with app.app_context():
        event, judge, pitch = judging_setup()
        services.record_scorecard(judge, event, pitch, score_input(event, ALL_FOURS))
        bad = score_input(event, [5, 5, 5, 5, 5, 5, 9], key="key-2", base=1)

        with pytest.raises(services.JudgingError, match="from 1 to 5"):
            services.record_scorecard(judge, event, pitch, bad)
        db.session.flush()

        assert stored_marks(pitch, judge) == ALL_FOURS
        assert services.get_scorecard(pitch, judge).revision == 1
        assert count(ScoreSubmission) == 1


def test_record_scorecard_same_key_replayed_not_rewritten(app):
    with app.app_context():
        event, judge, pitch = judging_setup()
        first = services.record_scorecard(judge, event, pitch, score_input(event))

        again = services.record_scorecard(
            judge, event, pitch, score_input(event, [1, 1, 1, 1, 1, 1, 1])
        )
        db.session.flush()

        assert (again.replayed, again.scorecard_id, again.saved_at) == (
            True,
            first.scorecard_id,
            first.saved_at,
        )
        assert again.revision == 1
        assert stored_marks(pitch, judge) == ALL_FOURS
        assert count(ScoreSubmission) == 1
        assert count(Scorecard) == 1


def test_record_scorecard_replay_after_newer_edit_returns_newer_card(app):
    with app.app_context():
        event, judge, pitch = judging_setup()
        services.record_scorecard(judge, event, pitch, score_input(event, key="a"))
        services.record_scorecard(
            judge, event, pitch, score_input(event, [5] * 7, key="b", base=1)
        )

        late = services.record_scorecard(
            judge, event, pitch, score_input(event, key="a")
        )

        assert (late.replayed, late.revision) == (True, 2)
        assert stored_marks(pitch, judge) == [5] * 7


def test_record_scorecard_key_of_another_judge_refused(app):
    with app.app_context():
        event, judge, pitch = judging_setup()
        other = make_judge(event)
        services.record_scorecard(judge, event, pitch, score_input(event, key="shared"))

        with pytest.raises(services.JudgingError, match="already been used"):
            services.record_scorecard(
                other, event, pitch, score_input(event, key="shared")
            )

        assert services.get_scorecard(pitch, other) is None


def test_record_scorecard_key_of_another_pitch_refused(app):
    with app.app_context():
        event, judge, pitch = judging_setup()
        second = make_team(event, submitted=True).pitch
        services.record_scorecard(judge, event, pitch, score_input(event, key="k"))

        with pytest.raises(services.JudgingError, match="already been used"):
            services.record_scorecard(judge, event, second, score_input(event, key="k"))

        assert services.get_scorecard(second, judge) is None


@pytest.mark.parametrize("stale_base", [0, 1])
def test_record_scorecard_stale_revision_keeps_newer_marks(app, stale_base):
    """R-42: a delayed retry of an older edit never overwrites a newer one."""
    with app.app_context():
        event, judge, pitch = judging_setup()
        services.record_scorecard(judge, event, pitch, score_input(event, key="a"))
        services.record_scorecard(
            judge, event, pitch, score_input(event, [5] * 7, key="b", base=1)
        )
        services.record_scorecard(
            judge, event, pitch, score_input(event, [3] * 7, key="c", base=2)
        )

        with pytest.raises(services.StaleRevision):
            services.record_scorecard(
                judge,
                event,
                pitch,
                score_input(event, [1] * 7, key="d", base=stale_base),
            )
        db.session.flush()

        card = services.get_scorecard(pitch, judge)
        assert (card.revision, stored_marks(pitch, judge)) == (3, [3] * 7)
        assert sorted(db.session.scalars(select(ScoreSubmission.key))) == [
            "a",
            "b",
            "c",
        ]


def test_record_scorecard_base_revision_ahead_refused(app):
    with app.app_context():
        event, judge, pitch = judging_setup()

        with pytest.raises(services.StaleRevision):
            services.record_scorecard(judge, event, pitch, score_input(event, base=1))

        assert count(Scorecard) == 0


def test_stale_revision_is_a_judging_error():
    assert issubclass(services.StaleRevision, services.JudgingError)


# Moderation allows revisions with a reason: see tests/judging/test_moderation.py.
@pytest.mark.parametrize(
    "phase",
    [p for p in EventPhase if p not in (P.JUDGING, P.MODERATION)],
    ids=lambda p: p.value,
)
def test_record_scorecard_outside_judging_refused(app, phase):
    with app.app_context():
        event, judge, pitch = judging_setup()
        event.phase = phase
        db.session.flush()

        with pytest.raises(EventError, match="score pitches"):
            services.record_scorecard(judge, event, pitch, score_input(event))

        assert (count(Scorecard), count(ScoreSubmission)) == (0, 0)
        assert services.can_score(event) is False


def test_record_scorecard_declared_conflict_not_found(app):
    with app.app_context():
        event, judge, pitch = judging_setup()
        declare_conflict(pitch, judge)

        with pytest.raises(NotFound):
            services.record_scorecard(judge, event, pitch, score_input(event))

        assert count(Scorecard) == 0


def test_record_scorecard_judge_in_the_team_not_found(app):
    with app.app_context():
        event = make_event(phase=P.JUDGING)
        judge = make_judge(event)
        pitch = make_team(event, submitted=True).pitch
        db.session.add(
            TeamMember(
                team_id=pitch.team_id,
                user_id=judge.id,
                name=judge.display_name,
                background=Background.CLINICIAN,
            )
        )
        db.session.flush()

        with pytest.raises(NotFound):
            services.record_scorecard(judge, event, pitch, score_input(event))

        assert count(Scorecard) == 0


def test_declare_conflict_records_once_and_hides_pitch(app):
    with app.app_context():
        event, judge, pitch = judging_setup()

        services.declare_conflict(judge, event, pitch, "  My sister is in the team ")
        services.declare_conflict(judge, event, pitch, "again")
        db.session.flush()

        notes = [(c.judge_id, c.reason) for c in services.declared_conflicts(event)]
        assert notes == [(judge.id, "My sister is in the team")]
        assert services.conflicted_pitch_ids(event, judge) == {pitch.id}
        assert services.judge_queue(event, judge).items == ()
        with pytest.raises(NotFound):
            services.get_pitch_for_judge_or_404(event, pitch.id, judge)


def test_declare_conflict_without_reason_refused(app):
    with app.app_context():
        event, judge, pitch = judging_setup()

        with pytest.raises(services.JudgingError, match="why you have a conflict"):
            services.declare_conflict(judge, event, pitch, "   ")

        assert services.conflicted_pitch_ids(event, judge) == set()


def test_get_pitch_for_judge_draft_pitch_not_found(app):
    with app.app_context():
        event, judge, _ = judging_setup()
        draft = make_team(event).pitch

        with pytest.raises(NotFound):
            services.get_pitch_for_judge_or_404(event, draft.id, judge)


# --- the queue and progress ----------------------------------------------------------


def test_judge_queue_follows_running_order_and_hides_conflicts(app):
    with app.app_context():
        event = make_event(phase=P.JUDGING)
        judge = make_judge(event)
        teams = [make_team(event, name=f"Team {n}", submitted=True) for n in "ABCDE"]
        for team, order in zip(teams, [4, 2, None, 1, 3], strict=True):
            team.pitch.running_order = order
        make_team(event, name="Draft")  # never in the queue
        declare_conflict(teams[1].pitch, judge)
        card = make_scorecard(teams[4].pitch, judge, ALL_FOURS, event)

        queue = services.judge_queue(event, judge)

        assert [(i.position, i.pitch.team.name) for i in queue.items] == [
            (1, "Team D"),
            (2, "Team E"),
            (3, "Team A"),
            (4, "Team C"),
        ]
        assert [i.scorecard.id if i.scored else None for i in queue.items] == [
            None,
            card.id,
            None,
            None,
        ]
        assert (queue.total, queue.scored, queue.conflicted) == (4, 1, 1)


def test_judge_queue_shows_only_own_scorecards(app):
    with app.app_context():
        event, judge, pitch = judging_setup()
        other = make_judge(event)
        make_scorecard(pitch, other, ALL_FOURS, event)

        queue = services.judge_queue(event, judge)

        assert [i.scored for i in queue.items] == [False]


def test_progress_by_judge_counts_scored_and_leaves_out_conflicts(app):
    with app.app_context():
        event = make_event(phase=P.JUDGING)
        ann = make_judge(event, make_user(name="Ann"))
        bob = make_judge(event, make_user(name="Bob"), chair=True)
        cal = make_judge(event, make_user(name="Cal"))
        pitches = [make_team(event, submitted=True).pitch for _ in range(3)]
        make_team(event)  # a draft does not count
        make_scorecard(pitches[0], ann, ALL_FOURS, event)
        make_scorecard(pitches[1], ann, ALL_FOURS, event)
        declare_conflict(pitches[2], ann)
        make_scorecard(pitches[2], bob, ALL_FOURS, event)
        db.session.add(
            TeamMember(
                team_id=pitches[0].team_id,
                user_id=cal.id,
                name="Cal",
                background=Background.DEVELOPER,
            )
        )
        db.session.flush()

        progress = services.progress_by_judge(event)

        assert [(j.name, done, total) for j, done, total in progress] == [
            ("Bob", 1, 3),
            ("Ann", 2, 2),
            ("Cal", 0, 2),
        ]


# --- compute_results: a small example worked by hand ---------------------------------
#
# Preset B weights 15/20/15/20/15/10/5, tie-break C2 then C4.
#   X: J1 all 5 (5.00), J2 all 4 (4.00), J3 all 3 (3.00)            mean 4.00, C2 4.00
#   Y: J1 [4,5,4,3,4,4,4] (60+100+60+60+60+40+20 = 400 -> 4.00),
#      J2 all 4 (4.00), J3 all 1 but J3 declared a conflict        mean 4.00, C2 4.50
#      -> Y ranks above X on the C2 tie-break.
#   Z: J1 all 2, J2 all 3, J3 all 3                                 mean 8/3 = 2.67
#   W: J3 is a team member (automatic conflict); J1's card is incomplete -> unranked.


@pytest.fixture
def worked(app):
    with app.app_context():
        event = make_event(phase=P.MODERATION)
        j1 = make_judge(event, make_user(name="Judith"), chair=True)
        j2 = make_judge(event, make_user(name="Gareth"))
        j3 = make_judge(event, make_user(name="Priya"))
        x = make_team(event, name="Xylo", submitted=True).pitch
        y = make_team(event, name="Yarrow", submitted=True).pitch
        z = make_team(event, name="Zinnia", submitted=True).pitch
        w = make_team(event, name="Willow", submitted=True).pitch
        for judge, value in ((j1, 5), (j2, 4), (j3, 3)):
            make_scorecard(x, judge, [value] * 7, event)
        make_scorecard(y, j1, [4, 5, 4, 3, 4, 4, 4], event)
        make_scorecard(y, j2, ALL_FOURS, event)
        make_scorecard(y, j3, [1] * 7, event)
        declare_conflict(y, j3, "Former colleague")
        for judge, value in ((j1, 2), (j2, 3), (j3, 3)):
            make_scorecard(z, judge, [value] * 7, event)
        make_scorecard(w, j1, [4] * 6, event)  # incomplete: never counted
        db.session.add(
            TeamMember(
                team_id=w.team_id,
                user_id=j3.id,
                name="Priya",
                background=Background.CLINICIAN,
            )
        )
        names = {
            "slug": event.slug,
            "judges": {"j1": j1.id, "j2": j2.id, "j3": j3.id},
        }
        db.session.commit()
    return names


def _results(slug: str) -> services.Results:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    return services.compute_results(event)


def test_compute_results_ranks_means_and_tie_break(app, worked):
    with app.app_context():
        results = _results(worked["slug"])

        table = [
            (
                r.team.name,
                r.rank,
                r.result.mean,
                r.result.median,
                r.result.lowest,
                r.result.highest,
                r.result.judges_counted,
            )
            for r in results.rows
        ]
        d = Decimal
        assert table == [
            ("Yarrow", 1, d("4.00"), d("4.00"), d("4.00"), d("4.00"), 2),
            ("Xylo", 2, d("4.00"), d("4.00"), d("3.00"), d("5.00"), 3),
            ("Zinnia", 3, d("2.67"), d("3.00"), d("2.00"), d("3.00"), 3),
            ("Willow", None, None, None, None, None, 0),
        ]
        assert [r.ranked.note for r in results.rows] == [
            "Equal mean; placed by the tie-break: higher mean C2 Benefit to "
            "patients/residents, carers & staff (4.50 against 4.00)",
            "Equal mean; placed by the tie-break: lower mean C2 Benefit to "
            "patients/residents, carers & staff (4.00 against 4.50)",
            "",
            "No complete scorecards",
        ]
        assert results.has_unresolved_ties is False
        assert results.scorecards_counted == 8


def test_compute_results_criterion_means_and_spread(app, worked):
    with app.app_context():
        results = _results(worked["slug"])

        yarrow = results.rows[0].result
        assert [(cm.code, cm.mean) for cm in yarrow.criterion_means] == [
            ("C1", Decimal("4.00")),
            ("C2", Decimal("4.50")),
            ("C3", Decimal("4.00")),
            ("C4", Decimal("3.50")),
            ("C5", Decimal("4.00")),
            ("C6", Decimal("4.00")),
            ("C7", Decimal("4.00")),
        ]
        xylo = results.rows[1].result
        assert (xylo.stdev, xylo.spread) == (Decimal("0.82"), Decimal("2.00"))


def test_compute_results_excludes_conflicted_judges_and_notes_them(app, worked):
    with app.app_context():
        results = _results(worked["slug"])
        j = worked["judges"]

        by_name = {r.team.name: r.result for r in results.rows}
        assert by_name["Yarrow"].conflicted_judges == (j["j3"],)
        assert [jid for jid, _ in by_name["Yarrow"].judge_scores] == [j["j1"], j["j2"]]
        assert by_name["Willow"].conflicted_judges == (j["j3"],)
        notes = [
            (c.pitch.team.name, c.judge.display_name, c.reason, c.automatic)
            for c in results.conflicts
        ]
        assert notes == [
            ("Yarrow", "Priya", "Former colleague", False),
            ("Willow", "Priya", "Member of the team", True),
        ]
        assert [m.user.display_name for m in results.judges] == [
            "Judith",
            "Gareth",
            "Priya",
        ]
        assert [c.code for c in results.tie_break] == ["C2", "C4"]


def test_compute_results_full_tie_shares_rank_for_the_chair(app):
    with app.app_context():
        event = make_event(phase=P.MODERATION)
        judge = make_judge(event)
        a = make_team(event, name="Alder", submitted=True).pitch
        b = make_team(event, name="Birch", submitted=True).pitch
        c = make_team(event, name="Cedar", submitted=True).pitch
        make_scorecard(a, judge, ALL_FOURS, event)
        make_scorecard(b, judge, ALL_FOURS, event)
        make_scorecard(c, judge, [5] * 7, event)

        results = services.compute_results(event)

        assert [(r.team.name, r.rank, r.ranked.tied) for r in results.rows] == [
            ("Cedar", 1, False),
            ("Alder", 2, True),
            ("Birch", 2, True),
        ]
        assert [r.ranked.note for r in results.rows][1:] == [
            "Tied: the chair decides",
            "Tied: the chair decides",
        ]
        assert results.has_unresolved_ties is True


def test_compute_results_leaves_out_other_events_and_drafts(app, worked):
    with app.app_context():
        other = make_event(phase=P.JUDGING)
        judge = make_judge(other)
        make_scorecard(make_team(other, submitted=True).pitch, judge, [5] * 7, other)
        make_team(db.session.scalar(select(Event).where(Event.slug == worked["slug"])))

        results = _results(worked["slug"])

        assert [r.team.name for r in results.rows] == [
            "Yarrow",
            "Xylo",
            "Zinnia",
            "Willow",
        ]


# --- the n+1 guard ---------------------------------------------------------------------


def _build_event(slug: str, n_pitches: int, n_judges: int) -> None:
    event = make_event(slug=slug, phase=P.MODERATION)
    judges = [make_judge(event, chair=(n == 0)) for n in range(n_judges)]
    for n in range(n_pitches):
        pitch = make_team(
            event,
            submitted=True,
            members=[(f"Member {n}", Background.DEVELOPER)],
        ).pitch
        pitch.running_order = n + 1
        for j, judge in enumerate(judges):
            if n == 0 and j == n_judges - 1:
                declare_conflict(pitch, judge)
                continue
            make_scorecard(pitch, judge, [1 + (n + j) % 5] * 7, event)
    db.session.commit()


def _queries_for_results(app, slug: str) -> int:
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        with count_queries() as statements:
            results = services.compute_results(event)
            # Touch what the templates read, so lazy loads are counted too.
            for (
                row
            ) in results.rows:  # (members are not loaded: nothing here reads them)
                _ = (row.team.name, row.team.ref, row.pitch.team.name)
            for note in results.conflicts:
                _ = (note.judge.display_name, note.pitch.team.name)
            for member in results.judges:
                _ = member.user.display_name
        return len(statements)


def test_compute_results_query_count_does_not_grow_with_the_event(app):
    with app.app_context():
        _build_event("small", n_pitches=2, n_judges=1)
        _build_event("large", n_pitches=8, n_judges=4)

    small = _queries_for_results(app, "small")
    large = _queries_for_results(app, "large")

    assert small == large


def test_progress_by_judge_query_count_does_not_grow_with_the_event(app):
    with app.app_context():
        _build_event("small", n_pitches=2, n_judges=1)
        _build_event("large", n_pitches=8, n_judges=4)

    def queries(slug):
        with app.app_context():
            event = db.session.scalar(select(Event).where(Event.slug == slug))
            with count_queries() as statements:
                for judge, _, _ in services.progress_by_judge(event):
                    _ = judge.name
            return len(statements)

    assert queries("small") == queries("large")


def test_results_page_query_count_does_not_grow_with_the_event(app, client, auth):
    with app.app_context():
        organiser = make_user(is_organiser=True)
        _build_event("small", n_pitches=2, n_judges=1)
        _build_event("large", n_pitches=8, n_judges=4)
        for slug in ("small", "large"):
            event = db.session.scalar(select(Event).where(Event.slug == slug))
            add_organiser(event, organiser)
        db.session.commit()
        email = organiser.email
    auth.login(email)

    def queries(slug):
        with app.app_context(), count_queries() as statements:
            response = client.get(f"/events/{slug}/results")
        assert response.status_code == 200
        return len(statements)

    assert queries("small") == queries("large")


# --- publication -----------------------------------------------------------------------


def test_publish_results_from_moderation_publishes_and_audits(app):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser, phase=P.MODERATION)
        event.moderation_locked_at = utcnow()  # the chair's lock (domain 4.4 rule 10)
        event.signed_off_at = utcnow()  # and sign-off (tests/judging/test_funding.py)

        services.publish_results(organiser, event)
        db.session.flush()

        assert event.phase == P.PUBLISHED
        assert event.published_at is not None
        assert list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.event_id == event.id)
                .order_by(AuditEntry.id)
            )
        ) == ["event.created", "event.phase_changed", "results.published"]


@pytest.mark.parametrize(
    "phase", [p for p in EventPhase if p != P.MODERATION], ids=lambda p: p.value
)
def test_publish_results_outside_moderation_refused(app, phase):
    with app.app_context():
        organiser = make_user()
        event = make_event(organiser, phase=phase)

        with pytest.raises(EventError, match="cannot go from"):
            services.publish_results(organiser, event)

        assert (event.phase, event.published_at) == (phase, None)
        assert count(AuditEntry) == 1
