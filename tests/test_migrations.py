"""Migrations reach head on an empty database and match the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from extensions import db
from tests.conftest import build_app


def test_migrations_reach_head_and_match_models(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'migrated.db'}")
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
            head = context.get_current_revision()
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert diff == []
    assert head is not None
    assert {t.name for t in db.metadata.sorted_tables} <= tables
