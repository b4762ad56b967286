"""`flask demo load`: the Care Homes Hackathon 2026 of domain section 12."""

import re
import stat
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from auth.models import User
from demo import data
from demo.services import email_for
from events import services as event_services
from events.models import Event, EventOrganiser, EventPhase, PanelMember
from events.templating import LONDON
from extensions import db
from judging import services as judging
from judging.models import ConflictDeclaration, Mark, Scorecard
from pitches.models import Background, ProblemStatement, ProblemStatus, Team, TeamMember
from tests.factories import make_user

PASSWORD_LINE = re.compile(r"every demo account's password is: ([a-z-]+)\)")


@pytest.fixture
def demo_app(app, tmp_path):
    """The test app with its instance folder (where the demo password goes) in tmp."""
    app.instance_path = str(tmp_path)
    return app


def load(runner, *args: str):
    result = runner.invoke(args=["demo", "load", *args])
    assert result.exit_code == 0, result.output
    return result


def password_in(output: str) -> str:
    return PASSWORD_LINE.search(output).group(1)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def demo_event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == data.EVENT["slug"]))


@pytest.fixture
def loaded(demo_app, runner) -> str:
    """Load the demo once; return the printed password."""
    return password_in(load(runner).output)


# --- loading ---------------------------------------------------------------------------


def test_demo_load_twice_is_idempotent(demo_app, runner):
    first = load(runner)
    second = load(runner)

    assert first.output.startswith("Demo event created: Care Homes Hackathon 2026")
    assert second.output.startswith(
        "Demo event already loaded: Care Homes Hackathon 2026"
    )
    assert password_in(first.output) == password_in(second.output)
    with demo_app.app_context():
        counts = {
            "events": count(Event),
            "teams": count(Team),
            "members": count(TeamMember),
            "problems": count(ProblemStatement),
            "judges": count(PanelMember),
            "scorecards": count(Scorecard),
            "marks": count(Mark),
            "conflicts": count(ConflictDeclaration),
            "accounts": count(User),
        }
    assert counts == {
        "events": 1,
        "teams": 12,
        "members": 57,
        "problems": 8,
        "judges": 6,
        "scorecards": 71,
        "marks": 71 * 7,
        "conflicts": 1,
        "accounts": 2 + 6 + 1 + 57,  # organisers, judges, the funder, team members
    }


def test_demo_every_team_member_has_their_own_account(demo_app, loaded):
    with demo_app.app_context():
        rows = db.session.execute(
            select(TeamMember.name, User.email, User.display_name).join(
                User, User.id == TeamMember.user_id
            )
        ).all()

    assert len(rows) == 57
    assert all(email == email_for(name) for name, email, _ in rows)
    assert all(display == name for name, _, display in rows)
    assert len({email for _, email, _ in rows}) == 57


def test_demo_accounts_share_the_printed_password(demo_app, loaded):
    with demo_app.app_context():
        hashes = set(db.session.scalars(select(User.password_hash)))

    assert len(hashes) == 1
    (hashed,) = hashes
    assert hashed.startswith("scrypt:")
    assert check_password_hash(hashed, loaded) is True


def test_demo_panel_has_six_judges_with_j1_chair(demo_app, loaded):
    with demo_app.app_context():
        panel = [
            (m.user.display_name, m.is_chair)
            for m in event_services.list_panel(demo_event())
        ]

    assert panel == [
        ("Judith Pennant", True),
        ("Dr Priya Venkatesan", False),
        ("Gareth Lowry", False),
        ("Maureen Tilley", False),
        ("Sandra Achebe", False),
        ("Tomasz Wren", False),
    ]


def test_demo_organisers_are_leah_and_sam(demo_app, loaded):
    with demo_app.app_context():
        organisers = set(
            db.session.scalars(
                select(User.display_name)
                .join(EventOrganiser, EventOrganiser.user_id == User.id)
                .where(User.is_organiser.is_(True))
            )
        )

    assert organisers == {"Leah Brennan", "Sam Okoro"}


