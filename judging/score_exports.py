"""The scores for a spreadsheet or another system: by judge and by pitch, as CSV, XLSX and
JSON (issue 4, item 8). Organisers only; every text cell is made safe against formula
injection (R-27) by exports.to_csv and exports.to_xlsx.

*By judge* is one row per scorecard saved for a ranked pitch: the judge, the team, each
criterion's mark, the weighted score, the recommendation, and whether it counted (and if
not, why: the judge's scores were voided, a conflict of interest, not assigned in split
mode, or incomplete). *By pitch* is one row per pitch in ranked order: the declared
method's score and rank, the mean, median, trimmed mean and z-score, the judges counted
and the mean mark per criterion.
Private notes never leave the scorecard.
"""

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from exports import to_csv, to_xlsx
from extensions import db
from judging import scoring
from judging.analysis import Analysis
from judging.methods import Method
from judging.models import Mark, Scorecard
from judging.services import Results

KINDS = ("judge", "pitch")
FORMATS = ("csv", "xlsx", "json")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]
    keys: list[str]  # the JSON names of the columns


def by_judge(results: Results) -> Table:
    """One row per scorecard of a ranked pitch (see the module docstring)."""
    rows_by_pitch = {row.pitch.id: row for row in results.rows}
    names = {m.user_id: m.user.display_name for m in results.judges}
    criteria = list(results.criteria)
    cards = db.session.execute(
        select(
            Scorecard.id,
            Scorecard.pitch_id,
            Scorecard.judge_id,
            Scorecard.recommendation,
        )
        .where(Scorecard.pitch_id.in_(rows_by_pitch))
        .order_by(Scorecard.judge_id, Scorecard.pitch_id)
    ).all()
    marks: dict[int, dict[int, int]] = {}
    for card_id, criterion_id, value in db.session.execute(
        select(Mark.scorecard_id, Mark.criterion_id, Mark.value).where(
            Mark.scorecard_id.in_([c.id for c in cards])
        )
    ):
        marks.setdefault(card_id, {})[criterion_id] = value
    counted_pairs = {(c.pitch_id, c.judge_id) for c in results.cards}
    voided = results.voided_judge_ids
    rows = []
    for card in sorted(cards, key=lambda c: (names.get(c.judge_id, ""), c.pitch_id)):
        row = rows_by_pitch[card.pitch_id]
        given = marks.get(card.id, {})
        complete = results.rubric is not None and scoring.is_complete(
            given, results.rubric
        )
        pair = (card.pitch_id, card.judge_id)
        why = (
            "scores voided by the organisers"
            if card.judge_id in voided
            else "conflict of interest"
            if pair in results.excluded
            else "not assigned"
            if pair not in counted_pairs
            else "incomplete"
            if not complete
            else ""
        )
        weighted = (
            scoring.to_display(scoring.weighted_score(given, results.rubric))
            if complete
            else None
        )
        rows.append(
            [
                names.get(card.judge_id, f"Judge {card.judge_id}"),
                row.team.ref,
                row.team.name,
                *[given.get(c.id) for c in criteria],
                weighted,
                card.recommendation.label if card.recommendation else None,
                not why,
                why or None,
            ]
        )
    codes = [c.code for c in criteria]
    return Table(
        "Scores by judge",
        [
            "Judge",
            "Team ref",
            "Team",
            *codes,
            "Weighted score",
            "Recommendation",
            "Counted",
            "Why not counted",
        ],
        rows,
        [
            "judge",
            "team_ref",
            "team",
            *codes,
            "weighted_score",
            "recommendation",
            "counted",
            "why_not_counted",
        ],
    )


def by_pitch(results: Results, analysis: Analysis) -> Table:
    """One row per pitch in ranked order (see the module docstring)."""
    criteria = list(results.criteria)
    rows = []
    for row in results.rows:
        methods = analysis.by_pitch.get(row.pitch.id, {})

        def shown(method: Method, methods=methods):
            cell = methods.get(method)
            return cell.score.shown if cell else None

        means = {cm.criterion_id: cm.mean for cm in row.result.criterion_means}
        rows.append(
            [
                row.rank,
                row.team.ref,
                row.team.name,
                shown(analysis.declared),
                shown(Method.MEAN),
                shown(Method.MEDIAN),
                shown(Method.TRIMMED_MEAN),
                shown(Method.Z_SCORE),
                row.result.judges_counted,
                row.ranked.note or None,
                *[means.get(c.id) for c in criteria],
            ]
        )
    codes = [c.code for c in criteria]
    return Table(
        "Scores by pitch",
        [
            "Rank",
            "Team ref",
            "Team",
            f"Score ({analysis.declared.short}, declared)",
            "Mean",
            "Median",
            "Trimmed mean",
            "Z-scores",
            "Judges counted",
            "Note",
            *[f"{code} mean" for code in codes],
        ],
        rows,
        [
            "rank",
            "team_ref",
            "team",
            "score",
            "mean",
            "median",
            "trimmed_mean",
            "z_score",
            "judges_counted",
            "note",
            *[f"{code}_mean" for code in codes],
        ],
    )


def render(kind: str, fmt: str, results: Results, analysis: Analysis) -> bytes:
    """The export as bytes in the asked format."""
    table = by_judge(results) if kind == "judge" else by_pitch(results, analysis)
    if fmt == "csv":
        return to_csv(table.header, table.rows).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx([(table.title, table.header, table.rows)])
    event = results.event
    document = {
        "event": {"slug": event.slug, "name": event.name},
        "method": analysis.declared.value,
        "criteria": [
            {"code": c.code, "name": c.name, "weight": c.weight}
            for c in results.criteria
        ],
        "rows": [dict(zip(table.keys, row, strict=True)) for row in table.rows],
    }
    return json.dumps(document, indent=2, default=_json_value).encode("utf-8")


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # exactly as shown, never a binary float
    raise TypeError(f"not JSON: {type(value).__name__}")
