"""Funding allocation, approval, sign-off, publication and a team's feedback, clicked
through at tablet sizes with the demo event: axe-clean, screenshots to look at."""

from datetime import date

import pytest
from playwright.sync_api import expect

from demo import data
from demo import services as demo
from events.models import EventPhase
from extensions import db, utcnow
from judging.funding_models import FundingDecision
from tests.browser.conftest import TABLETS

pytestmark = pytest.mark.browser

PASSWORD = "amber-birch-cedar-delta"
SLUG = data.EVENT["slug"]


def _locked_demo_with_eleven_decisions():
    """The demo in moderation, locked, with domain 12.7's decisions for every team but
    T09 (the part award the test makes through the form)."""
    result = demo.load_demo(date.today(), PASSWORD, phase=EventPhase.PUBLISHED)
    event = result.event
    event.phase = EventPhase.MODERATION
    event.published_at = None
    event.allocation_approved_at = event.allocation_approved_by_id = None
    event.signed_off_at = event.signed_off_by_id = None
    event.moderation_locked_at = utcnow()
    t09 = next(t for t in demo_teams(event) if t.ref == "T09")
    db.session.delete(
        db.session.query(FundingDecision).filter_by(pitch_id=t09.pitch.id).one()
    )
    return t09.pitch.id, t09.id


def demo_teams(event):
    from pitches.models import Team

    return db.session.query(Team).filter_by(event_id=event.id).all()


@TABLETS
def test_allocate_approve_sign_off_publish_and_read_feedback(browse, arrange, page):
    pitch_id, team_id = arrange(_locked_demo_with_eleven_decisions)

    # The organiser walks down the list: T09 is still to decide, £2,500 is left.
    browse.sign_in(demo.email_for(data.ORGANISERS[0][0]), PASSWORD)
    browse.goto(f"/events/{SLUG}/funding")
    expect(page.locator(".app-pot")).to_contain_text("£2,500")
    expect(page.get_by_role("row", name="T09 First Shift")).to_contain_text(
        "Not decided"
    )
    page.get_by_role("link", name="Decide the funding for First Shift").click()
    browse.check()

    # Fund in full is refused: it would overspend the pot. The input is kept.
    page.get_by_role("radio", name="Fund in full").check()
    page.get_by_label("Amount to award, in whole pounds").fill("2750")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("£250 more than")
    browse.check()

    page.get_by_role("radio", name="Fund in part").check()
    page.get_by_label("Amount to award, in whole pounds").fill("2500")
    page.get_by_label("Reduced scope or match funding (fund in part)").fill(
        "£250 of the £2,750 comes as match funding from the Brookside training budget."
    )
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".app-flash")).to_contain_text("fund in part saved")
    expect(page.locator(".app-pot")).to_contain_text("£25,000")
    browse.check()
    page.context.clear_cookies()

    # The funder approves.
    browse.sign_in(demo.email_for(data.FUNDER[0]), PASSWORD)
    browse.goto(f"/events/{SLUG}/funding")
    page.get_by_role("button", name="Approve the allocation").click()
    expect(page.get_by_text("approved this allocation for the funder")).to_be_visible()
    browse.check()
    page.context.clear_cookies()

    # The chair signs off.
    browse.sign_in(demo.email_for(data.JUDGES[0][1]), PASSWORD)
    browse.goto(f"/events/{SLUG}/moderation")
    page.get_by_role("button", name="Sign off the results").click()
    expect(page.get_by_text("The chair signed the results off")).to_be_visible()
    browse.check()
    page.context.clear_cookies()

    # The organiser publishes.
    browse.sign_in(demo.email_for(data.ORGANISERS[0][0]), PASSWORD)
    browse.goto(f"/events/{SLUG}/results")
    page.get_by_role("button", name="Publish results").click()
    expect(page.get_by_text("7 teams share £25,000 of the £25,000 pot")).to_be_visible()
    browse.check()
    page.context.clear_cookies()

    # The First Shift lead reads the team's feedback.
    browse.sign_in("angela.moss@example.org", PASSWORD)
    browse.goto(f"/events/{SLUG}/teams/{team_id}")
    page.get_by_role("link", name="Read your feedback and funding decision").click()
    expect(
        page.get_by_text("Fund in part: £2,500 of the £2,750 asked for")
    ).to_be_visible()
    expect(page.get_by_text("Ranked 7 of 12")).to_be_visible()
    browse.check()