def test_demo_j6_conflict_on_t07(demo_app, loaded):
    with demo_app.app_context():
        conflicts = [
            (c.pitch_id, db.session.get(User, c.judge_id).display_name)
            for c in judging.declared_conflicts(demo_event())
        ]
        t07 = db.session.scalar(select(Team).where(Team.ref == "T07"))
        maureen = db.session.scalar(
            select(User).where(User.display_name == "Maureen Tilley")
        )
        scored_t07 = db.session.scalar(
            select(func.count())
            .select_from(Scorecard)
            .where(Scorecard.pitch_id == t07.pitch.id)
        )
        queue = judging.judge_queue(demo_event(), maureen)

    assert conflicts == [(t07.pitch.id, "Maureen Tilley")]
    assert scored_t07 == 5
    assert (queue.total, queue.conflicted, queue.scored) == (11, 1, 11)


def test_demo_problems_are_approved_p1_to_p8(demo_app, loaded):
    with demo_app.app_context():
        problems = db.session.execute(
            select(ProblemStatement.ref, ProblemStatement.status, User.display_name)
            .join(User, User.id == ProblemStatement.owner_id)
            .order_by(ProblemStatement.ref)
        ).all()

    assert problems == [
        ("P1", ProblemStatus.APPROVED, "Bernadette Cole"),
        ("P2", ProblemStatus.APPROVED, "Kwame Asante"),
        ("P3", ProblemStatus.APPROVED, "Rhiannon Price"),
        ("P4", ProblemStatus.APPROVED, "Farah Siddiqui"),
        ("P5", ProblemStatus.APPROVED, "Dr Owen Gallagher"),
        ("P6", ProblemStatus.APPROVED, "Chloe Nwosu"),
        ("P7", ProblemStatus.APPROVED, "Derek Fairbairn"),
        ("P8", ProblemStatus.APPROVED, "Angela Moss"),
    ]


def test_demo_teams_asks_and_running_order_follow_domain_12_4(demo_app, loaded):
    with demo_app.app_context():
        teams = {
            t.ref: (t.name, t.pitch.funding_requested, t.pitch.running_order)
            for t in db.session.scalars(select(Team))
        }
        phase = demo_event().phase

    assert teams == {
        "T01": ("Sip Smart", 4800, 3),
        "T02": ("Soft Signs", 5000, 9),
        "T03": ("Hear Me Now", 3950, 5),
        "T04": ("MedsMatch", 2400, 11),
        "T05": ("Red Bag Digital", 5000, 1),
        "T06": ("FallSafe Nights", 4500, 12),
        "T07": ("Tea & Talk", 1850, 7),
        "T08": ("Care Passport", 1500, 4),
        "T09": ("First Shift", 2750, 10),
        "T10": ("Night Navigator", 5000, 6),
        "T11": ("My Last Chapter", 2200, 2),
        "T12": ("Ward Round Bot", 5000, 8),
    }
    # The asks add up to £43,950 (domain 12.7's total row says 45,950: a slip there).
    assert sum(ask for _, ask, _ in teams.values()) == 43_950
    # `flask demo load` shows demo day, D+192: the results are out (domain 12.1).
    assert phase == EventPhase.PUBLISHED


def test_demo_role_mix_follows_domain_12_2(demo_app, loaded):
    staff = {
        Background.CLINICIAN,
        Background.NURSE_AHP,
        Background.CARE_STAFF,
        Background.MANAGER,
    }
    groups = {
        "staff": staff,
        "lived experience": {Background.LIVED_EXPERIENCE},
        "developers/designers": {Background.DEVELOPER, Background.DESIGNER},
        "academics/industry": {Background.ACADEMIC, Background.INDUSTRY},
    }
    with demo_app.app_context():
        backgrounds = list(db.session.scalars(select(TeamMember.background)))

    mix = Counter(
        name for b in backgrounds for name, group in groups.items() if b in group
    )
    assert mix == {
        "staff": 26,
        "lived experience": 10,
        "developers/designers": 13,
        "academics/industry": 8,
    }


