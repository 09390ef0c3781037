"""Stored measures say how their corners were obtained (``click``, ``refined``, ``tracked``).

The ``corners`` column of the one endpoint table (docs/endpoint-table.md). Existing measures were
computed from the read's corners as stored, which this column cannot recover: they keep ``''``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "measurements", sa.Column("corners", sa.String(32), nullable=False, server_default="")
    )


def downgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.drop_column("corners")
