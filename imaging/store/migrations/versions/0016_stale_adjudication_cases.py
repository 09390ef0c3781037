"""Why an adjudicator's own role has an empty worklist (issue 16 follow-up).

A kept triggered case (0012) leaves the adjudicator's worklist when a reader corrects one of its
two reads: the triggers must be computed again on the new version, and only a process that reads
every case can (``spine-endpoints adjudication triggers``, or a manager's import). An owner's
function (SECURITY DEFINER, ``SET search_path = public, pg_temp``) lets the adjudicator's role
tell that case from one never kept:

- ``spine_stale_adjudication_cases()``: the reading id of each kept case one of whose two reads
  has a newer submitted version, neither read the caller's, for members of
  ``spine_adjudicator`` only. The role learns that a read of the case was corrected, which the
  reads it sees already show; no subject, visit or date.

Nothing on SQLite.

Revision ID: 0016
Revises: 0015
Create Date: 2027-01-22
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from alembic import op

from imaging.store.migrations.access import DB_GROUPS, grant_to_groups

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT = importlib.import_module("imaging.store.migrations.versions.0012_adjudicator_role_access")
FUNCTION = "spine_stale_adjudication_cases()"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    current = f"{KEPT.CURRENT.format(r='a')} AND {KEPT.CURRENT.format(r='b')}"
    op.execute(
        f"""CREATE FUNCTION {FUNCTION} RETURNS TABLE (reading_id varchar)
        LANGUAGE sql STABLE {KEPT.DEFINER} AS $$
        SELECT v.reading_id FROM triggered_cases t JOIN visits v ON v.id = t.case_pk
        JOIN reads a ON a.id = t.first_read_pk JOIN reads b ON b.id = t.second_read_pk
        WHERE {KEPT.ADJUDICATOR} AND session_user::text NOT IN (a.reader, b.reader)
            AND NOT ({current})
        ORDER BY v.reading_id $$"""
    )
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    reader, adjudicator, manager = DB_GROUPS.values()
    grant_to_groups(
        [f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO {reader}, {adjudicator}, {manager}"],
        "stale adjudication cases",
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
