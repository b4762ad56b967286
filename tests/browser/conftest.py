"""Browser-test fixtures: the app served on 127.0.0.1 from its own SQLite file, Debian's
Chromium driven by Playwright, and a page helper that runs axe-core and takes a full-page
screenshot of every page a test visits.

Screenshots go to test-artifacts/screens/<test>-<viewport>-<n>.png (git-ignored). Look
at them: a test can pass while a page is ugly.
"""

import re
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    Route,
)
from werkzeug.serving import make_server

from extensions import db
from tests.conftest import _empty_tables, _finish_packs, build_app
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENS = ARTIFACTS / "screens"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

TABLET_PORTRAIT = {"width": 768, "height": 1024}
TABLET_LANDSCAPE = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
TABLETS = pytest.mark.parametrize(
    "viewport", [TABLET_PORTRAIT, TABLET_LANDSCAPE], ids=["768x1024", "1024x768"]
)

# Every request that does not go to the live server is aborted: nothing leaves the
# machine (the NHS.UK CSS names a webfont on assets.nhs.uk; the page falls back to Arial).
_LOCAL = re.compile(r"^http://127\.0\.0\.1:\d+/")
# Chromium reports every @font-face URL that the CSP (font-src 'self') forbids, even though
# the page never gets the font (it falls back to Arial): the NHS.UK CSS's Frutiger
# webfont on assets.nhs.uk. Any other console error fails the test.
_KNOWN_NOISE = re.compile(
    r"^Loading the font 'https://assets\.nhs\.uk/fonts/[^']+' violates the following "
    r"Content Security Policy directive: \"font-src 'self'\""
)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_name):
    """Launch Debian's Chromium (`playwright install` cannot run without network).

    Only for Chromium: handing the Chromium binary to another engine hangs for minutes.
    """
    if browser_name != "chromium":
        return browser_type_launch_args
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium"),
        "args": CHROMIUM_ARGS,
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    app: Flask
    url: str


def _buffered(app: Flask):
    """Read each response whole and close it before werkzeug writes to the socket.

    When Chromium drops a connection (a page closes while its favicon loads), werkzeug's
    development server can fail in its clean-up before it closes the response, leaving
    a static file open (a ResourceWarning, which the suite treats as an error).
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def _live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The app on its own SQLite file, served by werkzeug in a daemon thread."""
    database = tmp_path_factory.mktemp("browser-db") / "pitchpanel-browser.db"
    app = build_app(
        f"sqlite:///{database}",
        # conftest's build_app names the host "localhost"; the browser asks for
        # 127.0.0.1:<port>, which must route too.
        SERVER_NAME=None,
        # Real forms carry real tokens.
        WTF_CSRF_ENABLED=True,
        # SESSION_COOKIE_SECURE, REMEMBER_COOKIE_SECURE and the "__Host-session" cookie
        # name stay as in production: Chromium treats http://127.0.0.1 as a secure
        # context and keeps Secure cookies from it (test_organiser checks the cookie).
    )
    with app.app_context():
        db.create_all()
        db.session.commit()
    port = _free_port()
    server = make_server("127.0.0.1", port, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app=app, url=f"http://127.0.0.1:{port}")
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(_live_server: LiveServer) -> Iterator[LiveServer]:
    """The running server; its tables are emptied after each test."""
    yield _live_server
    with _live_server.app.app_context():
        _finish_packs(_live_server.app)
        db.session.rollback()
        _empty_tables()


@pytest.fixture
def viewport() -> dict[str, int]:
    """The browser window; tests parametrize it (TABLETS, or PHONE)."""
    return TABLET_LANDSCAPE


@pytest.fixture
def browser_context_args(browser_context_args, live_server, viewport):
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": viewport,
        "locale": "en-GB",
        "timezone_id": "Europe/London",
        "accept_downloads": True,
    }


@pytest.fixture
def context(new_context) -> BrowserContext:
    ctx = new_context()

    def stay_local(route: Route) -> None:
        if _LOCAL.match(route.request.url):
            route.continue_()
        else:
            route.abort()

    ctx.route("**/*", stay_local)
    ctx.set_default_timeout(10_000)
    return ctx


_AXE = Axe()


@dataclass
class Browse:
    """Checks every page the test visits: axe-core, a screenshot, no CSP or JS errors."""

    page: Page
    name: str
    viewport: dict[str, int]
    shots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Page:
        response = self.page.goto(path)
        assert response is not None and response.ok, (
            path,
            response and response.status,
        )
        self.check()
        return self.page

    def check(self) -> None:
        """Screenshot the page as it is now, and assert axe-core finds no violations."""
        self.page.wait_for_load_state("load")
        n = len(self.shots) + 1
        size = f"{self.viewport['width']}x{self.viewport['height']}"
        path = SCREENS / f"{self.name}-{size}-{n}.png"
        self.page.screenshot(path=path, full_page=True)
        self.shots.append(path)
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{self.page.url} is {overflow}px wider than the window"
        results = _AXE.run(self.page)
        violations = results.response["violations"]
        if violations:
            lines = [f"axe-core: {len(violations)} violation(s) on {self.page.url}"]
            for v in violations:
                lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
                for node in v["nodes"]:
                    lines.append(f"    {node['target']}: {node['html'][:200]}")
            pytest.fail("\n".join(lines), pytrace=False)
        self.assert_clean()

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.goto("/login")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r"/$|/events/"))
        self.check()


@pytest.fixture
def browse(page: Page, request, viewport) -> Browse:
    SCREENS.mkdir(parents=True, exist_ok=True)
    name = request.node.originalname
    for old in SCREENS.glob(f"{name}-{viewport['width']}x{viewport['height']}-*.png"):
        old.unlink()
    helper = Browse(page=page, name=name, viewport=viewport)

    def on_console(message: ConsoleMessage) -> None:
        # A page answered 4xx on purpose (a form with errors) logs "Failed to load
        # resource": the tests check documents' statuses, on_response the rest.
        text = message.text
        if message.type == "error" and not (
            _KNOWN_NOISE.search(text) or text.startswith("Failed to load resource")
        ):
            helper.problems.append(f"console error on {page.url}: {text}")

    def on_response(response: Response) -> None:
        # Documents and the app's own fetch() calls answer 4xx on purpose (form errors).
        kind = response.request.resource_type
        if kind not in ("document", "fetch", "xhr") and response.status >= 400:
            helper.problems.append(f"{response.status} for {response.url}")

    def on_request_failed(request: Request) -> None:
        # A navigation that turns into a download ends as net::ERR_ABORTED, and so does a
        # page's polling fetch() in flight when the user submits a form and leaves.
        aborted = request.failure == "net::ERR_ABORTED"
        # Leaving a page aborts its own loads: the navigation, a fetch, and the favicon,
        # which the browser requests by itself after the page loaded (a flake on the
        # self-updating live pages, seen on 23 Nov).
        left = (
            request.is_navigation_request()
            or request.resource_type == "fetch"
            or request.url.endswith("/favicon.svg")
        )
        if _LOCAL.match(request.url) and not (left and aborted):
            helper.problems.append(f"request failed: {request.url} {request.failure}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    page.on("pageerror", lambda error: helper.problems.append(f"page error: {error}"))
    return helper


@pytest.fixture
def arrange(live_server):
    """Run a function in the live app's context and commit: `arrange(lambda: ...)`."""

    def run(fn):
        with live_server.app.app_context():
            result = fn()
            db.session.commit()
            return result

    return run
