"""People's Choice at tablet sizes: the organiser's page and projector screen, a voter
choosing three pitches (and being refused with two), and the published result on the
event page. Axe-clean, screenshots to look at."""

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from demo import data
from demo import services as demo
from events.models import EventPhase
from extensions import db
from judging.vote_models import Ballot
from tests.browser.conftest import TABLETS

pytestmark = pytest.mark.browser

PASSWORD = "amber-birch-cedar-delta"
SLUG = data.EVENT["slug"]


@TABLETS
def test_the_audience_votes_and_the_organiser_watches(browse, arrange, page):
    # The judging rehearsal: the vote is open (three picks) and empty.
    arrange(lambda: demo.load_demo(date.today(), PASSWORD, phase=EventPhase.JUDGING))

    # A voter scans the QR code: a ballot of the twelve pitches, three to choose.
    browse.goto(f"/events/{SLUG}")
    page.get_by_role("link", name="Vote for your favourite pitches").click()
    browse.check()
    expect(
        page.get_by_role("group", name="Choose your 3 favourite pitches")
    ).to_be_visible()
    expect(page.get_by_role("checkbox")).to_have_count(12)

    # Two are not enough: refused, with the two still ticked.
    page.get_by_role("checkbox", name="Tea & Talk").check()
    page.get_by_role("checkbox", name="Soft Signs").check()
    page.get_by_role("button", name="Send my vote").click()
    browse.check()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Choose 3 different pitches: you chose 2"
    )
    expect(page.get_by_role("checkbox", name="Tea & Talk")).to_be_checked()

    page.get_by_role("checkbox", name="FallSafe Nights").check()
    page.get_by_role("button", name="Send my vote").click()
    expect(page.get_by_role("heading", name="Thank you for voting")).to_be_visible()
    browse.check()
    # Coming back on the same device: thanked again, no second ballot.
    browse.goto(f"/events/{SLUG}/vote")
    expect(page.get_by_role("heading", name="Thank you for voting")).to_be_visible()
    assert arrange(lambda: db.session.scalar(select(func.count(Ballot.id)))) == 1

    # The projector shows the QR code and the count, no votes.
    browse.goto(f"/events/{SLUG}/peoples-choice/screen")
    expect(page.locator(".app-qr svg")).to_be_visible()
    expect(page.locator(".app-vote-count")).to_have_text("1 ballot")

    # The organiser sees the tally and closes the vote.
    browse.sign_in(demo.email_for(data.ORGANISERS[0][0]), PASSWORD)
    browse.goto(f"/events/{SLUG}/peoples-choice")
    expect(page.get_by_role("row", name="T07 Tea & Talk")).to_contain_text("1")
    page.get_by_role("button", name="Close voting").click()
    browse.check()
    expect(page.locator("body")).to_contain_text("Voting closed")


@TABLETS
def test_the_published_peoples_choice(browse, arrange, page):
    arrange(lambda: demo.load_demo(date.today(), PASSWORD, phase=EventPhase.PUBLISHED))
    browse.goto(f"/events/{SLUG}")
    heading = page.get_by_role("heading", name="People's Choice")
    heading.scroll_into_view_if_needed()
    expect(page.locator("body")).to_contain_text("T07 Tea & Talk wins")
    expect(page.get_by_role("row", name="T07 Tea & Talk")).to_contain_text("71")
    browse.check()
