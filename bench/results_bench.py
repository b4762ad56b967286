"""Results at scale: are the result sheet, the feedback pack, the ranking and the results
page as fast as the floor under them?

Seeds one SQLite file in a temporary directory with published-like events (Preset B's 7
criteria; split assignment, 5 judges a pitch; spread-out marks from a seeded
random.Random; a few declared conflicts; funding decided down the ranked list; moderation
locked, allocation approved, results signed off and published), then measures, each
against its floor in the same run:

1. The result sheet PDF for 200 and 1,000 pitches:
   ``judging.pdf.render_results_pdf(judging.services.compute_results(event))`` (ranking,
   analysis, HTML, and layout in the limited child process judging.pdf_worker), against
   WeasyPrint laying out the same HTML with the same print.css alone, in this process,
   warmed up. Target: app <= 1.2 x floor. The app runs with its default PDF limits
   (config.py: PDF_TIMEOUT_SECONDS, PDF_MAX_HTML_BYTES, PDF_MEMORY_LIMIT_BYTES); a sheet
   that breaks one is reported as missing the target, then rendered again with bench-only
   limits so it still gets a time.
2. The 200-team feedback pack, as the app makes it in the background: ``judging.packs.run``
   (the body of the pack's own process: read the feedback, write the HTML, lay it out in
   the limited child with its progress recorded, store the PDF), from asked-for to
   stored. Target <= 15 s. WeasyPrint alone on the same HTML is shown beside it.
3. The full results for 500 pitches, 20 judges, 7 criteria, full panel (10,000
   scorecards, the worst case): ``compute_results(event)`` plus
   ``judging.analysis.analyse(results)`` (other methods, robustness checks, judge
   report), each from a fresh session. Target <= 300 ms. The pure ranking
   (judging.scoring.compute_results on the loaded cards) is timed too, so the rest of
   compute_results is the database load; a split event (5 judges a pitch) is shown
   beside it.
4. GET /events/<slug>/results for the 200-pitch event, organiser signed in, under
   gunicorn, against a bare Flask page on the same SQLite file that ranks the same
   scores with one GROUP BY and renders a plain table (create_bare_app below), same
   gunicorn settings, the two servers' requests alternated in rounds at a small fixed
   concurrency. Target: app throughput >= bare.

``--profile`` prints the top functions by cumulative time of each in-process step.

Usage: .venv/bin/python bench/results_bench.py [--parts pdf feedback compute page]
       [--sheet-pitches 200 1000] [--requests 40] [--profile]
Only ever talks to 127.0.0.1; every loop is bounded.
"""

import argparse
import cProfile
import gc
import logging
import math
import os
import pstats
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key-0123456789abcdef0123456789"
SEED = 20261122
JUDGES_PER_PITCH = 5
PDF_FLOOR_FACTOR = 1.2
FEEDBACK_TARGET_S = 15.0
COMPUTE_TARGET_MS = 300.0
# Bench-only PDF limits, used only after the defaults refused a sheet (and then said so).
BIG_PDF_LIMITS = {
    "PDF_TIMEOUT_SECONDS": 900,
    "PDF_MEMORY_LIMIT_BYTES": 8 * 1024**3,
    "PDF_MAX_HTML_BYTES": 200 * 1024**2,
}
SURNAMES = (
    "Okafor Lindqvist Patel Moreau Nakamura Byrne Haddad Kowalski Mensah Rossi Evans "
    "Silva Novak Chen Duarte Ibrahim Walsh Kaur Petrov Ahmed"
).split()
BARE_SQL = """
SELECT t.ref, t.name, p.funding_requested,
       SUM(m.value * c.weight) * 1.0 / SUM(c.weight) AS score,
       COUNT(DISTINCT s.id) AS judges
FROM pitches p
JOIN teams t ON t.id = p.team_id
JOIN scorecards s ON s.pitch_id = p.id
JOIN marks m ON m.scorecard_id = s.id
JOIN criteria c ON c.id = m.criterion_id
JOIN events e ON e.id = p.event_id
WHERE e.slug = :slug AND p.status = 'submitted'
GROUP BY p.id
ORDER BY score DESC, t.ref
"""


# --- seeding --------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    slug: str
    pitches: int
    judges: int
    cards: int
    mode: str


def make_app(db_path: Path, **overrides):
    from app import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "SECRET_KEY": SECRET,
            **overrides,
        }
    )


def _next_id(table) -> int:
    from sqlalchemy import func, select

    from extensions import db

    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


def _bulk(model, rows: list[dict]) -> None:
    """Core executemany insert of plain rows (explicit ids where later rows need them)."""
    from sqlalchemy import insert

    from extensions import db

    if rows:
        db.session.execute(insert(model.__table__), rows)


