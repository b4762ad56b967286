"""Extension singletons, the declarative base and the database-level rules every model shares."""

import contextvars
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, Engine, MetaData, event
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC and always hand back aware UTC datetimes.

    SQLite keeps no time zone, so the value is normalised to UTC on the way in and labelled
    UTC on the way out; PostgreSQL stores it as timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()

# Whether the current unit of work may write. Requests with a safe method set it to False so
# their SQLite transactions stay deferred (readers never block each other); everything else
# (POST requests, CLI commands, tests) starts its transactions with BEGIN IMMEDIATE.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "write_intent", default=True
)


@contextmanager
def reading() -> Iterator[None]:
    """Run the block's queries in a read transaction of its own, ended on leaving.

    On SQLite a write request's transaction is BEGIN IMMEDIATE and holds the database's
    one write lock until it commits. Reads that need not share the write's transaction
    (who is signed in and their roles, a password's hash) go in here, so the lock is held
    only for the reads and writes that must agree (R-06). Objects loaded in the block stay
    loaded: the transaction ends without expiring them. The block must not write. Inside
    a transaction that is already open the block simply joins it, so it can never commit
    someone else's work.
    """
    session = db.session()
    if session.in_transaction():
        yield
        return
    token = write_intent.set(False)
    try:
        yield
    finally:
        write_intent.reset(token)
        if session.in_transaction():
            keep, session.expire_on_commit = session.expire_on_commit, False
            try:
                session.commit()
            finally:
                session.expire_on_commit = keep


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    """Set the per-connection SQLite pragmas and take over transaction control (R-41)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Disable pysqlite's own BEGIN so that _sqlite_on_begin decides the transaction kind.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection) -> None:
    """Begin SQLite transactions explicitly: IMMEDIATE for writers, deferred for readers."""
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")