def test_demo_teams_without_lived_experience_are_t04_t10_t12(demo_app, loaded):
    with demo_app.app_context():
        teams = db.session.scalars(select(Team).order_by(Team.ref))
        unbalanced = [
            t.ref
            for t in teams
            if all(m.background != Background.LIVED_EXPERIENCE for m in t.members)
        ]

    assert unbalanced == ["T04", "T10", "T12"]


# --- results ---------------------------------------------------------------------------

# Domain 12.6: rank, team, mean, judge range, C2 mean, C4 mean, judges counted.
DOMAIN_RANKING = [
    (1, "T01", "4.33", "4.05", "4.65", "4.83", "4.50", 6),
    (2, "T03", "4.22", "3.75", "4.60", "4.67", "4.17", 6),
    (3, "T02", "3.95", "3.60", "4.80", "4.17", "3.67", 6),
    (4, "T04", "3.88", "2.90", "4.35", "3.67", "4.50", 6),
    (5, "T07", "3.74", "3.55", "4.05", "3.60", "3.20", 5),
    (6, "T06", "3.63", "3.10", "4.30", "4.17", "3.50", 6),
    (7, "T09", "3.63", "3.15", "4.35", "3.50", "3.50", 6),
    (8, "T05", "3.54", "3.05", "4.20", "4.17", "2.67", 6),
    (9, "T08", "3.48", "2.65", "4.00", "3.33", "3.50", 6),
    (10, "T11", "3.38", "2.90", "3.75", "3.17", "3.17", 6),
    (11, "T10", "3.11", "2.85", "3.55", "3.67", "3.00", 6),
    (12, "T12", "3.02", "2.20", "3.65", "3.33", "3.17", 6),
]


def test_demo_results_reproduce_the_domain_ranking(demo_app, loaded):
    with demo_app.app_context():
        results = judging.compute_results(demo_event())
        table = []
        for row in results.rows:
            r = row.result
            means = {cm.code: str(cm.mean) for cm in r.criterion_means}
            table.append(
                (
                    row.rank,
                    row.team.ref,
                    str(r.mean),
                    str(r.lowest),
                    str(r.highest),
                    means["C2"],
                    means["C4"],
                    r.judges_counted,
                )
            )

    assert [ref for _, ref, *_ in table] == data.EXPECTED_RANKING
    assert table == DOMAIN_RANKING


def test_demo_results_t06_above_t09_by_the_c2_tie_break(demo_app, loaded):
    with demo_app.app_context():
        results = judging.compute_results(demo_event())
        rows = {row.team.ref: row for row in results.rows}

    t06, t09 = rows["T06"], rows["T09"]
    assert t06.result.mean_exact == t09.result.mean_exact == Fraction(2180, 600)
    assert (t06.rank, t09.rank) == (6, 7)
    assert (t06.ranked.tied, t09.ranked.tied) == (False, False)
    assert (t06.ranked.note, t09.ranked.note) == (
        "Equal mean; placed by the tie-break: higher mean C2 Benefit to "
        "patients/residents, carers & staff (4.17 against 3.50)",
        "Equal mean; placed by the tie-break: lower mean C2 Benefit to "
        "patients/residents, carers & staff (3.50 against 4.17)",
    )
    assert results.has_unresolved_ties is False


def test_demo_results_t07_mean_over_five_judges(demo_app, loaded):
    with demo_app.app_context():
        results = judging.compute_results(demo_event())
        t07 = next(row for row in results.rows if row.team.ref == "T07")
        maureen = db.session.scalar(
            select(User.id).where(User.display_name == "Maureen Tilley")
        )
        conflicts = [
            (c.pitch.team.ref, c.judge.display_name, c.automatic)
            for c in results.conflicts
        ]

    assert (t07.result.judges_counted, t07.result.conflicted_judges) == (5, (maureen,))
    assert conflicts == [("T07", "Maureen Tilley", False)]
    assert results.scorecards_counted == 71


