"""Organiser and judge flows around the panel, on a tablet: the judge assignment page in
split mode, the practice pitch that never counts, and the import of paper scores."""

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from auth.models import AuditEntry
from events.models import AssignmentMode, Event, EventPhase, PanelMember
from extensions import db
from judging import practice, services
from judging.models import (
    AssignmentSource,
    JudgeAssignment,
    Mark,
    Recommendation,
    Scorecard,
    ScoreSubmission,
)
from tests import factories
from tests.browser.conftest import TABLETS
from tests.browser.test_judge import tap_scores

pytestmark = pytest.mark.browser


def _event(slug: str) -> Event:
    return db.session.scalar(select(Event).where(Event.slug == slug))


def _audit_actions(event: Event, prefix: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.event_id == event.id, AuditEntry.action.like(prefix))
            .order_by(AuditEntry.id)
        )
    )


def _flash(page: Page, text: str) -> None:
    expect(page.locator(".app-flash").filter(has_text=text)).to_be_visible()


def _sign_out(browse) -> None:
    browse.page.get_by_role("button", name="Sign out").click()
    expect(browse.page.get_by_role("link", name="Sign in")).to_be_visible()
    # Let the signed-out page finish (its favicon too) before the next sign-in leaves
    # it: an aborted request counts as a problem.
    browse.page.wait_for_load_state("networkidle")
    browse.check()


def _button(page: Page, visible: str, hidden: str):
    """A button whose name ends in visually hidden text.

    Chromium's accessible name has a space before the hidden span's text (the span is
    absolutely positioned), e.g. "Assign : Ada Lovell and Sip Smart".
    """
    name = re.compile(rf"^{re.escape(visible)}\s*{re.escape(hidden.strip())}$")
    return page.get_by_role("button", name=name)


# --- 1. Judge assignment in split mode ---------------------------------------------------

JUDGES = ("Ada Lovell", "Bea Marsh", "Cal Nyman", "Dee Okafor")
TEAMS = (
    "Sip Smart",
    "Falls Watch",
    "Meds Mate",
    "Night Owls",
    "Wound Watch",
    "Step Up",
)
SPLIT = "split-day"

# The matrix as the page shows it: [team, judge] for every "Assigned" tag, the judge
# names (without "(dropped out)"), the "Judges" count per team and the load per judge.
READ_MATRIX = """table => {
    const first = el => el.childNodes[0].textContent.trim();
    const judges = [...table.querySelectorAll("thead th")].slice(1, -1).map(first);
    const pairs = [], counts = {};
    for (const tr of table.querySelectorAll("tbody tr")) {
        const team = first(tr.querySelector("th"));
        const cells = [...tr.querySelectorAll("td")];
        cells.slice(0, judges.length).forEach((td, i) => {
            if (td.querySelector(".nhsuk-tag--blue")) pairs.push([team, judges[i]]);
        });
        counts[team] = Number(cells[judges.length].textContent.trim());
    }
    const loads = {};
    [...table.querySelectorAll("tfoot td")].slice(0, judges.length)
        .forEach((td, i) => { loads[judges[i]] = parseInt(td.textContent, 10); });
    return {pairs, judges, counts, loads};
}"""


def arrange_split():
    """An event in judging, in panel mode: four judges and six submitted pitches."""
    organiser = factories.make_user(name="Olive Organiser", is_organiser=True)
    event = factories.make_event(organiser, phase=EventPhase.JUDGING, slug=SPLIT)
    judges = {
        name: factories.make_judge(event, factories.make_user(name=name)).id
        for name in JUDGES
    }
    pitches = {
        name: factories.make_team(event, name=name, submitted=True).pitch.id
        for name in TEAMS
    }
    return organiser.email, judges, pitches


