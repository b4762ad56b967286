"""People's Choice: the audience vote, its ballots and their picks.

Revision ID: 2f1551d60ccc
Revises: 6667e672e59a
Create Date: 2026-11-22 22:36:44.456568

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "2f1551d60ccc"
down_revision = "6667e672e59a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("device_digest", sa.String(length=64), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_ballots_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballots")),
        sa.UniqueConstraint(
            "event_id", "device_digest", name=op.f("uq_ballots_event_id_device_digest")
        ),
    )
    op.create_table(
        "peoples_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("picks", sa.Integer(), nullable=False),
        sa.Column("blend_percent", sa.Integer(), nullable=False),
        sa.Column("declared_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "blend_percent BETWEEN 0 AND 50",
            name=op.f("ck_peoples_choice_blend_bounded"),
        ),
        sa.CheckConstraint(
            "picks BETWEEN 1 AND 6", name=op.f("ck_peoples_choice_picks_bounded")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_peoples_choice_closed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["declared_by_id"],
            ["users.id"],
            name=op.f("fk_peoples_choice_declared_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_peoples_choice_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["users.id"],
            name=op.f("fk_peoples_choice_opened_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peoples_choice")),
        sa.UniqueConstraint("event_id", name=op.f("uq_peoples_choice_event_id")),
    )
    op.create_table(
        "ballot_picks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.Integer(), nullable=False),
        sa.Column("pitch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballots.id"],
            name=op.f("fk_ballot_picks_ballot_id_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pitch_id"],
            ["pitches.id"],
            name=op.f("fk_ballot_picks_pitch_id_pitches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot_picks")),
        sa.UniqueConstraint(
            "ballot_id", "pitch_id", name=op.f("uq_ballot_picks_ballot_id_pitch_id")
        ),
    )
    with op.batch_alter_table("ballot_picks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ballot_picks_pitch_id"), ["pitch_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("ballot_picks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_picks_pitch_id"))

    op.drop_table("ballot_picks")
    op.drop_table("peoples_choice")
    op.drop_table("ballots")