def test_demo_judge_means_follow_domain_12_6(demo_app, loaded):
    with demo_app.app_context():
        results = judging.compute_results(demo_event())
        names = {m.user_id: m.user.display_name for m in results.judges}
    scores: dict[str, list[Decimal]] = {}
    for row in results.rows:
        for judge_id, score in row.result.judge_scores:
            scores.setdefault(names[judge_id], []).append(score)

    means = {
        name: (sum(values) / len(values)).quantize(Decimal("0.01"))
        for name, values in scores.items()
    }
    assert means == {
        "Judith Pennant": Decimal("3.63"),
        "Gareth Lowry": Decimal("4.16"),
        "Dr Priya Venkatesan": Decimal("3.21"),
        "Tomasz Wren": Decimal("3.67"),
        "Sandra Achebe": Decimal("3.49"),
        "Maureen Tilley": Decimal("3.80"),
    }


# --- dates -----------------------------------------------------------------------------


def test_demo_dates_relative_to_today(demo_app, runner):
    with time_machine.travel(datetime(2026, 11, 22, 12, 0, tzinfo=UTC), tick=False):
        load(runner)

    with demo_app.app_context():
        event = demo_event()
        local = [
            event.starts_at.astimezone(LONDON).replace(tzinfo=None),
            event.ends_at.astimezone(LONDON).replace(tzinfo=None),
            event.submissions_close_at.astimezone(LONDON).replace(tzinfo=None),
        ]

    # Domain 12.1: demo "today" is D+192 (22 Nov 2026), so D0 is Thu 14 May 2026.
    assert local == [
        datetime(2026, 5, 14, 8, 30),
        datetime(2026, 5, 15, 17, 0),
        datetime(2026, 5, 15, 13, 30),
    ]


def test_demo_dates_follow_the_real_today(demo_app, loaded):
    with demo_app.app_context():
        starts = demo_event().starts_at.astimezone(LONDON).date()

    assert starts == date.today() - timedelta(days=192)


# --- the password file and --if-empty --------------------------------------------------


def test_demo_password_file_is_private_and_reused(demo_app, runner, tmp_path):
    first = password_in(load(runner).output)

    path = Path(tmp_path) / "demo-password.txt"
    assert path.read_text() == f"{first}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert re.fullmatch(r"[a-z]+(-[a-z]+){3}", first)


def test_demo_new_password_file_resets_demo_accounts(demo_app, runner, tmp_path):
    first = password_in(load(runner).output)
    (Path(tmp_path) / "demo-password.txt").unlink()

    second = password_in(load(runner).output)

    with demo_app.app_context():
        user = db.session.scalar(
            select(User).where(User.email == "judith.pennant@example.org")
        )
        hashes = set(db.session.scalars(select(User.password_hash)))
    assert second != first
    assert len(hashes) == 1
    assert check_password_hash(user.password_hash, second) is True
    assert check_password_hash(user.password_hash, first) is False


def test_demo_load_if_empty_leaves_a_real_database_alone(demo_app, runner):
    with demo_app.app_context():
        make_user("real.person@nhs.example")
        db.session.commit()

    result = load(runner, "--if-empty")

    assert result.output == (
        "The database already has accounts: the demo was not loaded.\n"
    )
    with demo_app.app_context():
        assert (count(Event), count(User)) == (0, 1)


def test_demo_load_if_empty_on_an_empty_database_loads(demo_app, runner):
    result = load(runner, "--if-empty")

    assert result.output.startswith("Demo event created")
    with demo_app.app_context():
        assert count(Team) == 12


