"""An organiser creates an event through the form and opens it for problems and teams."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from events.models import Event, EventPhase, EventType
from extensions import db
from tests import factories
from tests.browser.conftest import TABLETS

pytestmark = pytest.mark.browser


@TABLETS
def test_organiser_creates_an_event_and_moves_it_on(browse, arrange, live_server):
    email = arrange(lambda: factories.make_user(is_organiser=True).email)
    page = browse.page

    browse.sign_in(email)
    # The session cookie keeps its production name and Secure flag on http://127.0.0.1.
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["__Host-session"]["secure"] and cookies["__Host-session"]["httpOnly"]

    page.get_by_role("link", name="New event").click()
    expect(page).to_have_url(re.compile(r"/events/new$"))
    browse.check()
    page.get_by_label("Event name").fill("Care Homes Hack 2027")
    page.get_by_label("Web address name").fill("care-homes-2027")
    page.get_by_label("Dragons' Den", exact=True).check()
    # Europe/London: 27 March 2027 is GMT, 28 March 2027 (after 01:00 UTC) is BST.
    page.get_by_label("Starts", exact=True).fill("2027-03-27T09:00")
    page.get_by_label("Ends", exact=True).fill("2027-03-28T17:00")
    page.get_by_label("Submission deadline").fill("2027-03-26T18:00")
    page.get_by_label("Venue").fill("Town Hall, Exeter")
    page.get_by_label("Description").fill("Care staff and developers, one weekend.")
    page.get_by_label("Seed-funding pot (£)").fill("25000")
    page.get_by_label("Most one team can receive (£)").fill("5000")
    expect(page.get_by_label(re.compile(r"Preset B: "))).to_be_checked()
    browse.check()
    page.get_by_role("button", name="Create event").click()

    expect(page).to_have_url(re.compile(r"/events/care-homes-2027/manage$"))
    expect(page.get_by_role("status")).to_contain_text("created as a draft")
    browse.check()
    page.get_by_role("button", name="Move to: Open for problems and teams").click()
    expect(page.get_by_role("status")).to_contain_text(
        "The event is now 'Open for problems and teams'"
    )
    browse.check()

    with live_server.app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "care-homes-2027"))
        assert event is not None
        assert event.name == "Care Homes Hack 2027"
        assert event.event_type == EventType.DRAGONS_DEN
        assert event.starts_at == datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
        assert event.ends_at == datetime(2027, 3, 28, 16, 0, tzinfo=UTC)
        assert event.submissions_close_at == datetime(2027, 3, 26, 18, 0, tzinfo=UTC)
        assert (event.pot_pounds, event.cap_pounds) == (25000, 5000)
        assert event.phase == EventPhase.OPEN
        assert event.rubric_preset == "B"
        assert [c.code for c in event.criteria] == [f"C{n}" for n in range(1, 8)]
        assert sum(c.weight for c in event.criteria) == 100
