"""An organiser may void a judge's scores (R-42): when, and why, on the panel member.

Revision ID: 607b333e68c9
Revises: 513c40fcc4dd
Create Date: 2026-11-23 06:43:44.248252

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "607b333e68c9"
down_revision = "513c40fcc4dd"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("panel_members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scores_voided_at", sa.DateTime(timezone=True), nullable=True)
        )
        # Existing judges' scores are not voided: an empty reason.
        batch_op.add_column(
            sa.Column(
                "scores_voided_reason",
                sa.String(length=500),
                nullable=False,
                server_default="",
            )
        )


def downgrade():
    with op.batch_alter_table("panel_members", schema=None) as batch_op:
        batch_op.drop_column("scores_voided_reason")
        batch_op.drop_column("scores_voided_at")
