"""Venue wifi drops mid-scoring: the scorecard waits on the tablet and is sent once."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from extensions import db
from judging.models import Mark, Scorecard, ScoreSubmission
from tests.browser.conftest import TABLETS
from tests.browser.test_judge import arrange_judging, tap_scores

pytestmark = pytest.mark.browser

OUTBOX = "pitchpanel.outbox.v1"


def stored(live_server, judge_id, pitch_id):
    with live_server.app.app_context():
        card = db.session.scalar(
            select(Scorecard).where(
                Scorecard.judge_id == judge_id, Scorecard.pitch_id == pitch_id
            )
        )
        marks = (
            sorted(
                db.session.execute(
                    select(Mark.criterion_id, Mark.value).where(
                        Mark.scorecard_id == card.id
                    )
                )
            )
            if card
            else []
        )
        keys = db.session.scalar(select(func.count(ScoreSubmission.id)))
        cards = db.session.scalar(
            select(func.count(Scorecard.id)).where(
                Scorecard.judge_id == judge_id, Scorecard.pitch_id == pitch_id
            )
        )
        return (
            card and (card.revision, card.feedback),
            dict(tuple(m) for m in marks),
            keys,
            cards,
        )


@TABLETS
def test_scorecard_saved_offline_is_sent_once_when_back_online(
    browse, arrange, live_server, context
):
    slug, email, judge_id, pitch_id = arrange(arrange_judging)
    page = browse.page
    browse.sign_in(email)
    browse.goto(f"/events/{slug}/judge/pitches/{pitch_id}")
    chosen = tap_scores(page, [4, 4, 3, 3, 2, 5, 4])
    page.get_by_label("Feedback for the team").fill("Written while the wifi was down")

    context.set_offline(True)
    page.get_by_role("button", name="Save scores").click()
    status = page.locator("[data-sync-status]")
    expect(status).to_contain_text("Saved on this tablet only")
    queued = page.evaluate(f"JSON.parse(localStorage.getItem('{OUTBOX}'))")
    assert len(queued) == 1
    assert (
        stored(live_server, judge_id, pitch_id)[0] is None
    )  # nothing on the server yet
    browse.problems.clear()  # the failed save while offline was the point
    browse.check()

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_contain_text(re.compile(r"Saved at \d\d:\d\d"), timeout=15000)
    assert page.evaluate(f"localStorage.getItem('{OUTBOX}')") == "[]"
    first = stored(live_server, judge_id, pitch_id)
    assert first == ((1, "Written while the wifi was down"), chosen, 1, 1)

    # A late retry of the same submission is answered, not applied again ...
    resend = """async ([url, body]) => {
        const r = await fetch(url, {method: "POST", body,
            headers: {Accept: "application/json",
                      "Content-Type": "application/x-www-form-urlencoded"}});
        return [r.status, await r.json()];
    }"""
    code, answer = page.evaluate(resend, [queued[0]["url"], queued[0]["body"]])
    assert (code, answer["status"], answer["replayed"]) == (200, "saved", True)
    # ... and an old edit under a new key cannot overwrite the newer scorecard.
    stale = re.sub(
        r"submission_key=[^&]+",
        "submission_key=stale-edit-0000000000",
        queued[0]["body"],
    ).replace("mark_", "mark_")
    code, answer = page.evaluate(resend, [queued[0]["url"], stale])
    assert (code, answer["status"]) == (409, "stale")
    assert stored(live_server, judge_id, pitch_id) == first


@TABLETS
def test_queue_shows_scorecards_waiting_on_the_tablet(
    browse, arrange, live_server, context
):
    slug, email, judge_id, pitch_id = arrange(arrange_judging)
    page = browse.page
    browse.sign_in(email)
    browse.goto(f"/events/{slug}/judge/pitches/{pitch_id}")
    tap_scores(page, [3] * 7)
    page.get_by_label("Feedback for the team").fill("Queued offline")
    context.set_offline(True)
    page.get_by_role("button", name="Save scores").click()
    expect(page.locator("[data-sync-status]")).to_contain_text("Saved on this tablet")
    # Hold the tablet's resend while we look at the queue (set up before going back
    # online: the browser fires "online" and the page would send it at once).
    page.route(
        re.compile(r".*/judge/pitches/\d+$"),
        lambda route: (
            route.abort() if route.request.method == "POST" else route.continue_()
        ),
    )
    context.set_offline(False)
    page.goto(f"/events/{slug}/judge")
    row = page.locator(f"[data-scorecard-url$='/judge/pitches/{pitch_id}']")
    expect(row.locator("[data-waiting]")).to_be_visible()
    expect(page.locator("[data-waiting-count]")).to_contain_text("1 scorecard is saved")
    assert stored(live_server, judge_id, pitch_id)[0] is None
    browse.problems.clear()  # the offline save and the held request were deliberate
    browse.check()

    page.unroute(re.compile(r".*/judge/pitches/\d+$"))
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(row.locator("[data-waiting]")).to_be_hidden(timeout=15000)
    assert stored(live_server, judge_id, pitch_id)[0] == (1, "Queued offline")
