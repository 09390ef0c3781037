"""The database guard of a read's content tables, shared by the migrations that add one.

A row of a content table (grades, landmarks, ...) may change only while its read is a draft:
SQLite gets three triggers per table, PostgreSQL one trigger calling ``spine_content_guard()``
(created by migration 0001). Kept stable: migrations that ran call it.
"""

from __future__ import annotations

from alembic import op

IMMUTABLE = "a submitted or locked read is immutable: make a correction (a new version)"
EVENTS = ("insert", "update", "delete")


def create_guard(table: str, dialect: str) -> None:
    """The triggers of migration 0001 for one content table (they cover every column)."""
    if dialect == "sqlite":
        status_new = "(SELECT status FROM reads WHERE id = NEW.read_pk)"
        status_old = "(SELECT status FROM reads WHERE id = OLD.read_pk)"
        conditions = {
            "insert": f"{status_new} <> 'draft'",
            "update": f"{status_old} <> 'draft' OR {status_new} <> 'draft'",
            "delete": f"{status_old} <> 'draft'",
        }
        for event, condition in conditions.items():
            op.execute(
                f"""CREATE TRIGGER {table}_immutable_{event} BEFORE {event.upper()} ON {table}
                WHEN {condition}
                BEGIN SELECT RAISE(ABORT, '{table}: {IMMUTABLE}'); END"""
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION spine_content_guard()"
        )


def drop_guard(table: str, dialect: str) -> None:
    if dialect == "sqlite":
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable_{event}")
    elif dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