def seed_event(
    slug: str,
    pitches: int,
    judges: int,
    rng: random.Random,
    *,
    per_pitch: int | None = JUDGES_PER_PITCH,
    organiser=None,
) -> Seeded:
    """One published-like event; per_pitch None means a full panel. Needs an app context."""
    from events.models import AssignmentMode, EventFunder, EventPhase
    from extensions import db
    from tests import factories

    now = datetime.now(UTC)
    event = factories.make_event(
        organiser,
        slug=slug,
        phase=EventPhase.MODERATION,
        pot=max(600 * pitches, 10_000),
        cap=5000,
        deadline=now - timedelta(days=8),
    )
    panel = [
        factories.make_judge(
            event,
            factories.make_user(
                f"{slug}-judge{n}@example.org", f"{SURNAMES[n % 20]} {n:02d}"
            ),
            chair=n == 0,
        )
        for n in range(judges)
    ]
    pitch_ids = _seed_pitches(event, pitches, rng, now)
    k = judges if per_pitch is None else min(per_pitch, judges)
    pairs = _assign(event, pitch_ids, [u.id for u in panel], k, per_pitch, rng)
    cards = _seed_scores(event, pairs, rng, now)
    if per_pitch is not None:
        event.assignment_mode = AssignmentMode.SPLIT
        event.judges_per_pitch = k
        event.max_pitches_per_judge = math.ceil(pitches * k / judges)
        event.assignment_seed = "bench"
    funder = factories.make_user(f"{slug}-funder@example.org", "Fenella Funder")
    db.session.add(EventFunder(event_id=event.id, user_id=funder.id))
    event.moderation_locked_at = now - timedelta(days=7)
    db.session.flush()
    _seed_funding(event, now)
    event.allocation_approved_at = now - timedelta(days=5)
    event.allocation_approved_by_id = funder.id
    event.signed_off_at = now - timedelta(days=5)
    event.signed_off_by_id = panel[0].id
    event.published_at = now - timedelta(days=1)
    event.phase = EventPhase.PUBLISHED
    db.session.commit()
    return Seeded(
        slug, pitches, judges, cards, "panel" if per_pitch is None else "split"
    )


def _seed_pitches(event, n: int, rng: random.Random, now: datetime) -> list[int]:
    from pitches.models import (
        Background,
        Pitch,
        PitchStatus,
        PitchType,
        Team,
        TeamMember,
    )
    from tests.factories import PITCH_FIELDS

    first_team, first_pitch = _next_id(Team.__table__), _next_id(Pitch.__table__)
    teams, members, pitches = [], [], []
    for i in range(n):
        team_id, ref = first_team + i, f"T{i + 1:03d}"
        teams.append(
            {
                "id": team_id,
                "event_id": event.id,
                "name": f"Team {i + 1:04d}",
                "ref": ref,
            }
        )
        members.append(
            {
                "team_id": team_id,
                "name": f"Lead {i + 1}",
                "background": rng.choice(list(Background)),
                "organisation": f"Trust {i % 37}",
                "is_lead": True,
            }
        )
        pitches.append(
            PITCH_FIELDS
            | {
                "id": first_pitch + i,
                "event_id": event.id,
                "team_id": team_id,
                "title": f"Idea {i + 1}: {rng.choice(['Sip', 'Step', 'Sleep'])} Smart",
                "pitch_type": rng.choice(list(PitchType)),
                "funding_requested": rng.randrange(1000, 5001, 50),
                "status": PitchStatus.SUBMITTED,
                "running_order": i + 1,
                "submitted_at": now - timedelta(days=8),
            }
        )
    _bulk(Team, teams)
    _bulk(TeamMember, members)
    _bulk(Pitch, pitches)
    return [p["id"] for p in pitches]


def _assign(event, pitch_ids, judge_ids, k, per_pitch, rng) -> list[tuple[int, int]]:
    """(pitch, judge) pairs to score: everyone (panel), or k each, round robin over a
    shuffled panel so loads stay even (split, recorded as JudgeAssignment rows)."""
    from judging.models import AssignmentSource, JudgeAssignment

    if per_pitch is None:
        return [(p, j) for p in pitch_ids for j in judge_ids]
    order = judge_ids[:]
    rng.shuffle(order)
    pairs = [
        (p, order[(i * k + s) % len(order)])
        for i, p in enumerate(pitch_ids)
        for s in range(k)
    ]
    _bulk(
        JudgeAssignment,
        [
            {
                "event_id": event.id,
                "pitch_id": p,
                "judge_id": j,
                "source": AssignmentSource.DRAW,
            }
            for p, j in pairs
        ],
    )
    return pairs