def test_demo_sign_ins_are_printed_and_exist(demo_app, runner):
    output = load(runner).output

    emails = re.findall(r"\s(\S+@example\.org)$", output, re.M)
    assert emails == [
        "leah.brennan@example.org",
        "sam.okoro@example.org",
        "judith.pennant@example.org",
        "gareth.lowry@example.org",
        "priya.venkatesan@example.org",
        "tomasz.wren@example.org",
        "sandra.achebe@example.org",
        "maureen.tilley@example.org",
        "naomi.strand@example.org",
        "jodie.park@example.org",
        "kwame.asante@example.org",
    ]
    with demo_app.app_context():
        found = set(
            db.session.scalars(select(User.email).where(User.email.in_(emails)))
        )
    assert found == set(emails)


# --- beside the ranking: methods, robustness, judges (issue 4) -------------------------


def test_demo_analysis_names_the_lenient_and_harsh_judges_and_reads_agreement(
    demo_app, loaded
):
    from judging import analysis
    from judging.methods import Lean, Method

    with demo_app.app_context():
        result = analysis.analyse(judging.compute_results(demo_event()))

    assert result.declared == Method.MEAN  # panel mode
    verdicts = {line.name: line.report.verdict for line in result.judges}
    assert verdicts["Gareth Lowry"] == Lean.LENIENT
    assert verdicts["Dr Priya Venkatesan"] == Lean.HARSH
    assert verdicts["Judith Pennant"] == Lean.IN_LINE
    means = {line.name: line.report.mean for line in result.judges}
    # Domain 12.5: J1 calibrated (3.63), J2 lenient (4.16), J3 harsh (3.21).
    assert (
        means["Judith Pennant"],
        means["Gareth Lowry"],
        means["Dr Priya Venkatesan"],
    ) == (Decimal("3.63"), Decimal("4.16"), Decimal("3.21"))
    assert result.agreement.pairs == 15
    assert result.agreement.reading.startswith(str(result.agreement.value))


def test_demo_analysis_says_what_the_top_three_hinges_on(demo_app, loaded):
    from judging import analysis

    with demo_app.app_context():
        result = analysis.analyse(judging.compute_results(demo_event()))

    # The winner (T01) and the funded set hold every way; the third place does not.
    assert not result.robust
    assert all("winner" not in text for text in result.findings)
    assert all("funded set" not in text for text in result.findings)
    assert "Without Gareth Lowry's scores, the top three would change" in " ".join(
        result.findings
    )
    assert any(text.startswith("By the median") for text in result.findings)


def test_demo_results_page_shows_methods_robustness_and_judges(
    demo_app, loaded, client
):
    from tests.factories import sign_in

    with demo_app.app_context():
        leah = db.session.scalar(
            select(User).where(User.display_name == "Leah Brennan")
        )
        sign_in(client, leah)

    page = client.get(f"/events/{data.EVENT['slug']}/results").text

    assert "Other methods, side by side" in page
    assert "Mean of weighted scores (declared)" in page
    assert "Is the result robust?" in page
    assert "the top three would change" in page
    assert "Judges against the panel" in page
    assert re.search(r"Gareth Lowry</th>.*?Lenient", page, re.S)
    assert "Agreement between the judges:</strong> 0.71, strong agreement" in page


def test_demo_result_sheet_reads_the_methods_robustness_and_judges(
    demo_app, loaded, tmp_path
):
    from judging import pdf
    from tests.judging.test_pdf import pdf_text

    with demo_app.test_request_context():
        document = pdf.render_results_pdf(judging.compute_results(demo_event()))

    text = " ".join(pdf_text(document, tmp_path).split())
    # Published: each page's footer gives the date, and no page calls it confidential.
    assert text.count("Published 22 May 2026 Page") == text.count("Page ") == 5
    assert "Confidential" not in text
    assert "Other methods" in text
    assert "Mean (declared) Median Trimmed mean Z-scores" in text
    assert "T01 Sip Smart 4.33 (1) 4.25 (1) 4.33 (1) 4.47 (1)" in text
    assert "Is the result robust?" in text
    assert (
        "Without Gareth Lowry's scores, the top three would change "
        "(T04 MedsMatch in, T02 Soft Signs out)."
    ) in text
    assert "Gareth Lowry 12 4.16 0.41 +0.60 Lenient" in text
    assert "Dr Priya Venkatesan 12 3.21 0.53 -0.54 Harsh" in text
    assert "Agreement between the judges: 0.71, strong agreement" in text


