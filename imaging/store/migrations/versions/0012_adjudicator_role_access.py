"""An adjudicator's job as their own PostgreSQL role (issue 16): worklist, both reads, decide.

Which cases an adjudicator may adjudicate is the protocol's triggers
(:func:`imaging.protocol.adjudication.triggers`, Python): the database cannot tell them itself,
so a process that reads every case (a manager's or the store owner's) keeps them in table
``triggered_cases`` (one row per case: its two read versions compared and the reasons;
:func:`imaging.store.triggered.keep`, ``spine-endpoints adjudication triggers``). Then, for a
member of ``spine_adjudicator`` connected as their own role (``session_user``), and owner's
functions (SECURITY DEFINER, ``SET search_path = public, pg_temp``):

- ``spine_adjudication_cases()``: each kept case whose two reads are still their readers'
  current versions and neither of them the caller's: case key, reading id, visit id and the two
  read keys (no subject, date or path);
- ``spine_case_visit`` and ``spine_case_files`` (0010) also answer for those cases, so the
  side-by-side view gets the visit's items and the films' pixels;
- a trigger on ``reads`` refuses an adjudicator's read of any other case, and one on
  ``adjudications`` an adjudication of any other case, or of other reads, or as someone else;
- ``adjudications`` and ``adjudication_choices`` (0008) granted with row-level security: an
  adjudicator sees every adjudication and writes only their own (managers all; readers none);
- an audit entry about an adjudication written without subject (the role cannot read it) gets
  the case's subject and visit from a trigger, as 0010 does for reads.

Nothing on SQLite (one workstation: the store's code checks it). docs/store-security.md.

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-18
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imaging.store.migrations.access import DB_GROUPS, grant_to_groups

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"
READER_FUNCTIONS = importlib.import_module(
    "imaging.store.migrations.versions.0010_reader_role_access"
)
WIDENED = ("spine_case_visit(text)", "spine_case_files(text)")
"""0010's functions that answer for a kept case too (the caller adjudicating it)."""
CURRENT = (
    "{r}.status <> 'draft' AND NOT EXISTS (SELECT 1 FROM reads n WHERE n.case_pk = {r}.case_pk "
    "AND n.reader = {r}.reader AND n.repeat = {r}.repeat AND n.status <> 'draft' "
    "AND n.version > {r}.version)"
)
"""True when read ``{r}`` is its reader's current (newest submitted or locked) version."""
ADJUDICATOR = (
    "coalesce((SELECT pg_has_role(session_user, g.oid, 'MEMBER') FROM pg_roles g "
    f"WHERE g.rolname = '{DB_GROUPS['adjudicator']}'), false)"
)
"""True when the connecting login is a member of the adjudicators' group role."""
CASES = f"""RETURNS TABLE (case_pk integer, reading_id varchar, visit_id varchar,
    first_read_pk integer, second_read_pk integer) LANGUAGE sql STABLE {DEFINER} AS $$
    SELECT t.case_pk, v.reading_id, v.visit_id, t.first_read_pk, t.second_read_pk
    FROM triggered_cases t JOIN visits v ON v.id = t.case_pk
    JOIN reads a ON a.id = t.first_read_pk JOIN reads b ON b.id = t.second_read_pk
    WHERE {ADJUDICATOR}
        AND session_user::text NOT IN (a.reader, b.reader)
        AND {CURRENT.format(r="a")} AND {CURRENT.format(r="b")}
    ORDER BY t.case_pk $$"""