def stored_assignment(live_server) -> dict:
    """The event's settings, its (pitch id, judge id) -> source rows and drop-outs."""
    with live_server.app.app_context():
        event = _event(SPLIT)
        rows = db.session.execute(
            select(
                JudgeAssignment.pitch_id,
                JudgeAssignment.judge_id,
                JudgeAssignment.source,
            ).where(JudgeAssignment.event_id == event.id)
        )
        members = db.session.scalars(
            select(PanelMember).where(PanelMember.event_id == event.id)
        )
        return {
            "settings": (
                event.assignment_mode,
                event.judges_per_pitch,
                event.max_pitches_per_judge,
            ),
            "seed": event.assignment_seed,
            "rows": {(p, j): source for p, j, source in rows},
            "dropped": {m.user_id for m in members if m.dropped_out_at is not None},
            "audit": _audit_actions(event, "assignment.%"),
        }


def shown_matches_stored(page: Page, stored: dict, judges: dict, pitches: dict):
    """Assert the matrix on the page is the stored assignment; return what it shows."""
    shown = page.locator("table.nhsuk-table").evaluate(READ_MATRIX)
    team_of = {v: k for k, v in pitches.items()}
    judge_of = {v: k for k, v in judges.items()}
    pairs = {(team_of[p], judge_of[j]) for p, j in stored["rows"]}
    assert {tuple(pair) for pair in shown["pairs"]} == pairs
    assert len(shown["pairs"]) == len(pairs)
    assert shown["judges"] == list(JUDGES)
    assert shown["counts"] == {t: sum(1 for p, _ in pairs if p == t) for t in TEAMS}
    assert shown["loads"] == {j: sum(1 for _, q in pairs if q == j) for j in JUDGES}
    return shown