# --- exports (issue 4, item 8) ---------------------------------------------------------


def _organiser_client(demo_app, client):
    from tests.factories import sign_in

    with demo_app.app_context():
        leah = db.session.scalar(
            select(User).where(User.display_name == "Leah Brennan")
        )
        sign_in(client, leah)
    return client


def test_demo_scores_by_pitch_export_in_three_formats_agree(demo_app, loaded, client):
    import csv as csv_module
    import io
    import json

    import openpyxl

    client = _organiser_client(demo_app, client)
    base = f"/events/{data.EVENT['slug']}/results/scores-by-pitch"

    as_csv = client.get(base + ".csv")
    as_xlsx = client.get(base + ".xlsx")
    as_json = client.get(base + ".json")

    assert as_csv.headers["Content-Disposition"].endswith("scores-by-pitch.csv")
    assert as_csv.headers["Cache-Control"] == "no-store"
    rows = list(csv_module.reader(io.StringIO(as_csv.text)))
    assert rows[0][:10] == [
        "Rank",
        "Team ref",
        "Team",
        "Score (Mean, declared)",
        "Mean",
        "Median",
        "Trimmed mean",
        "Z-scores",
        "Judges counted",
        "Note",
    ]
    assert [r[1] for r in rows[1:]] == data.EXPECTED_RANKING
    t01 = rows[1]
    assert t01[:9] == [
        "1",
        "T01",
        "Sip Smart",
        "4.33",
        "4.33",
        "4.25",
        "4.33",
        "4.47",
        "6",
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("Rank", "Team ref", "Team", "Score (Mean, declared)")
    assert values[1][:9] == (1, "T01", "Sip Smart", 4.33, 4.33, 4.25, 4.33, 4.47, 6)
    document = json.loads(as_json.data)
    assert document["method"] == "mean"
    assert [r["team_ref"] for r in document["rows"]] == data.EXPECTED_RANKING
    assert document["rows"][0]["z_score"] == "4.47"
    t07 = next(r for r in document["rows"] if r["team_ref"] == "T07")
    assert t07["judges_counted"] == 5  # Maureen Tilley's conflict


def test_demo_scores_by_judge_export_lists_every_card_and_no_notes(
    demo_app, loaded, client
):
    import json

    client = _organiser_client(demo_app, client)
    base = f"/events/{data.EVENT['slug']}/results/scores-by-judge"

    document = json.loads(client.get(base + ".json").data)

    rows = document["rows"]
    # 6 judges x 12 pitches, less Maureen Tilley on T07 (her conflict: she never
    # scored it), every one counted.
    assert len(rows) == 71
    assert all(r["counted"] for r in rows)
    assert not any(
        r["judge"] == "Maureen Tilley" and r["team_ref"] == "T07" for r in rows
    )
    gareth_t01 = next(
        r for r in rows if r["judge"] == "Gareth Lowry" and r["team_ref"] == "T01"
    )
    assert gareth_t01["recommendation"] is not None
    assert "private" not in client.get(base + ".csv").text.lower()


def test_exports_are_for_organisers_only(demo_app, loaded, client):
    from tests.factories import sign_in

    with demo_app.app_context():
        judge = db.session.scalar(
            select(User).where(User.display_name == "Gareth Lowry")
        )
        sign_in(client, judge)

    for kind in ("judge", "pitch"):
        response = client.get(
            f"/events/{data.EVENT['slug']}/results/scores-by-{kind}.csv"
        )
        assert response.status_code == 404
