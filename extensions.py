"""Extension singletons, the declarative base and the database-level rules every model shares."""

import contextvars
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Connection, DateTime, Engine, MetaData, event
from sqlalchemy.exc import DBAPIError
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
    # Straight to the driver: this runs for every transaction, and exec_driver_sql would
    # take the statement through SQLAlchemy's whole execution pipeline. A busy database
    # still raises SQLAlchemy's OperationalError, which callers answer with 503.
    statement = "BEGIN IMMEDIATE" if write_intent.get() else "BEGIN"
    try:
        connection.connection.dbapi_connection.execute(statement)
    except sqlite3.Error as error:
        raise DBAPIError.instance(
            statement, (), error, sqlite3.Error, dialect=connection.dialect
        ) from error


class Prepared:
    """A Core statement for the hottest path, compiled once per dialect and run on the
    driver's cursor of a connection, in that connection's transaction.

    Saving a scorecard (judging/saving.py) runs a handful of statements, and a whole
    panel saves at once (bench/score_burst.py). SQLAlchemy's execution pipeline (cache
    key, compiled-cache lookup, execution context, result object) cost about a sixth of
    a save's CPU there, more than the statements themselves. A Prepared statement is
    still written with select()/insert() and compiled by SQLAlchemy for the connection's
    dialect, with the same type conversions both ways (the columns' bind and result
    processors: UTCDateTime, enums, booleans, numerics); what it skips is the per-call
    machinery. Driver errors are raised as SQLAlchemy's own exceptions
    (OperationalError, IntegrityError), so callers handle them as for any statement.

    Keep it for statements that run on every save: everywhere else a plain
    ``connection.execute`` is clearer and fast enough.
    """

    def __init__(self, statement, column_keys: Sequence[str] | None = None):
        """``column_keys``: the columns an INSERT or UPDATE sets, as for compile()."""
        self.statement = statement
        self.column_keys = None if column_keys is None else list(column_keys)
        self._plans: dict[str, tuple] = {}

    def _plan(self, dialect) -> tuple:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect) -> tuple:
        extra = {} if self.column_keys is None else {"column_keys": self.column_keys}
        compiled = self.statement.compile(dialect=dialect, **extra)
        binds = compiled.binds
        if any(b.expanding for b in binds.values()):
            raise ValueError("Prepared statements take no expanding (IN) parameters")
        # SQLAlchemy fills a literal's parameter, or a column default left out of
        # column_keys, when it executes; here every parameter is passed by name.
        filled = sorted(name for name, b in binds.items() if not b.required)
        if filled:
            raise ValueError(
                f"Prepared statements take every value by name; pass {filled} "
                "(a literal as a bindparam, a defaulted column in column_keys)"
            )
        names = compiled.positiontup if compiled.positional else list(binds)
        params = tuple(
            (name, binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        )
        if getattr(self.statement, "selected_columns", None) is not None:
            columns = [(c.key, c.type) for c in self.statement.selected_columns]
        else:
            columns = [
                (d["name"], d["type"])
                for d in getattr(self.statement, "returning_column_descriptions", ())
            ]
        results = tuple(
            (key, type_.dialect_impl(dialect).result_processor(dialect, None))
            for key, type_ in columns
        )
        return compiled.string, compiled.positional, params, results

    @staticmethod
    def _bind(positional: bool, params: tuple, values: Mapping[str, Any]):
        if positional:
            return tuple(
                values[name] if proc is None else proc(values[name])
                for name, proc in params
            )
        return {
            name: values[name] if proc is None else proc(values[name])
            for name, proc in params
        }

    def _run(self, conn: Connection, values, many: bool = False):
        """Execute on a new cursor of the connection; return the cursor and the
        result processors."""
        sql, positional, params, results = self._plan(conn.dialect)
        if many:
            bound = [self._bind(positional, params, v) for v in values]
        else:
            bound = self._bind(positional, params, values)
        cursor = conn.connection.cursor()
        try:
            if many:
                cursor.executemany(sql, bound)
            else:
                cursor.execute(sql, bound)
        except conn.dialect.loaded_dbapi.Error as error:
            cursor.close()
            raise DBAPIError.instance(
                sql, bound, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
            ) from error
        return cursor, results

    @staticmethod
    def _convert(results: tuple, row: tuple) -> tuple:
        return tuple(
            value if proc is None or value is None else proc(value)
            for (_, proc), value in zip(results, row, strict=True)
        )

    def all(self, conn: Connection, values: Mapping[str, Any]) -> list[tuple]:
        """Every row, as plain tuples in the order of the statement's columns."""
        cursor, results = self._run(conn, values)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not any(proc for _, proc in results):
            return rows
        return [self._convert(results, row) for row in rows]

    def first(self, conn: Connection, values: Mapping[str, Any]) -> tuple | None:
        """The first row as a tuple, or None."""
        cursor, results = self._run(conn, values)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else self._convert(results, row)

    def mapping(self, conn: Connection, values: Mapping[str, Any]) -> dict | None:
        """The first row as a dict keyed by column name, or None."""
        row = self.first(conn, values)
        if row is None:
            return None
        plan = self._plan(conn.dialect)
        return dict(zip((key for key, _ in plan[3]), row, strict=True))

    def run(self, conn: Connection, values: Mapping[str, Any]) -> None:
        """Execute a statement that returns no rows."""
        self._run(conn, values)[0].close()

    def run_many(self, conn: Connection, many: Sequence[Mapping[str, Any]]) -> None:
        """Execute a statement that returns no rows once for each set of values."""
        self._run(conn, many, many=True)[0].close()
