"""Special prizes beside the ranking, such as "Best patient co-production" (issue 4).

Rules
-----
1. Organisers name the event's special prizes (with what each rewards) any time before
   the results are published, and may remove one nobody has won yet.
2. The panel decides each prize; its chair records the winning pitch and the panel's
   reason, once judging has closed (moderation) and until the results are published.
   Any submitted pitch may win, whatever its rank. A decision may be changed until
   publication; each one is audited with the old and new winner.
3. Nobody but organisers and the chair sees a decision before publication (R-05); the
   event page, the result sheet and the winning team's feedback show it afterwards.
"""

from sqlalchemy import select

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Event, EventPhase
from extensions import db, utcnow
from judging.prize_models import SpecialPrize
from pitches import services as pitch_services


class PrizeError(Exception):
    """A user-facing reason why a prize action was refused."""


def list_prizes(event: Event) -> list[SpecialPrize]:
    return list(
        db.session.scalars(
            select(SpecialPrize)
            .where(SpecialPrize.event_id == event.id)
            .order_by(SpecialPrize.id)
        )
    )


def _require_unpublished(event: Event) -> None:
    if event.phase == EventPhase.PUBLISHED:
        raise PrizeError("The results are published: special prizes are final")


def _prize(event: Event, prize_id: int) -> SpecialPrize:
    prize = db.session.get(SpecialPrize, prize_id)
    if prize is None or prize.event_id != event.id:
        raise PrizeError("There is no such prize in this event")
    return prize


def add_prize(user: User, event: Event, name: str, description: str) -> SpecialPrize:
    """Name a special prize (rule 1).

    :raises PrizeError: after publication, or if the event has a prize of that name.
    """
    event = event_services.lock_event(event)
    _require_unpublished(event)
    name = name.strip()
    if any(p.name.casefold() == name.casefold() for p in list_prizes(event)):
        raise PrizeError(f"There is already a prize called '{name}'")
    prize = SpecialPrize(
        event_id=event.id,
        name=name,
        description=description.strip(),
        created_by_id=user.id,
    )
    db.session.add(prize)
    db.session.flush()
    audit.record(
        "prize.created", actor=user, event_id=event.id, target=prize, name=name
    )
    return prize


def remove_prize(user: User, event: Event, prize_id: int) -> None:
    """Remove a prize nobody has won yet (rule 1).

    :raises PrizeError: after publication, or if the panel has decided it.
    """
    event = event_services.lock_event(event)
    _require_unpublished(event)
    prize = _prize(event, prize_id)
    if prize.pitch_id is not None:
        raise PrizeError("The panel has decided this prize: it cannot be removed")
    audit.record(
        "prize.removed", actor=user, event_id=event.id, target=prize, name=prize.name
    )
    db.session.delete(prize)


def decide(
    user: User, event: Event, prize_id: int, pitch_id: int, citation: str
) -> SpecialPrize:
    """Record the panel's winner of a prize and its reason (rule 2). The caller has
    checked that the user chairs the panel.

    :raises PrizeError: outside moderation, for a pitch that is not a submitted pitch of
        the event, or without a reason.
    """
    event = event_services.lock_event(event)
    _require_unpublished(event)
    if event.phase != EventPhase.MODERATION:
        raise PrizeError("The panel decides special prizes once judging has closed")
    prize = _prize(event, prize_id)
    pitches = {p.id: p for p in pitch_services.list_submitted_pitches(event)}
    if pitch_id not in pitches:
        raise PrizeError("Choose one of the event's pitches")
    citation = citation.strip()
    if not citation:
        raise PrizeError("Say why the panel chose this pitch")
    old = {"pitch_id": prize.pitch_id, "citation": prize.citation}
    if (prize.pitch_id, prize.citation) == (pitch_id, citation):
        return prize
    prize.pitch_id, prize.citation = pitch_id, citation
    prize.decided_by_id, prize.decided_at = user.id, utcnow()
    audit.record(
        "prize.decided",
        actor=user,
        event_id=event.id,
        target=prize,
        name=prize.name,
        old=old,
        new={"pitch_id": pitch_id, "citation": citation},
    )
    return prize


def awarded(event: Event) -> list[SpecialPrize]:
    """The prizes the panel has decided, in the order they were named."""
    return [p for p in list_prizes(event) if p.pitch_id is not None]
