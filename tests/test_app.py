"""The application shell: health check, security headers (R-22), CSRF everywhere (R-20),
cookie and CSRF settings (R-15, R-21) and generic error pages with a request id (R-37)."""

import re

import pytest
from flask import url_for
from sqlalchemy import func, select

from auth import policy
from auth.models import AuditEntry
from events.models import EventPhase
from extensions import db
from tests.conftest import build_app
from tests.factories import (
    make_event,
    make_judge,
    make_team,
    make_user,
    sign_in,
)

CSP_DIRECTIVES = (
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)


def _row_counts() -> dict[str, int]:
    """Rows per table, leaving out the audit log (it records CSRF failures)."""
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name != "audit_entries"
    }


# --- health ---------------------------------------------------------------------------


def test_healthz_reports_database_ok(client):
    # Act
    response = client.get("/healthz")

    # Assert
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


# --- headers ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/login", "/healthz", "/no-such-page"])
def test_r22_security_headers_on_every_response(client, path):
    # Act
    response = client.get(path)

    # Assert
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    for directive in CSP_DIRECTIVES:
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    hsts = headers["Strict-Transport-Security"]
    assert "includeSubDomains" in hsts
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31_536_000
    assert headers["Cache-Control"] == "no-store"
    # JSON has no charset parameter (RFC 8259: always UTF-8); text needs one.
    if headers["Content-Type"].startswith("text/"):
        assert "charset=utf-8" in headers["Content-Type"]


def test_r22_every_inline_script_carries_this_responses_nonce(client):
    # Act
    response = client.get("/")

    # Assert
    nonce = re.search(
        r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]
    ).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
    assert inline, "the page has an inline script to check"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)


def test_r22_nonce_changes_per_response(client):
    # Act
    first = client.get("/").headers["Content-Security-Policy"]
    second = client.get("/").headers["Content-Security-Policy"]

    # Assert
    assert first != second


def test_r22_authenticated_page_is_not_cached(app):
    # Arrange
    with app.app_context():
        organiser = make_user()
        make_event(organiser, slug="cached")
        db.session.commit()
        user_id = organiser.get_id()
    client = app.test_client()
    sign_in(client, user_id)

    # Act
    response = client.get("/events/cached/manage")

    # Assert
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_r22_static_files_stay_cacheable_but_nosniff(client):
    # Act
    response = client.get("/static/css/app.css")

    # Assert
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


# --- error pages -----------------------------------------------------------------


def test_r37_denied_request_gets_request_id_and_nonce(app):
    # Arrange: the access policy refuses before any view runs
    with app.app_context():
        make_event(slug="private")
        user = make_user()
        db.session.commit()
        user_id = user.get_id()
    client = app.test_client()
    sign_in(client, user_id)

    # Act
    response = client.get("/events/private/manage")

    # Assert
    assert response.status_code == 404
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", request_id)
    assert f"<code>{request_id}</code>" in response.text
    assert "'nonce-none'" not in response.headers["Content-Security-Policy"]


def test_r37_server_error_page_is_generic_with_request_id(app, database_url):
    # Arrange: a throwaway route that fails, on a fresh app that does not propagate
    fresh = build_app(database_url, PROPAGATE_EXCEPTIONS=False)

    @fresh.route("/boom")
    @policy.allow(policy.PUBLIC)
    def boom():
        raise RuntimeError("secret internal detail")

    client = fresh.test_client()

    # Act
    response = client.get("/boom", headers={"X-Request-Id": "trace-abc-123"})

    # Assert
    assert response.status_code == 500
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert "<code>trace-abc-123</code>" in response.text
    assert response.headers["X-Request-Id"] == "trace-abc-123"


def test_r37_request_id_from_header_is_truncated(client):
    # Act
    response = client.get("/", headers={"X-Request-Id": "x" * 100})

    # Assert
    assert response.headers["X-Request-Id"] == "x" * 40


def test_r37_debug_is_off_by_default(app):
    # Assert
    assert app.debug is False


# --- cookie and CSRF settings ---------------------------------------------


