"""Accounts: registration, sign-in checks, throttling and session revocation."""

import unicodedata
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from auth import audit
from auth.models import LoginFailure, User
from extensions import db, reading, utcnow

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# A short deny-list of the passwords most often seen in breaches (R-09, NCSC guidance).
COMMON_PASSWORDS = frozenset(
    """password password1 password123 12345678 123456789 1234567890 qwerty123 qwertyuiop
    iloveyou welcome1 letmein1 admin123 passw0rd abc12345 11111111 00000000 football
    baseball sunshine1 princess1 monkey123 dragon123 trustno1 changeme nhs12345 nhsnhsnhs
    hospital1 password!""".split()
)
# Checked when the account does not exist, so both paths cost one scrypt.
_DUMMY_HASH = generate_password_hash("not-a-real-password-for-timing")


class AuthError(Exception):
    """A user-facing reason why an account action was refused."""


def normalise_email(raw: str) -> str:
    """Return the canonical form of an email address: NFKC, stripped, casefolded (R-12)."""
    return unicodedata.normalize("NFKC", raw or "").strip().casefold()


def check_password_policy(password: str) -> None:
    """Reject passwords that are too short, too long or on the deny-list.

    :raises AuthError: with a message for the form.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthError(f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer")
    if password.casefold() in COMMON_PASSWORDS:
        raise AuthError("That password is too common. Choose a different one")


def set_password(user: User, password: str) -> None:
    """Hash and store a new password (scrypt), and sign the user out everywhere else."""
    check_password_policy(password)
    user.password_hash = generate_password_hash(password, method="scrypt")
    user.session_version = (user.session_version or 0) + 1


def get_user_by_email(email: str) -> User | None:
    """Return the user with this (normalised) email, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str, password: str, display_name: str, *, is_organiser: bool = False
) -> User:
    """Create an account; the caller commits.

    :raises AuthError: if the email is taken or the password is refused.
    """
    email = normalise_email(email)
    if get_user_by_email(email) is not None:
        raise AuthError("An account with that email address already exists")
    user = User(
        email=email,
        display_name=unicodedata.normalize("NFC", display_name).strip(),
        is_organiser=is_organiser,
        password_hash="",
        session_version=0,
    )
    set_password(user, password)
    db.session.add(user)
    db.session.flush()
    audit.record("account.created", actor=user, target=user)
    return user


def register_participant(email: str, password: str, display_name: str) -> User | None:
    """Create a participant account unless the address is taken; cost the same either way.

    Returns the new user, or None when the address already had an account (R-11).
    """
    if get_user_by_email(email) is not None:
        generate_password_hash(password, method="scrypt")
        return None
    return create_user(email, password, display_name)


def _recent_failures(key: str, since: datetime) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.key == key, LoginFailure.at >= since)
    )


def is_throttled(email: str, address: str) -> bool:
    """Whether sign-in for this account or from this address is paused for a while (R-10).

    The counters live in the database, so every gunicorn worker sees the same numbers. The
    pause ends by itself when old failures leave the window: no hard lock-out.
    """
    cfg = current_app.config
    since = utcnow() - cfg["LOGIN_THROTTLE_WINDOW"]
    account_key = "account:" + normalise_email(email)
    return (
        _recent_failures(account_key, since) >= cfg["LOGIN_THROTTLE_PER_ACCOUNT"]
        or _recent_failures("address:" + address, since)
        >= cfg["LOGIN_THROTTLE_PER_ADDRESS"]
    )


def record_failures(*keys: str) -> None:
    """Count a failed attempt (sign-in, invitation) against each key (R-10)."""
    now = utcnow()
    for key in keys:
        db.session.add(LoginFailure(key=key[:300], at=now))


def has_too_many_failures(key: str, limit: int) -> bool:
    """Whether a key reached `limit` failures inside the throttle window (R-10)."""
    since = utcnow() - current_app.config["LOGIN_THROTTLE_WINDOW"]
    return _recent_failures(key, since) >= limit


def authenticate(email: str, password: str, address: str) -> User | None:
    """Return the user if the credentials are right, else record the failure.

    Always verifies one scrypt hash, so unknown and known accounts take the same time (R-11).
    """
    with reading():  # scrypt takes a while: never hold SQLite's write lock through it
        user = get_user_by_email(email)
    ok = check_password_hash(
        user.password_hash if user else _DUMMY_HASH, password or ""
    )
    if ok and user is not None and user.is_active:
        audit.record("login.success", actor=user, target=user)
        return user
    record_failures("account:" + normalise_email(email), "address:" + address)
    audit.record("login.failure", actor=user, address=address)
    _prune_failures(utcnow())
    return None


def _prune_failures(now: datetime) -> None:
    """Drop failure records that can no longer count towards a throttle."""
    cutoff = now - current_app.config["LOGIN_THROTTLE_WINDOW"] - timedelta(hours=1)
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))


def revoke_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie the user holds (R-17)."""
    user.session_version += 1


# Built once: every signed-in request runs it.
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


def load_user(session_id: str) -> User | None:
    """Resolve the Flask-Login id "<user id>:<session version>" to an active user."""
    user_id, _, version = (session_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.scalars(_USER_BY_ID, {"user_id": int(user_id)}).one_or_none()
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user
