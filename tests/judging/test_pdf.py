"""The result sheet: its HTML (R-23), the PDF worker (R-29 to R-31), the download and the CLI."""

import http.server
import re
import subprocess
import threading
import urllib.request
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select

from events.models import Event, EventPhase
from extensions import db
from judging import pdf, services
from pitches.models import Background, TeamMember
from tests.factories import (
    declare_conflict,
    make_event,
    make_judge,
    make_scorecard,
    make_team,
    make_user,
)

HOSTILE = "<script>alert(1)</script>"
ATTACHMENT = '<link rel="attachment" href="data:text/plain,owned">'


def expanded(document: bytes) -> bytes:
    """The PDF's bytes plus every Flate stream inflated (object streams included)."""
    parts = [document]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", document, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def pdf_text(document: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(document)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


@pytest.fixture
def sheet_event(app) -> str:
    """An event in moderation: three ranked teams, one hostile name, one conflict."""
    with app.app_context():
        organiser = make_user("org@example.org", "Olu Organiser", is_organiser=True)
        event = make_event(organiser, slug="sheet", phase=EventPhase.MODERATION)
        chair = make_judge(event, make_user(name="Judith Pennant"), chair=True)
        other = make_judge(event, make_user(name="Gareth Lowry"))
        alder = make_team(event, name="Alderwood", submitted=True).pitch
        birch = make_team(event, name=HOSTILE, submitted=True).pitch
        cedar = make_team(event, name="Cedarwood", submitted=True).pitch
        make_scorecard(cedar, chair, [5] * 7, event)
        make_scorecard(cedar, other, [4] * 7, event)
        make_scorecard(birch, chair, [4] * 7, event)
        make_scorecard(birch, other, [4] * 7, event)
        make_scorecard(alder, chair, [3] * 7, event)
        make_scorecard(alder, other, [1] * 7, event)  # conflicted: not counted
        declare_conflict(alder, other, "Works with the team lead")
        db.session.commit()
    return "sheet"


def results_for(slug: str) -> services.Results:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    return services.compute_results(event)


# --- the HTML --------------------------------------------------------------------------


def test_results_sheet_html_states_method_and_weights(app, sheet_event):
    with app.app_context():
        html = pdf.results_sheet_html(results_for(sheet_event))

    assert "<h2>Method</h2>" in html
    rows = re.findall(
        r'<tr><td>(C\d) [^<]*</td><td class="num">(\d+)%</td>'
        r'<td class="num">(\d*)</td></tr>',
        html,
    )
    assert rows == [
        ("C1", "15", ""),
        ("C2", "20", "1"),
        ("C3", "15", ""),
        ("C4", "20", "2"),
        ("C5", "15", ""),
        ("C6", "10", ""),
        ("C7", "5", ""),
    ]
    assert "divided by the sum of the weights (here 100)" in html
    assert "the higher mean C2 Benefit" in html


