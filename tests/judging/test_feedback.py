"""Team feedback and the published results, read from the demo event (domain 12.7):
what each team sees, and that nothing shows before publication (R-05)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from demo import data as demo_data
from demo.services import email_for, load_demo
from events.models import Event, EventPhase
from extensions import db
from judging import feedback, funding
from judging.funding_models import FundingKind
from judging.models import Scorecard
from pitches.models import Team
from tests.factories import make_pack, sign_in

SLUG = demo_data.EVENT["slug"]
P = EventPhase


@pytest.fixture
def demo(app):
    """The demo as `flask demo load` leaves it: published, funding as in domain 12.7."""
    with app.app_context():
        load_demo(date.today(), "pw-amber-birch", phase=P.PUBLISHED)
        db.session.commit()
        teams = {t.ref: t.id for t in db.session.scalars(select(Team))}
    return teams


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == SLUG))


def _signed_in(app, name: str):
    from auth.models import User

    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email_for(name)))
        sign_in(client, user)
    return client


def test_demo_allocation_reproduces_domain_12_7(app, demo):
    with app.app_context():
        allocation = funding.allocation(_event())
        rows = [
            (
                r.row.rank,
                r.row.team.ref,
                r.asked,
                r.decision.kind,
                r.awarded,
                [c.text for c in r.decision.conditions],
            )
            for r in allocation.rows
        ]
        approved = (
            allocation.approved_by.display_name,
            allocation.signed_off_by.display_name,
        )

    K = FundingKind
    assert rows == [
        (1, "T01", 4800, K.FULL, 4800, []),
        (2, "T03", 3950, K.FULL, 3950, []),
        (
            3,
            "T02",
            5000,
            K.CONDITIONS,
            5000,
            [
                "Review by the clinical-safety officer",
                "Sign-off by each pilot care home's manager",
            ],
        ),
        (4, "T04", 2400, K.FULL, 2400, []),
        (5, "T07", 1850, K.FULL, 1850, []),
        (6, "T06", 4500, K.FULL, 4500, []),
        (7, "T09", 2750, K.PART, 2500, []),
        (8, "T05", 5000, K.SUPPORT, 0, []),
        (9, "T08", 1500, K.SIGNPOST, 0, []),
        (10, "T11", 2200, K.DECLINE, 0, []),
        (11, "T10", 5000, K.DECLINE, 0, []),
        (12, "T12", 5000, K.DECLINE, 0, []),
    ]
    assert (allocation.allocated, allocation.left, allocation.funded) == (25_000, 0, 7)
    assert approved == ("Naomi Strand", "Judith Pennant")


def test_team_reads_its_feedback_scores_comments_and_conditions(app, demo):
    client = _signed_in(app, "Kwame Asante")  # T02 Soft Signs, lead

    page = client.get(f"/events/{SLUG}/teams/{demo['T02']}/feedback").text

    assert "Fund with conditions: £5,000" in page
    assert "Review by the clinical-safety officer" in page
    assert page.count("Met ") >= 2  # both conditions met on D+64 (domain 12.8)
    assert "Ranked 3 of 12" in page
    # Both conditions are met (domain 12.8), so the money can be released.
    assert "Meet each condition" not in page
    assert feedback.ALL_CONDITIONS_MET in page
    assert "Sign and return the award agreement." in page
    with app.app_context():
        judges = {m.user.display_name for m in _event_panel()}
    for name in judges:
        assert name not in page  # comments carry no judge's name


def _event_panel():
    from events import services as event_services

    return event_services.list_panel(_event())


def test_feedback_figures_are_the_counted_means_against_the_cohort(app, demo):
    with app.app_context():
        event = _event()
        t07 = db.session.get(Team, demo["T07"])
        fb = feedback.team_feedback(event, t07.pitch.id)
        judges = set(
            db.session.scalars(
                select(Scorecard.judge_id).where(Scorecard.pitch_id == t07.pitch.id)
            )
        )

    # Maureen Tilley is conflicted on T07 and did not score it: five comments count.
    assert _judge_id_in(app, "Maureen Tilley") not in judges
    assert len(judges) == 5 and len(fb.comments) == 5
    assert list(fb.comments) == sorted(fb.comments)
    assert fb.row.rank == 5 and fb.ranked_count == 12
    assert fb.score == fb.row.result.mean
    assert all(line.cohort is not None for line in fb.criteria)
    assert [line.code for line in fb.criteria] == [f"C{n}" for n in range(1, 8)]


def _judge_id_in(app, name: str) -> int:
    from auth.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email_for(name)))


def test_cohort_average_is_the_mean_of_the_ranked_pitches(app, demo):
    with app.app_context():
        event = _event()
        from judging import services

        results = services.compute_results(event)
        fb = feedback.team_feedback(event, results.rows[0].pitch.id, results)
        c1 = [r.result.criterion_means[0].exact for r in results.rows if r.rank]

    expected = sum(c1) / len(c1)
    assert abs(
        fb.criteria[0].cohort - Decimal(expected.numerator) / expected.denominator
    ) < Decimal("0.005")


def test_another_team_cannot_read_this_teams_feedback(app, demo):
    client = _signed_in(app, "Jodie Park")  # T01

    assert client.get(f"/events/{SLUG}/teams/{demo['T02']}/feedback").status_code == 404
    assert client.get(f"/events/{SLUG}/teams/{demo['T01']}/feedback").status_code == 200


def test_r05_before_publication_a_team_sees_no_score_rank_or_funding(app, demo):
    with app.app_context():
        _event().phase = P.MODERATION
        db.session.commit()
    client = _signed_in(app, "Kwame Asante")

    page = client.get(f"/events/{SLUG}/teams/{demo['T02']}/feedback").text
    team_page = client.get(f"/events/{SLUG}/teams/{demo['T02']}").text
    public = client.get(f"/events/{SLUG}").text

    assert "appear here when the organisers publish" in page
    for leak in ("£5,000", "Ranked", "clinical-safety officer", "Fund with", "Average"):
        assert leak not in page
    assert "feedback and funding decision" not in team_page
    assert "Funding</th>" not in public and "£4,800" not in public


def test_organiser_previews_feedback_before_publication(app, demo):
    with app.app_context():
        _event().phase = P.MODERATION
        db.session.commit()
    client = _signed_in(app, "Leah Brennan")

    page = client.get(f"/events/{SLUG}/teams/{demo['T02']}/feedback").text

    assert "Preview" in page and "Fund with conditions: £5,000" in page


def test_private_notes_never_reach_the_feedback(app, demo):
    with app.app_context():
        card = db.session.scalar(
            select(Scorecard).where(
                Scorecard.pitch_id == db.session.get(Team, demo["T01"]).pitch.id
            )
        )
        card.private_notes = "PRIVATE-NOTE-XYZ"
        db.session.commit()
    client = _signed_in(app, "Jodie Park")

    assert (
        "PRIVATE-NOTE-XYZ"
        not in client.get(f"/events/{SLUG}/teams/{demo['T01']}/feedback").text
    )


def test_public_page_shows_awards_but_not_notes_or_declines(app, demo):
    page = app.test_client().get(f"/events/{SLUG}").text

    assert "£5,000 with conditions" in page
    assert "£2,500 (part)" in page
    assert "Support, not cash" in page
    assert "7 teams share £25,000 of the £25,000 pot" in page
    assert "clinical-safety officer" not in page  # conditions stay with the team
    assert "Decline" not in page and "no one to pay for it" not in page


# --- documents ---------------------------------------------------------------------------


def _pdf_text(body: bytes, tmp_path) -> str:
    import subprocess

    path = tmp_path / "doc.pdf"
    path.write_bytes(body)
    done = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True
    )
    return " ".join(done.stdout.decode().split())


def test_team_downloads_its_feedback_sheet_and_award_letter(app, demo, tmp_path):
    client = _signed_in(app, "Kwame Asante")

    sheet = client.get(f"/events/{SLUG}/teams/{demo['T02']}/feedback.pdf")
    letter = client.get(f"/events/{SLUG}/teams/{demo['T02']}/award-letter.pdf")

    assert sheet.mimetype == letter.mimetype == "application/pdf"
    assert sheet.headers["Cache-Control"] == "no-store"
    assert "attachment" in sheet.headers["Content-Disposition"]
    text = _pdf_text(sheet.data, tmp_path)
    assert "T02 Soft Signs" in text and "Fund with conditions: £5,000" in text
    assert "Review by the clinical-safety officer: met" in text
    assert "Judith Pennant" not in text and "Gareth Lowry" not in text
    letter_text = _pdf_text(letter.data, tmp_path)
    assert "Dear Kwame Asante" in letter_text
    assert "awarded Soft Signs £5,000, with conditions" in letter_text
    assert "Naomi Strand" in letter_text


def test_no_award_letter_for_a_team_not_given_money(app, demo):
    client = _signed_in(app, "Dr Owen Gallagher")  # T05, support not cash

    assert (
        client.get(f"/events/{SLUG}/teams/{demo['T05']}/award-letter.pdf").status_code
        == 404
    )
    assert (
        client.get(f"/events/{SLUG}/teams/{demo['T05']}/feedback.pdf").status_code
        == 200
    )


def test_r05_documents_are_not_served_before_publication_or_to_other_teams(app, demo):
    other = _signed_in(app, "Jodie Park")  # T01
    assert (
        other.get(f"/events/{SLUG}/teams/{demo['T02']}/feedback.pdf").status_code == 404
    )
    with app.app_context():
        _event().phase = P.MODERATION
        db.session.commit()
    own = _signed_in(app, "Kwame Asante")

    for path in ("feedback.pdf", "award-letter.pdf"):
        assert own.get(f"/events/{SLUG}/teams/{demo['T02']}/{path}").status_code == 404
    assert own.post(f"/events/{SLUG}/results/packs/feedback").status_code == 404


def test_organiser_downloads_every_teams_feedback_in_one_pdf(app, demo, tmp_path):
    client = _signed_in(app, "Leah Brennan")

    body = make_pack(client, SLUG, "feedback")
    text = _pdf_text(body, tmp_path)

    positions = [text.index(f"{ref} ") for ref in demo_data.EXPECTED_RANKING]
    assert positions == sorted(positions)  # one sheet per team, in ranked order


def test_cli_writes_feedback_sheets_and_award_letters(app, demo, tmp_path):
    runner = app.test_cli_runner()

    sheets = runner.invoke(args=["results", "feedback", SLUG, "--out", str(tmp_path)])
    letters = runner.invoke(args=["results", "letters", SLUG, "--out", str(tmp_path)])

    assert sheets.exit_code == 0 and letters.exit_code == 0, (
        sheets.output + letters.output
    )
    names = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert len([n for n in names if "-feedback-t" in n]) == 12
    assert f"{SLUG}-feedback-all-teams.pdf" in names
    assert [n for n in names if "award-letter" in n] == [
        f"{SLUG}-award-letter-{ref}.pdf"
        for ref in ("t01", "t02", "t03", "t04", "t06", "t07", "t09")
    ]
    assert "Wrote 7 award letters" in letters.output


def test_all_feedback_takes_no_more_queries_than_one_teams(app, demo):
    """The all-teams pack must not query per team (a 200-team pack would crawl)."""
    from sqlalchemy import event as sa_event

    with app.app_context():
        event = _event()
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            one = feedback.team_feedback(
                event, db.session.get(Team, demo["T01"]).pitch.id
            )
            single = len(statements)
            statements.clear()
            every = feedback.all_feedback(event)
            many = len(statements)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)

    assert len(every) == 12 and every[0].row.team.ref == one.row.team.ref == "T01"
    assert every[0].comments == one.comments and every[0].criteria == one.criteria
    assert many <= single
