"""Sign in, sign out and register over HTTP: passwords (R-09), throttling (R-10), no
enumeration (R-11), identifiers (R-12), session renewal and revocation (R-16, R-17), CSRF
(R-20), Clear-Site-Data (R-22) and the ``next`` redirect (R-28).

Every POST to /login or /register costs one scrypt; tests that only need a signed-in client
use ``sign_in`` instead."""

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from auth import services
from auth.models import AuditEntry, LoginFailure, User
from extensions import db, utcnow
from tests.factories import PASSWORD, make_event, make_user, sign_in
from tests.sqllog import sql_log

NEW_PASSWORD = "a perfectly long passphrase"


def _normalise(text: str, *replace: str) -> str:
    """Drop the per-response nonce, request id and CSRF token, and the given strings."""
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', text)
    text = re.sub(r"<code>[0-9a-f]{16}</code>", "<code></code>", text)
    for value in replace:
        text = text.replace(value, "EMAIL")
    return text


def _signed_in_user_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _make_account(app, email="judge@example.org", **kwargs) -> str:
    with app.app_context():
        user = make_user(email, **kwargs)
        db.session.commit()
        return user.get_id()


def _register(client, email, password=NEW_PASSWORD, name="Ada Lovelace", query=""):
    return client.post(
        "/register" + query,
        data={"display_name": name, "email": email, "password": password},
    )


# --- registration, R-12 ----------------------------------------------------


def test_r09_register_stores_scrypt_hash_and_audits(app, client):
    # Act
    response = _register(client, "ada@example.org")

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "ada@example.org"
        assert user.display_name == "Ada Lovelace"
        assert user.password_hash.startswith("scrypt:")
        assert NEW_PASSWORD not in user.password_hash
        assert user.is_organiser is False
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "account.created")
        )
        assert entry.actor_id == user.id
        assert NEW_PASSWORD not in entry.detail


@pytest.mark.parametrize(
    "password",
    ["short12", "Password123", "NHS12345", "password!", "x" * 129],
    ids=["too-short", "common-mixed-case", "common-nhs", "common-symbol", "too-long"],
)
def test_r09_register_rejects_weak_password(app, client, password):
    # Act
    response = _register(client, "weak@example.org", password=password)

    # Assert
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert password not in response.text  # never echoed back
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_r09_register_accepts_long_password_without_composition_rules(app, client):
    # Arrange: 64 lower-case characters, no digits or symbols
    password = "correct horse battery staple " * 2 + "extra"

    # Act
    response = _register(client, "long@example.org", password=password[:64])

    # Assert
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_r12_register_normalises_email_case_and_spaces(app, client):
    # Act
    response = _register(client, "  Ada.Lovelace@Example.ORG ")

    # Assert
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(User.email)).all() == [
            "ada.lovelace@example.org"
        ]


def test_r12_register_same_email_in_other_case_creates_no_second_account(app, client):
    # Arrange
    _make_account(app, "ada@example.org", name="Original Ada")
    with app.app_context():
        old_hash = db.session.scalar(select(User.password_hash))

    # Act
    response = _register(client, "ADA@Example.org", name="Impostor")

    # Assert
    assert response.status_code == 302
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert len(users) == 1
        assert users[0].display_name == "Original Ada"
        assert users[0].password_hash == old_hash


def test_r11_register_existing_email_answers_like_a_new_one(app):
    # Arrange
    _make_account(app, "taken@example.org")
    new_client, taken_client = app.test_client(), app.test_client()

    # Act
    new = _register(new_client, "fresh@example.org")
    taken = _register(taken_client, "taken@example.org")
    new_page = new_client.get(new.headers["Location"])
    taken_page = taken_client.get(taken.headers["Location"])

    # Assert
    assert (new.status_code, new.headers["Location"]) == (
        taken.status_code,
        taken.headers["Location"],
    )
    assert new.data == taken.data
    assert "Now sign in" in new_page.text
    assert _normalise(new_page.text) == _normalise(taken_page.text)


# --- sign-in: R-11, R-36 ---------------------------------------------------------------


