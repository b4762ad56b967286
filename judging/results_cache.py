"""The results page's heavy parts, worked out once per change to the event's data.

Ranking 200 pitches with every method, check and report takes a tenth of a second and
renders 300 kB of HTML, and counting every judge's progress takes milliseconds more;
organisers reload the page all through judging, moderation and funding, and it would be
that slow every time. The parts of the page that are a function of the data alone (the
body, judging/_results_body.html, with no forms or per-request values; the progress
figures, as plain values) are kept per event, in each worker process, with a
*fingerprint* of everything they were drawn from:

- the newest audit entry anywhere. Every change that moves a result is audited (R-36:
  scores, voided judges, conflicts, assignment, phase, method, moderation, funding,
  prizes, votes opened and closed, pitches, teams, the rubric), so any of them changes
  it;
- the event's ballot count (ballots are anonymous and not audited);
- the event's own state (phase, locks, approvals, method, draw seed, categories), and
  when it was created, so a database rebuilt under a running server (the demo's reset)
  never meets an old entry.

The fingerprint is read before the data, so a stored part can only be newer than its
fingerprint, never older: at worst it is drawn again on the next view. The parts are
kept per application (one per worker process; each test's app has its own): nothing is
shared between processes or servers, and each draws its own copy on first view.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from auth.models import AuditEntry
from events.models import Event
from extensions import db
from judging.vote_models import Ballot

MAX_EVENTS = 32  # entries per worker; the least recently viewed goes first


class _Pages:
    def __init__(self):
        # event id: (fingerprint, {part name: value})
        self.entries: OrderedDict[int, tuple[tuple, dict[str, Any]]] = OrderedDict()
        self.lock = threading.Lock()


def _pages() -> _Pages:
    return current_app.extensions.setdefault("results_pages", _Pages())


def fingerprint(event: Event) -> tuple:
    """What the results of the event were drawn from (see the module docstring)."""
    newest_audit, ballots = db.session.execute(
        select(
            select(func.max(AuditEntry.id)).scalar_subquery(),
            select(func.count(Ballot.id))
            .where(Ballot.event_id == event.id)
            .scalar_subquery(),
        )
    ).one()
    return (
        event.id,
        event.created_at,
        newest_audit,
        ballots,
        event.phase,
        event.results_method,
        event.funding_tie_draw,
        event.funding_tie_seed,
        event.category_by,
        event.pot_pounds,
        event.moderation_locked_at,
        event.allocation_approved_at,
        event.signed_off_at,
        event.published_at,
    )


def cached(event: Event, **makers: Callable[[], Any]) -> dict[str, Any]:
    """Return {name: value} for each named part of the event's results: the stored
    value if nothing changed since it was made, else ``maker()``'s, which is stored.

    A value must not be personal (no CSRF token, nothing of the viewer's) and must not
    hold database objects: it outlives the request and is shown to every organiser.
    """
    key = fingerprint(event)
    pages = _pages()
    with pages.lock:
        stored = pages.entries.get(event.id)
        values = dict(stored[1]) if stored is not None and stored[0] == key else {}
    made = {name: make() for name, make in makers.items() if name not in values}
    values |= made
    with pages.lock:
        pages.entries[event.id] = (key, values)
        pages.entries.move_to_end(event.id)
        while len(pages.entries) > MAX_EVENTS:
            pages.entries.popitem(last=False)
    return {name: values[name] for name in makers}
