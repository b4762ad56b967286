"""Every organiser and chair page of the demo event, at tablet sizes: axe-clean, no
overflow, no console errors, and a screenshot to look at."""

from datetime import date

import pytest

from demo import data
from demo import services as demo
from events.models import EventPhase
from tests.browser.conftest import TABLETS

pytestmark = pytest.mark.browser

PASSWORD = "amber-birch-cedar-delta"
SLUG = data.EVENT["slug"]


def arrange_demo_in_moderation():
    result = demo.load_demo(date.today(), PASSWORD, phase=EventPhase.MODERATION)
    return result.event.slug


ORGANISER_PAGES = [
    "/",
    f"/events/{SLUG}",
    f"/events/{SLUG}/manage",
    f"/events/{SLUG}/edit",
    f"/events/{SLUG}/rubric",
    f"/events/{SLUG}/panel",
    f"/events/{SLUG}/teams",
    f"/events/{SLUG}/problems",
    f"/events/{SLUG}/results",
    f"/events/{SLUG}/conflicts",
    f"/events/{SLUG}/moderation",
    f"/events/{SLUG}/audit",
    f"/events/{SLUG}/live",
    f"/events/{SLUG}/assignment",
    f"/events/{SLUG}/calibration",
    f"/events/{SLUG}/paper/import",
]


@TABLETS
def test_organiser_pages_of_the_demo_event(browse, arrange):
    arrange(arrange_demo_in_moderation)
    browse.sign_in(demo.email_for(data.ORGANISERS[0][0]), PASSWORD)
    for path in ORGANISER_PAGES:
        browse.goto(path)
    assert "Test" not in browse.page.title()


@TABLETS
def test_chair_and_judge_pages_of_the_demo_event(browse, arrange):
    arrange(arrange_demo_in_moderation)
    chair = demo.email_for(data.JUDGES[0][1])
    browse.sign_in(chair, PASSWORD)
    for path in (
        f"/events/{SLUG}/judge",
        f"/events/{SLUG}/judge/declaration",
        f"/events/{SLUG}/moderation",
        f"/events/{SLUG}/live",
        f"/events/{SLUG}/judge/pitches/1",
    ):
        browse.goto(path)
