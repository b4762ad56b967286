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


def test_migration_upgrades_an_existing_database_with_data(tmp_path):
    """R-45: a database of the first release, with an event and a judge, reaches head."""
    from flask_migrate import downgrade
    from sqlalchemy import text

    app = build_app(f"sqlite:///{tmp_path / 'old.db'}")
    with app.app_context():
        upgrade(revision="ebc41ec3a6c9")
        db.session.execute(
            text(
                "INSERT INTO users (id, email, display_name, password_hash, is_organiser, "
                "is_active_account, session_version, created_at) VALUES (1, 'j@example.org', "
                "'J', 'x', 0, 1, 1, '2026-05-14 09:00:00')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO events (id, name, slug, event_type, phase, starts_at, ends_at, "
                "submissions_close_at, venue, description, pot_pounds, cap_pounds, "
                "rubric_preset, scale_min, scale_max, created_at) VALUES (1, 'E', 'e', "
                "'hackathon', 'judging', '2026-05-14 09:00:00', '2026-05-15 17:00:00', "
                "'2026-05-15 13:30:00', '', '', 0, 0, 'B', 1, 5, '2026-05-01 09:00:00')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO panel_members (id, event_id, user_id, is_chair, joined_at) "
                "VALUES (1, 1, 1, 1, '2026-05-01 09:00:00')"
            )
        )
        db.session.commit()

        upgrade()
        row = db.session.execute(
            text(
                "SELECT e.is_blind, e.moderation_locked_at, p.organisation, p.interests "
                "FROM events e JOIN panel_members p ON p.event_id = e.id"
            )
        ).one()
        db.session.rollback()  # release SQLite's write lock before the downgrade
        downgrade(revision="ebc41ec3a6c9")
        kept = db.session.execute(text("SELECT count(*) FROM panel_members")).scalar()
        db.session.remove()
        db.engine.dispose()

    assert tuple(row) == (0, None, "", "")
    assert kept == 1
