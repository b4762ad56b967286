"""A team lead forms a team, writes the pitch, saves a draft and submits it."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from events.models import EventPhase
from extensions import db
from pitches.models import Background, PitchStatus, PitchType, Team
from tests import factories
from tests.browser.conftest import TABLETS

pytestmark = pytest.mark.browser

PITCH = {
    "title": "Sip Smart",
    "summary": "Marked cups and a tablet tally so every resident drinks enough.",
    "problem_text": "Residents in our homes do not drink enough.\nFluid charts are "
    "half complete by the evening.",
    "evidence": "7 admissions for dehydration last winter across 3 homes.",
    "existing": "Paper fluid charts only; no budget covers a better tally.",
    "plan": "Pilot marked cups and a shared tablet tally in two homes for 12 weeks.",
    "beneficiaries_count": "120",
    "beneficiaries_unit": "residents across 3 homes",
    "difference": "Fewer admissions, and staff see at a glance who needs a drink.",
    "funding_requested": "4000",
}


def _arrange():
    event = factories.make_event(phase=EventPhase.SUBMISSIONS_OPEN, slug="hydrate")
    problem = factories.make_problem(event, title="Residents don't drink enough")
    lead = factories.make_user(name="Priya Shah")
    return event.slug, problem.ref, lead.email, lead.id


@TABLETS
def test_team_lead_writes_saves_and_submits_the_pitch(browse, arrange, live_server):
    slug, problem_ref, email, lead_id = arrange(_arrange)
    page = browse.page
    browse.sign_in(email)

    browse.goto(f"/events/{slug}")
    page.get_by_role("link", name="Form a team").click()
    expect(page.get_by_role("heading", name="Form a team")).to_be_visible()
    browse.check()
    page.get_by_label("Team name").fill("Hydration Heroes")
    page.get_by_label("Problem statement").select_option(
        label=f"{problem_ref} Residents don't drink enough"
    )
    expect(page.get_by_label("Your full name")).to_have_value("Priya Shah")
    page.get_by_label("Care staff", exact=True).check()
    page.get_by_label("Role (optional)").fill("Senior carer")
    page.get_by_role("button", name="Create team").click()

    expect(page).to_have_url(re.compile(rf"/events/{slug}/teams/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hydration Heroes")
    browse.check()
    team_id = int(page.url.rsplit("/", 1)[1])

    page.get_by_role("link", name="Write your pitch").click()
    expect(page).to_have_url(re.compile(rf"/events/{slug}/teams/{team_id}/pitch$"))
    browse.check()
    for name, value in PITCH.items():
        page.locator(f"#{name}").fill(value)
    page.get_by_label("Service or process change").check()
    page.get_by_role("button", name="Save draft").click()

    expect(page).to_have_url(re.compile(rf"/teams/{team_id}$"))
    expect(page.get_by_role("status")).to_contain_text("Pitch saved")
    expect(page.locator("main")).to_contain_text("Ready to submit")
    browse.check()
    with live_server.app.app_context():
        team = db.session.get(Team, team_id)
        assert team.pitch.status == PitchStatus.DRAFT
        assert team.pitch.title == "Sip Smart"

    page.get_by_role("link", name="Write your pitch").click()
    expect(page.locator("#title")).to_have_value("Sip Smart")
    expect(page.locator("#problem_text")).to_have_value(PITCH["problem_text"])
    expect(page.get_by_label("Service or process change")).to_be_checked()
    page.locator("#funding_requested").fill("4500")
    expect(page.get_by_label("Funding requested (£)")).to_have_accessible_description(
        "At most £5,000."
    )
    browse.check()
    page.get_by_role("button", name="Submit pitch").click()

    expect(page.get_by_role("status")).to_contain_text("Pitch submitted")
    expect(page.locator("main .nhsuk-tag")).to_have_text("Submitted")
    browse.check()

    with live_server.app.app_context():
        team = db.session.scalar(select(Team).where(Team.id == team_id))
        assert team.name == "Hydration Heroes"
        assert team.problem.ref == problem_ref
        lead = [m for m in team.members if m.is_lead]
        assert [(m.user_id, m.name, m.background) for m in lead] == [
            (lead_id, "Priya Shah", Background.CARE_STAFF)
        ]
        pitch = team.pitch
        assert pitch.status == PitchStatus.SUBMITTED
        assert pitch.submitted_at is not None
        assert pitch.pitch_type == PitchType.SERVICE
        expected = PITCH | {
            "beneficiaries_count": 120,
            "funding_requested": 4500,
        }
        assert {k: getattr(pitch, k) for k in expected} == expected
