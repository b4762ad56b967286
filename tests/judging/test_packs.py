"""Large document packs made in the background (judging/packs.py, R-30): asked for by
an organiser, made by a separate process that records its progress, downloaded once
ready, and never shown to anyone else."""

import re
import time
from datetime import date, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from auth.models import AuditEntry, User
from demo import data as demo_data
from demo.services import load_demo
from events.models import Event, EventPhase
from extensions import db, utcnow
from judging import packs, paper, pdf
from judging.pack_models import DocumentPack, PackKind, PackStatus, PackStep
from tests.factories import make_pack, sign_in
from tests.judging.test_pdf import pdf_text

SLUG = demo_data.EVENT["slug"]


@pytest.fixture
def demo(app):
    with app.app_context():
        load_demo(date.today(), "pw-amber-birch", phase=EventPhase.PUBLISHED)
        db.session.commit()


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.display_name == name))


def _signed_in(app, name: str):
    client = app.test_client()
    with app.app_context():
        sign_in(client, _user(name))
    return client


def _event() -> Event:
    return db.session.scalar(select(Event).where(Event.slug == SLUG))


def _asked(kind=PackKind.FEEDBACK) -> DocumentPack:
    pack, new = packs.request_pack(
        _user("Leah Brennan"), _event(), kind, "http://localhost/"
    )
    db.session.commit()
    assert new
    return pack


def test_organiser_makes_the_feedback_pack_in_the_background(app, demo, tmp_path):
    client = _signed_in(app, "Leah Brennan")

    document = make_pack(client, SLUG, "feedback")
    results = client.get(f"/events/{SLUG}/results").text

    text = pdf_text(document, tmp_path)
    positions = [text.index(f"{ref} ") for ref in demo_data.EXPECTED_RANKING]
    assert positions == sorted(positions)  # every team, in ranked order
    with app.app_context():
        (pack,) = db.session.scalars(select(DocumentPack))
        assert (pack.status, pack.step) == (PackStatus.DONE, PackStep.FINISHED)
        assert pack.pages_expected == len(demo_data.EXPECTED_RANKING)
        assert pack.pages_done >= pack.pages_expected  # a page each, at least
        assert pack.size == len(document) and pack.pdf == document
        assert pack.started_at <= pack.finished_at
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "pack.requested")
        )
        assert entry.actor_id == _user("Leah Brennan").id
        assert '"kind": "feedback"' in entry.detail
        pack_id = pack.id
    # The results page offers the finished pack, and to make it again.
    assert f"/events/{SLUG}/results/packs/{pack_id}.pdf" in results
    assert "Make it again" in results


def test_progress_is_answered_in_json_and_the_pdf_only_when_ready(app, demo):
    client = _signed_in(app, "Leah Brennan")
    with app.app_context():
        pack = _asked()
        pack.status, pack.step = PackStatus.RUNNING, PackStep.LAYOUT
        pack.pages_expected, pack.pages_done = 12, 6
        pack.heartbeat_at = utcnow()
        db.session.commit()
        url = f"/events/{SLUG}/results/packs/{pack.id}"

    state = client.get(url, headers={"Accept": "application/json"}).get_json()
    page = client.get(url).text
    early = client.get(url + ".pdf")

    # Layout is 5-75 %: half the pages laid out is 40 %.
    assert state == {
        "status": "running",
        "percent": 40,
        "message": "Laying out page 6 of about 12",
    }
    assert 'value="40"' in page and "Laying out page 6 of about 12 (40%)" in page
    assert early.status_code == 404


def test_asking_again_while_one_is_under_way_shows_that_one(app, demo):
    client = _signed_in(app, "Leah Brennan")
    with app.app_context():
        pack = _asked()
        pack_id = pack.id

    again = client.post(f"/events/{SLUG}/results/packs/feedback")

    assert again.headers["Location"].endswith(f"/results/packs/{pack_id}")
    with app.app_context():
        assert db.session.scalar(select(func.count(DocumentPack.id))) == 1
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == "pack.requested"
                )
            )
            == 1
        )
        db.session.delete(db.session.get(DocumentPack, pack_id))  # never started
        db.session.commit()


