"""PURE: which judges score which pitch in a "split" event (issue 3, item 1).

No Flask or SQLAlchemy here (a test enforces it): ids in, ``Draw`` out. The services in
``judging/assignment_service.py`` load the ids, call these functions and store the result.

The rules of a draw:

1. Each pitch gets exactly ``k`` judges. A pitch with fewer than ``k`` eligible judges
   (not conflicted, not over the cap) gets as many as there are, and the gap is reported
   in ``Draw.shortfall`` (pitch id -> judges missing below k).
2. No judge is given a pitch they are conflicted for (``excluded`` holds the
   (pitch id, judge id) pairs), and no judge holds more than ``cap`` pitches. If the
   judges cannot carry the work at all (the judging slots needed exceed ``cap`` x
   judges) ``draw`` raises ``AssignmentError`` before drawing.
3. Loads are balanced: each pitch goes to the least-loaded eligible judges, so without
   conflicts the busiest and the idlest judge differ by at most one pitch. Conflicts can
   force a wider gap; a balancing pass then moves pitches from the busiest to the idlest
   judges wherever a move is allowed.
4. The judges are connected: in the graph where two judges are linked when they share a
   pitch, every judge with a pitch can reach every other, so their marks can be compared
   (a harsh judge is visible against the others). A draw that is not connected is redrawn
   with derived seeds (``"<seed>:1"``, ``"<seed>:2"``, ...) up to ``ATTEMPTS`` times; if
   none is connected, the best one is repaired by swapping judges between pitches of two
   components, which keeps every pitch's count and every judge's load. With k = 1 no two
   judges share a pitch, so ``connected`` is False whenever there is more than one judge.
5. A draw is deterministic for a seed: the same ids, settings and seed give the same
   assignment on every machine (``random.Random`` seeded with a string, sorted inputs).

``redistribute`` handles a judge who drops out: their pitches go, one by one, to the
least-loaded eligible judges (never over the cap, never conflicted, never a judge already
on the pitch); between equally loaded judges it prefers one who joins two separate parts
of the graph, so the panel stays connected. Every other judge keeps exactly the pitches
they had, because they may already have scored them. Gaps are reported as in rule 1.
"""

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

ATTEMPTS = 25

Assignment = dict[int, set[int]]


class AssignmentError(ValueError):
    """The settings cannot be met (e.g. the judges cannot carry k judges per pitch)."""


@dataclass(frozen=True)
class Draw:
    """The outcome of a draw or a redistribution."""

    assignment: Mapping[int, frozenset[int]] = field(hash=False)
    seed: str
    shortfall: Mapping[int, int] = field(hash=False, default_factory=dict)
    connected: bool = True

    def pairs(self) -> set[tuple[int, int]]:
        """Return every (pitch id, judge id) pair of the assignment."""
        return {(p, j) for p, js in self.assignment.items() for j in js}


# --- reading an assignment ---------------------------------------------------------------


def judge_loads(
    assignment: Mapping[int, Iterable[int]], judges: Iterable[int]
) -> dict[int, int]:
    """Return the number of pitches of each judge (0 for a judge without any)."""
    loads = dict.fromkeys(judges, 0)
    for js in assignment.values():
        for j in js:
            loads[j] = loads.get(j, 0) + 1
    return loads


