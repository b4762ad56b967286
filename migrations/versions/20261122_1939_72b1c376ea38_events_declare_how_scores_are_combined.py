"""Events declare how the judges' scores are combined (issue 4): mean by default.

Revision ID: 72b1c376ea38
Revises: cdf5e2d7596c
Create Date: 2026-11-22 19:39:39.677575
"""

import sqlalchemy as sa
from alembic import op

revision = "72b1c376ea38"
down_revision = "cdf5e2d7596c"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "results_method",
                sa.Enum(
                    "mean",
                    "median",
                    "trimmed_mean",
                    "z_score",
                    name="aggregation_method",
                    native_enum=False,
                    create_constraint=True,
                    length=30,
                ),
                server_default="mean",
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_events_aggregation_method"), type_="check")
        batch_op.drop_column("results_method")