def test_a_pack_whose_progress_stopped_has_failed_and_can_be_asked_again(app, demo):
    with app.app_context():
        pack = _asked()
        pack.status = PackStatus.RUNNING
        stalled = app.config["PACK_STALLED_SECONDS"] + 1
        pack.heartbeat_at = utcnow() - timedelta(seconds=stalled)
        db.session.commit()
        shown = packs.view(pack)
        assert shown.failed and not shown.under_way
        assert shown.message.startswith("Stopped")

        again, new = packs.request_pack(
            _user("Leah Brennan"), _event(), PackKind.FEEDBACK, "http://localhost/"
        )

        assert new and again.id != pack.id
        db.session.rollback()


def test_run_records_the_pdf_and_drops_the_older_pack(app, demo):
    with app.app_context():
        older = _asked(PackKind.PAPER)
        packs.run(older.id)
        newer = _asked(PackKind.PAPER)
        packs.run(newer.id)
        packs.run(newer.id)  # a second run of a claimed pack does nothing

        kept = db.session.scalars(select(DocumentPack)).all()
        assert [p.id for p in kept] == [newer.id]
        assert kept[0].status == PackStatus.DONE
        assert kept[0].pdf.startswith(b"%PDF")
        # Every judge's sheet for every pitch they may score.
        assert kept[0].pages_done >= kept[0].pages_expected > 0


def test_a_layout_that_runs_out_of_time_is_recorded_as_failed(app, demo):
    app.config["PACK_TIMEOUT_SECONDS"] = 0.01
    client = _signed_in(app, "Leah Brennan")
    with app.app_context():
        pack = _asked()
        packs.run(pack.id)
        db.session.expire_all()
        failed = db.session.get(DocumentPack, pack.id)
        assert failed.status == PackStatus.FAILED and failed.pdf is None
        assert failed.message == "Rendering the document took too long"
        url = f"/events/{SLUG}/results/packs/{pack.id}"

    page = client.get(url).text

    assert "The pack was not made" in page and "took too long" in page
    assert "Try again" in page
    assert client.get(url + ".pdf").status_code == 404


@pytest.mark.parametrize("who", ["Kwame Asante", "Gareth Lowry", None])
def test_nobody_but_the_events_organisers_reaches_a_pack(app, demo, who):
    # A team lead, a judge, and someone signed out.
    with app.app_context():
        pack = _asked()
        packs.run(pack.id)
        url = f"/events/{SLUG}/results/packs/{pack.id}"
    client = _signed_in(app, who) if who else app.test_client()

    responses = [
        client.get(url),
        client.get(url + ".pdf"),
        client.post(f"/events/{SLUG}/results/packs/feedback"),
    ]

    expected = 404 if who else 302  # signed out: to the sign-in page
    assert [r.status_code for r in responses] == [expected] * 3
    assert all(b"%PDF" not in r.data for r in responses)
    with app.app_context():
        assert db.session.scalar(select(func.count(DocumentPack.id))) == 1


