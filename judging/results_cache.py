"""The results page's heavy part, rendered once per change to the event's data.

Ranking 200 pitches with every method, check and report takes a tenth of a second and
renders 300 kB of HTML; organisers reload the page all through moderation and funding,
and it would be that slow every time. The part of the page that is a function of the
data alone (judging/_results_body.html: no forms, no per-request values) is kept per
event, in each worker process, with a *fingerprint* of everything it was drawn from:

- the newest audit entry anywhere. Every change that moves a result is audited (R-36:
  scores, conflicts, assignment, phase, method, moderation, funding, prizes, votes
  opened and closed, pitches, teams, the rubric), so any of them changes it;
- the event's ballot count (ballots are anonymous and not audited);
- the event's own state (phase, locks, approvals, method, draw seed, categories), and
  when it was created, so a database rebuilt under a running server (the demo's reset)
  never meets an old entry.

The fingerprint is read before the data, so a stored page can only be newer than its
fingerprint, never older: at worst it is drawn again on the next view. The pages are
kept per application (one per worker process; each test's app has its own): nothing is
shared between processes or servers, and each draws its own copy on first view.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app
from markupsafe import Markup
from sqlalchemy import func, select

from auth.models import AuditEntry
from events.models import Event
from extensions import db
from judging.vote_models import Ballot

MAX_EVENTS = 32  # entries per worker; the least recently viewed goes first


class _Pages:
    def __init__(self):
        self.entries: OrderedDict[int, tuple[tuple, Markup]] = OrderedDict()
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


def results_body(event: Event, render: Callable[[], str]) -> Markup:
    """The event's results body: the stored one if nothing changed, else ``render()``'s,
    which is then stored."""
    key = fingerprint(event)
    pages = _pages()
    with pages.lock:
        stored = pages.entries.get(event.id)
        if stored is not None and stored[0] == key:
            pages.entries.move_to_end(event.id)
            return stored[1]
    body = Markup(render())  # noqa: S704 - an autoescaped template's output
    with pages.lock:
        pages.entries[event.id] = (key, body)
        pages.entries.move_to_end(event.id)
        while len(pages.entries) > MAX_EVENTS:
            pages.entries.popitem(last=False)
    return body
