"""Rankings within categories, beside the overall ranking (issue 4).

Rules
-----
1. The organiser chooses how pitches are grouped (events.models.CategoryBy): by the kind
   of idea the team declared on its pitch, or by the care setting of the problem
   statement it answers. A pitch without a kind is listed under "Not stated".
2. Within a category pitches keep their order in the overall ranking (the declared
   method, the tie-break chain and any draw at the funding line), and are numbered
   1, 2, 3 ... within it. Pitches tied overall stay tied and share a place; unranked
   pitches are listed last without a place.
3. Categories are listed in the order of their enum (the order of the form), empty
   ones left out. Funding follows the overall ranking: a category ranking is for
   awards and reporting.
"""

from dataclasses import dataclass

from sqlalchemy import select

from events.models import CategoryBy
from extensions import db
from judging.services import ResultRow, Results
from pitches.models import PitchType, ProblemStatement, Setting

NOT_STATED = "Not stated"


@dataclass(frozen=True)
class CategoryRow:
    place: int | None
    row: ResultRow


@dataclass(frozen=True)
class Category:
    name: str
    rows: tuple[CategoryRow, ...]


def _key(row: ResultRow, by: CategoryBy) -> str:
    if by == CategoryBy.PITCH_TYPE:
        kind = row.pitch.pitch_type
        return kind.label if kind is not None else NOT_STATED
    problem = row.team.problem
    return problem.setting.label if problem is not None else NOT_STATED


def _order(by: CategoryBy) -> list[str]:
    members = PitchType if by == CategoryBy.PITCH_TYPE else Setting
    return [m.label for m in members] + [NOT_STATED]


def by_category(results: Results) -> list[Category]:
    """The category rankings of computed results (rules 1-3); [] without categories."""
    by = results.event.category_by
    if by == CategoryBy.NONE:
        return []
    loaded = []  # held so the session keeps them (its identity map holds weak references)
    if by == CategoryBy.SETTING:
        # One query for every team's problem; each team then finds its own in the
        # session instead of loading it alone.
        ids = {row.team.problem_id for row in results.rows if row.team.problem_id}
        if ids:
            loaded = db.session.scalars(
                select(ProblemStatement).where(ProblemStatement.id.in_(ids))
            ).all()
    groups: dict[str, list[ResultRow]] = {}
    for row in results.rows:
        groups.setdefault(_key(row, by), []).append(row)
    out = []
    for name in _order(by):
        rows = groups.get(name)
        if not rows:
            continue
        placed: list[CategoryRow] = []
        for index, row in enumerate(rows):
            previous = rows[index - 1] if index else None
            if row.rank is None:
                place = None
            elif previous is not None and previous.rank == row.rank:
                place = placed[-1].place  # tied overall: tied here too
            else:
                place = index + 1
            placed.append(CategoryRow(place, row))
        out.append(Category(name, tuple(placed)))
    del loaded
    return out
