"""A judge scores a pitch on a tablet: errors first, then a full scorecard."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from events.models import EventPhase
from extensions import db
from judging.models import Recommendation, Scorecard
from tests import factories
from tests.browser.conftest import TABLETS

pytestmark = pytest.mark.browser

OTHER_FEEDBACK = "Quokka-7731: the other judge's private remark"
CONDITIONS = "Share the admissions figures after three months."
FEEDBACK = "Clear problem and a cheap pilot.\nMeasure admissions before and after."
# What the judge taps, criterion by criterion (C1 to C7).
TAPS = [5, 4, 3, 2, 1, 4, 3]


def arrange_judging(teams=("Sip Smart", "Falls Watch", "Meds Mate")):
    """An event in judging with submitted pitches, our judge, and another judge who has
    already scored the first pitch."""
    event = factories.make_event(phase=EventPhase.JUDGING, slug="judging-day")
    pitches = [
        factories.make_team(event, name=name, submitted=True).pitch for name in teams
    ]
    judge = factories.make_judge(event, factories.make_user(name="Jude Judge"))
    other = factories.make_judge(event, factories.make_user(name="Olu Other"))
    factories.make_scorecard(pitches[0], other, [1] * 7, event, feedback=OTHER_FEEDBACK)
    return event.slug, judge.email, judge.id, pitches[0].id


def tap_scores(page, taps):
    """Tap the label of the chosen level in every criterion; return {criterion id: mark}."""
    chosen = {}
    cards = page.locator(".app-criterion")
    expect(cards).to_have_count(len(taps))
    for card, value in zip(cards.all(), taps, strict=True):
        radio = card.locator(f"input[type=radio][value='{value}']")
        label = card.locator(f"label[for='{radio.get_attribute('id')}']")
        box = label.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box  # a judge's fingertip
        label.click()
        expect(radio).to_be_checked()
        chosen[int(radio.get_attribute("name").removeprefix("mark_"))] = value
    return chosen


CLEAR_OF_SCORE_BAR = """el => {
    const box = el.getBoundingClientRect();
    const bar = document.querySelector(".app-scorebar").getBoundingClientRect();
    return box.bottom <= bar.top;
}"""


def assert_focus_clear_of_score_bar(page):
    """Tab to a radio that sits under the sticky score bar: the page scrolls it clear.

    app.css gives the page a scroll-padding as tall as the bar (WCAG 2.4.11)."""
    cards = page.locator(".app-criterion")
    cards.nth(1).locator("input:checked").focus()
    target = cards.nth(2).locator("input:checked")
    target.evaluate(
        "el => window.scrollBy(0, el.getBoundingClientRect().top - innerHeight + 60)"
    )
    assert not target.evaluate(CLEAR_OF_SCORE_BAR)  # it starts under the bar
    page.keyboard.press("Tab")
    expect(target).to_be_focused()
    page.wait_for_function(
        f"() => ({CLEAR_OF_SCORE_BAR})(document.activeElement)", timeout=2000
    )


@TABLETS
def test_judge_scores_a_pitch(browse, arrange, live_server):
    slug, email, judge_id, pitch_id = arrange(arrange_judging)
    page = browse.page
    browse.sign_in(email)

    page.get_by_role("link", name="Score pitches for").click()
    expect(page).to_have_url(re.compile(rf"/events/{slug}/judge$"))
    expect(page.locator(".app-progress")).to_have_text("0 of 3 scored")
    browse.check()
    assert OTHER_FEEDBACK not in page.content()
    for link in page.locator(".app-queue-link").all():
        assert link.bounding_box()["height"] >= 44  # a judge's fingertip

    page.get_by_role("link", name="Sip Smart", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/judge/pitches/{pitch_id}$"))
    browse.check()
    html = page.content()
    # Another judge's scorecard for this pitch never reaches this judge.
    assert OTHER_FEEDBACK not in html
    assert "Saved at" not in html
    expect(page.locator("input[type=radio]:checked")).to_have_count(0)

    page.get_by_role("button", name="Save scores").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    # In the order of the page: the seven criteria, then the feedback.
    expect(summary.locator("li")).to_have_text(
        [re.compile(rf"^\s*Score C{n} ") for n in range(1, 8)]
        + ["Write feedback for the team"]
    )
    expect(page.locator(".app-criterion.app-criterion--unscored")).to_have_count(7)
    browse.check()

    chosen = tap_scores(page, TAPS)
    assert_focus_clear_of_score_bar(page)
    expect(page.locator(".app-criterion--unscored")).to_have_count(7)  # until saved
    page.get_by_label("Fund with conditions").check()
    page.get_by_label("Conditions (if you recommend funding with conditions)").fill(
        CONDITIONS
    )
    page.get_by_label("Feedback for the team").fill(FEEDBACK)
    before = datetime.now(ZoneInfo("Europe/London")).replace(second=0, microsecond=0)
    page.get_by_role("button", name="Save scores").click()

    saved = page.locator(".app-saved")
    expect(saved).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"))
    shown = datetime.strptime(saved.inner_text().removeprefix("Saved at "), "%H:%M")
    assert shown.time() in {before.time(), (before + timedelta(minutes=1)).time()}
    expect(page.locator(".app-criterion--unscored")).to_have_count(0)
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    expect(page.locator(".app-progress")).to_have_text("1 of 3 scored")
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    browse.check()
    assert OTHER_FEEDBACK not in page.content()

    page.get_by_role("link", name="Back to your pitches").click()
    expect(page.locator(".app-progress")).to_have_text("1 of 3 scored")
    expect(page.get_by_role("row", name=re.compile("Sip Smart"))).to_contain_text(
        "Scored"
    )
    browse.check()
    assert OTHER_FEEDBACK not in page.content()

    with live_server.app.app_context():
        card = db.session.scalar(
            select(Scorecard).where(
                Scorecard.pitch_id == pitch_id, Scorecard.judge_id == judge_id
            )
        )
        assert card is not None and card.revision == 1
        assert {m.criterion_id: m.value for m in card.marks} == chosen
        assert card.feedback == FEEDBACK
        assert card.recommendation == Recommendation.FUND_WITH_CONDITIONS
        assert card.conditions == CONDITIONS
