"""Scoring rule 8: an optional draw among pitches tied at the funding line.

Revision ID: 6667e672e59a
Revises: 6224837fb01e
Create Date: 2026-11-22 22:26:41.676097

"""

import sqlalchemy as sa
from alembic import op

revision = "6667e672e59a"
down_revision = "6224837fb01e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "funding_tie_draw",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("funding_tie_seed", sa.String(length=32), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("funding_tie_seed")
        batch_op.drop_column("funding_tie_draw")
