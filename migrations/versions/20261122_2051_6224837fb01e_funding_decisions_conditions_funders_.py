"""Funding decisions and their conditions, the event's funders, the funder's approval of
the allocation and the chair's sign-off (issue 4).

Revision ID: 6224837fb01e
Revises: 72b1c376ea38
Create Date: 2026-11-22 20:51:59.428922
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "6224837fb01e"
down_revision = "72b1c376ea38"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_funders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_funders_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_event_funders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_funders")),
        sa.UniqueConstraint(
            "event_id", "user_id", name=op.f("uq_event_funders_event_id_user_id")
        ),
    )
    with op.batch_alter_table("event_funders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_funders_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_funders_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "funding_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("pitch_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "full",
                "part",
                "conditions",
                "support",
                "signpost",
                "decline",
                name="funding_kind",
                native_enum=False,
                create_constraint=True,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("amount_pounds", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_pounds >= 0", name=op.f("ck_funding_decisions_amount_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_funding_decisions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_funding_decisions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pitch_id"],
            ["pitches.id"],
            name=op.f("fk_funding_decisions_pitch_id_pitches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_decisions")),
        sa.UniqueConstraint("pitch_id", name=op.f("uq_funding_decisions_pitch_id")),
    )
    with op.batch_alter_table("funding_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_funding_decisions_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "funding_conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["funding_decisions.id"],
            name=op.f("fk_funding_conditions_decision_id_funding_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["met_by_id"],
            ["users.id"],
            name=op.f("fk_funding_conditions_met_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_conditions")),
        sa.UniqueConstraint(
            "decision_id",
            "position",
            name=op.f("uq_funding_conditions_decision_id_position"),
        ),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "allocation_approved_at", sa.DateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("allocation_approved_by_id", sa.Integer(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("signed_off_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_events_allocation_approved_by_id_users"),
            "users",
            ["allocation_approved_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_events_signed_off_by_id_users"),
            "users",
            ["signed_off_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("judge_invitations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "for_funder", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("judge_invitations", schema=None) as batch_op:
        batch_op.drop_column("for_funder")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_events_signed_off_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_events_allocation_approved_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("signed_off_by_id")
        batch_op.drop_column("signed_off_at")
        batch_op.drop_column("allocation_approved_by_id")
        batch_op.drop_column("allocation_approved_at")

    op.drop_table("funding_conditions")
    with op.batch_alter_table("funding_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_decisions_event_id"))

    op.drop_table("funding_decisions")
    with op.batch_alter_table("event_funders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_funders_user_id"))
        batch_op.drop_index(batch_op.f("ix_event_funders_event_id"))

    op.drop_table("event_funders")
