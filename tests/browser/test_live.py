"""The chair runs a live Dragons' Den from the console; the projector screen follows."""

import re

import pytest
from playwright.sync_api import expect

from events.models import EventPhase
from tests import factories
from tests.browser.conftest import TABLETS

pytestmark = pytest.mark.browser


def arrange_den():
    event = factories.make_event(phase=EventPhase.JUDGING, slug="live-den")
    for name in ("Sip Smart", "Falls Watch", "Meds Mate"):
        factories.make_team(event, name=name, submitted=True)
    chair = factories.make_judge(
        event, factories.make_user(name="Cara Chair"), chair=True
    )
    return event.slug, chair.email


@TABLETS
def test_chair_runs_the_room_and_the_projector_follows(browse, arrange, context):
    slug, email = arrange(arrange_den)
    page = browse.page
    browse.sign_in(email)

    browse.goto(f"/events/{slug}/live")
    page.get_by_role("button", name="Draw running order").click()
    expect(page.locator(".app-live-order li")).to_have_count(3)
    page.get_by_role("button", name="Publish running order").click()
    page.get_by_role("button", name="Start pitch timer").click()
    expect(page.locator("[data-live='stage']")).to_have_text("Pitch")
    timer = page.locator("[data-live='timer']")
    expect(timer).to_have_text(re.compile(r"^[34]:[0-5]\d$"))
    first = page.locator("[data-live='current']").inner_text()
    browse.check()

    screen = context.new_page()
    screen.goto(f"{browse.page.url.split('/events/')[0]}/events/{slug}/live/screen")
    expect(screen.locator("[data-live='current']")).to_have_text(first)
    shown = screen.locator("[data-live='timer']").inner_text()
    expect(screen.locator("[data-live='timer']")).not_to_have_text(shown, timeout=3000)

    page.get_by_role("button", name="Lock scores and next team").click()
    second = page.locator("[data-live='current']").inner_text()
    assert second not in (first, "No team on stage")
    # The projector updates by itself (it polls every two seconds).
    expect(screen.locator("[data-live='current']")).to_have_text(second, timeout=5000)
    expect(screen.locator(".app-live-slot--done")).to_have_count(1, timeout=5000)
    browse.page = screen
    browse.check()
