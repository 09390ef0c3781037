"""Intra-reader repeat reads beside the first read; readers' qualification results.

``reads.repeat``: 0 for a reader's read of a case (the one that can become the endpoint), 1, 2...
for the same reader's intra-reader repeats of it (``[reading.repeats]``); the unique key becomes
(case, reader, repeat, version), so a repeat sits beside the first read with its own versions.
The repeat number of a read never changes (trigger). Existing reads get 0: old stores keep every
read as it was.

New table ``qualifications`` (append-only): a reader's result on the protocol's qualification set
(``[reading.qualification]``), passed or not, with the statistics compared and who checked.

SQLite cannot change a table's unique constraint in place: ``reads`` is rebuilt inside the
migration's transaction (foreign keys deferred, the rows copied back with their ids, so every
grade, landmark, signature and adjudication still points at its read) and its indexes and
triggers (migrations 0001, 0007) are recreated from their stored SQL.

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imaging.store.migrations.access import DB_GROUPS

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
COLUMNS = ("id", "case_pk", "reader", "role", "version", "supersedes_id", "status", "reason",
           "protocol_id", "source", "started_at", "submitted_at", "locked_at")  # fmt: skip
"""The columns of ``reads`` at revision 0008, copied across the SQLite rebuild."""
REPEAT_FIXED = "the repeat number of a read never changes"

_READS_DDL = """CREATE TABLE reads (
    id INTEGER NOT NULL,
    case_pk INTEGER NOT NULL,
    reader VARCHAR(64) NOT NULL,
    role VARCHAR(32) NOT NULL,
    version INTEGER NOT NULL,{repeat}
    supersedes_id INTEGER,
    status VARCHAR(16) NOT NULL,
    reason TEXT,
    protocol_id VARCHAR(64) NOT NULL,
    source TEXT NOT NULL,
    started_at DATETIME NOT NULL,
    submitted_at DATETIME,
    locked_at DATETIME,
    CONSTRAINT pk_reads PRIMARY KEY (id),
    CONSTRAINT ck_reads_ck_reads_submitted_has_time CHECK (status = 'draft' OR submitted_at IS NOT
        NULL),
    CONSTRAINT ck_reads_ck_reads_status_known CHECK (status IN ('draft', 'submitted', 'locked')),
    CONSTRAINT ck_reads_ck_reads_correction_has_reason CHECK ((version = 1 AND supersedes_id IS
        NULL) OR (version > 1 AND supersedes_id IS NOT NULL AND reason IS NOT NULL AND
        length(trim(reason)) > 0)),{repeat_check}
    CONSTRAINT fk_reads_case_pk_visits FOREIGN KEY(case_pk) REFERENCES visits (id),
    CONSTRAINT fk_reads_supersedes_id_reads FOREIGN KEY(supersedes_id) REFERENCES reads (id),
    CONSTRAINT {unique},
    CONSTRAINT uq_reads_supersedes_id UNIQUE (supersedes_id)
)"""
_NEW = {
    "repeat": "\n    repeat INTEGER DEFAULT '0' NOT NULL,",
    "repeat_check": "\n    CONSTRAINT ck_reads_repeat_not_negative CHECK (repeat >= 0),",
    "unique": "uq_reads_case_reader_repeat_version UNIQUE (case_pk, reader, repeat, version)",
}
_OLD = {
    "repeat": "",
    "repeat_check": "",
    "unique": "uq_reads_case_reader_version UNIQUE (case_pk, reader, version)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _rebuild_reads(_READS_DDL.format(**_NEW), COLUMNS)
        op.execute(
            f"""CREATE TRIGGER reads_repeat_fixed BEFORE UPDATE OF repeat ON reads
            WHEN NEW.repeat IS NOT OLD.repeat
            BEGIN SELECT RAISE(ABORT, 'reads: {REPEAT_FIXED}'); END"""
        )
    else:
        op.add_column(
            "reads", sa.Column("repeat", sa.Integer(), nullable=False, server_default="0")
        )
        op.create_check_constraint("ck_reads_repeat_not_negative", "reads", "repeat >= 0")
        op.drop_constraint("uq_reads_case_reader_version", "reads", type_="unique")
        op.create_unique_constraint(
            "uq_reads_case_reader_repeat_version",
            "reads",
            ["case_pk", "reader", "repeat", "version"],
        )
    op.create_table(
        "qualifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(64), nullable=False),
        sa.Column("qualification", sa.String(64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("checked_by", sa.String(64), nullable=False),
        sa.Column("checked_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_qualifications"),
    )
    op.create_index("ix_qualifications_reader", "qualifications", ["reader"])
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"""CREATE TRIGGER qualifications_append_only_{event.lower()} BEFORE {event}
                ON qualifications BEGIN SELECT RAISE(ABORT, 'qualifications is append-only'); END"""
            )
    elif dialect == "postgresql":
        _postgresql_guards()


def _postgresql_guards() -> None:
    op.execute(
        f"""CREATE FUNCTION spine_repeat_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.repeat IS DISTINCT FROM OLD.repeat THEN
                RAISE EXCEPTION 'reads: {REPEAT_FIXED}';
            END IF;
            RETURN NEW;
        END $$"""
    )
    op.execute(
        "CREATE TRIGGER reads_repeat_fixed BEFORE UPDATE ON reads "
        "FOR EACH ROW EXECUTE FUNCTION spine_repeat_fixed()"
    )
    op.execute(
        "CREATE TRIGGER qualifications_append_only BEFORE UPDATE OR DELETE ON qualifications "
        "FOR EACH ROW EXECUTE FUNCTION spine_append_only_table()"
    )
    reader, adjudicator, manager = DB_GROUPS.values()
    op.execute(
        f"""DO $access$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{manager}') THEN
            EXECUTE 'GRANT SELECT, INSERT ON qualifications TO {manager}';
            EXECUTE 'GRANT SELECT ON qualifications TO {reader}, {adjudicator}';
            EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {manager}';
        END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'spine-endpoints: qualifications not granted (%)', SQLERRM;
        END $access$"""
    )


def _rebuild_reads(ddl: str, columns: Sequence[str]) -> None:
    """Replace ``reads`` by ``ddl`` keeping its rows, ids, indexes and triggers (SQLite).

    The rows are copied aside, the table dropped (foreign keys deferred: the rows that point at a
    read wait for it), created anew and filled back in id order, so at commit every reference is
    whole again."""
    bind = op.get_bind()
    kept = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'reads' AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL ORDER BY type, name"
    ).scalars()
    recreate = list(kept)
    names = ", ".join(columns)
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute(f"CREATE TEMP TABLE reads_0009 AS SELECT {names} FROM reads")
    op.execute("DROP TABLE reads")
    op.execute(ddl)
    op.execute(f"INSERT INTO reads ({names}) SELECT {names} FROM reads_0009 ORDER BY id")
    op.execute("DROP TABLE reads_0009")
    for statement in recreate:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    repeats = op.get_bind().exec_driver_sql("SELECT count(*) FROM reads WHERE repeat > 0").scalar()
    if repeats:
        raise RuntimeError(
            f"the store holds {repeats} repeat read version(s): revision 0008 cannot keep them "
            "beside the first reads; export them first"
        )
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS qualifications_append_only ON qualifications")
        op.execute("DROP TRIGGER IF EXISTS reads_repeat_fixed ON reads")
        op.execute("DROP FUNCTION IF EXISTS spine_repeat_fixed()")
    elif dialect == "sqlite":
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS qualifications_append_only_{event}")
        op.execute("DROP TRIGGER IF EXISTS reads_repeat_fixed")
    op.drop_index("ix_qualifications_reader", table_name="qualifications")
    op.drop_table("qualifications")
    if dialect == "sqlite":
        _rebuild_reads(_READS_DDL.format(**_OLD), COLUMNS)
    else:
        op.drop_constraint("uq_reads_case_reader_repeat_version", "reads", type_="unique")
        op.create_unique_constraint(
            "uq_reads_case_reader_version", "reads", ["case_pk", "reader", "version"]
        )
        op.drop_constraint("ck_reads_repeat_not_negative", "reads", type_="check")
        op.drop_column("reads", "repeat")