@TABLETS
def test_organiser_splits_draws_overrides_and_handles_a_drop_out(
    browse, arrange, live_server
):
    email, judges, pitches = arrange(arrange_split)
    page = browse.page
    browse.sign_in(email)

    browse.goto(f"/events/{SPLIT}/assignment")
    expect(
        page.get_by_text("Panel mode: every judge scores every pitch")
    ).to_be_visible()
    expect(page.get_by_label("Panel: every judge scores every pitch")).to_be_checked()

    # Split mode without k is refused with an error summary, and nothing changes.
    page.get_by_label("Split: each pitch gets a set number of judges").check()
    page.get_by_role("button", name="Save settings").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter how many judges score each pitch")
    browse.check()
    assert stored_assignment(live_server)["settings"] == (
        AssignmentMode.PANEL,
        None,
        None,
    )

    page.get_by_label("Split: each pitch gets a set number of judges").check()
    page.get_by_label("Judges per pitch (split mode)").fill("2")
    page.get_by_role("button", name="Save settings").click()
    _flash(page, "Assignment settings saved")
    expect(page.get_by_text("No assignment yet")).to_be_visible()
    expect(page.get_by_label("Judges per pitch (split mode)")).to_have_value("2")
    browse.check()
    stored = stored_assignment(live_server)
    assert stored["settings"] == (AssignmentMode.SPLIT, 2, None)
    assert stored["rows"] == {}

    page.get_by_role("button", name="Draw assignment").click()
    flash = page.locator(".app-flash").filter(has_text="Assignment drawn")
    expect(flash).to_have_text(re.compile(r"Assignment drawn \(seed \S+\)"))
    seed = re.search(r"\(seed (\S+)\)", flash.inner_text()).group(1)
    expect(page.locator("code")).to_have_text(seed)
    expect(page.locator(".nhsuk-tag--green", has_text="Connected")).to_be_visible()
    expect(page.get_by_role("button", name="Draw again")).to_be_visible()
    browse.check()
    drawn = stored_assignment(live_server)
    assert drawn["seed"] == seed
    assert set(drawn["rows"].values()) == {AssignmentSource.DRAW}
    shown = shown_matches_stored(page, drawn, judges, pitches)
    assert shown["counts"] == dict.fromkeys(TEAMS, 2)
    assert shown["loads"] == dict.fromkeys(JUDGES, 3)  # 12 places over 4 judges

    # Override one pair: assign a judge the draw left off the first pitch, then undo it.
    team = TEAMS[0]
    judge = next(j for j in JUDGES if (pitches[team], judges[j]) not in drawn["rows"])
    _button(page, "Assign", f": {judge} and {team}").click()
    _flash(page, "Judge assigned")
    browse.check()
    assigned = stored_assignment(live_server)
    assert assigned["rows"] == drawn["rows"] | {
        (pitches[team], judges[judge]): AssignmentSource.ORGANISER
    }
    assert shown_matches_stored(page, assigned, judges, pitches)["counts"][team] == 3

    _button(page, "Unassign", f": {judge} and {team}").click()
    _flash(page, "Judge unassigned")
    browse.check()
    unassigned = stored_assignment(live_server)
    assert unassigned["rows"] == drawn["rows"]
    shown_matches_stored(page, unassigned, judges, pitches)

    # A judge drops out: their three pitches go to others, every pitch keeps 2 judges.
    leaving = JUDGES[3]
    drop_button = _button(
        page, "Judge dropped out: redistribute", f"the pitches of {leaving}"
    )
    drop_button.click()
    _flash(page, "The judge's pitches were redistributed")
    header = page.locator("thead th").filter(has_text=leaving)
    expect(header).to_contain_text("(dropped out)")
    expect(page.locator(".nhsuk-tag--yellow")).to_have_count(0)  # none short, none over
    browse.check()
    after_drop = stored_assignment(live_server)
    assert after_drop["dropped"] == {judges[leaving]}
    kept = {k: v for k, v in drawn["rows"].items() if k[1] != judges[leaving]}
    moved = {k: v for k, v in after_drop["rows"].items() if k not in kept}
    assert {k: v for k, v in after_drop["rows"].items() if k in kept} == kept
    assert set(moved.values()) == {AssignmentSource.REDISTRIBUTION}
    assert sorted(p for p, _ in moved) == sorted(
        p for p, j in drawn["rows"] if j == judges[leaving]
    )
    assert all(j != judges[leaving] for _, j in after_drop["rows"])
    shown = shown_matches_stored(page, after_drop, judges, pitches)
    assert shown["counts"] == dict.fromkeys(TEAMS, 2)
    assert shown["loads"][leaving] == 0

    # Back on the panel: with no pitches, for the organiser to assign by hand.
    _button(page, "Back on the panel", f": {leaving}").click()
    _flash(page, "The judge is back on the panel with no pitches")
    expect(header).not_to_contain_text("dropped out")
    expect(drop_button).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile("Back on the panel"))
    ).to_have_count(0)
    browse.check()
    restored = stored_assignment(live_server)
    assert restored["dropped"] == set()
    assert restored["rows"] == after_drop["rows"]
    assert shown_matches_stored(page, restored, judges, pitches)["loads"][leaving] == 0
    assert restored["audit"] == [
        "assignment.settings_changed",
        "assignment.drawn",
        "assignment.assigned",
        "assignment.unassigned",
        "assignment.judge_dropped_out",
        "assignment.judge_restored",
    ]


# --- 2. Calibration: the practice pitch never counts -------------------------------------

CALIBRATE = "calibrate"
PRACTICE_TAPS = [2, 3, 4, 5, 1, 2, 3]
PRACTICE_FEEDBACK = "Practice: a clear idea, thin evidence."


def arrange_calibration():
    """An event in judging: two real pitches, two judges; Jo has scored one real pitch."""
    organiser = factories.make_user(name="Olive Organiser", is_organiser=True)
    event = factories.make_event(organiser, phase=EventPhase.JUDGING, slug=CALIBRATE)
    jan = factories.make_judge(event, factories.make_user(name="Jan One"))
    jo = factories.make_judge(event, factories.make_user(name="Jo Two"))
    real = [
        factories.make_team(event, name=name, submitted=True).pitch
        for name in ("Sip Smart", "Falls Watch")
    ]
    factories.make_scorecard(real[0], jo, [4] * 7, event)
    return {
        "organiser": organiser.email,
        "jan": jan.email,
        "jan_id": jan.id,
        "jo_id": jo.id,
        "real": [p.id for p in real],
    }