def test_results_sheet_html_lists_teams_in_rank_order(app, sheet_event):
    with app.app_context():
        html = pdf.results_sheet_html(results_for(sheet_event))

    ranking = html.split("<h2>Ranking</h2>")[1].split("</table>")[0]
    cells = re.findall(
        r"<tr class=\"\">\s*<td>(\d+)</td>\s*<td>T\d+ ([^<]+)</td>", ranking
    )
    assert cells == [
        ("1", "Cedarwood"),
        ("2", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("3", "Alderwood"),
    ]


def test_results_sheet_html_lists_excluded_conflicts(app, sheet_event):
    with app.app_context():
        html = pdf.results_sheet_html(results_for(sheet_event))

    section = html.split("<h2>Conflicts of interest excluded</h2>")[1].split("<h2>")[0]
    items = re.findall(r"<li>(.*?)</li>", section)
    assert len(items) == 1
    assert re.fullmatch(
        r"Gareth Lowry did not score T\d+ Alderwood: Works with the team lead",
        items[0],
    )


def test_results_sheet_html_has_sign_off_block_with_chair(app, sheet_event):
    with app.app_context():
        html = pdf.results_sheet_html(results_for(sheet_event))

    signoff = html.split("<h2>Sign-off</h2>")[1]
    roles = re.findall(
        r"<tr><td>([^<]+)</td><td>([^<]*)</td><td></td><td></td></tr>", signoff
    )
    # Nothing is signed or approved yet: the names to sign and blank records.
    assert roles == [
        ("Panel chair", "Judith Pennant"),
        ("Funder", ""),
        ("Organiser", ""),
    ]


@pytest.mark.parametrize(
    "hostile",
    [
        HOSTILE,
        '"><img src=x onerror=alert(1)>',
        ATTACHMENT,
        "</td></tr></table><h1>Winner</h1>",
    ],
)
def test_results_sheet_html_escapes_participant_text(app, hostile):
    with app.app_context():
        event = make_event(slug="hostile", phase=EventPhase.MODERATION)
        judge = make_judge(event, make_user(name=hostile), chair=True)
        pitch = make_team(event, name=hostile, submitted=True).pitch
        make_scorecard(pitch, judge, [4] * 7, event)
        other = make_team(event, name="Plain", submitted=True).pitch
        declare_conflict(other, judge, reason=hostile)
        event.venue = hostile
        db.session.flush()

        html = pdf.results_sheet_html(services.compute_results(event))

    assert hostile not in html
    escaped = (
        hostile.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
    )
    # Team name (ranking and conflicts), judge name (panel, conflicts, sign-off), reason, venue.
    assert html.count(escaped) >= 5


# --- the PDF ---------------------------------------------------------------------------


def test_render_results_pdf_is_a_pdf_with_page_numbers_and_ranking(
    app, sheet_event, tmp_path
):
    with app.app_context():
        document = pdf.render_results_pdf(results_for(sheet_event))

    assert document.startswith(b"%PDF")
    text = pdf_text(document, tmp_path)
    assert re.search(r"Page 1 of \d+", text)
    # In moderation the results are not public yet: every page says so.
    assert text.count("Confidential until published") == text.count("Page ")
    positions = [
        text.index(name) for name in ("Cedarwood", "<script>alert(1)", "Alderwood")
    ]
    assert positions == sorted(positions)
    assert "Gareth Lowry did not score" in text


def test_render_results_pdf_has_no_javascript_or_embedded_file(app, tmp_path):
    """R-31, with hostile names that would add an attachment if they were markup."""
    with app.app_context():
        event = make_event(slug="r31", phase=EventPhase.MODERATION)
        judge = make_judge(event, make_user(name=ATTACHMENT), chair=True)
        pitch = make_team(
            event, name='<a rel="attachment" href="data:,x">a</a>', submitted=True
        ).pitch
        make_scorecard(pitch, judge, [4] * 7, event)
        db.session.add(
            TeamMember(
                team_id=pitch.team_id, name=HOSTILE, background=Background.DEVELOPER
            )
        )
        db.session.flush()

        document = pdf.render_results_pdf(services.compute_results(event))

    content = expanded(document)
    assert document.startswith(b"%PDF")
    assert (b"/JavaScript" in content, b"/JS " in content) == (False, False)
    assert (b"/EmbeddedFile" in content, b"/EmbeddedFiles" in content) == (False, False)
    assert ATTACHMENT in pdf_text(document, tmp_path)


def test_r31_html_to_pdf_embeds_nothing_even_when_markup_asks(app):
    """Defence in depth: the worker fetches no URL at all, data: included, so even app
    markup asking for an attachment produces a PDF without an /EmbeddedFile."""
    with app.app_context():
        document = pdf.html_to_pdf(
            f"<html><head>{ATTACHMENT}</head><body>x</body></html>"
        )

    assert document.startswith(b"%PDF")
    assert b"/EmbeddedFile" not in expanded(document)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """A local HTTP server on a free port that records every request it receives."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    server.shutdown()
    server.server_close()
    thread.join()


def test_html_to_pdf_fetches_no_external_urls(app, listener, tmp_path):
    base, received = listener
    html = f"""<html><head>
<link rel="stylesheet" href="{base}/sheet.css">
<link href="file:///etc/passwd">
<link rel="stylesheet" href="file:///etc/passwd">
<style>
@import url("{base}/import.css");
@font-face {{ font-family: X; src: url("{base}/font.woff"); }}
body {{ background: url("{base}/background.png"); font-family: X; }}
</style></head><body>
<p>Still renders</p>
<img src="http://127.0.0.1:9/x.png" alt="port nine">
<img src="{base}/img.png" alt="local server">
<img src="file:///etc/passwd" alt="passwd">
<object data="{base}/object.svg"></object>
<embed src="{base}/embed.svg">
<iframe src="{base}/frame.html"></iframe>
<svg><image href="{base}/svg.png" width="10" height="10"/></svg>
</body></html>"""

    with app.app_context():
        document = pdf.html_to_pdf(html)

    assert document.startswith(b"%PDF")
    text = pdf_text(document, tmp_path)
    assert "Still renders" in text
    assert "root:" not in text
    assert received == []
    # The server was listening all along: a direct request reaches it.
    urllib.request.urlopen(f"{base}/probe", timeout=5).close()  # noqa: S310
    assert received == ["/probe"]


@pytest.mark.parametrize(
    ("html", "limit"),
    [
        ("x" * 1001, 1000),
        ("é" * 501, 1000),  # 1,002 bytes in UTF-8: the cap counts bytes
    ],
)
def test_html_to_pdf_oversized_html_refused(app, html, limit):
    app.config["PDF_MAX_HTML_BYTES"] = limit
    with app.app_context():
        with pytest.raises(pdf.PdfError, match="too large"):
            pdf.html_to_pdf(html)


def test_html_to_pdf_at_the_size_limit_renders(app):
    html = "<p>" + "x" * 993 + "</p>"
    app.config["PDF_MAX_HTML_BYTES"] = len(html)
    with app.app_context():
        document = pdf.html_to_pdf(html)

    assert document.startswith(b"%PDF")


def test_html_to_pdf_out_of_time_refused(app):
    app.config["PDF_TIMEOUT_SECONDS"] = 0.001
    with app.app_context():
        with pytest.raises(pdf.PdfError, match="took too long"):
            pdf.html_to_pdf("<p>hello</p>")


def test_html_to_pdf_over_memory_limit_refused(app):
    app.config["PDF_MEMORY_LIMIT_BYTES"] = 32 * 1024 * 1024
    with app.app_context():
        with pytest.raises(pdf.PdfError, match="could not be rendered"):
            pdf.html_to_pdf("<p>hello</p>")


# --- the download ----------------------------------------------------------------------


def test_results_pdf_download_as_organiser(client, auth, sheet_event):
    auth.login("org@example.org")

    response = client.get(f"/events/{sheet_event}/results.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=sheet-results.pdf"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF")


def test_results_pdf_download_as_judge_not_found(app, client, auth, sheet_event):
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == sheet_event))
        make_judge(event, make_user("judge@example.org"))
        db.session.commit()
    auth.login("judge@example.org")

    response = client.get(f"/events/{sheet_event}/results.pdf")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- the CLI ---------------------------------------------------------------------------


def test_cli_results_pdf_writes_the_sheet(app, runner, sheet_event, tmp_path):
    out = tmp_path / "sheet.pdf"

    result = runner.invoke(args=["results", "pdf", sheet_event, "--out", str(out)])

    assert result.exit_code == 0, result.output
    document = out.read_bytes()
    assert document.startswith(b"%PDF")
    assert result.output == f"Wrote {out} ({len(document):,} bytes)\n"
    assert "Cedarwood" in pdf_text(document, tmp_path)


def test_cli_results_pdf_unknown_slug_exits_1(app, runner, tmp_path):
    out = tmp_path / "sheet.pdf"

    result = runner.invoke(args=["results", "pdf", "no-such-event", "--out", str(out)])

    assert result.exit_code == 1
    assert "No event with the slug 'no-such-event'" in result.output
    assert out.exists() is False


def test_cli_results_pdf_requires_out(app, runner, sheet_event):
    result = runner.invoke(args=["results", "pdf", sheet_event])

    assert result.exit_code == 2
    assert "Missing option '--out'" in result.output


def test_demo_result_sheet_carries_the_funding_table_flags_and_sign_off(app, tmp_path):
    """The published demo's sheet, read as text: domain 12.7's decisions and totals,
    the moderation flags and who signed what, when."""
    from datetime import date

    from demo.services import load_demo

    with app.app_context():
        event = load_demo(
            date.today(), "pw-amber-birch", phase=EventPhase.PUBLISHED
        ).event
        db.session.commit()
        text = pdf_text(
            pdf.render_results_pdf(services.compute_results(event)), tmp_path
        )
    lines = [" ".join(line.split()) for line in text.splitlines()]

    funding = text.split("Funding")[-1]
    for row in [
        "1 T01 Sip Smart £4,800 Fund in full £4,800",
        "2 T03 Hear Me Now £3,950 Fund in full £3,950",
        "5 T07 Tea & Talk £1,850 Fund in full £1,850 + People's Choice.",  # domain 12.7
        "6 T06 FallSafe Nights £4,500 Fund in full £4,500",
        "Total £43,950 7 funded £25,000 £0 of the £25,000 pot left",
    ]:
        assert row in lines, row
    for start in [
        "3 T02 Soft Signs £5,000 Fund with conditions £5,000 Condition: Review by",
        "4 T04 MedsMatch £2,400 Fund in full £2,400 The panel advises adding",
        "7 T09 First Shift £2,750 Fund in part £2,500 £250 of the £2,750 comes as",
        "8 T05 Red Bag Digital £5,000 Support, not cash £0 Help with information",
        "9 T08 Care Passport £1,500 Signpost elsewhere £0 This is fundable",
        "10 T11 My Last Chapter £2,200 Decline with feedback £0 Not funded this round",
        "11 T10 Night Navigator £5,000 Decline with feedback £0 Not funded: the £9,000",
        "12 T12 Ward Round Bot £5,000 Decline with feedback £0 Not funded: the panel",
    ]:
        assert any(line.startswith(start) for line in lines), start
    assert "Panel chair Judith Pennant Signed off" in " ".join(lines)
    assert "Funder Naomi Strand Allocation approved" in " ".join(lines)
    assert (
        "T09 First Shift: The last funded pitch: the funding line is 0.09 wide"
        in " ".join(lines)
    )
    assert funding.count("Total") == 1  # the total row is not repeated at page breaks