def _seed_scores(event, pairs, rng: random.Random, now: datetime) -> int:
    """Scorecards and marks: pitch quality + per-criterion strength + judge bias + noise,
    on the 1-5 scale; one pair in 100 is a declared conflict with no card instead."""
    from judging.models import ConflictDeclaration, Mark, Recommendation, Scorecard

    criteria = list(event.criteria)
    quality, strength, bias = {}, {}, {}
    cards, marks, conflicts = [], [], []
    card_id = _next_id(Scorecard.__table__)
    at = now - timedelta(days=8)
    for pitch_id, judge_id in pairs:
        if rng.random() < 0.01:
            conflicts.append(
                {
                    "pitch_id": pitch_id,
                    "judge_id": judge_id,
                    "reason": "Former colleague",
                }
            )
            continue
        q = quality.setdefault(pitch_id, rng.gauss(3.1, 0.7))
        b = bias.setdefault(judge_id, rng.gauss(0, 0.35))
        values = {}
        for c in criteria:
            s = strength.setdefault((pitch_id, c.id), rng.gauss(0, 0.5))
            values[c] = min(5, max(1, round(q + s + b + rng.gauss(0, 0.6))))
        weighted = sum(c.weight * v for c, v in values.items()) / 100
        best = max(values, key=lambda c: (values[c], c.code))
        worst = min(values, key=lambda c: (values[c], c.code))
        recommendation = (
            Recommendation.FUND
            if weighted >= 4
            else Recommendation.FUND_WITH_CONDITIONS
            if weighted >= 3.5
            else Recommendation.SUPPORT_NOT_CASH
            if weighted >= 3
            else Recommendation.DO_NOT_FUND
        )
        cards.append(
            {
                "id": card_id,
                "pitch_id": pitch_id,
                "judge_id": judge_id,
                "feedback": f"Strongest on {best.name.lower()}. To make this more "
                f"fundable, strengthen {worst.name.lower()}. ({pitch_id}-{judge_id})",
                "recommendation": recommendation,
                "conditions": "Release after a DPIA and clinical-safety review."
                if recommendation == Recommendation.FUND_WITH_CONDITIONS
                else "",
                "revision": 1,
                "submitted_at": at,
                "updated_at": at,
            }
        )
        marks += [
            {"scorecard_id": card_id, "criterion_id": c.id, "value": v}
            for c, v in values.items()
        ]
        card_id += 1
    _bulk(Scorecard, cards)
    _bulk(Mark, marks)
    _bulk(ConflictDeclaration, conflicts)
    return len(cards)


def _seed_funding(event, now: datetime) -> None:
    """Walk down the ranked list: fund in full while the pot lasts (every fifth with two
    conditions, met), one part award, then support, signpost, and decline."""
    from judging import services
    from judging.funding_models import FundingCondition, FundingDecision, FundingKind

    results = services.compute_results(event)
    left, parted = event.pot_pounds, False
    first = _next_id(FundingDecision.__table__)
    decisions, conditions = [], []
    for n, row in enumerate(results.rows):
        ask = row.pitch.funding_requested or 0
        kind, amount, note = (
            FundingKind.DECLINE,
            0,
            "Thank you: read the judges' feedback.",
        )
        if row.rank is not None and ask <= left:
            kind, amount = (
                (FundingKind.CONDITIONS if n % 5 == 4 else FundingKind.FULL),
                ask,
            )
        elif row.rank is not None and not parted and left >= 500:
            kind, amount, parted = FundingKind.PART, left, True
        elif n < len(results.rows) * 0.45:
            kind, note = FundingKind.SUPPORT, "Mentoring from the innovation team."
        elif n < len(results.rows) * 0.6:
            kind, note = FundingKind.SIGNPOST, "Try the charity's small-grants round."
        left -= amount
        decisions.append(
            {
                "id": first + n,
                "event_id": event.id,
                "pitch_id": row.pitch.id,
                "kind": kind,
                "amount_pounds": amount,
                "scope": "Two homes instead of three."
                if kind == FundingKind.PART
                else "",
                "note": note if not kind.is_cash else "",
                "decided_at": now - timedelta(days=6),
            }
        )
        if kind == FundingKind.CONDITIONS:
            conditions += [
                {"decision_id": first + n, "position": p, "text": t, "met_at": now}
                for p, t in enumerate(("Clinical-safety review", "DPIA signed off"), 1)
            ]
    _bulk(FundingDecision, decisions)
    _bulk(FundingCondition, conditions)