def practice_state(live_server) -> dict:
    with live_server.app.app_context():
        event = _event(CALIBRATE)
        pitch = practice.get_practice_pitch(event)
        cards = {
            (c.pitch_id, c.judge_id): c for c in db.session.scalars(select(Scorecard))
        }
        results = services.compute_results(event)
        return {
            "practice": pitch and (pitch.id, pitch.team.name, pitch.status.value),
            "cards": {
                key: ({m.criterion_id: m.value for m in c.marks}, c.feedback)
                for key, c in cards.items()
            },
            "ranked": {r.pitch.id for r in results.rows},
            "counted": results.scorecards_counted,
            "progress": {
                m.user_id: (done, total)
                for m, done, total in services.progress_by_judge(event)
            },
            "weighted": {
                r.judge.user_id: r.weighted for r in practice.calibration(event).rows
            },
        }


@TABLETS
def test_judge_scores_the_practice_pitch_and_it_never_counts(
    browse, arrange, live_server
):
    ids = arrange(arrange_calibration)
    page = browse.page

    # The organiser adds the practice pitch.
    browse.sign_in(ids["organiser"])
    browse.goto(f"/events/{CALIBRATE}/calibration")
    page.get_by_role("button", name="Add a practice pitch").click()
    _flash(page, "Practice pitch added: judges see it first in their list")
    expect(
        page.get_by_text("0 of 2 judges have scored the practice pitch")
    ).to_be_visible()
    expect(page.get_by_role("cell", name="Not scored yet")).to_have_count(2)
    browse.check()
    state = practice_state(live_server)
    practice_id = state["practice"][0]
    assert state["practice"][1:] == ("Practice pitch", "submitted")
    _sign_out(browse)

    # Jan finds it first in the queue, labelled as not counting, and scores it.
    browse.sign_in(ids["jan"])
    browse.goto(f"/events/{CALIBRATE}/judge")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Practice – does not count")
    expect(rows.first.get_by_role("link")).to_have_text("Practice pitch")
    expect(page.locator(".app-progress")).to_have_text("0 of 2 scored")

    rows.first.get_by_role("link", name="Practice pitch").click()
    expect(page).to_have_url(re.compile(rf"/judge/pitches/{practice_id}$"))
    notice = page.locator(".nhsuk-inset-text").filter(
        has_text="Practice – does not count"
    )
    expect(notice).to_contain_text("Its scores never count")
    expect(
        page.get_by_role("link", name="Declare a conflict of interest")
    ).to_have_count(0)
    expect(page.locator(".app-progress")).to_have_text("0 of 2 scored")
    browse.check()
    chosen = tap_scores(page, PRACTICE_TAPS)
    page.get_by_label("Do not fund", exact=True).check()
    page.get_by_label("Feedback for the team").fill(PRACTICE_FEEDBACK)
    page.get_by_role("button", name="Save scores").click()
    expect(page.locator(".app-saved")).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"))
    expect(page.locator(".app-progress")).to_have_text("0 of 2 scored")  # still 0
    browse.check()

    page.get_by_role("link", name="Back to your pitches").click()
    expect(rows.first).to_contain_text("Scored")
    expect(page.locator(".app-progress")).to_have_text("0 of 2 scored")
    expect(page.locator("progress")).to_have_attribute("value", "0")
    browse.check()
    state = practice_state(live_server)
    assert state["cards"][(practice_id, ids["jan_id"])] == (chosen, PRACTICE_FEEDBACK)
    _sign_out(browse)

    # The organiser sees Jan's practice marks on the calibration page, nowhere else.
    browse.sign_in(ids["organiser"])
    browse.goto(f"/events/{CALIBRATE}/calibration")
    expect(
        page.get_by_text("1 of 2 judges have scored the practice pitch")
    ).to_be_visible()
    jan_row = page.locator("tbody tr").filter(has_text="Jan One")
    weighted = state["weighted"][ids["jan_id"]]
    expect(jan_row.locator("td")).to_have_text(
        [str(v) for v in PRACTICE_TAPS] + [str(weighted), "Do not fund"]
    )
    expect(page.locator("tbody tr").filter(has_text="Jo Two")).to_contain_text(
        "Not scored yet"
    )

    browse.goto(f"/events/{CALIBRATE}/results")
    teams = page.locator("table.app-results .app-results__team")
    expect(teams).to_have_count(2)
    expect(teams).to_have_text([re.compile(r"Sip Smart$"), re.compile(r"Falls Watch$")])
    progress = page.get_by_role("table", name="Scorecards submitted by each judge")
    expect(progress.get_by_role("row", name=re.compile("Jan One"))).to_contain_text(
        "scored 0 of 2"
    )
    expect(progress.get_by_role("row", name=re.compile("Jo Two"))).to_contain_text(
        "scored 1 of 2"
    )
    assert "Practice pitch" not in page.locator("main").inner_text()

    assert practice_id not in state["ranked"]
    assert state["ranked"] == set(ids["real"])
    assert state["counted"] == 1  # Jo's real scorecard only
    assert state["progress"] == {ids["jan_id"]: (0, 2), ids["jo_id"]: (1, 2)}
    assert set(state["cards"]) == {
        (practice_id, ids["jan_id"]),
        (ids["real"][0], ids["jo_id"]),
    }


