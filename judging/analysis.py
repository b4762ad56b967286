"""Beside the ranking: the other methods, whether the result is robust, and each judge
against the panel (issue 4, items 1 and 2), in words an organiser can read out.

The arithmetic is the pure judging.methods; this module names the teams and judges, and
works from what judging.services.compute_results already loaded (no further query).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace

from events.models import Event
from judging import methods
from judging.methods import Agreement, JudgeReport, Method, MethodRow
from judging.services import Results, collector_paused


def declared_method(event: Event) -> Method:
    """The method the ranking uses, as the organiser declared it with the rubric."""
    return event.results_method


@dataclass(frozen=True)
class JudgeLine:
    name: str
    report: JudgeReport


@dataclass(frozen=True)
class Analysis:
    declared: Method
    methods: tuple[Method, ...]
    # pitch id -> method -> that method's row (rank and score) for the pitch
    by_pitch: dict[int, dict[Method, MethodRow]]
    findings: tuple[str, ...]  # each way the result would change, in plain words
    judges: tuple[JudgeLine, ...]
    agreement: Agreement

    @property
    def robust(self) -> bool:
        return not self.findings


@collector_paused()
def analyse(results: Results) -> Analysis:
    """Compute the other methods, the robustness checks and the judge report."""
    event = results.event
    declared = declared_method(event)
    pitch_ids = [row.pitch.id for row in results.rows]
    names = {row.pitch.id: f"{row.team.ref} {row.team.name}" for row in results.rows}
    judge_names = {m.user_id: m.user.display_name for m in results.judges}
    order = {pitch_id: n for n, pitch_id in enumerate(pitch_ids)}
    rubric, cards, excluded = results.rubric, list(results.cards), results.excluded
    all_methods = (declared, *[m for m in Method if m != declared])
    by_pitch: dict[int, dict[Method, MethodRow]] = {p: {} for p in pitch_ids}
    # Each card's weighted score, worked out once for every method and check below.
    scores = results.table
    if scores is None:  # Results made by hand (tests): the table from its cards
        scores = methods.ScoreTable.counted(cards, rubric, excluded) if rubric else {}
    if rubric is not None:
        for method in all_methods:
            for row in methods.rank_by(
                pitch_ids, cards, rubric, method, excluded, scores=scores
            ):
                by_pitch[row.pitch_id][method] = row
    if results.draw is not None:
        # The declared method's column shows the ranking itself, where the draw at the
        # funding line (scoring rule 8) placed the tied pitches one after another.
        for row in results.rows:
            cell = by_pitch[row.pitch.id].get(declared)
            if cell is not None:
                by_pitch[row.pitch.id][declared] = replace(
                    cell, rank=row.rank, tied=row.ranked.tied
                )
    asks = {row.pitch.id: row.pitch.funding_requested or 0 for row in results.rows}
    findings: list[str] = []
    if rubric is not None and cards:
        base, checks = methods.robustness(
            pitch_ids,
            cards,
            rubric,
            declared,
            asks,
            event.pot_pounds or 0,
            excluded,
            scores=scores,
        )

        def teams(pitches: Iterable[int]) -> str:
            listed = [names[p] for p in sorted(pitches, key=order.get)]
            return _words(listed) or "none"

        for check in checks:
            if not check.changes_anything:
                continue
            if check.kind == "without_judge":
                who = f"Without {judge_names.get(check.judge_id, 'one judge')}'s scores"
            else:
                who = f"By the {check.method.label[0].lower()}{check.method.label[1:]}"
            findings.append(f"{who}, {_changes(check, base, teams)}.")
    return Analysis(
        declared=declared,
        methods=all_methods,
        by_pitch=by_pitch,
        findings=tuple(findings),
        judges=tuple(
            JudgeLine(judge_names.get(r.judge_id, f"Judge {r.judge_id}"), r)
            for r in methods.judge_reports(scores)
        ),
        agreement=methods.agreement(scores),
    )


def _changes(check: methods.Finding, base: methods.Outcome, teams) -> str:
    parts = []
    if check.winner_changes:
        parts.append(
            f"the winner would be {teams(check.outcome.winners)} instead of "
            f"{teams(base.winners)}"
        )
    if check.top_three_changes:
        joined = check.outcome.top_three - base.top_three
        left = base.top_three - check.outcome.top_three
        parts.append(
            f"the top three would change ({teams(joined)} in, {teams(left)} out)"
        )
    if check.funded_changes:
        joined = check.outcome.funded - base.funded
        left = base.funded - check.outcome.funded
        parts.append(
            f"the funded set would change ({teams(joined)} funded, {teams(left)} not)"
        )
    return "; ".join(parts)


def _words(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
