"""The protocol's reading design in the database, so that it holds for a reader's own role too.

A reader's own PostgreSQL role may insert its own reads (row-level security, migration 0007); the
store's code checks the protocol's reading design before it does, but someone who bypasses the
tool could start a read of any case and so reach its visit and files (migration 0010). Here the
database checks it itself: table ``reading_designs`` (one row per protocol id: reads per case,
the qualification set's subjects, its id and reference reader), written by a manager's
registration (:func:`imaging.store.reading_design.publish`), and a trigger on ``reads`` that
refuses, for a role that may not read ``visits`` (a reader or adjudicator):

- a primary read under a protocol id with no published design;
- a primary read of a case that already has ``reads_per_case`` other primary readers;
- a primary read of a trial case by a reader not qualified on the protocol's set (their newest
  ``qualifications`` row for it not passed, or they are its reference reader);
- an intra-reader repeat without the reader's submitted first read of the case;
- an adjudicator's read by a member of ``spine_reader`` only;
- an audit entry or a signature naming anyone but the role itself (a reader cannot sign or
  audit as someone else).

``spine_qualification_cases(protocol_id)`` gives the keys of the published set's cases (no
subject): the worklist of a reader's role tells the set's cases from trial cases with it. Readers
may read ``reading_designs`` (the protocol's own data).
Nothing on SQLite (one workstation: the store's code checks it).

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-17
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imaging.store.migrations.access import DB_GROUPS, grant_to_groups

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"
IN_SET = (
    "EXISTS (SELECT 1 FROM visits qv JOIN subjects qs ON qv.subject_pk = qs.id "
    "WHERE qv.id = {case} AND qs.subject_id = ANY (d.qualification_subjects))"
)
"""True when the case ``{case}`` is one of the qualification set's (design ``d``)."""
SIGNED_AS = {"audit_log": "actor", "signatures": "signer"}
"""Table -> the column naming who wrote the row: a reader's role writes it as itself only."""