# --- 3. Paper fallback: import of re-keyed scores ----------------------------------------

PAPER = "paper-night"
PAPER_JUDGES = {
    "judith@example.org": "Judith Pennant",
    "gareth@example.org": "Gareth Lowry",
}
# What each judge ticked on paper for C1 to C7, by team; one sheet recommends funding.
SHEETS = {
    ("judith@example.org", "Alderwood"): ([5, 4, 4, 3, 5, 4, 4], "fund"),
    ("judith@example.org", "Birchwood"): ([3, 3, 2, 4, 3, 3, 2], ""),
    ("gareth@example.org", "Alderwood"): ([4, 4, 5, 4, 4, 3, 5], "do_not_fund"),
    ("gareth@example.org", "Birchwood"): ([2, 3, 3, 3, 2, 4, 3], "support_not_cash"),
}
BAD = ("judith@example.org", "Birchwood")  # re-keyed with a 6 for C1 at first


def arrange_paper():
    """An event in judging: two judges and two submitted teams, no scorecards."""
    organiser = factories.make_user(name="Olu Organiser", is_organiser=True)
    event = factories.make_event(organiser, phase=EventPhase.JUDGING, slug=PAPER)
    judges = {
        email: factories.make_judge(event, factories.make_user(email, name)).id
        for email, name in PAPER_JUDGES.items()
    }
    teams = {
        name: factories.make_team(event, name=name, submitted=True)
        for name in ("Alderwood", "Birchwood")
    }
    return (
        organiser.email,
        judges,
        {name: (t.ref, t.pitch.id) for name, t in teams.items()},
        [c.code for c in event.criteria],
    )


def fill_template(template: str, teams: dict, codes: list[str], bad: bool) -> bytes:
    """Key the paper sheets into the downloaded template, as an organiser would."""
    rows = list(csv.DictReader(io.StringIO(template)))
    team_of = {ref: name for name, (ref, _) in teams.items()}
    for row in rows:
        key = (row["judge_email"], team_of[row["team"]])
        marks, recommendation = SHEETS[key]
        row.update(zip(codes, map(str, marks), strict=True))
        if bad and key == BAD:
            row[codes[0]] = "6"
        row["recommendation"] = recommendation
        row["feedback"] = f"Paper feedback from {key[0]} for {key[1]}."
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def paper_state(live_server) -> dict:
    with live_server.app.app_context():
        event = _event(PAPER)
        cards = db.session.scalars(select(Scorecard).order_by(Scorecard.id)).all()

        def in_criteria_order(card: Scorecard) -> list[int]:
            values = {m.criterion_id: m.value for m in card.marks}
            return [values.get(c.id) for c in event.criteria]

        return {
            "cards": {
                (c.judge_id, c.pitch_id): (
                    in_criteria_order(c),
                    c.recommendation,
                    c.feedback,
                    c.revision,
                )
                for c in cards
            },
            "card_rows": len(cards),
            "marks": db.session.scalar(select(func.count(Mark.id))),
            "submissions": db.session.scalar(select(func.count(ScoreSubmission.id))),
            "imported": _audit_actions(event, "score.imported"),
            "progress": [
                (m.name, done, total)
                for m, done, total in services.progress_by_judge(event)
            ],
        }


