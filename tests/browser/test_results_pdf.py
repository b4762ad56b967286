"""An organiser downloads the A4 result sheet; its ranking follows the judges' scores."""

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from events.models import EventPhase
from tests import factories
from tests.browser.conftest import ARTIFACTS, TABLETS

pytestmark = pytest.mark.browser

# Created in this order; both judges give each pitch these marks for C1 to C7. Alpha and
# Bravo have the same weighted mean (4.00): the tie-break (C2 first) puts Alpha ahead.
TEAMS = {
    "Bravo Falls Watch": [4, 3, 4, 5, 4, 4, 4],
    "Alpha Sip Smart": [4, 5, 4, 3, 4, 4, 4],
    "Charlie Meds Mate": [5] * 7,
}
RANKED = ["Charlie Meds Mate", "Alpha Sip Smart", "Bravo Falls Watch"]


def _arrange():
    organiser = factories.make_user(
        "org@example.org", "Orla Organiser", is_organiser=True
    )
    event = factories.make_event(
        organiser, phase=EventPhase.MODERATION, slug="results-night"
    )
    judges = [
        factories.make_judge(event, factories.make_user(name=name), chair=chair)
        for name, chair in (("Jo Chair", True), ("Sam Judge", False))
    ]
    for name, marks in TEAMS.items():
        pitch = factories.make_team(event, name=name, submitted=True).pitch
        for judge in judges:
            factories.make_scorecard(pitch, judge, marks, event)
    return event.slug, organiser.email


def _ranking_names(text: str) -> list[str]:
    """Team names in the order they appear in the PDF's Ranking section."""
    section = text[text.index("Ranking") : text.index("Conflicts of interest")]
    found = {name: section.find(name) for name in TEAMS}
    assert all(pos >= 0 for pos in found.values()), found
    return sorted(found, key=found.get)


@TABLETS
def test_organiser_downloads_the_result_sheet(browse, arrange, viewport):
    slug, email = arrange(_arrange)
    page = browse.page
    browse.sign_in(email)
    browse.goto(f"/events/{slug}/results")
    ranking = page.locator("table.app-results tbody tr")
    expect(ranking.nth(0)).to_contain_text("Charlie Meds Mate")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the result sheet (PDF, A4)").click()
    download = info.value
    assert download.suggested_filename == f"{slug}-results.pdf"
    name = f"results-{viewport['width']}x{viewport['height']}"
    pdf = _kept(download, name)
    assert pdf.read_bytes().startswith(b"%PDF")

    text = _text(pdf)
    assert _ranking_names(text) == RANKED
    assert re.search(r"^\s*1\s+T\d+ Charlie Meds Mate\s+5\.00", text, re.M), text
    assert re.search(r"^\s*2\s+T\d+ Alpha Sip Smart\s+4\.00", text, re.M), text
    assert re.search(r"^\s*3\s+T\d+ Bravo Falls Watch\s+4\.00", text, re.M), text
    assert "placed by the tie-break: higher mean C2" in text
    assert "Jo Chair (chair)" in text
    # Page 1 as an image, to look at (test-artifacts/pdf/<name>-page1.png).
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile"]
        + [str(pdf), str(pdf.with_name(f"{name}-page1"))],
        check=True,
    )


@TABLETS
def test_organiser_makes_the_feedback_pack_and_watches_it_being_made(
    browse, arrange, viewport
):
    slug, email = arrange(_arrange)
    page = browse.page
    browse.sign_in(email)
    browse.goto(f"/events/{slug}/results")

    page.get_by_role(
        "button", name="Make the pack (every team's feedback sheet in one pdf)"
    ).click()
    page.wait_for_url(re.compile(rf"/events/{slug}/results/packs/\d+$"))
    browse.check()  # the progress page (or the download, if it was that quick)
    # The page asks the server every two seconds and reloads itself once it is ready.
    expect(page.get_by_text("Ready")).to_be_visible(timeout=60_000)
    browse.check()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the PDF").click()
    download = info.value
    assert download.suggested_filename == f"{slug}-feedback-all-teams.pdf"
    pdf = _kept(download, f"feedback-pack-{viewport['width']}x{viewport['height']}")
    text = _text(pdf)
    positions = [text.index(name) for name in RANKED]
    assert positions == sorted(positions)  # a sheet per team, in ranked order

    browse.goto(f"/events/{slug}/results")
    expect(
        page.get_by_role(
            "link", name="Download it (every team's feedback sheet in one pdf)"
        )
    ).to_be_visible()


def _text(pdf: Path) -> str:
    """The PDF's text, laid out as on the page (pdftotext -layout)."""
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _kept(download, name: str) -> Path:
    """Save a downloaded PDF with the test artefacts, to be looked at; return its path."""
    out = ARTIFACTS / "pdf"
    out.mkdir(parents=True, exist_ok=True)
    pdf = out / f"{name}.pdf"
    download.save_as(pdf)
    return pdf
