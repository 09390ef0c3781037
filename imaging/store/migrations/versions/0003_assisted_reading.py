"""Assisted reading: where each corner came from, and the grades software suggested.

``landmarks``: ``method`` becomes ``used`` (``click``, ``refined``, ``tracked``, ``moved``; the old
``manual`` is ``click``), with the refined position, the refinement's confidence and status.
Existing corners were the reader's own: their click is their position. Downgrading keeps the
positions and clicks (the refinement's confidence and status are lost). New table
``grade_suggestions``. Both are guarded like the rest of a read's content: nothing changes once
the read is submitted (the guards are dropped for the data update and created again).

Revision ID: 0003
Revises: 0002
Create Date: 2024-07-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imaging.store.migrations.guards import create_guard, drop_guard

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANDMARK_CHECKS = {
    "ck_landmarks_used_known": "used IN ('click', 'refined', 'tracked', 'moved')",
    "ck_landmarks_click_has_position": "used <> 'click' OR click_row IS NOT NULL",
    "ck_landmarks_refined_has_position": "used <> 'refined' OR refined_row IS NOT NULL",
    "ck_landmarks_points_complete": "(click_row IS NULL) = (click_col IS NULL) AND "
    "(refined_row IS NULL) = (refined_col IS NULL)",
    "ck_landmarks_confidence_range": "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)",
}
NEW_LANDMARK_COLUMNS = ("refined_row", "refined_col", "confidence", "refinement_status")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    drop_guard("landmarks", dialect)
    for column in NEW_LANDMARK_COLUMNS:
        kind = sa.String(32) if column == "refinement_status" else sa.Float()
        op.add_column("landmarks", sa.Column(column, kind, nullable=True))
    op.execute(
        "UPDATE landmarks SET click_row = row, click_col = col "
        "WHERE method = 'manual' AND click_row IS NULL"
    )
    op.execute("UPDATE landmarks SET method = 'click' WHERE method = 'manual'")
    # A store downgraded to 0002 kept 'refined' corners at their refined position.
    op.execute(
        "UPDATE landmarks SET refined_row = row, refined_col = col "
        "WHERE method = 'refined' AND refined_row IS NULL"
    )
    with op.batch_alter_table("landmarks") as batch:
        batch.alter_column(
            "method", new_column_name="used", existing_type=sa.String(16), existing_nullable=False
        )
        for name, condition in LANDMARK_CHECKS.items():
            batch.create_check_constraint(op.f(name), condition)
    op.create_table(
        "grade_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_pk", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("scale", sa.String(64), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("software_version", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["read_pk"], ["reads.id"], name="fk_grade_suggestions_read_pk_reads"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_grade_suggestions"),
        sa.UniqueConstraint(
            "read_pk", "level", "item", name="uq_grade_suggestions_read_level_item"
        ),
    )
    op.create_index("ix_grade_suggestions_read_pk", "grade_suggestions", ["read_pk"])
    create_guard("landmarks", dialect)
    create_guard("grade_suggestions", dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    drop_guard("grade_suggestions", dialect)
    op.drop_index("ix_grade_suggestions_read_pk", table_name="grade_suggestions")
    op.drop_table("grade_suggestions")
    drop_guard("landmarks", dialect)
    with op.batch_alter_table("landmarks") as batch:
        for name in LANDMARK_CHECKS:
            batch.drop_constraint(op.f(name), type_="check")
        for column in NEW_LANDMARK_COLUMNS:
            batch.drop_column(column)
        batch.alter_column(
            "used", new_column_name="method", existing_type=sa.String(16), existing_nullable=False
        )
    op.execute("UPDATE landmarks SET method = 'manual' WHERE method = 'click'")
    create_guard("landmarks", dialect)