def seed(
    db_path: Path, plan: dict[str, tuple[int, int, int | None]]
) -> dict[str, Seeded]:
    """Create the schema and the planned events {slug: (pitches, judges, per_pitch)}."""
    from extensions import db
    from tests import factories

    app = make_app(db_path)
    rng = random.Random(SEED)
    out = {}
    with app.app_context():
        db.create_all()
        organiser = factories.make_user(
            "organiser@example.org", "Olu Organiser", is_organiser=True
        )
        for slug, (pitches, judges, per_pitch) in plan.items():
            start = time.perf_counter()
            out[slug] = seed_event(
                slug, pitches, judges, rng, per_pitch=per_pitch, organiser=organiser
            )
            s = out[slug]
            print(
                f"  seeded {slug}: {s.pitches} pitches, {s.judges} judges ({s.mode}), "
                f"{s.cards} scorecards in {time.perf_counter() - start:.1f} s"
            )
        db.session.remove()
        db.engine.dispose()
    return out


# --- measuring helpers ----------------------------------------------------------------


@dataclass
class Line:
    """One figure of the summary table."""

    name: str
    measured: str
    target: str
    met: bool | None  # None: shown for comparison, no target of its own
    note: str = ""


def timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def load_event(slug: str):
    from sqlalchemy import select

    from events.models import Event
    from extensions import db

    db.session.remove()  # a fresh session: nothing cached from an earlier run
    return db.session.scalar(select(Event).where(Event.slug == slug))


def profile(label: str, fn, *args, top: int = 12) -> None:
    print(f"\n  --- profile: {label} (top {top} by cumulative time) ---")
    profiler = cProfile.Profile()
    profiler.runcall(fn, *args)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)


def weasyprint_alone(html: str, css: str) -> tuple[bytes, int]:
    """The floor: WeasyPrint on the same HTML and CSS, in this process. The bench's own
    objects are frozen out of the garbage collector's way first, so only WeasyPrint's
    work is timed."""
    import weasyprint

    gc.collect()
    gc.freeze()
    try:
        # HTML.write_pdf() is render().write_pdf(); rendering first gives the page count.
        document = weasyprint.HTML(string=html).render(
            stylesheets=[weasyprint.CSS(string=css)]
        )
        return document.write_pdf(), len(document.pages)
    finally:
        gc.unfreeze()


def cpu_now() -> float:
    """CPU seconds used so far by this process and the children it has waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def warm_weasyprint() -> float:
    _, took = timed(weasyprint_alone, "<p>warm-up</p>", "@page { size: A4 }")
    return took


def child_peak_rss_mb() -> float:
    """The largest resident set of any child this process has waited for, in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# --- 1. the result sheet PDF ----------------------------------------------------------


def check_limits(app, html_bytes: int) -> list[str]:
    cfg = app.config
    if html_bytes > cfg["PDF_MAX_HTML_BYTES"]:
        return [
            f"HTML {html_bytes / 1e6:.1f} MB > PDF_MAX_HTML_BYTES "
            f"{cfg['PDF_MAX_HTML_BYTES'] / 1e6:.1f} MB"
        ]
    return []


def app_sheet(app, big_app, slug: str) -> tuple[float, float, list[str]]:
    """Time (wall, CPU) the app's result sheet with the default limits; if they refuse
    it, say which, and time it again with the bench-only limits."""
    from judging import pdf, services

    broken = []
    for current in (app, big_app):
        with current.app_context():
            event = load_event(slug)
            start, cpu = time.perf_counter(), cpu_now()
            try:
                document = pdf.render_results_pdf(services.compute_results(event))
            except pdf.PdfError as error:
                took = time.perf_counter() - start
                broken.append(f"default limits refused it after {took:.1f} s: {error}")
                continue
            took, cpu = time.perf_counter() - start, cpu_now() - cpu
            assert document.startswith(b"%PDF")
            return took, cpu, broken
    raise RuntimeError("the result sheet failed even with the bench-only limits")


def sheet_breakdown(app, slug: str) -> tuple[str, str, dict]:
    """The same HTML and CSS the app lays out, and the time of each in-process step."""
    from judging import analysis, pdf, services

    with app.app_context():
        event = load_event(slug)
        results, t_compute = timed(services.compute_results, event)
        _, t_analyse = timed(analysis.analyse, results)
        html, t_html = timed(pdf.results_sheet_html, results)
        steps = {
            "compute_results": t_compute,
            "analyse": t_analyse,
            "sheet html": t_html,
        }
        return html, pdf.results_css(event), steps


