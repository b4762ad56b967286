"""A log of the SQL statements an app's database runs, for tests that check which
statements a request sends and in which transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, has_app_context
from sqlalchemy import event as sa_event

from extensions import db


@contextmanager
def sql_log(app: Flask) -> Iterator[list[str]]:
    """Record every statement the app's database runs, BEGINs included.

    On SQLite the driver's trace callback sees every statement, those sent straight to
    the driver's cursor too (extensions.Prepared, the BEGIN of _sqlite_on_begin);
    elsewhere the engine's events see those SQLAlchemy executes.
    """
    statements: list[str] = []

    def record(statement: str) -> None:
        statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    traced = []

    def on_checkout(dbapi_connection, record_, proxy):
        dbapi_connection.set_trace_callback(record)
        traced.append(dbapi_connection)

    def before_cursor_execute(conn, cursor, statement, *args):
        record(statement)

    sqlite = engine.dialect.name == "sqlite"
    target, name, listener = (
        (engine.pool, "checkout", on_checkout)
        if sqlite
        else (engine, "before_cursor_execute", before_cursor_execute)
    )
    sa_event.listen(target, name, listener)
    if sqlite and has_app_context() and db.session().in_transaction():
        # The caller's own connection, checked out already.
        on_checkout(db.session.connection().connection.dbapi_connection, None, None)
    try:
        yield statements
    finally:
        sa_event.remove(target, name, listener)
        for dbapi_connection in traced:
            dbapi_connection.set_trace_callback(None)
