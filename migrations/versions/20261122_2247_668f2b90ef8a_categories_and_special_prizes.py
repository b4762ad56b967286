"""Rankings by category (events.category_by) and special prizes decided by the panel.

Revision ID: 668f2b90ef8a
Revises: 2f1551d60ccc
Create Date: 2026-11-22 22:47:14.346029

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "668f2b90ef8a"
down_revision = "2f1551d60ccc"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "special_prizes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pitch_id", sa.Integer(), nullable=True),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_special_prizes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_special_prizes_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_special_prizes_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pitch_id"],
            ["pitches.id"],
            name=op.f("fk_special_prizes_pitch_id_pitches"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_prizes")),
        sa.UniqueConstraint(
            "event_id", "name", name=op.f("uq_special_prizes_event_id_name")
        ),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "category_by",
                sa.Enum(
                    "none",
                    "pitch_type",
                    "setting",
                    name="category_by",
                    native_enum=False,
                    create_constraint=True,
                    length=30,
                ),
                server_default="none",
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_events_category_by"), type_="check")
        batch_op.drop_column("category_by")

    op.drop_table("special_prizes")