def run_sheet(app, big_app, seeded: Seeded, repeat: int, do_profile: bool) -> Line:
    html, css, steps = sheet_breakdown(app, seeded.slug)
    limits = check_limits(app, len(html.encode()))
    app_times, floor_times, app_cpu, floor_cpu, broken = [], [], [], [], []
    for _ in range(repeat):  # alternate, so both meet the same machine
        took, cpu, refused = app_sheet(app, big_app, seeded.slug)
        app_times.append(took)
        app_cpu.append(cpu)
        broken += refused
        cpu = time.process_time()
        _, took = timed(weasyprint_alone, html, css)
        floor_times.append(took)
        floor_cpu.append(time.process_time() - cpu)
    app_s, floor_s = statistics.median(app_times), statistics.median(floor_times)
    ratio = app_s / floor_s
    cpu_ratio = statistics.median(app_cpu) / statistics.median(floor_cpu)
    print(
        f"  result sheet, {seeded.pitches} pitches ({seeded.cards} scorecards): app "
        f"{app_s:.2f} s, WeasyPrint alone {floor_s:.2f} s, {ratio:.2f} x floor "
        f"(median of {repeat}; HTML {len(html.encode()) / 1e6:.2f} MB)"
    )
    print(
        f"    CPU seconds (less noisy on a shared machine): app "
        f"{statistics.median(app_cpu):.2f} s incl. the child, floor "
        f"{statistics.median(floor_cpu):.2f} s, {cpu_ratio:.2f} x"
    )
    print(
        "    in-process steps (the app also pays them inside its total): "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in steps.items())
        + f"; child peak RSS so far {child_peak_rss_mb():.0f} MB"
    )
    for note in limits + broken[:1]:
        print(f"    LIMIT: {note}")
    if broken:
        print(
            "    the time above is with bench-only limits "
            + ", ".join(f"{k}={v}" for k, v in BIG_PDF_LIMITS.items())
            + " passed through create_app; the defaults are the web request's"
        )
    if do_profile:
        from judging import pdf, services

        with app.app_context():
            event = load_event(seeded.slug)
            profile(
                f"results_sheet_html, {seeded.pitches} pitches",
                lambda: pdf.results_sheet_html(services.compute_results(event)),
            )
        if seeded.pitches <= 300:  # under cProfile a big sheet takes minutes
            profile(
                f"WeasyPrint alone, {seeded.pitches} pitches",
                weasyprint_alone,
                html,
                css,
            )
    ok = ratio <= PDF_FLOOR_FACTOR and not broken
    note = f"floor {floor_s:.2f} s, {ratio:.2f} x (CPU {cpu_ratio:.2f} x)" + (
        "; broke a default limit" if broken else ""
    )
    return Line(
        f"result sheet PDF, {seeded.pitches} pitches",
        f"{app_s:.2f} s",
        f"<= {PDF_FLOOR_FACTOR} x floor",
        ok,
        note,
    )


# --- 2. the feedback pack -------------------------------------------------------------


def _ask_for_pack(event):
    from sqlalchemy import select

    from auth.models import User
    from extensions import db
    from judging import packs
    from judging.pack_models import PackKind

    organiser = db.session.scalar(
        select(User).where(User.email == "organiser@example.org")
    )
    pack, _ = packs.request_pack(
        organiser, event, PackKind.FEEDBACK, "http://127.0.0.1/"
    )
    db.session.commit()
    return pack


def run_feedback(app, big_app, seeded: Seeded, do_profile: bool) -> Line:
    from extensions import db
    from judging import feedback, packs, pdf
    from judging.pack_models import DocumentPack, PackStatus

    with app.app_context():
        event = load_event(seeded.slug)
        items, t_items = timed(feedback.all_feedback, event)
        html, t_html = timed(pdf.feedback_html, items)
        # The stylesheet render_feedback_pdf passes (print.css + its header and footer).
        css = pdf._css("Pitchpanel feedback sheet", "For the team and its organisers")
    limits = check_limits(app, len(html.encode()))
    broken = []
    for current in (app, big_app):
        with current.app_context():
            # The pack as the app makes it (judging/packs.py): the body of the pack's
            # background process, here in this process, progress reports included.
            pack = _ask_for_pack(load_event(seeded.slug))
            start, cpu = time.perf_counter(), cpu_now()
            packs.run(pack.id)
            took, cpu = time.perf_counter() - start, cpu_now() - cpu
            db.session.expire_all()
            made = db.session.get(DocumentPack, pack.id)
            if made.status != PackStatus.DONE:
                broken.append(f"default limits refused it: {made.message}")
                continue
            assert made.pdf.startswith(b"%PDF")
            break
    else:
        raise RuntimeError("the feedback pack failed even with the bench-only limits")
    floor_cpu = time.process_time()
    (_, pages), floor = timed(weasyprint_alone, html, css)
    floor_cpu = time.process_time() - floor_cpu
    print(
        f"  feedback pack, {len(items)} teams: app {took:.2f} s (all_feedback "
        f"{t_items * 1000:.0f} ms, HTML {t_html * 1000:.0f} ms, "
        f"{len(html.encode()) / 1e6:.2f} MB); WeasyPrint alone on the same HTML "
        f"{floor:.2f} s, about {pages} pages"
    )
    print(f"    CPU seconds: app {cpu:.2f} s incl. the child, floor {floor_cpu:.2f} s")
    for note in limits + broken:
        print(f"    LIMIT: {note} (timed again with bench-only limits)")
    if do_profile:
        with app.app_context():
            event = load_event(seeded.slug)
            profile(
                "all_feedback + feedback_html",
                lambda: pdf.feedback_html(feedback.all_feedback(event)),
            )
        profile("WeasyPrint alone, feedback pack", weasyprint_alone, html, css)
    return Line(
        f"feedback pack PDF, {len(items)} teams",
        f"{took:.2f} s",
        f"<= {FEEDBACK_TARGET_S:.0f} s",
        took <= FEEDBACK_TARGET_S and not broken,
        f"WeasyPrint alone {floor:.2f} s"
        + ("; broke a default limit" if broken else ""),
    )