def components(
    assignment: Mapping[int, Iterable[int]], judges: Iterable[int] = ()
) -> list[frozenset[int]]:
    """Return the connected groups of judges who have at least one pitch.

    Two judges are linked when they share a pitch. Judges in ``judges`` without a pitch
    are left out: they judge nothing, so there is nothing to compare.
    """
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for js in assignment.values():
        js = sorted(js)
        for j in js:
            parent.setdefault(j, j)
        for other in js[1:]:
            a, b = find(js[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, set[int]] = {}
    for j in parent:
        groups.setdefault(find(j), set()).add(j)
    return sorted((frozenset(g) for g in groups.values()), key=min)


def is_connected(assignment: Mapping[int, Iterable[int]]) -> bool:
    """Whether every judge with a pitch shares pitches, directly or not, with every other."""
    return len(components(assignment)) <= 1


# --- drawing -----------------------------------------------------------------------------


def _check(k: int, cap: int | None) -> None:
    if k < 1:
        raise AssignmentError("Each pitch needs at least 1 judge")
    if cap is not None and cap < 1:
        raise AssignmentError("The cap per judge must be at least 1")


def _demand(
    pitches: Sequence[int], judges: Sequence[int], k: int, excluded: set
) -> dict[int, int]:
    return {
        p: min(k, sum(1 for j in judges if (p, j) not in excluded)) for p in pitches
    }


def draw(
    pitches: Iterable[int],
    judges: Iterable[int],
    k: int,
    *,
    seed: str,
    cap: int | None = None,
    excluded: Iterable[tuple[int, int]] = (),
    attempts: int = ATTEMPTS,
) -> Draw:
    """Draw k judges for every pitch by the rules in the module docstring.

    :raises AssignmentError: if k or the cap is below 1, or the judges cannot carry the
        work (judging slots needed > cap x judges).
    """
    _check(k, cap)
    pitches, judges = sorted(set(pitches)), sorted(set(judges))
    excluded = set(excluded)
    demand = _demand(pitches, judges, k, excluded)
    needed = sum(demand.values())
    if cap is not None and needed > cap * len(judges):
        raise AssignmentError(
            f"{len(judges)} judges with at most {cap} pitches each can cover "
            f"{cap * len(judges)} judging slots, but {len(pitches)} pitches with "
            f"{k} judges each need {needed}. Raise the cap, lower k or add judges"
        )
    best: tuple[int, Assignment, str] | None = None
    for n in range(max(1, attempts)):
        attempt_seed = seed if n == 0 else f"{seed}:{n}"
        assignment = _greedy(pitches, judges, demand, cap, excluded, attempt_seed)
        _balance(assignment, judges, excluded)
        parts = len(components(assignment))
        if best is None or parts < best[0]:
            best = (parts, assignment, attempt_seed)
        if parts <= 1:
            break
    _, assignment, used = best
    if len(components(assignment)) > 1:
        _repair(assignment, excluded)
    return _result(assignment, used, k)


def _result(assignment: Assignment, seed: str, k: int) -> Draw:
    shortfall = {p: k - len(js) for p, js in sorted(assignment.items()) if len(js) < k}
    return Draw(
        {p: frozenset(js) for p, js in sorted(assignment.items())},
        seed,
        shortfall,
        is_connected(assignment),
    )


def _greedy(
    pitches: list[int],
    judges: list[int],
    demand: dict[int, int],
    cap: int | None,
    excluded: set,
    seed: str,
) -> Assignment:
    rng = random.Random(seed)
    order = list(pitches)
    rng.shuffle(order)
    # The most constrained pitches first: they have the fewest judges to choose from.
    order.sort(key=lambda p: sum(1 for j in judges if (p, j) not in excluded))
    tiebreak = {j: rng.random() for j in judges}
    loads = dict.fromkeys(judges, 0)
    assignment: Assignment = {p: set() for p in pitches}
    for p in order:
        eligible = [
            j
            for j in judges
            if (p, j) not in excluded and (cap is None or loads[j] < cap)
        ]
        eligible.sort(key=lambda j: (loads[j], tiebreak[j]))
        for j in eligible[: demand[p]]:
            assignment[p].add(j)
            loads[j] += 1
        # Rotate the tie-break so equally loaded judges do not always pair up alike.
        for j in assignment[p]:
            tiebreak[j] = rng.random()
    for p in order:
        while len(assignment[p]) < demand[p]:
            if not _augment(assignment, p, judges, cap, excluded, loads):
                break
    return assignment


def _augment(
    assignment: Assignment,
    pitch: int,
    judges: list[int],
    cap: int | None,
    excluded: set,
    loads: dict[int, int],
) -> bool:
    """Give a short pitch one more judge by a chain of moves (an augmenting path).

    A full judge j1 joins the pitch and leaves another pitch q1, which takes judge j2
    instead, and so on until a judge with spare capacity is reached.
    """

    def spare(j: int) -> bool:
        return cap is None or loads[j] < cap

    start = [
        j for j in judges if (pitch, j) not in excluded and j not in assignment[pitch]
    ]
    via: dict[int, tuple[int, int] | None] = {j: None for j in start}
    queue = list(start)
    while queue:
        j = queue.pop(0)
        if spare(j):
            # Walk back: j joins the pitch it was reached through, its predecessor leaves.
            while via[j] is not None:
                prev, q = via[j]
                assignment[q].add(j)
                assignment[q].discard(prev)
                j = prev
            assignment[pitch].add(j)
            _recount(assignment, loads)
            return True
        for q in sorted(p for p, js in assignment.items() if j in js and p != pitch):
            for j2 in judges:
                if (
                    j2 not in via
                    and (q, j2) not in excluded
                    and j2 not in assignment[q]
                ):
                    via[j2] = (j, q)
                    queue.append(j2)
    return False


def _recount(assignment: Assignment, loads: dict[int, int]) -> None:
    for j in loads:
        loads[j] = 0
    for js in assignment.values():
        for j in js:
            loads[j] += 1


def _balance(assignment: Assignment, judges: list[int], excluded: set) -> None:
    """Move pitches from the busiest to the idlest judges while that narrows the gap."""
    loads = judge_loads(assignment, judges)
    for _ in range(len(assignment) * max(1, len(judges))):
        moved = False
        for hi in sorted(judges, key=lambda j: (-loads[j], j)):
            for lo in sorted(judges, key=lambda j: (loads[j], j)):
                if loads[hi] - loads[lo] <= 1:
                    break
                for p in sorted(assignment):
                    js = assignment[p]
                    if hi in js and lo not in js and (p, lo) not in excluded:
                        js.discard(hi)
                        js.add(lo)
                        loads[hi] -= 1
                        loads[lo] += 1
                        moved = True
                        break
                if moved:
                    break
            if moved:
                break
        if not moved:
            return


def _repair(assignment: Assignment, excluded: set) -> None:
    """Join the components by swapping two judges between pitches of different parts.

    Judge a leaves pitch p (in part A) for pitch q (in part B), and judge b does the
    reverse: every pitch keeps its count and every judge its load, and p now links A and
    B as long as p has another judge. Stops when connected or when no swap helps.
    """
    for _ in range(len(assignment) + 1):
        parts = components(assignment)
        if len(parts) <= 1 or not _swap_once(assignment, excluded, len(parts)):
            return


def _swap_once(assignment: Assignment, excluded: set, parts_now: int) -> bool:
    pitches = sorted(assignment)
    for p in pitches:
        for q in pitches:
            if p >= q or assignment[p] & assignment[q]:
                continue
            for a in sorted(assignment[p]):
                for b in sorted(assignment[q]):
                    if (
                        b in assignment[p]
                        or a in assignment[q]
                        or (p, b) in excluded
                        or (q, a) in excluded
                    ):
                        continue
                    assignment[p].discard(a)
                    assignment[q].discard(b)
                    assignment[p].add(b)
                    assignment[q].add(a)
                    if len(components(assignment)) < parts_now:
                        return True
                    assignment[p].discard(b)
                    assignment[q].discard(a)
                    assignment[p].add(a)
                    assignment[q].add(b)
    return False


# --- a judge drops out ---------------------------------------------------------------


def redistribute(
    assignment: Mapping[int, Iterable[int]],
    judge_out: int,
    judges: Iterable[int],
    k: int,
    *,
    cap: int | None = None,
    excluded: Iterable[tuple[int, int]] = (),
    seed: str = "",
) -> Draw:
    """Take ``judge_out`` off every pitch and hand each pitch to another judge.

    ``judges`` are the judges still available (``judge_out`` is ignored if present).
    Every other pair is kept. See the module docstring for the rules.
    """
    _check(k, cap)
    remaining = sorted(set(judges) - {judge_out})
    current: Assignment = {p: set(js) - {judge_out} for p, js in assignment.items()}
    affected = sorted(p for p, js in assignment.items() if judge_out in set(js))
    return _refill(
        current, affected, remaining, k, cap, set(excluded), seed, f"out:{judge_out}"
    )


def replace_pair(
    assignment: Mapping[int, Iterable[int]],
    pitch: int,
    judge_out: int,
    judges: Iterable[int],
    k: int,
    *,
    cap: int | None = None,
    excluded: Iterable[tuple[int, int]] = (),
    seed: str = "",
) -> Draw:
    """Take one judge off one pitch (a conflict declared after the draw) and give the
    pitch another judge by the same rules as :func:`redistribute`.

    ``judge_out`` stays available for their other pitches; the pair itself should be in
    ``excluded`` so they are never put back.
    """
    _check(k, cap)
    current: Assignment = {p: set(js) for p, js in assignment.items()}
    current.setdefault(pitch, set()).discard(judge_out)
    excluded = set(excluded) | {(pitch, judge_out)}
    return _refill(
        current,
        [pitch],
        sorted(set(judges)),
        k,
        cap,
        excluded,
        seed,
        f"conflict:{pitch}:{judge_out}",
    )


def _refill(
    current: Assignment,
    affected: list[int],
    judges: list[int],
    k: int,
    cap: int | None,
    excluded: set,
    seed: str,
    salt: str,
) -> Draw:
    """Bring each affected pitch back up to k (or as near as conflicts allow): the least
    loaded eligible judge first, preferring one who joins separate groups of judges, then
    a seeded tie-break, so the result can be reproduced."""
    rng = random.Random(f"{seed}:{salt}")
    tiebreak = {j: rng.random() for j in judges}
    loads = judge_loads(current, judges)
    demand = {
        p: min(k, sum(1 for j in judges if (p, j) not in excluded)) for p in current
    }
    added: list[tuple[int, int]] = []
    for p in affected:
        while len(current[p]) < demand[p]:
            eligible = [
                j
                for j in judges
                if j not in current[p]
                and (p, j) not in excluded
                and (cap is None or loads[j] < cap)
            ]
            if not eligible:
                break
            parts = components(current)
            here = {i for i, part in enumerate(parts) if part & current[p]}

            def joins(j: int, parts=parts, here=here) -> bool:
                where = next((i for i, part in enumerate(parts) if j in part), None)
                return bool(here) and where not in here

            eligible.sort(key=lambda j: (loads[j], not joins(j), tiebreak[j]))
            chosen = eligible[0]
            current[p].add(chosen)
            loads[chosen] += 1
            added.append((p, chosen))
    _level(current, added, judges, excluded, cap, loads, tiebreak)
    return _result(current, seed, k)


def _level(
    current: Assignment,
    added: list[tuple[int, int]],
    judges: list[int],
    excluded: set,
    cap: int | None,
    loads: dict[int, int],
    tiebreak: dict[int, float],
) -> None:
    """Even out the loads by moving pairs just added, along chains where needed.

    Handing pitches out one at a time can leave one judge two or more pitches ahead of
    another when the order of the pitches was unlucky. A chain moves one added pitch
    from the busiest judge to a second judge, one of the second judge's added pitches to
    a third, and so on until a judge with at least two pitches fewer is reached: the
    busiest judge loses one, the last gains one, nobody else changes. Only the pairs
    added by this refill move, so no judge loses a pitch they may already have scored.
    """
    while True:
        for heavy in sorted(judges, key=lambda j: (-loads[j], tiebreak[j])):
            chain = _chain(current, added, judges, excluded, cap, loads, heavy)
            if chain:
                break
        else:
            return
        for index, giver, taker in chain:
            p = added[index][0]
            current[p].discard(giver)
            current[p].add(taker)
            added[index] = (p, taker)
        loads[chain[0][1]] -= 1
        loads[chain[-1][2]] += 1


def _chain(
    current: Assignment,
    added: list[tuple[int, int]],
    judges: list[int],
    excluded: set,
    cap: int | None,
    loads: dict[int, int],
    heavy: int,
) -> list[tuple[int, int, int]] | None:
    """Find moves (added pair index, from, to) that take one pitch off ``heavy`` and
    give one to a judge at least two pitches lighter, by breadth-first search."""
    came: dict[int, tuple[int, int] | None] = {heavy: None}
    queue = [heavy]
    while queue:
        giver = queue.pop(0)
        for index, (p, j) in enumerate(added):
            if j != giver:
                continue
            for taker in judges:
                if taker in came or taker in current[p] or (p, taker) in excluded:
                    continue
                came[taker] = (index, giver)
                if loads[heavy] - loads[taker] >= 2 and (
                    cap is None or loads[taker] < cap
                ):
                    moves, at = [], taker
                    while came[at] is not None:
                        index_, from_ = came[at]
                        moves.append((index_, from_, at))
                        at = from_
                    return moves[::-1]
                queue.append(taker)
    return None
