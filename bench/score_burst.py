"""Every judge submits a complete scorecard at the same moment: is anything lost or slow?

Starts the app under gunicorn on 127.0.0.1 with the SQLite default, signs in N judges
(N = 100 and 200 by default) and, for each of five pitches in turn (a Dragon's Den
session), releases all their scorecard saves at the same moment: the tablet's background
save (static/js/scorecard.js), the form fields posted with "Accept: application/json".
In the same run it measures a bare Flask-SQLAlchemy endpoint that inserts one row
(bench/bare_app.py) under the same gunicorn settings and the same five bursts, as the
baseline. For each it prints submissions attempted, stored, errors, throughput (all
submissions over the bursts' total wall time, so one noisy burst does not decide it) and
p50/p95/p99 latency over every submission, then checks the database for lost or
duplicated scores.

``--kill`` SIGKILLs one gunicorn worker in the middle of the burst; clients whose request
fails retry with the same submission key, and the check is that every scorecard the
server confirmed is stored once and every retry succeeds.

Usage: .venv/bin/python bench/score_burst.py [--judges 100 200] [--kill]
Only ever talks to 127.0.0.1; every loop is bounded.
"""

import argparse
import http.client
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench horse battery staple"
WORKERS = os.environ.get("BENCH_WORKERS", "2")
# sync workers: one request at a time per worker, so SQLite writers never queue on its lock
# (gthread with many threads spends its time in SQLite's busy handler).
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
THREADS = os.environ.get("BENCH_THREADS", "1")
ROUNDS = 5  # pitches in the session: one burst each
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KEY_RE = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')
REV_RE = re.compile(r'name="base_revision"[^>]*value="([^"]+)"')
MARK_RE = re.compile(r'name="(mark_\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(db_path: Path, judges: int) -> tuple[str, list[int]]:
    """Create an event in judging with ROUNDS + 1 submitted pitches and N judges; return
    the slug and the pitch ids."""
    from werkzeug.security import generate_password_hash

    from app import create_app
    from auth.models import User
    from events.models import EventPhase, PanelMember
    from extensions import db
    from tests import factories

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
        }
    )
    with app.app_context():
        db.create_all()
        hashed = generate_password_hash(PASSWORD, method="scrypt")
        event = factories.make_event(
            slug="burst",
            phase=EventPhase.JUDGING,
            deadline=datetime.now(UTC) - timedelta(hours=1),
        )
        # One pitch per burst, and a first one to warm the workers up.
        teams = [factories.make_team(event, submitted=True) for _ in range(ROUNDS + 1)]
        for n in range(judges):
            user = User(
                email=f"judge{n}@example.org",
                display_name=f"Judge {n}",
                password_hash=hashed,
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(PanelMember(event_id=event.id, user_id=user.id))
        db.session.commit()
        pitch_ids = [team.pitch.id for team in teams]
        db.engine.dispose()
    return "burst", pitch_ids


class Gunicorn:
    """A gunicorn server on 127.0.0.1 for one app, stopped on exit."""

    def __init__(self, target: str, env: dict[str, str]):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                target,
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                WORKERS,
                "-k",
                WORKER_CLASS,
                "--threads",
                THREADS,
                "--timeout",
                "30",
                "--graceful-timeout",
                "10",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(p) for p in out.split()]

    def cpu_seconds(self) -> dict[int, float]:
        """CPU time (user + system) each current worker has used so far."""
        used = {}
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # the worker has gone
                continue
            ticks = int(fields[11]) + int(fields[12])  # utime, stime
            used[pid] = ticks / os.sysconf("SC_CLK_TCK")
        return used

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=20)


