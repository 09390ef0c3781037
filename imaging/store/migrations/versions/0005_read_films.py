"""The films of a read, with the calibration its corners are measured with.

New table ``read_films`` (one row per read and image: film, pixel spacing, calibration source and
detail, whether the user supplied it, the direction of anterior), guarded like the rest of a
read's content. With it the store computes a read's measures itself whenever a version is
submitted (:func:`imaging.store.measures.submit_with_measures`), so a correction of grades alone
recomputes measures that depend on grades (the normal reference discs of height loss). Reads
stored before have no film rows: their measures stay as they were stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imaging.store.migrations.guards import create_guard, drop_guard

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "read_films",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_pk", sa.Integer(), nullable=False),
        sa.Column("film", sa.String(16), nullable=False),
        sa.Column("image", sa.Text(), nullable=False),
        sa.Column("spacing_row", sa.Float(), nullable=True),
        sa.Column("spacing_col", sa.Float(), nullable=True),
        sa.Column("calibration", sa.String(32), nullable=False),
        sa.Column("calibration_detail", sa.Text(), nullable=False),
        sa.Column("user_supplied", sa.Boolean(), nullable=False),
        sa.Column("anterior_row", sa.Float(), nullable=True),
        sa.Column("anterior_col", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["read_pk"], ["reads.id"], name="fk_read_films_read_pk_reads"),
        sa.PrimaryKeyConstraint("id", name="pk_read_films"),
        sa.UniqueConstraint("read_pk", "image", name="uq_read_films_read_image"),
    )
    op.create_index("ix_read_films_read_pk", "read_films", ["read_pk"])
    create_guard("read_films", op.get_bind().dialect.name)


def downgrade() -> None:
    drop_guard("read_films", op.get_bind().dialect.name)
    op.drop_index("ix_read_films_read_pk", table_name="read_films")
    op.drop_table("read_films")