# --- 3. computing the results ---------------------------------------------------------


def run_compute(
    app, seeded: Seeded, repeat: int, do_profile: bool, target: bool
) -> Line:
    from judging import analysis, scoring, services

    rows = []
    with app.app_context():
        for n in range(repeat + 1):  # the first run warms caches and is not counted
            event = load_event(seeded.slug)
            results, t_compute = timed(services.compute_results, event)
            _, t_analyse = timed(analysis.analyse, results)
            with services.collector_paused():  # as in compute_results itself
                _, t_pure = timed(
                    scoring.compute_results,
                    [r.pitch.id for r in results.rows],
                    results.cards,
                    results.rubric,
                    results.excluded,
                )
            if n:
                rows.append((t_compute + t_analyse, t_compute, t_pure, t_analyse))
        criteria = len(results.criteria)
        if do_profile:
            event = load_event(seeded.slug)
            profile(
                f"compute_results + analyse, {seeded.mode}",
                lambda: analysis.analyse(services.compute_results(event)),
            )
    # The components of the run whose total is the median, so they add up.
    rows.sort()
    total, compute, pure, analyse_ = (t * 1000 for t in rows[len(rows) // 2])
    print(
        f"  results, {seeded.pitches} pitches x {seeded.judges} judges x {criteria} "
        "criteria, "
        f"{seeded.mode} ({seeded.cards} scorecards): {total:.0f} ms = compute_results "
        f"{compute:.0f} ms (pure ranking {pure:.0f} ms, so DB load and assembly about "
        f"{compute - pure:.0f} ms) + analyse {analyse_:.0f} ms (the median of {repeat} runs)"
    )
    return Line(
        f"results + analysis, {seeded.pitches} x {seeded.judges}, {seeded.mode}",
        f"{total:.0f} ms",
        f"<= {COMPUTE_TARGET_MS:.0f} ms" if target else "(for comparison)",
        total <= COMPUTE_TARGET_MS if target else None,
        f"{seeded.cards} scorecards; load {compute - pure:.0f}, rank {pure:.0f}, "
        f"analyse {analyse_:.0f} ms",
    )


# --- 4. the results page --------------------------------------------------------------


def create_bare_app():
    """The bare baseline: the same event's scores ranked with one GROUP BY, as a plain
    autoescaped HTML table. Same SQLite pragmas (extensions.py), a read transaction, and
    nothing else. Run by gunicorn as "bench.results_bench:create_bare_app()"."""
    from flask import Flask, render_template_string
    from sqlalchemy import text

    from extensions import db, reading

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_BARE_DATABASE_URL"]
    db.init_app(app)
    page = (
        "<!doctype html><title>Results</title><table><tr><th>Rank<th>Team<th>Ask"
        "<th>Score<th>Judges</tr>{% for r in rows %}<tr><td>{{ loop.index }}"
        "<td>{{ r.ref }} {{ r.name }}<td>{{ r.funding_requested }}"
        "<td>{{ '%.2f' % r.score }}<td>{{ r.judges }}</tr>{% endfor %}</table>"
    )

    @app.get("/results/<slug>")
    def results(slug: str):
        with reading():
            rows = db.session.execute(text(BARE_SQL), {"slug": slug}).all()
        return render_template_string(page, rows=rows)

    return app


class Client:
    """A cookie-keeping HTTP client for 127.0.0.1 (score_burst's Judge.request)."""

    def __init__(self, port: int):
        from bench.score_burst import Judge

        self.judge = Judge(0, port)

    def get(self, path: str) -> tuple[int, str]:
        status, body, _ = self.judge.request("GET", path)
        return status, body

    def sign_in(self, email: str, password: str) -> None:
        from bench.score_burst import TOKEN_RE

        _, page = self.get("/login")
        token = TOKEN_RE.search(page).group(1)
        status, _, _ = self.judge.request(
            "POST",
            "/login",
            {"csrf_token": token, "email": email, "password": password},
        )
        assert status == 302, f"organiser sign-in failed: {status}"


def batch(
    clients: list[Client], path: str, count: int
) -> tuple[list[float], float, int]:
    """Send count GETs spread over the clients (one thread each); latencies, wall, errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def run(client: Client, n: int) -> None:
        for _ in range(n):
            start = time.perf_counter()
            status, _ = client.get(path)
            with lock:
                latencies.append(time.perf_counter() - start)
                errors[0] += status != 200

    shares = [
        count // len(clients) + (i < count % len(clients)) for i in range(len(clients))
    ]
    threads = [
        threading.Thread(target=run, args=(c, n))
        for c, n in zip(clients, shares, strict=True)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return latencies, time.perf_counter() - start, errors[0]


def profile_page(app, seeded: Seeded) -> None:
    """The results view in this process (test client, organiser's session set directly)."""
    from sqlalchemy import select

    from auth.models import User
    from extensions import db
    from tests.factories import sign_in

    client = app.test_client()
    with app.app_context():
        sign_in(
            client,
            db.session.scalar(
                select(User).where(User.email == "organiser@example.org")
            ),
        )
    path = f"/events/{seeded.slug}/results"
    assert client.get(path, base_url="https://localhost").status_code == 200
    profile(
        f"GET {path} in-process",
        lambda: client.get(path, base_url="https://localhost"),
        top=30,  # the first dozen are the WSGI wrappers
    )


def run_page(db_path: Path, seeded: Seeded, requests: int, concurrency: int) -> Line:
    from bench.score_burst import WORKER_CLASS, WORKERS, Gunicorn, percentile
    from tests.factories import PASSWORD

    env = {"DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": SECRET}
    app_server = Gunicorn("app:create_app()", env)
    try:
        bare_server = Gunicorn(
            "bench.results_bench:create_bare_app()",
            {"BENCH_BARE_DATABASE_URL": f"sqlite:///{db_path}"},
        )
        try:
            app_clients = [Client(app_server.port) for _ in range(concurrency)]
            for client in app_clients:
                client.sign_in("organiser@example.org", PASSWORD)
            bare_clients = [Client(bare_server.port) for _ in range(concurrency)]
            app_path, bare_path = (
                f"/events/{seeded.slug}/results",
                f"/results/{seeded.slug}",
            )
            status, body = app_clients[0].get(app_path)
            assert status == 200 and "T001" in body, f"results page: {status}"
            _, bare_body = bare_clients[0].get(bare_path)
            assert bare_body.count("<tr>") == seeded.pitches + 1, "bare page rows"
            batch(app_clients, app_path, 2 * concurrency)  # warm-up, not counted
            batch(bare_clients, bare_path, 2 * concurrency)
            got = {"bare": ([], 0.0, 0), "app": ([], 0.0, 0)}
            rounds = 4
            for r in range(rounds):  # alternate, so both meet the same machine
                per_round = requests // rounds + (r < requests % rounds)
                for name, clients, path in (
                    ("bare", bare_clients, bare_path),
                    ("app", app_clients, app_path),
                ):
                    lat, wall, errs = batch(clients, path, per_round)
                    old = got[name]
                    got[name] = (old[0] + lat, old[1] + wall, old[2] + errs)
        finally:
            bare_server.stop()
    finally:
        app_server.stop()
    rate = {}
    for name, (lat, wall, errs) in got.items():
        rate[name] = len(lat) / wall
        ms = [x * 1000 for x in lat]
        print(
            f"  {name + ' results page':<18} {len(lat)} GETs, errors {errs}, "
            f"{rate[name]:7.1f}/s, mean {statistics.mean(ms):7.1f} ms, "
            f"p50 {statistics.median(ms):7.1f} ms, p95 {percentile(ms, 95):7.1f} ms"
        )
    ratio = rate["app"] / rate["bare"]
    print(
        f"    gunicorn {WORKERS} {WORKER_CLASS} workers, {concurrency} clients; app "
        f"page size {len(body) / 1e3:.0f} kB, bare {len(bare_body) / 1e3:.0f} kB; "
        f"app is {ratio:.3f} x the bare page's throughput"
    )
    errors = got["app"][2] + got["bare"][2]
    return Line(
        f"results page, {seeded.pitches} pitches",
        f"{rate['app']:.1f}/s",
        ">= bare page",
        ratio >= 1 and not errors,
        f"bare {rate['bare']:.1f}/s, {ratio:.3f} x"
        + (f"; {errors} errors" if errors else ""),
    )


# --- the run --------------------------------------------------------------------------


def print_table(lines: list[Line]) -> None:
    print(f"\n  {'figure':<42} {'measured':>10}  {'target':<17} met  note")
    for line in lines:
        print(
            f"  {line.name:<42} {line.measured:>10}  {line.target:<17} "
            f"{ ({True: 'yes', False: 'NO', None: '-'}[line.met]):<4} {line.note}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = ("pdf", "feedback", "compute", "page")
    parser.add_argument("--parts", nargs="+", choices=parts, default=list(parts))
    parser.add_argument("--sheet-pitches", type=int, nargs="+", default=[200, 1000])
    parser.add_argument(
        "--sheet-repeat", type=int, default=3, help="for sheets <= 300 pitches"
    )
    parser.add_argument("--feedback-teams", type=int, default=200)
    parser.add_argument("--compute-pitches", type=int, default=500)
    parser.add_argument("--compute-judges", type=int, default=20)
    parser.add_argument("--compute-repeat", type=int, default=5)
    parser.add_argument("--page-pitches", type=int, default=200)
    parser.add_argument("--requests", type=int, default=40, help="per server")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    args.requests = min(max(args.requests, 4), 2000)  # bounded
    args.concurrency = min(max(args.concurrency, 1), 16)

    plan: dict[str, tuple[int, int, int | None]] = {}
    sheet_sizes = set(args.sheet_pitches) if "pdf" in args.parts else set()
    if "feedback" in args.parts:
        sheet_sizes.add(args.feedback_teams)
    if "page" in args.parts:
        sheet_sizes.add(args.page_pitches)
    for n in sorted(sheet_sizes):
        plan[f"sheet-{n}"] = (n, max(10, min(50, n // 20)), JUDGES_PER_PITCH)
    if "compute" in args.parts:
        n, j = args.compute_pitches, args.compute_judges
        plan[f"compute-panel-{n}"] = (n, j, None)
        plan[f"compute-split-{n}"] = (n, j, JUDGES_PER_PITCH)

    lines: list[Line] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pitchpanel-bench-") as tmp:
        db_path = Path(tmp) / "results.db"
        print(f"seeding {db_path} (random seed {SEED})")
        seeded = seed(db_path, plan)
        app, big_app = make_app(db_path), make_app(db_path, **BIG_PDF_LIMITS)
        logging.getLogger("weasyprint").setLevel(logging.WARNING)  # no line per page
        # The ranking is timed first, before the floors below lay PDFs out in this
        # process: a worker serving the app never runs WeasyPrint, and the heap a
        # 1,000-pitch layout leaves behind slowed the pure-Python ranking by a tenth or
        # more (bench/results_bench.py, 23 Nov 2026).
        if "compute" in args.parts:
            n = args.compute_pitches
            print()
            lines.append(
                run_compute(
                    app,
                    seeded[f"compute-panel-{n}"],
                    args.compute_repeat,
                    args.profile,
                    True,
                )
            )
            lines.append(
                run_compute(
                    app, seeded[f"compute-split-{n}"], args.compute_repeat, False, False
                )
            )
        if "pdf" in args.parts or "feedback" in args.parts:
            cfg = app.config
            print(
                f"\nPDF limits (config.py defaults): timeout {cfg['PDF_TIMEOUT_SECONDS']} s, "
                f"HTML {cfg['PDF_MAX_HTML_BYTES'] / 1e6:.1f} MB, address space "
                f"{cfg['PDF_MEMORY_LIMIT_BYTES'] / 1024**3:.1f} GiB; WeasyPrint warm-up "
                f"in this process {warm_weasyprint():.2f} s (not counted)"
            )
        if "pdf" in args.parts:
            for n in args.sheet_pitches:
                repeat = args.sheet_repeat if n <= 300 else 1
                lines.append(
                    run_sheet(app, big_app, seeded[f"sheet-{n}"], repeat, args.profile)
                )
        if "feedback" in args.parts:
            lines.append(
                run_feedback(
                    app, big_app, seeded[f"sheet-{args.feedback_teams}"], args.profile
                )
            )
        if "page" in args.parts:
            print()
            lines.append(
                run_page(
                    db_path,
                    seeded[f"sheet-{args.page_pitches}"],
                    args.requests,
                    args.concurrency,
                )
            )
            if args.profile:
                profile_page(app, seeded[f"sheet-{args.page_pitches}"])
        for current in (app, big_app):
            with current.app_context():
                from extensions import db

                db.session.remove()
                db.engine.dispose()
    print_table(lines)
    missed = [line.name for line in lines if line.met is False]
    targets = [line for line in lines if line.met is not None]
    print(f"  total run time {time.perf_counter() - start:.0f} s")
    print(
        "RESULT: "
        + (
            f"MISSED {len(missed)} of {len(targets)} targets: " + "; ".join(missed)
            if missed
            else f"every target met ({len(targets)} of {len(targets)})"
        )
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