@dataclass
class Judge:
    number: int
    port: int
    cookie: str = ""
    form: dict[str, str] = field(default_factory=dict)
    # One encoded body per pitch, made before the burst as a tablet's outbox holds it: a
    # retry resends the same submission key.
    bodies: dict[int, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: dict | str | None = None,
        accept: str = "text/html",
    ) -> tuple[int, str, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Accept": accept} | ({"Cookie": self.cookie} if self.cookie else {})
        data = None
        if body is not None:
            data = body if isinstance(body, str) else urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie" and value.startswith("__Host-session="):
                    self.cookie = value.split(";")[0]
            return response.status, text, dict(response.getheaders())
        finally:
            conn.close()

    def sign_in_and_open(self, slug: str, pitch_id: int) -> None:
        _, page, _ = self.request("GET", "/login")
        token = TOKEN_RE.search(page).group(1)
        status, _, _ = self.request(
            "POST",
            "/login",
            {
                "csrf_token": token,
                "email": f"judge{self.number}@example.org",
                "password": PASSWORD,
            },
        )
        assert status == 302, f"sign-in failed for judge {self.number}: {status}"
        _, page, _ = self.request("GET", f"/events/{slug}/judge/pitches/{pitch_id}")
        # The CSRF token belongs to the session and the rubric is the event's, so one
        # page serves every pitch; later keys are made on the tablet, as scorecard.js does.
        self.form = {
            "csrf_token": TOKEN_RE.search(page).group(1),
            "base_revision": REV_RE.search(page).group(1),
            "feedback": f"Feedback from judge {self.number}",
            "recommendation": "fund",
        } | {
            name: str(1 + (self.number + i) % 5)
            for i, name in enumerate(sorted(set(MARK_RE.findall(page))))
        }

    def prepare(self, pitch_ids: list[int]) -> None:
        self.bodies = {
            pitch_id: urlencode(self.form | {"submission_key": str(uuid.uuid4())})
            for pitch_id in pitch_ids
        }


@dataclass
class Outcome:
    latency: float
    status: int
    retries: int = 0


def burst(clients, send, kill: Gunicorn | None = None) -> tuple[list[Outcome], float]:
    """Release every client's request at once; return outcomes and wall time."""
    outcomes: list[Outcome | None] = [None] * len(clients)
    barrier = threading.Barrier(len(clients) + 1)

    def run(index: int, client) -> None:
        barrier.wait()
        start = time.perf_counter()
        retries = 0
        while True:
            try:
                status = send(client)
                break
            except (OSError, http.client.HTTPException):
                retries += 1
                if retries > 20:
                    status = 0
                    break
                time.sleep(0.05 * retries)
        outcomes[index] = Outcome(time.perf_counter() - start, status, retries)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    if kill is not None:
        time.sleep(0.05)
        victims = kill.worker_pids()
        if victims:
            os.kill(victims[0], signal.SIGKILL)
            print(f"  killed gunicorn worker {victims[0]} mid-burst")
    for thread in threads:
        thread.join(timeout=120)
    return [o for o in outcomes if o is not None], time.perf_counter() - start


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def report(
    name: str, outcomes: list[Outcome], wall: float, stored: int, ok_status: int
) -> dict:
    latencies = [o.latency * 1000 for o in outcomes]
    errors = sum(1 for o in outcomes if o.status != ok_status)
    row = {
        "name": name,
        "attempted": len(outcomes),
        "stored": stored,
        "errors": errors,
        "retried": sum(1 for o in outcomes if o.retries),
        "throughput": len(outcomes) / wall if wall else 0.0,
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
    }
    print(
        f"  {name:<28} attempted {row['attempted']:>4}  stored {stored:>4}  "
        f"errors {errors:>3}  retried {row['retried']:>3}  "
        f"{row['throughput']:>7.1f}/s  p50 {row['p50']:>6.1f} ms  "
        f"p95 {row['p95']:>6.1f} ms  p99 {row['p99']:>6.1f} ms"
    )
    return row


class BareRun:
    """The baseline: a bare Flask-SQLAlchemy app inserting one row per POST."""

    def __init__(self, tmp: Path, n: int):
        from flask import Flask

        from bench import bare_app
        from extensions import db

        self.db_path = tmp / f"bare-{n}.db"
        app = Flask("seed")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{self.db_path}"
        db.init_app(app)
        with app.app_context():
            bare_app.Row.__table__.create(db.engine, checkfirst=True)
            db.engine.dispose()
        self.server = Gunicorn(
            "bench.bare_app:create_app()",
            {"BENCH_BARE_DATABASE_URL": f"sqlite:///{self.db_path}"},
        )
        self.clients = [Judge(i, self.server.port) for i in range(n)]

    def burst(self, round_: str) -> tuple[list[Outcome], float]:
        return burst(
            self.clients,
            lambda c: c.request("POST", f"/insert/{round_}-{c.number}")[0],
        )

    def stored(self) -> int:
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute("SELECT count(*) FROM bench_rows").fetchone()[0]


class AppRun:
    """Pitchpanel with N signed-in judges, one pitch per burst plus a warm-up pitch."""

    def __init__(self, tmp: Path, n: int, kill: bool):
        self.db_path = tmp / f"app-{n}{'-kill' if kill else ''}.db"
        self.slug, self.pitch_ids = seed(self.db_path, n)
        self.server = Gunicorn(
            "app:create_app()",
            {
                "DATABASE_URL": f"sqlite:///{self.db_path}",
                "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            },
        )
        self.judges = [Judge(i, self.server.port) for i in range(n)]
        prep = [
            threading.Thread(
                target=j.sign_in_and_open, args=(self.slug, self.pitch_ids[0])
            )
            for j in self.judges
        ]
        for i in range(0, n, 16):  # sign in 16 at a time: scrypt is the slow part
            for t in prep[i : i + 16]:
                t.start()
            for t in prep[i : i + 16]:
                t.join(timeout=120)
        for judge in self.judges:
            judge.prepare(self.pitch_ids)

    def burst(self, pitch_id: int, kill: bool = False) -> tuple[list[Outcome], float]:
        def save(judge: Judge) -> int:
            # What a tablet sends: scorecard.js's background save, answered in JSON.
            return judge.request(
                "POST",
                f"/events/{self.slug}/judge/pitches/{pitch_id}",
                judge.bodies[pitch_id],
                accept="application/json",
            )[0]

        return burst(self.judges, save, kill=self.server if kill else None)

    def stored(self, warm_up: int) -> int:
        with sqlite3.connect(self.db_path) as conn:
            return (
                conn.execute("SELECT count(*) FROM scorecards").fetchone()[0] - warm_up
            )

    def check(self, outcomes: list[Outcome]) -> dict:
        """Compare what the server confirmed with what the database holds."""
        with sqlite3.connect(self.db_path) as conn:
            cards, pairs = conn.execute(
                "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT pitch_id, "
                "judge_id FROM scorecards)) FROM scorecards"
            ).fetchone()
            marks = conn.execute("SELECT count(*) FROM marks").fetchone()[0]
            keys = conn.execute("SELECT count(*) FROM score_submissions").fetchone()[0]
            revisions = conn.execute("SELECT max(revision) FROM scorecards").fetchone()[
                0
            ]
        confirmed = sum(1 for o in outcomes if o.status == 200)
        criteria = len([k for k in self.judges[0].form if k.startswith("mark_")])
        lost, duplicated = max(confirmed - cards, 0), cards - pairs
        print(
            f"    check: {cards} scorecards for {pairs} judge-pitch pairs, {marks} "
            f"marks (expected {cards * criteria}), {keys} submission keys, max "
            f"revision {revisions}; confirmed {confirmed}; lost {lost}; duplicated "
            f"{duplicated}"
        )
        return {
            "cards": cards,
            "lost": lost,
            "duplicated": duplicated,
            "marks_ok": marks == cards * criteria,
        }


def run(tmp: Path, n: int, kill: bool) -> tuple[dict, dict]:
    """Warm both servers up, then alternate their bursts so both meet the same machine."""
    bare = BareRun(tmp, n)
    try:
        app = AppRun(tmp, n, kill)
        try:
            bare.burst("warm-up")
            warm, _ = app.burst(app.pitch_ids[0])  # counted in the check, not timed
            base_out, app_out, base_wall, app_wall = [], [], 0.0, 0.0
            cpu = {"bare": [0.0, 0.0], "app": [0.0, 0.0]}  # server, client seconds
            for number, pitch_id in enumerate(app.pitch_ids[1:]):
                with measure_cpu(bare.server, cpu["bare"]):
                    got, took = bare.burst(f"round{number}")
                base_out, base_wall = base_out + got, base_wall + took
                with measure_cpu(app.server, cpu["app"]):
                    got, took = app.burst(pitch_id, kill=kill and number == 0)
                app_out, app_wall = app_out + got, app_wall + took
        finally:
            app.server.stop()
    finally:
        bare.server.stop()
    base = report(f"bare insert, N={n}", base_out, base_wall, bare.stored() - n, 201)
    print_cpu(cpu["bare"], len(base_out))
    label = f"scorecards, N={n}" + (" (worker killed)" if kill else "")
    row = report(label, app_out, app_wall, app.stored(n), 200)
    print_cpu(cpu["app"], len(app_out))
    return base, row | app.check(warm + app_out)


@contextmanager
def measure_cpu(server: Gunicorn, into: list[float]):
    """Add the CPU the server's workers and this client process use in the block."""
    server_before, client_before = server.cpu_seconds(), time.process_time()
    yield
    # A worker killed in the block takes its figure with it; its replacement counts whole.
    after = server.cpu_seconds()
    into[0] += sum(used - server_before.get(pid, 0.0) for pid, used in after.items())
    into[1] += time.process_time() - client_before


def print_cpu(cpu: list[float], requests: int) -> None:
    print(
        f"    CPU per request: server {cpu[0] / requests * 1000:.2f} ms, "
        f"client {cpu[1] / requests * 1000:.2f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judges", type=int, nargs="+", default=[100, 200])
    parser.add_argument(
        "--kill",
        action="store_true",
        help="SIGKILL one worker mid-burst and check retries",
    )
    args = parser.parse_args()
    print(
        f"gunicorn: {WORKERS} {WORKER_CLASS} workers x {THREADS} thread(s), SQLite WAL"
    )
    failed = False
    with tempfile.TemporaryDirectory(prefix="pitchpanel-bench-") as tmp:
        for n in args.judges:
            base, app_row = run(Path(tmp), n, args.kill)
            ratio = app_row["throughput"] / base["throughput"]
            print(
                f"    scorecard throughput is {ratio:.2f} x the bare baseline "
                f"(target >= 0.50); p99 {app_row['p99']:.0f} ms (target <= 750 ms "
                "at N=200)"
            )
            failed |= bool(
                app_row["errors"]
                or app_row["lost"]
                or app_row["duplicated"]
                or not app_row["marks_ok"]
            )
    print(
        "RESULT: "
        + (
            "FAILED (errors, lost or duplicated scores)"
            if failed
            else "no errors, nothing lost or duplicated"
        )
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
