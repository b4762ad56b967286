"""Configuration read from the environment, with safe defaults for a local run."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _database_url() -> str:
    """Return the SQLAlchemy URL: DATABASE_URL when set, else SQLite in instance/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///pitchpanel.db"
    # Hosting platforms hand out postgres:// URLs; psycopg 3 is our driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings for every environment; tests override through create_app(test_config)."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    # Server databases also get pool_pre_ping (see app.register_extensions).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Sessions and cookies.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=3)

    # CSRF lives as long as the session, so a long judging session never loses a form.
    WTF_CSRF_TIME_LIMIT = None

    # Request size limits.
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 500_000
    MAX_FORM_PARTS = 1_000

    # Invitations for judges expire after this long.
    INVITATION_MAX_AGE = timedelta(days=14)
    # Login throttling: failures per account / per address inside the window.
    LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
    LOGIN_THROTTLE_PER_ACCOUNT = 5
    LOGIN_THROTTLE_PER_ADDRESS = 30
    # Invalid invitation links tried per account or per address inside the same window.
    INVITATION_THROTTLE = 10

    # PDF rendering runs in a child process with these limits.
    PDF_TIMEOUT_SECONDS = 60
    PDF_MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
    PDF_MAX_HTML_BYTES = 5 * 1024 * 1024
    # Large packs (judging/packs.py) are laid out in the background, in the same limited
    # child, with a longer time limit; one whose progress stops this long has failed.
    PACK_TIMEOUT_SECONDS = 300
    PACK_STALLED_SECONDS = 120
    # Layout children that make one pack side by side (judging.pdf.parts_to_pdf), each
    # at a lower CPU priority than the workers serving requests, and each under
    # PDF_MEMORY_LIMIT_BYTES: a pack may use up to this many times that memory.
    PACK_PROCESSES = 2

    # Number of reverse proxies in front of the app; 0 for a direct run.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    TRUSTED_HOSTS = [
        h for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h
    ] or None
