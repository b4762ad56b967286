"""Smoke test on a phone: the home page and a judge's scorecard fit a 390px screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_judge import TAPS, arrange_judging, tap_scores

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [PHONE], ids=["390x844"])
def test_phone_home_and_scorecard(browse, arrange):
    slug, email, _, pitch_id = arrange(arrange_judging)
    page = browse.page

    browse.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pitchpanel")
    expect(page.get_by_role("link", name="Test event judging-day")).to_be_visible()

    browse.sign_in(email)
    browse.goto(f"/events/{slug}/judge/pitches/{pitch_id}")
    expect(page.locator(".app-progress")).to_have_text("0 of 3 scored")
    tap_scores(page, TAPS)
    expect(page.get_by_role("button", name="Save scores")).to_be_in_viewport()
    browse.check()
    page.get_by_label("Feedback for the team").fill("Good.")
    page.get_by_role("button", name="Save scores").click()
    expect(page.locator(".app-saved")).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"))
    browse.check()
