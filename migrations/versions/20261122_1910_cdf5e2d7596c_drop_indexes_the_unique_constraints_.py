"""Drop two indexes the unique constraints already cover.

ix_scorecards_pitch_id is the leading column of uq (pitch_id, judge_id), and
ix_marks_scorecard_id of uq (scorecard_id, criterion_id): both serve the same lookups,
and every scorecard saved paid for the extra index writes (eight per save).

Revision ID: cdf5e2d7596c
Revises: 9cce62124b8b
Create Date: 2026-11-22 19:10:59.078831
"""

from alembic import op

revision = "cdf5e2d7596c"
down_revision = "9cce62124b8b"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_marks_scorecard_id", table_name="marks")
    op.drop_index("ix_scorecards_pitch_id", table_name="scorecards")


def downgrade():
    op.create_index("ix_scorecards_pitch_id", "scorecards", ["pitch_id"], unique=False)
    op.create_index("ix_marks_scorecard_id", "marks", ["scorecard_id"], unique=False)
