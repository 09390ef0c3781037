"""Measurements stored with a read (``read_pk`` set) are frozen with it once it is submitted.

Revision ID: 0002
Revises: 0001
Create Date: 2024-06-15
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "measurements: a submitted or locked read is immutable: make a correction (a new version)"
STATUS_NEW = "(SELECT status FROM reads WHERE id = NEW.read_pk)"
STATUS_OLD = "(SELECT status FROM reads WHERE id = OLD.read_pk)"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # Rows without a read (read_pk NULL) compare as NULL and are never blocked.
        for event, condition in (
            ("INSERT", f"{STATUS_NEW} <> 'draft'"),
            ("UPDATE", f"{STATUS_OLD} <> 'draft' OR {STATUS_NEW} <> 'draft'"),
            ("DELETE", f"{STATUS_OLD} <> 'draft'"),
        ):
            op.execute(
                f"""CREATE TRIGGER measurements_immutable_{event.lower()} BEFORE {event}
                ON measurements WHEN {condition}
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE TRIGGER measurements_immutable BEFORE INSERT OR UPDATE OR DELETE ON "
            "measurements FOR EACH ROW EXECUTE FUNCTION spine_content_guard()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS measurements_immutable_{event}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS measurements_immutable ON measurements")