def test_r15_cookie_settings(app):
    # Arrange
    cfg = app.config

    # Assert
    assert cfg["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True
    assert cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["REMEMBER_COOKIE_SECURE"] is True
    assert cfg["REMEMBER_COOKIE_HTTPONLY"] is True
    assert cfg["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert cfg["REMEMBER_COOKIE_DURATION"].days <= 7


def test_r21_csrf_token_lives_as_long_as_the_session(csrf_app):
    # Assert
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] is None
    assert csrf_app.config["WTF_CSRF_ENABLED"] is True


def test_r19_session_protection_is_basic(app):
    # Assert
    assert app.login_manager.session_protection == "basic"


# --- CSRF on every state-changing endpoint ---------------------------------------


def test_r20_every_post_endpoint_refuses_a_missing_token(csrf_app):
    # Arrange: one user with every role in the event, so only CSRF can refuse
    with csrf_app.app_context():
        user = make_user(is_organiser=True)
        event = make_event(user, slug="csrf-ev", phase=EventPhase.JUDGING)
        make_judge(event, user)
        team = make_team(event, user, submitted=True)
        db.session.commit()
        user_id = user.get_id()
        values = {
            "slug": "csrf-ev",
            "pitch_id": team.pitch.id,
            "team_id": team.id,
            "problem_id": team.problem_id,
            "member_id": team.members[0].id,
            "invitation_id": 1,
            "token": "token",
            "stage": "pitch",
            "condition_id": 1,
            "state": "met",
            "action": "open",
            "prize_id": 1,
            "kind": "feedback",
        }
        before = _row_counts()
    rules = [r for r in csrf_app.url_map.iter_rules() if "POST" in r.methods]
    with csrf_app.test_request_context():
        urls = {
            r.endpoint: url_for(r.endpoint, **{k: values[k] for k in r.arguments})
            for r in rules
        }
    client = csrf_app.test_client()
    sign_in(client, user_id)

    # Act
    answers = {e: client.post(url, data={}).status_code for e, url in urls.items()}

    # Assert
    assert len(answers) >= 15
    assert answers == dict.fromkeys(answers, 400)
    with csrf_app.app_context():
        assert _row_counts() == before
        failures = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "csrf.failure")
        )
        assert failures == len(answers)


def test_r20_forged_token_is_refused(csrf_app):
    # Arrange
    client = csrf_app.test_client()

    # Act
    response = client.post(
        "/register",
        data={
            "csrf_token": "forged",
            "display_name": "Eve",
            "email": "eve@example.org",
            "password": "a long enough passphrase",
        },
    )

    # Assert
    assert response.status_code == 400
    with csrf_app.app_context():
        assert _row_counts()["users"] == 0


def test_r20_csrf_failure_page_keeps_security_headers(csrf_app):
    # Arrange
    client = csrf_app.test_client()

    # Act
    response = client.post("/login", data={"email": "a@example.org"})

    # Assert
    assert response.status_code == 400
    assert "Your form expired" in response.text
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-Id"])
    assert response.headers["Cache-Control"] == "no-store"
    with csrf_app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "csrf.failure")
        )
        assert entry.request_id == response.headers["X-Request-Id"]


def test_r27_xlsx_text_that_looks_like_a_formula_stays_text():
    import io
    from decimal import Decimal

    import openpyxl

    from exports import to_xlsx

    body = to_xlsx(
        [
            (
                "Sheet",
                ["Team", "Score"],
                [
                    ['=HYPERLINK("http://evil")', Decimal("4.25")],
                    ["+1+1", None],
                    ["https://example.org", 3],
                ],
            )
        ]
    )

    workbook = openpyxl.load_workbook(io.BytesIO(body))
    sheet = workbook.active
    cells = [[c for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells[0]] == ['=HYPERLINK("http://evil")', 4.25]
    assert cells[0][0].data_type == "s"  # text, never a formula
    assert [c.value for c in cells[1]] == ["+1+1", None]
    assert cells[2][0].hyperlink is None
    assert sheet.freeze_panes == "A2"
