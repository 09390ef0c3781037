"""The AS trial's paired reading for a reader's own PostgreSQL role (issue 16).

A paired case is a subject's cases at the protocol's progression visits under a paired id
(:mod:`imaging.store.paired_groups`): the grouping is by subject, which a reader's role cannot
read. The owner's or a manager's registration keeps the groups (table ``paired_cases``: case,
protocol id, paired id; ``reading_designs.paired_kept`` says they are kept), and an owner's
function (SECURITY DEFINER, ``SET search_path = public, pg_temp``) gives them:

- ``spine_paired_cases(protocol_id)``: paired id, case key and reading id of every kept case of
  the protocol, ordered by paired id and reading id (never by visit: the sitting conceals the
  time order); no subject, visit or date.

Nothing on SQLite.

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imaging.store.migrations.access import DB_GROUPS, grant_to_groups

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "paired_cases",
        sa.Column("case_pk", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sa.String(64), nullable=False),
        sa.Column("paired_id", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["visits.id"], name="fk_paired_cases_case_pk"),
        sa.PrimaryKeyConstraint("protocol_id", "case_pk", name="pk_paired_cases"),
    )
    op.add_column(
        "reading_designs",
        sa.Column("paired_kept", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        f"""CREATE FUNCTION spine_paired_cases(text) RETURNS TABLE (paired_id varchar,
        case_pk integer, reading_id varchar) LANGUAGE sql STABLE {DEFINER} AS $$
        SELECT p.paired_id, p.case_pk, v.reading_id FROM paired_cases p
        JOIN visits v ON v.id = p.case_pk WHERE p.protocol_id = $1
        ORDER BY p.paired_id, v.reading_id $$"""
    )
    op.execute("REVOKE ALL ON FUNCTION spine_paired_cases(text) FROM PUBLIC")
    reader, adjudicator, manager = DB_GROUPS.values()
    grant_to_groups(
        [
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON paired_cases TO {manager}",
            f"GRANT EXECUTE ON FUNCTION spine_paired_cases(text) TO {reader}, {adjudicator}, "
            f"{manager}",
        ],
        "paired cases",
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS spine_paired_cases(text)")
    op.drop_column("reading_designs", "paired_kept")
    op.drop_table("paired_cases")