def as_self(table: str, column: str) -> tuple[str, str]:
    """The function and trigger refusing a row of ``table`` whose ``column`` (who wrote it)
    names anyone but the role inserting it, for a role that cannot read ``visits`` (a reader's
    or adjudicator's own). Kept stable: migrations that ran call it."""
    function = f"""CREATE FUNCTION spine_{table}_as_self() RETURNS trigger LANGUAGE plpgsql
        {DEFINER} AS $$
        BEGIN
            IF NOT has_table_privilege(session_user, 'visits', 'SELECT')
                    AND NEW.{column} IS DISTINCT FROM session_user::text THEN
                RAISE EXCEPTION '{table}: % writes as itself only, not as %',
                    session_user, NEW.{column};
            END IF;
            RETURN NEW;
        END $$"""
    trigger = (
        f"CREATE TRIGGER {table}_as_self BEFORE INSERT ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION spine_{table}_as_self()"
    )
    return function, trigger


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "reading_designs",
        sa.Column("protocol_id", sa.String(64), nullable=False),
        sa.Column("reads_per_case", sa.Integer(), nullable=False),
        sa.Column("qualification", sa.String(64), nullable=False, server_default=""),
        sa.Column("qualification_subjects", sa.ARRAY(sa.String(64)), nullable=False),
        sa.Column("reference_reader", sa.String(64), nullable=False, server_default=""),
        sa.Column("published_by", sa.String(63), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reads_per_case >= 1", name="ck_reading_designs_reads_per_case"),
        sa.PrimaryKeyConstraint("protocol_id", name="pk_reading_designs"),
    )
    op.execute(
        f"""CREATE FUNCTION spine_qualification_cases(text) RETURNS SETOF integer
        LANGUAGE sql STABLE {DEFINER} AS $$
        SELECT v.id FROM visits v, reading_designs d WHERE d.protocol_id = $1
            AND {IN_SET.format(case="v.id")} ORDER BY v.id $$"""
    )
    op.execute(
        f"""CREATE FUNCTION spine_reading_design_guard() RETURNS trigger LANGUAGE plpgsql
        {DEFINER} AS $$
        DECLARE d reading_designs%ROWTYPE; qualified boolean;
        BEGIN
            IF has_table_privilege(session_user, 'visits', 'SELECT') OR NEW.version > 1 THEN
                RETURN NEW;  -- the core lab's account; a correction of an existing read
            END IF;
            IF NEW.repeat > 0 THEN
                IF NOT EXISTS (SELECT 1 FROM reads WHERE case_pk = NEW.case_pk
                        AND reader = NEW.reader AND repeat = 0 AND status <> 'draft') THEN
                    RAISE EXCEPTION 'reads: a repeat read follows the reader''s submitted first '
                        'read of the case';
                END IF;
                RETURN NEW;
            END IF;
            IF NEW.role = 'adjudicator' THEN
                IF NOT pg_has_role(session_user, '{DB_GROUPS["adjudicator"]}', 'MEMBER') THEN
                    RAISE EXCEPTION 'reads: only an adjudicator starts an adjudicator''s read';
                END IF;
                RETURN NEW;
            END IF;
            SELECT * INTO d FROM reading_designs WHERE protocol_id = NEW.protocol_id;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'reads: protocol % has no reading design in the store: a manager '
                    'registers images under it (spine-endpoints register)', NEW.protocol_id;
            END IF;
            IF (SELECT count(DISTINCT reader) FROM reads WHERE case_pk = NEW.case_pk
                    AND role <> 'adjudicator' AND repeat = 0 AND reader <> NEW.reader)
                    >= d.reads_per_case THEN
                RAISE EXCEPTION 'reads: the case already has its % primary read(s) (reads_per_case '
                    'of protocol %)', d.reads_per_case, NEW.protocol_id;
            END IF;
            IF cardinality(d.qualification_subjects) > 0
                    AND NOT {IN_SET.format(case="NEW.case_pk")} THEN
                SELECT q.passed INTO qualified FROM qualifications q WHERE q.reader = NEW.reader
                    AND q.qualification = d.qualification
                    ORDER BY q.checked_at DESC, q.id DESC LIMIT 1;
                IF NEW.reader = d.reference_reader OR NOT coalesce(qualified, false) THEN
                    RAISE EXCEPTION 'reads: % is not qualified on qualification % of protocol %: '
                        'trial cases wait until they pass it', NEW.reader, d.qualification,
                        NEW.protocol_id;
                END IF;
            END IF;
            RETURN NEW;
        END $$"""
    )
    op.execute(
        "CREATE TRIGGER reads_reading_design BEFORE INSERT ON reads "
        "FOR EACH ROW EXECUTE FUNCTION spine_reading_design_guard()"
    )
    for table, column in SIGNED_AS.items():
        for statement in as_self(table, column):
            op.execute(statement)
    op.execute("REVOKE ALL ON FUNCTION spine_qualification_cases(text) FROM PUBLIC")
    reader, adjudicator, manager = DB_GROUPS.values()
    grants = (
        f"GRANT EXECUTE ON FUNCTION spine_qualification_cases(text) TO {reader}, {adjudicator}, "
        f"{manager}",
        f"GRANT SELECT, INSERT, UPDATE ON reading_designs TO {manager}",
        f"GRANT SELECT ON reading_designs TO {reader}, {adjudicator}",
    )
    grant_to_groups(grants, "reading designs")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in SIGNED_AS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_as_self ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS spine_{table}_as_self()")
    op.execute("DROP TRIGGER IF EXISTS reads_reading_design ON reads")
    op.execute("DROP FUNCTION IF EXISTS spine_reading_design_guard()")
    op.execute("DROP FUNCTION IF EXISTS spine_qualification_cases(text)")
    op.drop_table("reading_designs")