def test_login_right_password_signs_in_and_audits(app, client):
    # Arrange
    user_id = _make_account(app, "judge@example.org")

    # Act
    response = client.post(
        "/login", data={"email": " Judge@Example.org ", "password": PASSWORD}
    )

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _signed_in_user_id(client) == user_id
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "login.success")
        )
        assert entry.actor_id == int(user_id.split(":")[0])
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 0


@pytest.mark.parametrize("password", [PASSWORD, "not the password"])
def test_login_checks_the_password_without_holding_the_write_lock(
    app, client, monkeypatch, password
):
    """A wave of judges signing in at once must not queue on SQLite's write lock
    through each scrypt: the account is read in a deferred transaction, and the
    IMMEDIATE one only records the outcome."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's transaction kinds")
    _make_account(app, "judge@example.org")
    real_check = services.check_password_hash

    with sql_log(app) as log:

        def check(*args):
            log.append("scrypt")
            return real_check(*args)

        monkeypatch.setattr(services, "check_password_hash", check)
        client.post("/login", data={"email": "judge@example.org", "password": password})

    scrypt = log.index("scrypt")
    assert "BEGIN IMMEDIATE" not in log[:scrypt]
    assert any("FROM users" in s for s in log[:scrypt])
    assert "BEGIN IMMEDIATE" in log[scrypt:]  # the audit line, and any failure count
    assert any(s.startswith("INSERT INTO audit_entries") for s in log[scrypt:])


def test_r11_login_wrong_password_and_unknown_email_look_the_same(app):
    # Arrange
    _make_account(app, "known@example.org")
    known, unknown = app.test_client(), app.test_client()

    # Act
    wrong_password = known.post(
        "/login", data={"email": "known@example.org", "password": "wrong password"}
    )
    no_account = unknown.post(
        "/login", data={"email": "nobody@example.org", "password": "wrong password"}
    )

    # Assert
    assert wrong_password.status_code == no_account.status_code == 200
    assert "Enter a correct email address and password" in wrong_password.text
    assert _normalise(wrong_password.text, "known@example.org") == _normalise(
        no_account.text, "nobody@example.org"
    )
    assert _signed_in_user_id(known) is None
    with app.app_context():
        failures = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "login.failure")
        ).all()
        assert len(failures) == 2
        assert all("wrong password" not in f.detail for f in failures)


def test_login_refuses_deactivated_account_with_right_password(app, client):
    # Arrange
    with app.app_context():
        user = make_user("gone@example.org")
        user.is_active_account = False
        db.session.commit()

    # Act
    response = client.post(
        "/login", data={"email": "gone@example.org", "password": PASSWORD}
    )

    # Assert
    assert response.status_code == 200
    assert _signed_in_user_id(client) is None


# --- throttling: R-10 ------------------------------------------------------------------


def test_r10_five_failures_throttle_even_the_right_password(app, client):
    # Arrange
    _make_account(app, "judge@example.org")
    for _ in range(5):
        client.post("/login", data={"email": "judge@example.org", "password": "guess"})

    # Act
    response = client.post(
        "/login", data={"email": "judge@example.org", "password": PASSWORD}
    )

    # Assert
    assert response.status_code == 200
    assert "Too many attempts" in response.text
    assert _signed_in_user_id(client) is None
    with app.app_context():
        keys = db.session.scalars(select(LoginFailure.key)).all()
        assert keys.count("account:judge@example.org") == 5
        assert keys.count("address:127.0.0.1") == 5
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(
                    AuditEntry.action == "login.success"
                )
            )
            == 0
        )


def test_r10_failures_recorded_by_another_worker_count(app, client):
    # Arrange: rows in the shared database, as another gunicorn worker would write them
    _make_account(app, "judge@example.org")
    with app.app_context():
        db.session.add_all(
            LoginFailure(key="account:judge@example.org") for _ in range(5)
        )
        db.session.commit()

    # Act
    response = client.post(
        "/login", data={"email": "JUDGE@example.org", "password": PASSWORD}
    )

    # Assert
    assert "Too many attempts" in response.text
    assert _signed_in_user_id(client) is None
    with app.app_context():
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 5


def test_r10_per_address_throttle_covers_every_account(app, client):
    # Arrange
    _make_account(app, "judge@example.org")
    with app.app_context():
        db.session.add_all(LoginFailure(key="address:127.0.0.1") for _ in range(30))
        db.session.commit()

    # Act
    response = client.post(
        "/login", data={"email": "judge@example.org", "password": PASSWORD}
    )

    # Assert
    assert "Too many attempts" in response.text
    assert _signed_in_user_id(client) is None


def test_r10_throttle_is_a_soft_delay_that_ends_after_the_window(app, client):
    # Arrange
    user_id = _make_account(app, "judge@example.org")
    with app.app_context():
        db.session.add_all(
            LoginFailure(key="account:judge@example.org") for _ in range(5)
        )
        db.session.commit()

    # Act / Assert (inside the journey: the session cookie is signed with that time)
    with time_machine.travel(utcnow() + timedelta(minutes=16), tick=False):
        response = client.post(
            "/login", data={"email": "judge@example.org", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert _signed_in_user_id(client) == user_id


def test_r11_throttle_answers_the_same_for_unknown_accounts(app):
    # Arrange
    _make_account(app, "known@example.org")
    with app.app_context():
        for email in ("known@example.org", "nobody@example.org"):
            db.session.add_all(LoginFailure(key=f"account:{email}") for _ in range(5))
        db.session.commit()
    known, unknown = app.test_client(), app.test_client()

    # Act
    a = known.post("/login", data={"email": "known@example.org", "password": "x"})
    b = unknown.post("/login", data={"email": "nobody@example.org", "password": "x"})

    # Assert
    assert "Too many attempts" in a.text
    assert _normalise(a.text, "known@example.org") == _normalise(
        b.text, "nobody@example.org"
    )


# --- sessions: R-16, R-17 --------------------------------------------------------------


def test_r16_login_clears_what_the_session_held_before(app, client):
    # Arrange
    user_id = _make_account(app, "judge@example.org")
    with client.session_transaction() as session:
        session["planted"] = "attacker-chosen"
        session["_id"] = "attacker-identifier"

    # Act
    client.post("/login", data={"email": "judge@example.org", "password": PASSWORD})

    # Assert
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_id"] != "attacker-identifier"
        assert session["_user_id"] == user_id
        assert session["_fresh"] is True


def test_r16_csrf_token_rotates_on_login(csrf_app):
    # Arrange
    _make_account(csrf_app, "judge@example.org")
    client = csrf_app.test_client()
    old_token = _csrf_token(client.get("/login").text)
    with client.session_transaction() as session:
        old_secret = session["csrf_token"]

    # Act
    response = client.post(
        "/login",
        data={
            "csrf_token": old_token,
            "email": "judge@example.org",
            "password": PASSWORD,
        },
    )
    replay = client.post("/logout", data={"csrf_token": old_token})

    # Assert
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session.get("csrf_token") != old_secret
        assert session["_user_id"]
    assert replay.status_code == 400  # the pre-login token no longer works


def test_r17_revoke_sessions_signs_an_existing_client_out(app, client):
    # Arrange
    with app.app_context():
        organiser = make_user()
        make_event(organiser, slug="revoked")
        db.session.commit()
        sign_in(client, organiser)
    assert client.get("/events/revoked/manage").status_code == 200

    # Act
    with app.app_context():
        services.revoke_sessions(db.session.get(User, organiser.id))
        db.session.commit()
    response = client.get("/events/revoked/manage")

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_r17_revoked_remember_cookie_no_longer_signs_in(app, client):
    # Arrange
    with app.app_context():
        organiser = make_user("org@example.org")
        make_event(organiser, slug="remembered")
        db.session.commit()
        organiser_id = organiser.id
    client.post(
        "/login",
        data={"email": "org@example.org", "password": PASSWORD, "remember": "y"},
    )
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    assert client.get_cookie("remember_token") is not None
    assert client.get("/events/remembered/manage").status_code == 200

    # Act
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    with app.app_context():
        services.revoke_sessions(db.session.get(User, organiser_id))
        db.session.commit()
    response = client.get("/events/remembered/manage")

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_r17_deactivated_account_is_signed_out(app, client):
    # Arrange
    with app.app_context():
        organiser = make_user()
        make_event(organiser, slug="deactivated")
        db.session.commit()
        sign_in(client, organiser)

    # Act
    with app.app_context():
        db.session.get(User, organiser.id).is_active_account = False
        db.session.commit()
    response = client.get("/events/deactivated/manage")

    # Assert
    assert response.status_code == 302


# --- logout: R-20, R-22 ----------------------------------------------------------------


def test_r20_logout_is_post_only(app, client):
    # Arrange
    sign_in(client, _make_account(app))

    # Act
    response = client.get("/logout")

    # Assert
    assert response.status_code == 405
    assert _signed_in_user_id(client) is not None


def test_r22_logout_clears_session_and_site_data(app, client):
    # Arrange
    user_id = _make_account(app)
    sign_in(client, user_id)

    # Act
    response = client.post("/logout")

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    assert _signed_in_user_id(client) is None
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "logout")
        )
        assert entry.actor_id == int(user_id.split(":")[0])


def test_r20_logout_without_csrf_token_keeps_the_session(csrf_app):
    # Arrange
    client = csrf_app.test_client()
    sign_in(client, _make_account(csrf_app))

    # Act
    response = client.post("/logout")

    # Assert
    assert response.status_code == 400
    assert _signed_in_user_id(client) is not None


def test_r20_login_and_register_without_csrf_token_store_nothing(csrf_app):
    # Arrange
    _make_account(csrf_app, "judge@example.org")
    client = csrf_app.test_client()

    # Act
    login = client.post(
        "/login", data={"email": "judge@example.org", "password": PASSWORD}
    )
    register = _register(client, "new@example.org")

    # Assert
    assert login.status_code == register.status_code == 400
    assert _signed_in_user_id(client) is None
    with csrf_app.app_context():
        assert db.session.scalars(select(User.email)).all() == ["judge@example.org"]


def test_r20_login_with_csrf_token_works(csrf_app):
    # Arrange
    user_id = _make_account(csrf_app, "judge@example.org")
    client = csrf_app.test_client()
    token = _csrf_token(client.get("/login").text)

    # Act
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "judge@example.org", "password": PASSWORD},
    )

    # Assert
    assert response.status_code == 302
    assert _signed_in_user_id(client) == user_id


# --- the next parameter: R-28 ----------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "/\\evil.com",
        "https://evil.com/x",
        "/%0d%0aLocation:%20https://evil.com",
        "javascript:alert(1)",
    ],
)
def test_r28_login_refuses_offsite_next(app, client, target):
    # Arrange
    _make_account(app, "judge@example.org")

    # Act
    response = client.post(
        "/login",
        query_string=f"next={target}".replace("+", "%2B"),
        data={"email": "judge@example.org", "password": PASSWORD},
    )

    # Assert
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_r28_login_follows_local_next(app, client):
    # Arrange
    _make_account(app, "judge@example.org")

    # Act
    response = client.post(
        "/login?next=/events/x/manage",
        data={"email": "judge@example.org", "password": PASSWORD},
    )

    # Assert
    assert response.headers["Location"] == "/events/x/manage"


def test_r28_register_drops_offsite_next(app, client):
    # Act
    response = _register(client, "ada@example.org", query="?next=//evil.com")

    # Assert
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "/\\/evil.com",
        "https://evil.com",
        "evil.com",
        "/x\r\nSet-Cookie:a=b",
        "/x\x00",
        "/user@evil.com",
        "/\tevil.com",
        "javascript:alert(1)",
    ],
)
def test_r28_safe_next_refuses(target):
    # Arrange
    from auth.routes import safe_next

    # Act / Assert
    assert safe_next(target) is None


@pytest.mark.parametrize(
    "target", ["/", "/events/x/manage", "/events/x/judge?after=1", "/events?who=a@b"]
)
def test_r28_safe_next_accepts_local_paths(target):
    # Arrange
    from auth.routes import safe_next

    # Act / Assert
    assert safe_next(target) == target


def test_a_page_showing_form_errors_says_error_first_in_its_title(client):
    blank = client.get("/register")
    refused = client.post("/register", data={"email": "not-an-email"})

    title = re.compile(r"<title>\s*(.*?)\s*</title>", re.S)
    assert title.search(blank.text).group(1).startswith("Create an account")
    assert title.search(refused.text).group(1).startswith("Error: Create an account")
    assert "nhsuk-error-summary" in refused.text
