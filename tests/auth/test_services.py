"""Account rules without HTTP: password policy (R-09), throttle counters (R-10), equal cost
for unknown accounts (R-11), normalised unique emails (R-12), session versions (R-17) and
the audit log's encoding (R-36). The create-organiser command is tested in test_cli.py."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from auth import audit, services
from auth.models import AuditEntry, LoginFailure, User
from extensions import db, utcnow
from tests.factories import PASSWORD, make_user

ADDRESS = "203.0.113.9"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ada@Example.ORG ", "ada@example.org"),
        ("ＡＤＡ@example.org", "ada@example.org"),  # full-width letters (NFKC)
        ("Straße@example.de", "strasse@example.de"),  # casefold, not lower
        ("", ""),
        (None, ""),
    ],
)
def test_r12_normalise_email(raw, expected):
    # Act / Assert
    assert services.normalise_email(raw) == expected


@pytest.mark.parametrize("password", ["hjkl;mnb", "x" * 8, "y" * 128, "pass word"])
def test_r09_password_policy_accepts(password):
    # Act / Assert (no exception)
    services.check_password_policy(password)


@pytest.mark.parametrize(
    "password",
    ["", "1234567", "z" * 129, "PASSWORD", "Qwerty123", "letmein1", "Password!"],
)
def test_r09_password_policy_refuses(password):
    # Act / Assert
    with pytest.raises(services.AuthError):
        services.check_password_policy(password)


def test_r12_create_user_refuses_same_email_in_other_form(app):
    # Arrange
    with app.app_context():
        make_user("ada@example.org")

        # Act / Assert
        with pytest.raises(services.AuthError):
            services.create_user(" ADA@example.org", PASSWORD, "Second Ada")
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_r12_users_table_enforces_unique_email(app):
    # Arrange
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        make_user("ada@example.org")

        # Act / Assert
        with pytest.raises(IntegrityError):
            make_user("ada@example.org")
        db.session.rollback()


def test_r09_create_user_hashes_with_scrypt_and_starts_a_session_version(app):
    # Act
    with app.app_context():
        user = services.create_user("Ada@Example.org", PASSWORD, " Ada ")
        db.session.commit()

        # Assert
        assert user.email == "ada@example.org"
        assert user.display_name == "Ada"
        assert user.password_hash.startswith("scrypt:")
        assert check_password_hash(user.password_hash, PASSWORD)
        assert user.session_version == 1
        assert user.is_organiser is False


def test_r11_register_participant_for_taken_email_changes_nothing(app):
    # Arrange
    with app.app_context():
        existing = make_user("ada@example.org", "Original")
        old_hash = existing.password_hash

        # Act
        result = services.register_participant("ADA@example.org", "new secret!", "X")

        # Assert
        assert result is None
        db.session.refresh(existing)
        assert existing.display_name == "Original"
        assert existing.password_hash == old_hash
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_authenticate_right_password_returns_user_and_audits(app):
    # Arrange
    with app.app_context():
        user = make_user("ada@example.org")

        # Act
        result = services.authenticate("ADA@example.org ", PASSWORD, ADDRESS)

        # Assert
        assert result is user
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 0
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert actions == ["login.success"]


def test_r10_authenticate_failure_records_account_and_address_rows(app):
    # Arrange
    with app.app_context():
        user = make_user("ada@example.org")

        # Act
        result = services.authenticate("ada@example.org", "wrong", ADDRESS)
        db.session.flush()

        # Assert
        assert result is None
        keys = sorted(db.session.scalars(select(LoginFailure.key)))
        assert keys == ["account:ada@example.org", f"address:{ADDRESS}"]
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.action, entry.actor_id) == ("login.failure", user.id)
        assert "wrong" not in entry.detail


def test_r11_authenticate_unknown_email_records_the_same_rows(app):
    # Arrange
    with app.app_context():
        # Act
        result = services.authenticate("nobody@example.org", "wrong", ADDRESS)
        db.session.flush()

        # Assert
        assert result is None
        keys = sorted(db.session.scalars(select(LoginFailure.key)))
        assert keys == ["account:nobody@example.org", f"address:{ADDRESS}"]
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.action, entry.actor_id) == ("login.failure", None)


def test_r10_failure_prunes_rows_that_can_no_longer_count(app):
    # Arrange
    with app.app_context():
        ancient = utcnow() - app.config["LOGIN_THROTTLE_WINDOW"] - timedelta(hours=2)
        db.session.add(LoginFailure(key="account:old@example.org", at=ancient))
        db.session.flush()

        # Act
        services.authenticate("ada@example.org", "wrong", ADDRESS)
        db.session.flush()

        # Assert
        keys = db.session.scalars(select(LoginFailure.key)).all()
        assert "account:old@example.org" not in keys
        assert len(keys) == 2


def test_r10_is_throttled_counts_only_the_window(app):
    # Arrange
    with app.app_context():
        window = app.config["LOGIN_THROTTLE_WINDOW"]
        old = utcnow() - window - timedelta(seconds=1)
        db.session.add_all(
            LoginFailure(key="account:ada@example.org", at=old) for _ in range(10)
        )
        db.session.add_all(
            LoginFailure(key="account:ada@example.org") for _ in range(4)
        )
        db.session.flush()

        # Act
        four = services.is_throttled("ada@example.org", ADDRESS)
        db.session.add(LoginFailure(key="account:ada@example.org"))
        db.session.flush()
        five = services.is_throttled(" ADA@example.org", ADDRESS)
        other = services.is_throttled("bob@example.org", ADDRESS)

        # Assert
        assert (four, five, other) == (False, True, False)


def test_r10_is_throttled_per_address(app):
    # Arrange
    with app.app_context():
        limit = app.config["LOGIN_THROTTLE_PER_ADDRESS"]
        db.session.add_all(LoginFailure(key=f"address:{ADDRESS}") for _ in range(limit))
        db.session.flush()

        # Act / Assert
        assert services.is_throttled("anyone@example.org", ADDRESS) is True
        assert services.is_throttled("anyone@example.org", "198.51.100.1") is False


def test_r17_load_user_needs_the_current_session_version(app):
    # Arrange
    with app.app_context():
        user = make_user()
        current = user.get_id()

        # Act
        services.revoke_sessions(user)
        db.session.flush()

        # Assert
        assert services.load_user(current) is None
        assert services.load_user(user.get_id()) is user
        assert user.get_id().endswith(":2")


@pytest.mark.parametrize("session_id", [None, "", "abc", "1", "1:", ":1", "1:x", "x:1"])
def test_r17_load_user_refuses_malformed_ids(app, session_id):
    # Arrange
    with app.app_context():
        make_user()

        # Act / Assert
        assert services.load_user(session_id) is None


def test_r17_load_user_refuses_deactivated_account(app):
    # Arrange
    with app.app_context():
        user = make_user()
        user.is_active_account = False
        db.session.flush()

        # Act / Assert
        assert services.load_user(user.get_id()) is None


def test_r17_set_password_signs_out_everywhere(app):
    # Arrange
    with app.app_context():
        user = make_user()
        before = user.get_id()

        # Act
        services.set_password(user, "a brand new passphrase")
        db.session.flush()

        # Assert
        assert services.load_user(before) is None
        assert check_password_hash(user.password_hash, "a brand new passphrase")


def test_r36_audit_encodes_control_characters(app):
    # Arrange
    with app.app_context():
        # Act
        audit.record("test.entry", note="line one\nFAKE ENTRY\x1b[31m", items=["a\rb"])
        db.session.flush()

        # Assert
        entry = db.session.scalar(select(AuditEntry))
        assert "\n" not in entry.detail and "\r" not in entry.detail
        detail = json.loads(entry.detail)
        assert detail["note"] == "line one\\x0aFAKE ENTRY\\x1b[31m"
        assert detail["items"] == ["a\\x0db"]
