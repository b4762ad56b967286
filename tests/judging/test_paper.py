"""Paper fallback: scoring sheets per judge (PDF with QR codes), and the CSV import."""

import json
import subprocess

import pytest
from sqlalchemy import func, select

from auth.audit import AuditEntry
from auth.models import User
from events.models import Event, EventPhase, PanelMember
from extensions import db
from judging import paper
from judging.models import Recommendation, Scorecard, ScoreSubmission
from pitches.models import Background, Pitch, Team
from tests.factories import (
    declare_conflict,
    make_event,
    make_judge,
    make_pack,
    make_scorecard,
    make_team,
    make_user,
    sign_in,
)
from tests.judging.test_pdf import expanded, pdf_text

SLUG = "paper"


@pytest.fixture
def paper_event(app) -> dict:
    """An event in judging: two judges, three submitted teams, one conflict, one draft."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olu Organiser", is_organiser=True)
        event = make_event(organiser, slug=SLUG, phase=EventPhase.JUDGING)
        chair = make_judge(event, make_user("judith@example.org", "Judith Pennant"))
        other = make_judge(event, make_user("gareth@example.org", "Gareth Lowry"))
        members = [("Mina Memberton", Background.CLINICIAN)]
        alder = make_team(event, name="Alderwood", submitted=True, members=members)
        birch = make_team(event, name="Birchwood", submitted=True, members=members)
        cedar = make_team(event, name="Cedarwood", submitted=True, members=members)
        draft = make_team(event, name="Draftwood")
        declare_conflict(alder.pitch, other, "Works with the team lead")
        ids = {
            "event": event.id,
            "chair": chair.id,
            "other": other.id,
            "organiser": organiser.id,
            "teams": {t.name: (t.ref, t.pitch.id) for t in (alder, birch, cedar)},
            "draft": draft.ref,
            "codes": [c.code for c in event.criteria],
            "names": [c.name for c in event.criteria],
            "scale": (event.scale_min, event.scale_max),
        }
        ids["login"] = {
            "organiser": organiser.get_id(),
            "chair": chair.get_id(),
            "other": other.get_id(),
        }
        ids["members"] = {
            m.user_id: m.id
            for m in db.session.scalars(
                select(PanelMember).where(PanelMember.event_id == event.id)
            )
        }
        db.session.commit()
    return ids


def pages(document: bytes, tmp_path) -> list[str]:
    """The text of each page, whitespace collapsed (so wrapped names read whole)."""
    path = tmp_path / "sheets.pdf"
    path.write_bytes(document)
    done = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True
    )
    text = done.stdout.decode("utf-8")
    return [" ".join(p.split()) for p in text.split("\f") if p.strip()]


# --- scoring sheets --------------------------------------------------------------------


def test_judge_sheets_pdf_one_page_per_unconflicted_pitch(
    client, paper_event, tmp_path
):
    sign_in(client, paper_event["login"]["organiser"])
    member_id = paper_event["members"][paper_event["other"]]

    response = client.get(f"/events/{SLUG}/paper/judges/{member_id}.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith(b"%PDF")
    sheets = pages(response.data, tmp_path)
    assert len(sheets) == 2
    for page, team in zip(sheets, ["Birchwood", "Cedarwood"], strict=True):
        assert team in page
        assert "Gareth Lowry" in page
        assert "Alderwood" not in page
        for name in paper_event["names"]:
            assert name in page
        pitch_id = paper_event["teams"][team][1]
        assert f"J{member_id}-P{pitch_id}" in page
        assert "Fund with conditions" in page


def test_all_sheets_pdf_one_judge_after_another(client, paper_event, tmp_path):
    sign_in(client, paper_event["login"]["organiser"])

    document = make_pack(client, SLUG, "paper")

    sheets = pages(document, tmp_path)
    judges = [
        "Gareth Lowry" if "Gareth Lowry" in p else "Judith Pennant" for p in sheets
    ]
    assert sorted(judges) == ["Gareth Lowry"] * 2 + ["Judith Pennant"] * 3
    assert judges == sorted(judges, key=judges.index)  # grouped by judge
    assert all("Draftwood" not in p for p in sheets)


def test_sheets_show_member_names_unless_blind(app, client, paper_event, tmp_path):
    sign_in(client, paper_event["login"]["organiser"])
    seen = pdf_text(make_pack(client, SLUG, "paper"), tmp_path)
    with app.app_context():
        db.session.get(Event, paper_event["event"]).is_blind = True
        db.session.commit()

    blind = pdf_text(make_pack(client, SLUG, "paper"), tmp_path)

    assert "Mina Memberton" in seen
    assert "Mina Memberton" not in blind
    assert "Birchwood" in blind


def test_sheets_html_has_inline_qr_of_the_scorecard_url(app, paper_event):
    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, paper_event["event"])
        member = db.session.get(
            PanelMember, paper_event["members"][paper_event["chair"]]
        )
        pack = paper.judge_sheets(event, member)
        html = paper.sheets_html(event, [pack])

    pitch_id = paper_event["teams"]["Birchwood"][1]
    url = f"http://localhost/events/{SLUG}/judge/pitches/{pitch_id}"
    assert [s.url for s in pack.sheets if s.pitch.id == pitch_id] == [url]
    assert str(paper.qr_svg(url)) in html
    assert html.count("<svg") == 3
    assert "<?xml" not in html
    assert "data:" not in html


def test_sheets_pdf_has_no_attachment_or_script(client, paper_event):
    sign_in(client, paper_event["login"]["organiser"])

    document = make_pack(client, SLUG, "paper")

    body = expanded(document)
    assert b"/EmbeddedFile" not in body
    assert b"/JavaScript" not in body


def test_judge_downloads_own_sheets(client, paper_event, tmp_path):
    sign_in(client, paper_event["login"]["other"])

    response = client.get(f"/events/{SLUG}/judge/paper.pdf")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    text = pdf_text(response.data, tmp_path)
    assert "Gareth Lowry" in text
    assert "Judith Pennant" not in text


def test_judge_cannot_download_another_judges_sheets(client, paper_event):
    sign_in(client, paper_event["login"]["other"])
    chair_member = paper_event["members"][paper_event["chair"]]

    assert (
        client.get(f"/events/{SLUG}/paper/judges/{chair_member}.pdf").status_code == 404
    )
    assert client.get(f"/events/{SLUG}/paper/sheets.pdf").status_code == 404
    assert client.get(f"/events/{SLUG}/paper/import").status_code == 404


def test_organiser_unknown_member_id_not_found(app, client, paper_event):
    with app.app_context():
        other_event = make_event(slug="elsewhere", phase=EventPhase.JUDGING)
        make_judge(other_event, make_user())
        foreign = db.session.scalar(
            select(PanelMember.id).where(PanelMember.event_id == other_event.id)
        )
        db.session.commit()
    sign_in(client, paper_event["login"]["organiser"])

    assert client.get(f"/events/{SLUG}/paper/judges/{foreign}.pdf").status_code == 404
    assert client.get(f"/events/{SLUG}/paper/judges/999999.pdf").status_code == 404


def test_queue_and_results_link_to_paper_sheets(client, paper_event):
    sign_in(client, paper_event["login"]["other"])
    queue = client.get(f"/events/{SLUG}/judge").get_data(as_text=True)
    sign_in(client, paper_event["login"]["organiser"])
    results = client.get(f"/events/{SLUG}/results").get_data(as_text=True)

    assert f"/events/{SLUG}/judge/paper.pdf" in queue
    assert f'action="/events/{SLUG}/results/packs/paper"' in results
    assert f"/events/{SLUG}/paper/import" in results


def test_cli_paper_sheets_writes_the_file(runner, paper_event, tmp_path):
    out = tmp_path / "sheets.pdf"

    result = runner.invoke(args=["paper", "sheets", SLUG, "--out", str(out)])

    assert result.exit_code == 0, result.output
    document = out.read_bytes()
    assert document.startswith(b"%PDF")
    assert len(pages(document, tmp_path)) == 5


def test_cli_paper_sheets_base_url_goes_into_the_qr(app, runner, paper_event, tmp_path):
    out = tmp_path / "sheets.pdf"

    result = runner.invoke(
        args=["paper", "sheets", SLUG, "--out", str(out)],
        env={"PAPER_BASE_URL": "https://pitch.example"},
    )

    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_cli_paper_sheets_unknown_slug_exits_1(runner, app, tmp_path):
    out = tmp_path / "sheets.pdf"

    result = runner.invoke(args=["paper", "sheets", "nope", "--out", str(out)])

    assert result.exit_code == 1
    assert out.exists() is False


# --- the CSV import --------------------------------------------------------------------


def csv_file(ids: dict, rows: list[dict], header: list[str] | None = None) -> bytes:
    header = header or [
        "judge_email",
        "team",
        *ids["codes"],
        "recommendation",
        "conditions",
        "feedback",
    ]
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(_quote(row.get(h, "")) for h in header))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _quote(value: str) -> str:
    return '"' + str(value).replace('"', '""') + '"'


def good_row(ids: dict, email: str = "judith@example.org", team: str = "Birchwood"):
    row = {"judge_email": email, "team": ids["teams"][team][0], "feedback": "Clear."}
    row |= {code: "4" for code in ids["codes"]}
    return row


def post_csv(client, data: bytes, name: str = "scores.csv"):
    """Post the file as multipart bytes built here: the test client's own encoder spools
    a large body to a temporary file it never closes (a ResourceWarning)."""
    boundary = "paper-test-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"/events/{SLUG}/paper/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def stored_cards(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Scorecard.id)))


def test_import_form_shows_template_link(client, paper_event):
    sign_in(client, paper_event["login"]["organiser"])

    page = client.get(f"/events/{SLUG}/paper/import").get_data(as_text=True)

    assert 'enctype="multipart/form-data"' in page
    assert f"/events/{SLUG}/paper/template.csv" in page


def test_template_csv_has_a_row_per_judge_and_pitch(app, client, paper_event):
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == "Cedarwood"))
        team.ref = "=1+1"  # formula-looking cell: escaped
        db.session.commit()
    sign_in(client, paper_event["login"]["organiser"])

    response = client.get(f"/events/{SLUG}/paper/template.csv")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    lines = response.get_data(as_text=True).splitlines()
    codes = ",".join(paper_event["codes"])
    assert lines[0] == (
        f"judge_email,team,sheet_code,{codes},recommendation,conditions,feedback"
    )
    assert len(lines) == 1 + 3 + 2
    assert any(line.startswith("judith@example.org,'=1+1,") for line in lines)


def test_import_happy_path_stores_marks_and_audit(app, client, paper_event):
    ids = paper_event
    rows = [good_row(ids), good_row(ids, "gareth@example.org", "Cedarwood")]
    rows[0] |= {ids["codes"][0]: "5", "recommendation": "fund_with_conditions"}
    rows[0] |= {"conditions": "Match funding from the trust"}
    rows[1]["team"] = "Cedarwood"  # exact team name also works
    sign_in(client, ids["login"]["organiser"])

    response = post_csv(client, csv_file(ids, rows))

    assert response.status_code == 200, response.get_data(as_text=True)[-3000:]
    page = response.get_data(as_text=True)
    assert 'id="import-results"' in page
    with app.app_context():
        cards = {
            (c.judge_id, c.pitch_id): c for c in db.session.scalars(select(Scorecard))
        }
        first = cards[(ids["chair"], ids["teams"]["Birchwood"][1])]
        event = db.session.get(Event, ids["event"])
        by_code = {c.id: c.code for c in event.criteria}
        assert {by_code[m.criterion_id]: m.value for m in first.marks} == {
            code: 5 if code == ids["codes"][0] else 4 for code in ids["codes"]
        }
        assert first.recommendation == Recommendation.FUND_WITH_CONDITIONS
        assert first.conditions == "Match funding from the trust"
        assert first.feedback == "Clear."
        assert (ids["other"], ids["teams"]["Cedarwood"][1]) in cards
        imported = list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "score.imported")
            )
        )
        saved = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "score.saved")
        )
    assert len(cards) == 2
    assert saved == 2
    assert len(imported) == 2
    assert {json.loads(e.detail)["source"] for e in imported} == {"paper import"}
    assert {e.actor_id for e in imported} == {ids["organiser"]}


def test_import_overwrites_existing_scorecard(app, client, paper_event):
    ids = paper_event
    with app.app_context():
        pitch = db.session.get(Pitch, ids["teams"]["Birchwood"][1])
        judge = db.session.get(User, ids["chair"])
        make_scorecard(pitch, judge, [2] * len(ids["codes"]))
        db.session.commit()
    sign_in(client, ids["login"]["organiser"])

    response = post_csv(client, csv_file(ids, [good_row(ids)]))

    assert response.status_code == 200
    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert card.revision == 2
        assert {m.value for m in card.marks} == {4}


def test_reimport_same_file_is_idempotent(app, client, paper_event):
    ids = paper_event
    data = csv_file(ids, [good_row(ids), good_row(ids, team="Cedarwood")])
    sign_in(client, ids["login"]["organiser"])
    post_csv(client, data)

    response = post_csv(client, data)

    assert response.status_code == 200
    assert "Already imported from this file" in response.get_data(as_text=True)
    with app.app_context():
        revisions = list(db.session.scalars(select(Scorecard.revision)))
        submissions = db.session.scalar(select(func.count(ScoreSubmission.id)))
        audits = db.session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "score.imported"
            )
        )
    assert revisions == [1, 1]
    assert submissions == 2
    assert audits == 2


def test_import_formula_feedback_stored_as_plain_text(app, client, paper_event):
    ids = paper_event
    row = good_row(ids) | {"feedback": '=HYPERLINK("http://evil.example","x")'}
    sign_in(client, ids["login"]["organiser"])

    post_csv(client, csv_file(ids, [row]))

    with app.app_context():
        card = db.session.scalar(select(Scorecard))
        assert card.feedback == '=HYPERLINK("http://evil.example","x")'


def test_import_accepts_bom_and_sheet_code(app, client, paper_event):
    ids = paper_event
    member = ids["members"][ids["chair"]]
    row = good_row(ids) | {"sheet_code": f"J{member}-P{ids['teams']['Birchwood'][1]}"}
    header = ["judge_email", "team", "sheet_code", *ids["codes"], "feedback"]
    sign_in(client, ids["login"]["organiser"])

    response = post_csv(client, b"\xef\xbb\xbf" + csv_file(ids, [row], header))

    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored_cards(app) == 1


def _invalid_cases(ids: dict) -> list[tuple[dict, str, str]]:
    c1 = ids["codes"][0]
    return [
        ({"judge_email": "nobody@example.org"}, "judge_email", "panel"),
        ({"judge_email": "org@example.org"}, "judge_email", "panel"),
        ({"team": "T999"}, "team", "No team"),
        ({"team": ids["draft"]}, "team", "not submitted"),
        (
            {"judge_email": "gareth@example.org", "team": ids["teams"]["Alderwood"][0]},
            "team",
            "conflict of interest",
        ),
        ({c1: ""}, c1, "Missing mark"),
        ({c1: "9"}, c1, "whole number"),
        ({c1: "0"}, c1, "whole number"),
        ({c1: "３"}, c1, "whole number"),
        ({c1: "3.0"}, c1, "whole number"),
        ({c1: "NaN"}, c1, "whole number"),
        ({c1: "-1"}, c1, "whole number"),
        ({c1: "1e1"}, c1, "whole number"),
        ({"recommendation": "maybe"}, "recommendation", "fund_with_conditions"),
        ({"feedback": "   "}, "feedback", "Missing feedback"),
        ({"recommendation": "fund with conditions"}, "conditions", "Write the"),
        ({"sheet_code": "J1-P1"}, "sheet_code", "Does not match"),
    ]


@pytest.mark.parametrize("case", range(17))
def test_import_invalid_row_reported_and_nothing_stored(app, paper_event, case):
    ids = paper_event
    change, column, words = _invalid_cases(ids)[case]
    rows = [good_row(ids), good_row(ids, team="Cedarwood") | change]
    header = ["judge_email", "team", "sheet_code", *ids["codes"]]
    header += ["recommendation", "conditions", "feedback"]

    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, ids["event"])
        organiser = db.session.get(User, ids["organiser"])
        report = paper.import_scores(organiser, event, csv_file(ids, rows, header))
        db.session.rollback()

    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, column)]
    assert words in report.errors[0].message
    assert stored_cards(app) == 0


def test_import_duplicate_row_reported(app, client, paper_event):
    ids = paper_event
    rows = [good_row(ids), good_row(ids, team="Cedarwood"), good_row(ids)]
    sign_in(client, ids["login"]["organiser"])

    response = post_csv(client, csv_file(ids, rows))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert "Same judge and team as row 2" in page
    assert stored_cards(app) == 0


def test_import_reports_every_bad_row_over_http(app, client, paper_event):
    ids = paper_event
    c1 = ids["codes"][0]
    rows = [
        good_row(ids) | {c1: "７"},
        good_row(ids, team="Cedarwood"),
        good_row(ids, "gareth@example.org") | {"feedback": ""},
    ]
    sign_in(client, ids["login"]["organiser"])

    response = post_csv(client, csv_file(ids, rows))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<td class="nhsuk-table__cell">2</td>' in page
    assert '<td class="nhsuk-table__cell">4</td>' in page
    assert stored_cards(app) == 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"judge_email,team\r\n", "Missing column"),
        (b"\xff\xfe\x00j", "not UTF-8"),
        (b"", "empty"),
    ],
)
def test_import_bad_file_reported(app, paper_event, data, words):
    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, paper_event["event"])
        organiser = db.session.get(User, paper_event["organiser"])
        report = paper.import_scores(organiser, event, data)

    assert not report.ok
    assert words in report.errors[0].message


def test_import_too_many_rows_refused(app, paper_event, monkeypatch):
    monkeypatch.setattr(paper, "MAX_IMPORT_ROWS", 2)
    ids = paper_event
    rows = [
        good_row(ids),
        good_row(ids, team="Cedarwood"),
        good_row(ids, team="Alderwood"),
    ]
    with app.app_context(), app.test_request_context():
        event = db.session.get(Event, ids["event"])
        organiser = db.session.get(User, ids["organiser"])
        report = paper.import_scores(organiser, event, csv_file(ids, rows))

    assert [e.message for e in report.errors] == [
        "The file has more than 2 rows of scores"
    ]


def test_import_too_large_refused(client, paper_event):
    sign_in(client, paper_event["login"]["organiser"])

    response = post_csv(client, b"x" * (paper.MAX_IMPORT_BYTES + 200_000))

    assert response.status_code == 413


def test_import_slightly_too_large_file_reported(app, client, paper_event):
    sign_in(client, paper_event["login"]["organiser"])

    response = post_csv(client, b"a" * (paper.MAX_IMPORT_BYTES + 10))

    assert response.status_code == 400
    assert "larger than 1,000,000 bytes" in response.get_data(as_text=True)


def test_import_outside_judging_refused(app, client, paper_event):
    with app.app_context():
        db.session.get(Event, paper_event["event"]).phase = EventPhase.OPEN
        db.session.commit()
    sign_in(client, paper_event["login"]["organiser"])

    response = post_csv(client, csv_file(paper_event, [good_row(paper_event)]))

    assert response.status_code == 400
    assert "only while judging is open" in response.get_data(as_text=True)
    assert stored_cards(app) == 0


def test_import_without_file_is_a_form_error(client, paper_event):
    sign_in(client, paper_event["login"]["organiser"])

    response = client.post(
        f"/events/{SLUG}/paper/import", data={}, content_type="multipart/form-data"
    )

    assert response.status_code == 400
    assert "Choose a CSV file to import" in response.get_data(as_text=True)
