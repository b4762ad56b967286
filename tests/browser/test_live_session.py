"""The whole room at once: the chair runs the live Dragons' Den on one screen while two
judges score on their own tablets; one tablet loses the venue wifi mid-save and gets it
back. Nothing is lost or stored twice, and the chair's console sees both scorecards."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from events.models import EventPhase
from extensions import db
from judging.models import Mark, Scorecard, ScoreSubmission
from pitches.models import Pitch, Team
from tests import factories
from tests.browser.conftest import TABLET_LANDSCAPE, TABLET_PORTRAIT, Browse
from tests.browser.test_judge import tap_scores

pytestmark = pytest.mark.browser

TEAMS = ("Sip Smart", "Falls Watch", "Meds Mate")


def arrange_room():
    event = factories.make_event(phase=EventPhase.JUDGING, slug="room")
    for name in TEAMS:
        factories.make_team(event, name=name, submitted=True)
    chair = factories.make_judge(
        event, factories.make_user(name="Cara Chair"), chair=True
    )
    ada = factories.make_judge(event, factories.make_user(name="Ada Judge"))
    ben = factories.make_judge(event, factories.make_user(name="Ben Judge"))
    return event.slug, chair.email, (ada.email, ada.id), (ben.email, ben.id)


def _tablet(new_context, name: str) -> Browse:
    """A judge's tablet: its own browser context (cookies, storage, network)."""
    context = new_context()
    context.set_default_timeout(10_000)
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("http://127.0.0.1:")
            else route.abort()
        ),
    )
    page = context.new_page()
    page.set_viewport_size(TABLET_PORTRAIT)
    return Browse(page=page, name=name, viewport=TABLET_PORTRAIT)


def _stored(live_server, team: str):
    """The scorecards of the team's pitch by judge, and the submission and mark counts."""
    with live_server.app.app_context():
        pitch_id = db.session.scalar(
            select(Pitch.id).join(Team).where(Team.name == team)
        )
        cards = db.session.scalars(
            select(Scorecard).where(Scorecard.pitch_id == pitch_id)
        ).all()
        return {
            card.judge_id: (
                card.revision,
                card.feedback,
                {m.criterion_id: m.value for m in card.marks},
            )
            for card in cards
        }, (
            db.session.scalar(select(func.count(ScoreSubmission.id))),
            db.session.scalar(select(func.count(Mark.id))),
        )


@pytest.mark.parametrize("viewport", [TABLET_LANDSCAPE], ids=["1024x768"])
def test_chair_runs_the_room_while_a_tablet_drops_off_the_wifi(
    browse, arrange, context, new_context, live_server, request
):
    slug, chair_email, (ada_email, ada_id), (ben_email, ben_id) = arrange(arrange_room)
    console = browse.page

    # The chair draws and publishes the running order and starts the first pitch.
    browse.sign_in(chair_email)
    browse.goto(f"/events/{slug}/live")
    console.get_by_role("button", name="Draw running order").click()
    console.get_by_role("button", name="Publish running order").click()
    console.get_by_role("button", name="Start pitch timer").click()
    on_stage = console.locator("[data-live='current']").inner_text()
    assert on_stage in TEAMS
    judges = console.locator("[data-live='judges']")
    expect(judges).to_contain_text("Ada Judge: not yet")
    expect(judges).to_contain_text("Ben Judge: not yet")
    browse.check()

    # Two judges on their own tablets open the team on stage.
    tablets = {}
    for email, name in ((ada_email, "ada"), (ben_email, "ben")):
        tablet = _tablet(new_context, f"{request.node.originalname}-{name}")
        tablet.sign_in(email)
        tablet.goto(f"/events/{slug}/judge")
        tablet.page.get_by_role("link", name=re.compile(on_stage)).first.click()
        expect(tablet.page.locator(".app-criterion").first).to_be_visible()
        tablet.check()
        tablets[name] = tablet

    # Ben's tablet loses the wifi just as he saves: the scorecard waits on the tablet.
    ben = tablets["ben"].page
    ben_marks = tap_scores(ben, [5, 4, 4, 3, 5, 4, 3])
    ben.get_by_label("Feedback for the team").fill("Clear need; cost the pilot")
    ben.context.set_offline(True)
    ben.get_by_role("button", name="Save scores").click()
    expect(ben.locator("[data-sync-status]")).to_contain_text(
        "Saved on this tablet only"
    )
    tablets["ben"].problems.clear()  # the failed request while offline is the point

    # Ada saves on a good connection.
    ada = tablets["ada"].page
    ada_marks = tap_scores(ada, [3, 3, 4, 2, 3, 3, 2])
    ada.get_by_label("Feedback for the team").fill("Promising; needs evidence")
    ada.get_by_role("button", name="Save scores").click()
    expect(ada.locator("[data-sync-status]")).to_contain_text(
        re.compile(r"Saved at \d\d:\d\d")
    )

    # The console updates by itself: Ada has scored, Ben's card is still on his tablet.
    expect(judges).to_contain_text("Ada Judge: scored", timeout=6000)
    expect(judges).to_contain_text("Ben Judge: not yet")
    cards, _ = _stored(live_server, on_stage)
    assert set(cards) == {ada_id}

    # The wifi comes back: Ben's tablet sends the card once, and the console sees it.
    ben.context.set_offline(False)
    ben.evaluate("window.dispatchEvent(new Event('online'))")
    expect(ben.locator("[data-sync-status]")).to_contain_text(
        re.compile(r"Saved at \d\d:\d\d"), timeout=15000
    )
    expect(judges).to_contain_text("Ben Judge: scored", timeout=6000)
    tablets["ben"].check()

    cards, (keys, marks) = _stored(live_server, on_stage)
    assert cards == {
        ada_id: (1, "Promising; needs evidence", ada_marks),
        ben_id: (1, "Clear need; cost the pilot", ben_marks),
    }
    assert (keys, marks) == (2, 14)  # one submission each, nothing stored twice

    # The chair locks the pitch and moves on; a late change from a tablet is refused.
    console.get_by_role("button", name="Lock scores and next team").click()
    expect(console.locator("[data-live='current']")).not_to_have_text(on_stage)
    browse.check()
    tap_scores(ada, [5, 5, 5, 5, 5, 5, 5])
    ada.get_by_role("button", name="Save changes").click()
    expect(ada.locator("body")).to_contain_text("locked")
    tablets["ada"].problems.clear()  # the refused save answers 409 on purpose
    cards, _ = _stored(live_server, on_stage)
    assert cards[ada_id][2] == ada_marks