NOT_KEPT = (
    "is not a triggered case kept for adjudication (a manager keeps them: spine-endpoints "
    "adjudication triggers)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "triggered_cases",
        sa.Column("case_pk", sa.Integer(), nullable=False),
        sa.Column("first_read_pk", sa.Integer(), nullable=False),
        sa.Column("second_read_pk", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("kept_by", sa.String(63), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["visits.id"], name="fk_triggered_cases_case_pk"),
        sa.ForeignKeyConstraint(["first_read_pk"], ["reads.id"], name="fk_triggered_cases_first"),
        sa.ForeignKeyConstraint(["second_read_pk"], ["reads.id"], name="fk_triggered_cases_second"),
        sa.PrimaryKeyConstraint("case_pk", name="pk_triggered_cases"),
    )
    op.execute(f"CREATE FUNCTION spine_adjudication_cases() {CASES}")
    for signature in WIDENED:
        _replace(signature, "({own} OR v.id IN (SELECT case_pk FROM spine_adjudication_cases()))")
    op.execute(
        f"""CREATE FUNCTION spine_adjudicator_guard() RETURNS trigger LANGUAGE plpgsql {DEFINER}
        AS $$
        DECLARE rid varchar;
        BEGIN
            IF has_table_privilege(session_user, 'visits', 'SELECT') THEN
                RETURN NEW;  -- the core lab's account
            END IF;
            SELECT reading_id INTO rid FROM visits WHERE id = NEW.case_pk;
            IF TG_TABLE_NAME = 'reads' THEN
                IF NEW.role = 'adjudicator' AND NEW.version = 1 AND NOT EXISTS (SELECT 1
                        FROM spine_adjudication_cases() c WHERE c.case_pk = NEW.case_pk) THEN
                    RAISE EXCEPTION 'reads: an adjudicator''s read of case %: it {NOT_KEPT}',
                        rid;
                END IF;
            ELSIF NEW.adjudicator IS DISTINCT FROM session_user::text THEN
                RAISE EXCEPTION 'adjudications: % adjudicates as itself only, not as %',
                    session_user, NEW.adjudicator;
            ELSIF NOT EXISTS (SELECT 1 FROM spine_adjudication_cases() c
                    WHERE c.case_pk = NEW.case_pk AND c.first_read_pk = NEW.first_read_pk
                    AND c.second_read_pk = NEW.second_read_pk) THEN
                RAISE EXCEPTION 'adjudications: case % on these two reads {NOT_KEPT}', rid;
            END IF;
            RETURN NEW;
        END $$"""
    )
    for table in ("reads", "adjudications"):
        op.execute(
            f"CREATE TRIGGER {table}_adjudicator_guard BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION spine_adjudicator_guard()"
        )
    op.execute(READER_FUNCTIONS.audit_names({"read": "reads", "adjudication": "adjudications"}))
    op.execute("REVOKE ALL ON FUNCTION spine_adjudication_cases() FROM PUBLIC")
    _grant()


def _replace(signature: str, condition: str) -> None:
    """0010's function ``signature`` with its own-read condition replaced by ``condition``."""
    own = READER_FUNCTIONS.OWN_READ
    body = READER_FUNCTIONS.FUNCTIONS[signature].replace(own, condition.format(own=own))
    op.execute(f"CREATE OR REPLACE FUNCTION {signature} {body}")


def _grant() -> None:
    """Grants and row-level security, skipped with a notice without the group roles."""
    reader, adjudicator, manager = DB_GROUPS.values()
    own_choice = (
        "adjudication_pk IN (SELECT id FROM adjudications WHERE adjudicator = current_user)"
    )
    statements = [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON triggered_cases, adjudications, "
        f"adjudication_choices TO {manager}",
        f"GRANT SELECT, INSERT, UPDATE ON adjudications TO {adjudicator}",
        f"GRANT SELECT, INSERT, DELETE ON adjudication_choices TO {adjudicator}",
        f"GRANT USAGE, SELECT ON SEQUENCE adjudications_id_seq, adjudication_choices_id_seq "
        f"TO {adjudicator}, {manager}",
        f"GRANT EXECUTE ON FUNCTION spine_adjudication_cases() TO {reader}, {adjudicator}, "
        f"{manager}",
    ]
    for table, own in (("adjudications", "adjudicator = current_user"),
                       ("adjudication_choices", own_choice)):  # fmt: skip
        statements += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY {table}_seen ON {table} FOR SELECT TO {adjudicator} USING (true)",
            f"CREATE POLICY {table}_own ON {table} TO {adjudicator} USING ({own}) "
            f"WITH CHECK ({own})",
            f"CREATE POLICY {table}_manager ON {table} TO {manager} USING (true) WITH CHECK (true)",
        ]
    grant_to_groups(statements, "adjudication tables")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("adjudications", "adjudication_choices"):
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for policy in ("seen", "own", "manager"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{policy} ON {table}")
    op.execute(READER_FUNCTIONS.audit_names({"read": "reads"}))
    for table in ("reads", "adjudications"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_adjudicator_guard ON {table}")
    op.execute("DROP FUNCTION IF EXISTS spine_adjudicator_guard()")
    for signature in WIDENED:
        _replace(signature, "{own}")
    op.execute("DROP FUNCTION IF EXISTS spine_adjudication_cases()")
    op.drop_table("triggered_cases")