def upload(page: Page, data: bytes) -> None:
    """Choose the file as a user does: NHS.UK's file upload hides the input behind a
    "Choose file" button that opens the file chooser."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role(
            "button", name=re.compile(r"^CSV file of paper scores")
        ).click()
    chooser.value.set_files(
        {"name": "paper-scores.csv", "mimeType": "text/csv", "buffer": data}
    )
    expect(page.locator(".nhsuk-file-upload__status")).to_contain_text(
        "paper-scores.csv"
    )
    page.get_by_role("button", name="Import scores").click()


@TABLETS
def test_organiser_imports_paper_scores_after_fixing_a_bad_row(
    browse, arrange, live_server
):
    email, judges, teams, codes = arrange(arrange_paper)
    page = browse.page
    browse.sign_in(email)
    browse.goto(f"/events/{PAPER}/results")
    page.get_by_role("link", name="Import re-keyed paper scores (CSV)").click()
    expect(page).to_have_url(re.compile(rf"/events/{PAPER}/paper/import$"))
    browse.check()

    with page.expect_download() as info:
        page.get_by_role("link", name="Download template CSV").click()
    template = info.value.path().read_text(encoding="utf-8")
    header = template.splitlines()[0].split(",")
    assert header == ["judge_email", "team", "sheet_code", *codes] + [
        "recommendation",
        "conditions",
        "feedback",
    ]
    rows_in_file = [
        (r["judge_email"], r["team"]) for r in csv.DictReader(io.StringIO(template))
    ]
    assert sorted(rows_in_file) == sorted((e, teams[t][0]) for e, t in SHEETS)

    # One bad mark in the file: that row is reported, and nothing at all is stored.
    upload(page, fill_template(template, teams, codes, bad=True))
    expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: Import paper scores"))
    problems = page.locator("#import-errors tbody tr")
    bad_row = 2 + rows_in_file.index((BAD[0], teams[BAD[1]][0]))
    expect(problems).to_have_count(1)
    expect(problems.first.locator("td")).to_have_text(
        [str(bad_row), codes[0], "Must be a whole number from 1 to 5"]
    )
    browse.check()
    nothing = paper_state(live_server)
    assert (nothing["card_rows"], nothing["marks"], nothing["submissions"]) == (0, 0, 0)
    assert nothing["imported"] == []

    # The corrected file: four scorecards, exactly as ticked on paper.
    good = fill_template(template, teams, codes, bad=False)
    upload(page, good)
    _flash(page, "Imported 4 paper scorecards")
    results = page.locator("#import-results tbody tr")
    expect(results).to_have_count(4)
    for n in range(4):
        expect(results.nth(n).locator("td").last).to_have_text("Saved (revision 1)")
    browse.check()
    first = paper_state(live_server)
    expected = {
        (judges[e], teams[t][1]): (
            marks,
            Recommendation(rec) if rec else None,
            f"Paper feedback from {e} for {t}.",
            1,
        )
        for (e, t), (marks, rec) in SHEETS.items()
    }
    assert first["cards"] == expected
    assert (first["card_rows"], first["marks"], first["submissions"]) == (4, 28, 4)
    assert first["imported"] == ["score.imported"] * 4

    # The same file again is answered row by row and stores nothing new.
    upload(page, good)
    _flash(page, "Nothing new: all 4 scorecards were already imported from this file")
    expect(results).to_have_count(4)
    for n in range(4):
        expect(results.nth(n).locator("td").last).to_have_text(
            "Already imported from this file"
        )
    browse.check()
    assert paper_state(live_server) == first

    browse.goto(f"/events/{PAPER}/results")
    progress = page.get_by_role("table", name="Scorecards submitted by each judge")
    for name in PAPER_JUDGES.values():
        expect(progress.get_by_role("row", name=re.compile(name))).to_contain_text(
            "scored 2 of 2"
        )
    assert sorted(first["progress"]) == sorted(
        (name, 2, 2) for name in PAPER_JUDGES.values()
    )


# --- 4. Voiding a judge's scores (R-42) --------------------------------------------------

VOID = "void-day"
VOID_REASON = "Left after the first pitch: called back to the ward"


def arrange_void():
    """An event in judging: two judges who both scored the one submitted pitch."""
    organiser = factories.make_user(name="Olive Organiser", is_organiser=True)
    event = factories.make_event(organiser, phase=EventPhase.JUDGING, slug=VOID)
    pitch = factories.make_team(event, name="Sip Smart", submitted=True).pitch
    judges = {}
    for name, value in (("Ada Lovell", 5), ("Bea Marsh", 2)):
        user = factories.make_user(name=name)
        factories.make_judge(event, user)
        factories.make_scorecard(pitch, user, [value] * len(event.criteria), event)
        judges[name] = user
    return organiser.email, judges["Ada Lovell"].email


@TABLETS
def test_organiser_voids_a_judges_scores_and_the_judge_cannot_score(
    browse, arrange, live_server
):
    email, judge_email = arrange(arrange_void)
    page = browse.page
    browse.sign_in(email)

    browse.goto(f"/events/{VOID}/results")
    expect(page.get_by_text("5.00", exact=False).first).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Void scores\s*of Ada Lovell$")).click()
    expect(page.get_by_role("heading", name="Void Ada Lovell's scores")).to_be_visible()
    expect(page.get_by_text("Ada Lovell has saved 1 scorecard")).to_be_visible()
    browse.check()

    # Without a reason: an error summary, and nothing changes.
    page.get_by_role("button", name="Void Ada Lovell's scores").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Say why")
    browse.check()
    page.get_by_label("Why do this judge's scores not count?").fill(VOID_REASON)
    page.get_by_role("button", name="Void Ada Lovell's scores").click()
    _flash(page, "Ada Lovell's scores are void: 1 scorecard no longer count")
    page.wait_for_url(re.compile(rf"/events/{VOID}/results$"))
    expect(page.locator(".nhsuk-tag--red", has_text="Scores void")).to_be_visible()
    expect(page.get_by_text(VOID_REASON)).to_be_visible()
    expect(_button(page, "Restore scores", "of Ada Lovell")).to_be_visible()
    browse.check()
    with live_server.app.app_context():
        event = _event(VOID)
        members = {
            m.user.display_name: m
            for m in db.session.scalars(
                select(PanelMember).where(PanelMember.event_id == event.id)
            )
        }
        assert members["Ada Lovell"].scores_voided_reason == VOID_REASON
        assert members["Bea Marsh"].scores_voided_at is None
        results = services.compute_results(event)
        assert [str(r.result.mean) for r in results.rows] == ["2.00"]
        assert _audit_actions(event, "score.judge_%") == ["score.judge_voided"]

    _sign_out(browse)
    browse.sign_in(judge_email)
    browse.goto(f"/events/{VOID}/judge")
    expect(page.get_by_text("Your scores are void")).to_be_visible()
    browse.check()
    # The pitch's own page shows the judge why, and no scoring form.
    page.locator("table").get_by_role("link", name="Sip Smart").first.click()
    expect(page.get_by_text("Your scores are void")).to_be_visible()
    expect(page.locator("#scorecard")).to_have_count(0)
    browse.check()
