"""Voiding a judge's scores (R-42): an organiser takes all of one judge's scorecards out
of the results, with a reason, and can restore them while scoring is still open.

An organiser voids a judge's scores when they must not count at all: the judge left
part-way, scored the wrong event's pitches, or turned out to be conflicted for the whole
event. (A conflict with one pitch is a conflict declaration, not a void.) Nothing is
deleted. The scorecards stay, the panel member records when and why, and
:func:`judging.services.compute_results` leaves them out. The result sheet, the results
page, its progress table and the score exports say so; teams never see a voided judge's
feedback.
A judge whose scores are void cannot score again until an organiser restores them.

Both actions are audited ("score.judge_voided", "score.judge_restored") and are possible
only while scores can still change: during judging, and during moderation until the
chair locks it.
"""

from flask import abort
from sqlalchemy import func, select

from auth import audit
from auth.models import User
from events import services as event_services
from events.models import Event, PanelMember
from extensions import db, utcnow
from judging import services
from judging.models import Scorecard
from pitches.models import Pitch, PitchStatus

VOIDED = "score.judge_voided"
RESTORED = "score.judge_restored"
REASON_MAX = 500


def scorecard_count(event: Event, judge_id: int) -> int:
    """How many of the judge's scorecards would count: for the event's submitted pitches,
    not the practice pitch (as the result sheet counts them)."""
    return db.session.scalar(
        select(func.count(Scorecard.id))
        .join(Pitch, Pitch.id == Scorecard.pitch_id)
        .where(
            Pitch.event_id == event.id,
            Pitch.status == PitchStatus.SUBMITTED,
            Pitch.is_practice.is_(False),
            Scorecard.judge_id == judge_id,
        )
    )


def get_member_or_404(event: Event, member_id: int) -> PanelMember:
    """The panel member, read afresh (after the event lock, it is the committed row)."""
    member = db.session.scalar(
        select(PanelMember)
        .where(PanelMember.id == member_id)
        .execution_options(populate_existing=True)
    )
    if member is None or member.event_id != event.id:
        abort(404)
    return member


def _require_open(event: Event, action: str) -> Event:
    event = event_services.lock_event(event)
    if not services.can_score(event):
        raise event_services.EventError(
            f"You can only {action} while scores can still change: during judging, "
            "and during moderation until the chair locks it"
        )
    return event


def void_scores(
    actor: User, event: Event, member_id: int, reason: str
) -> tuple[PanelMember, int]:
    """Void every score the judge gave in this event; return them and how many
    scorecards no longer count.

    :raises NotFound: if the judge is not on this event's panel.
    :raises EventError: if scores can no longer change.
    :raises JudgingError: if the reason is missing or the scores are already void.
    """
    event = _require_open(event, "void a judge's scores")
    member = get_member_or_404(event, member_id)
    reason = (reason or "").strip()
    if not reason:
        raise services.JudgingError("Say why this judge's scores are void")
    if len(reason) > REASON_MAX:
        raise services.JudgingError(
            f"Keep the reason to {REASON_MAX} characters or fewer"
        )
    if member.scores_voided:
        raise services.JudgingError(
            f"{member.user.display_name}'s scores are already void"
        )
    count = scorecard_count(event, member.user_id)
    member.scores_voided_at = utcnow()
    member.scores_voided_reason = reason
    audit.record(
        VOIDED,
        actor=actor,
        event_id=event.id,
        target=member.user,
        judge_id=member.user_id,
        reason=reason,
        scorecards=count,
    )
    db.session.flush()
    return member, count


def restore_scores(actor: User, event: Event, member_id: int) -> PanelMember:
    """Count a voided judge's scores again, and let them score again.

    :raises NotFound: if the judge is not on this event's panel.
    :raises EventError: if scores can no longer change.
    :raises JudgingError: if the judge's scores are not void.
    """
    event = _require_open(event, "restore a judge's scores")
    member = get_member_or_404(event, member_id)
    if not member.scores_voided:
        raise services.JudgingError(f"{member.user.display_name}'s scores are not void")
    audit.record(
        RESTORED,
        actor=actor,
        event_id=event.id,
        target=member.user,
        judge_id=member.user_id,
        voided_for=member.scores_voided_reason,
    )
    member.scores_voided_at = None
    member.scores_voided_reason = ""
    db.session.flush()
    return member
