"""Archive roots: image paths kept relative to the folder they were registered from.

New table ``archive_roots`` (one absolute folder per row) and ``images.root_pk``. An image
registered from now on keeps its path relative to its root, so the store finds it from any
working folder, and after the archive moves once the root's path is changed
(``spine-endpoints archive-roots move``). Images registered before have no root: their paths stay
as they were stored (absolute, or relative to the folder ``register`` ran in) and are opened as
before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archive_roots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_archive_roots"),
        sa.UniqueConstraint("path", name="uq_archive_roots_path"),
    )
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column with its reference in one
        op.execute("ALTER TABLE images ADD COLUMN root_pk INTEGER REFERENCES archive_roots (id)")
    else:
        op.add_column("images", sa.Column("root_pk", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_images_root_pk_archive_roots", "images", "archive_roots", ["root_pk"], ["id"]
        )
    op.create_index("ix_images_root_pk", "images", ["root_pk"])


def downgrade() -> None:
    op.drop_index("ix_images_root_pk", table_name="images")
    with op.batch_alter_table("images") as batch:
        batch.drop_column("root_pk")
    op.drop_table("archive_roots")
