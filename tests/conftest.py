"""Fixtures: the app on a real SQLite file (or PostgreSQL via TEST_DATABASE_URL), clients,
and a sign-in helper. The schema is created once per session; each test starts with empty
tables."""

import os
import tempfile
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import FileSystemBytecodeCache
from sqlalchemy import func, select, text

from app import create_app
from extensions import db, reading
from judging import packs
from judging.pack_models import DocumentPack
from tests.factories import PASSWORD

SECRET = "test-secret-key-that-is-long-enough-0123456789"
_TEMPLATE_CACHE = FileSystemBytecodeCache(tempfile.mkdtemp(prefix="pitchpanel-jinja-"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database every test uses: TEST_DATABASE_URL, else an SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'pitchpanel-test.db'}"


def build_app(database_url: str, **overrides) -> Flask:
    """Create an app for tests; CSRF is off unless a test turns it on."""
    config = {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    app = create_app(config)
    # Every test builds a new app; share compiled templates so they compile once per run.
    app.jinja_env.bytecode_cache = _TEMPLATE_CACHE
    _BUILT.append(app)
    return app


_BUILT: list[Flask] = []


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    """Close the connection pools of every app a test built, so none leaks (psycopg warns)."""
    yield
    while _BUILT:
        with _BUILT.pop().app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def _schema(database_url: str) -> Iterator[None]:
    app = build_app(database_url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.commit()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


def _finish_packs(application: Flask) -> None:
    """Wait for the pack processes the test started (judging/packs.py) to finish: one
    still running would write into the next test's tables."""
    started = application.extensions.get("packs_started", [])
    deadline = time.monotonic() + 120
    db.session.rollback()
    while started and time.monotonic() < deadline:
        with reading():  # ends its transaction: the pack process needs the write lock
            under_way = db.session.scalar(
                select(func.count(DocumentPack.id)).where(
                    DocumentPack.id.in_(started),
                    DocumentPack.status.in_(packs.UNDER_WAY),
                )
            )
        if not under_way:
            return
        time.sleep(0.1)
    assert not started or time.monotonic() < deadline, "a pack process never finished"


@pytest.fixture
def app(_schema, database_url: str) -> Iterator[Flask]:
    """A fresh app on empty tables. Use `with app.app_context():` to arrange data."""
    application = build_app(database_url)
    yield application
    with application.app_context():
        _finish_packs(application)
        db.session.rollback()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def csrf_app(_schema, database_url: str) -> Iterator[Flask]:
    """Like `app`, with CSRF protection on, as in production (R-20)."""
    application = build_app(database_url, WTF_CSRF_ENABLED=True)
    yield application
    with application.app_context():
        _finish_packs(application)
        db.session.rollback()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


class Auth:
    """Sign a test client in and out (flaskr's AuthActions)."""

    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        response = self.client.post(
            "/login", data={"email": email, "password": password}
        )
        assert response.status_code == 302, response.data[:500]
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)
