"""Categories and a special prize at tablet sizes: the organiser sets them up, the chair
records the panel's winner, and the results page shows both. Axe-clean."""

from datetime import date

import pytest
from playwright.sync_api import expect

from demo import data
from demo import services as demo
from events.models import EventPhase
from tests.browser.conftest import TABLETS

pytestmark = pytest.mark.browser

PASSWORD = "amber-birch-cedar-delta"
SLUG = data.EVENT["slug"]
CHAIR = next(name for _, name, _, chair in data.JUDGES if chair)


def _sign_out(browse) -> None:
    browse.page.get_by_role("button", name="Sign out").click()
    expect(browse.page.get_by_role("link", name="Sign in")).to_be_visible()
    browse.page.wait_for_load_state("networkidle")  # no request aborted by leaving
    browse.check()


@TABLETS
def test_categories_and_a_special_prize(browse, arrange, page):
    arrange(lambda: demo.load_demo(date.today(), PASSWORD, phase=EventPhase.MODERATION))

    browse.sign_in(demo.email_for(data.ORGANISERS[0][0]), PASSWORD)
    browse.goto(f"/events/{SLUG}/prizes")
    page.get_by_role("radio", name="By kind of idea").check()
    page.get_by_role("button", name="Save the categories").click()
    browse.check()
    page.get_by_label("Name of the prize").fill("Best patient co-production")
    page.get_by_role("button", name="Add the prize").click()
    browse.check()
    expect(
        page.get_by_role("heading", name="Best patient co-production")
    ).to_be_visible()

    _sign_out(browse)
    browse.sign_in(demo.email_for(CHAIR), PASSWORD)
    browse.goto(f"/events/{SLUG}/prizes")
    page.get_by_role("button", name="Record the panel's decision").click()
    browse.check()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Choose the winning pitch"
    )
    page.get_by_role("radio", name="T11 My Last Chapter").check()
    page.get_by_label("Why the panel chose it").fill("Residents wrote half of it.")
    page.get_by_role("button", name="Record the panel's decision").click()
    browse.check()
    expect(page.locator("#prize-1, .nhsuk-card").first).to_contain_text(
        "Won by T11 My Last Chapter"
    )

    _sign_out(browse)
    browse.sign_in(demo.email_for(data.ORGANISERS[0][0]), PASSWORD)
    browse.goto(f"/events/{SLUG}/results")
    expect(page.get_by_role("heading", name="Special prizes")).to_be_visible()
    expect(page.get_by_role("heading", name="Rankings by category")).to_be_visible()
