"""`flask create-organiser EMAIL`: the only way to make the first organiser (R-12)."""

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from auth.models import AuditEntry, User
from extensions import db
from tests.factories import make_user

NEW_PASSWORD = "kestrel-linden-orchard"


def invoke(
    runner, *args: str, password: str = NEW_PASSWORD, confirm: str | None = None
):
    typed = f"{password}\n{confirm if confirm is not None else password}\n"
    return runner.invoke(args=["create-organiser", *args], input=typed)


def test_create_organiser_new_account_with_scrypt_hash(app, runner):
    result = invoke(runner, "  Leah.Brennan@Example.org ")

    assert result.exit_code == 0, result.output
    assert result.output.endswith("Organiser ready: leah.brennan@example.org\n")
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.email, user.display_name, user.is_organiser) == (
            "leah.brennan@example.org",
            "Leah.Brennan",
            True,
        )
        assert user.password_hash.startswith("scrypt:")
        assert check_password_hash(user.password_hash, NEW_PASSWORD) is True
        assert list(db.session.scalars(select(AuditEntry.action))) == [
            "account.created"
        ]


def test_create_organiser_name_option_sets_display_name(app, runner):
    result = invoke(runner, "leah@example.org", "--name", "Leah Brennan")

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(User.display_name)) == "Leah Brennan"


def test_create_organiser_existing_account_is_promoted_and_signed_out(app, runner):
    with app.app_context():
        user = make_user("sam@example.org", "Sam Okoro")
        db.session.commit()
        old_version = user.session_version

    result = invoke(runner, "SAM@example.org")

    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.email, user.display_name, user.is_organiser) == (
            "sam@example.org",
            "Sam Okoro",
            True,
        )
        assert check_password_hash(user.password_hash, NEW_PASSWORD) is True
        assert user.session_version == old_version + 1
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        entries = db.session.execute(
            select(AuditEntry.action, AuditEntry.target_id, AuditEntry.detail)
        ).all()
        assert entries == [("account.organiser_granted", user.id, "{}")]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8 characters"),
        ("password123", "too common"),
        ("x" * 129, "128 characters or fewer"),
    ],
)
def test_create_organiser_weak_password_exits_1(app, runner, password, message):
    result = invoke(runner, "leah@example.org", password=password)

    assert result.exit_code == 1
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_organiser_weak_password_for_existing_account_changes_nothing(
    app, runner
):
    with app.app_context():
        user = make_user("sam@example.org")
        db.session.commit()
        old_hash = user.password_hash

    result = invoke(runner, "sam@example.org", password="short")

    assert result.exit_code == 1
    with app.app_context():
        user = db.session.scalar(select(User))
        assert (user.is_organiser, user.password_hash) == (False, old_hash)


def test_create_organiser_mismatched_confirmation_asks_again(app, runner):
    result = runner.invoke(
        args=["create-organiser", "leah@example.org"],
        input=f"{NEW_PASSWORD}\nsomething-else\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Error: The two entered values do not match." in result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert check_password_hash(user.password_hash, NEW_PASSWORD) is True


def test_create_organiser_password_not_echoed(app, runner):
    result = invoke(runner, "leah@example.org")

    assert NEW_PASSWORD not in result.output


def test_create_organiser_without_email_is_a_usage_error(app, runner):
    result = runner.invoke(args=["create-organiser"], input="")

    assert result.exit_code == 2
    assert "Missing argument 'EMAIL'" in result.output
