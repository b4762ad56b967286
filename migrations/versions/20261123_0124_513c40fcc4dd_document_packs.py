"""Large document packs made in the background (judging/packs.py), with their progress
and, once made, the PDF.

Revision ID: 513c40fcc4dd
Revises: 668f2b90ef8a
Create Date: 2026-11-23 01:24:19.711735

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "513c40fcc4dd"
down_revision = "668f2b90ef8a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_packs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "feedback",
                "paper",
                name="pack_kind",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="pack_status",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "step",
            sa.Enum(
                "waiting",
                "preparing",
                "layout",
                "writing",
                "finished",
                name="pack_step",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("base_url", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pages_done", sa.Integer(), nullable=False),
        sa.Column("pages_expected", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_document_packs_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_document_packs_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_packs")),
    )
    with op.batch_alter_table("document_packs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_packs_event_id"), ["event_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("document_packs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_packs_event_id"))

    op.drop_table("document_packs")