def test_a_pack_is_laid_out_in_parts_side_by_side_and_joined_in_order(
    app, demo, monkeypatch
):
    app.config["PACK_PROCESSES"] = 3
    children, spans = [], []
    real = pdf._run_reporting

    def spy(argv, payload, timeout, on_progress, started=None):
        children.append(argv)
        begun = time.monotonic()
        try:
            return real(argv, payload, timeout, on_progress, started)
        finally:
            spans.append((begun, time.monotonic()))

    monkeypatch.setattr(pdf, "_run_reporting", spy)
    with app.app_context():
        pack = _asked()
        packs.run(pack.id)
        db.session.expire_all()
        made = db.session.get(DocumentPack, pack.id)
        document, pages_done = made.pdf, made.pages_done

    # Three layout children, each at the lower priority of a background part, all
    # running at once.
    assert len(children) == 3
    assert all(argv[-2:] == ["--progress", "--background"] for argv in children)
    assert max(begun for begun, _ in spans) < min(ended for _, ended in spans)
    joined = PdfReader(BytesIO(document))
    assert joined.root_object["/Lang"] == "en-GB"  # kept for screen readers
    assert joined.metadata.title.startswith("Feedback")
    pages = joined.pages
    teams = [_team_on(page.extract_text()) for page in pages]
    # One sheet per team, in ranked order across the parts, and every page's footer
    # names its team (a page number would count within a part).
    assert [ref for ref, _ in teams] == demo_data.EXPECTED_RANKING
    assert all(footer for _, footer in teams)
    assert pages_done >= len(demo_data.EXPECTED_RANKING)  # the parts' pages added up


def _team_on(text: str) -> tuple[str, bool]:
    """The team reference a feedback page is headed with, and whether its footer names
    the same team."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    heading = next(line for line in lines if re.match(r"^T\d{2} ", line))
    return heading.split()[0], lines[-1].endswith(heading)  # the footer's last line


def test_paper_sheets_are_split_between_judges_never_within_one(app, demo):
    with app.app_context():
        event = _event()
        with app.test_request_context(base_url="http://localhost/"):
            parts, _, pages = packs._document(PackKind.PAPER, event, 2)
            whole = paper.all_judge_sheets(event)

    assert len(parts) == 2
    names = [s.member.user.display_name for s in whole]
    for name in names:  # each judge's sheets are all in one part
        assert sum(f'class="paper-judge">{name}<' in part for part in parts) == 1
    assert sum(part.count('<section class="paper-sheet">') for part in parts) == pages
    assert pages == sum(len(s.sheets) for s in whole)


def test_when_a_part_fails_or_progress_cannot_be_recorded_every_child_stops(
    app, monkeypatch
):
    children = []
    real = pdf._run_reporting

    def spy(argv, payload, timeout, on_progress, started=None):
        def keep(child):
            children.append(child)
            started(child)

        return real(argv, payload, timeout, on_progress, keep)

    def refuse(step, page):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(pdf, "_run_reporting", spy)
    long = "<html><body>" + "<p>A long part.</p>" * 20000 + "</body></html>"
    begun = time.monotonic()
    with app.app_context(), pytest.raises(RuntimeError):
        pdf.parts_to_pdf([long, long], "", on_progress=refuse, timeout=60)

    assert len(children) == 2
    assert all(child.poll() is not None for child in children)  # none left running
    assert time.monotonic() - begun < 30  # stopped, not laid out to the end


@pytest.mark.parametrize(
    ("weights", "parts", "runs"),
    [
        ([3, 3, 3, 3], 2, [[0, 1], [2, 3]]),
        ([10, 1, 1], 2, [[0], [1, 2]]),
        ([1, 1, 1, 1, 1, 1], 3, [[0, 1], [2, 3], [4, 5]]),
        ([5, 5, 0], 2, [[0], [1, 2]]),  # a judge without sheets joins the last run
        ([0, 4, 4, 0], 2, [[0, 1], [2, 3]]),
        ([0, 0, 0], 2, [[0, 1, 2]]),  # nobody has sheets: one part, not one each
        ([5, 5], 0, [[0, 1]]),
        ([], 2, [[]]),
        # Feedback sheets weigh one each: near-equal runs.
        ([1] * 5, 2, [[0, 1, 2], [3, 4]]),
        ([1] * 6, 3, [[0, 1], [2, 3], [4, 5]]),
        ([1], 4, [[0]]),
    ],
)
def test_packs_are_cut_into_runs_of_about_equal_weight(weights, parts, runs):
    assert packs._runs_by_weight(weights, parts) == runs
