"""A reader's own baseline read beside a follow-up, for the reader's own PostgreSQL role (issue 16).

``[reading] show_own_baseline = true`` lets a reader see their own baseline read of a subject
beside a follow-up case of the same subject (:mod:`imaging.store.baseline_view`). A reader's
role cannot read subjects, so it gets the baseline case from an owner's function (SECURITY
DEFINER, ``SET search_path = public, pg_temp``) that answers for the connecting login only:

- ``spine_own_baseline(reading_id)``: the reading id of the baseline case of the same subject,
  only when the caller has a read of the follow-up ``reading_id`` under a protocol whose design
  the store keeps with ``show_own_baseline`` (the client's protocol file cannot allow it), the
  case is not itself the baseline, and the caller has a read of the baseline case; else NULL.

``reading_designs`` (0011) keeps ``show_own_baseline`` and the protocol's baseline visit id
(:func:`imaging.store.reading_design.publish`; a store registered before keeps ``false`` until a
manager registers again). Nothing on SQLite.

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-19
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imaging.store.migrations.access import DB_GROUPS, grant_to_groups

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"
OWN_READ = "EXISTS (SELECT 1 FROM reads r WHERE r.case_pk = {case}.id AND r.repeat = 0 AND "
OWN_READ += "r.reader = session_user::text{also})"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.add_column(
        "reading_designs",
        sa.Column("show_own_baseline", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "reading_designs",
        sa.Column("baseline_visit", sa.String(32), nullable=False, server_default=""),
    )
    follow_up_read = OWN_READ.format(case="f", also=" AND r.protocol_id = d.protocol_id")
    op.execute(
        f"""CREATE FUNCTION spine_own_baseline(text) RETURNS varchar LANGUAGE sql STABLE
        {DEFINER} AS $$
        SELECT b.reading_id FROM visits f
        JOIN reading_designs d ON d.show_own_baseline AND f.visit_id <> d.baseline_visit
        JOIN visits b ON b.subject_pk = f.subject_pk AND b.visit_id = d.baseline_visit
        WHERE f.reading_id = $1 AND {follow_up_read} AND {OWN_READ.format(case="b", also="")}
        LIMIT 1 $$"""
    )
    op.execute("REVOKE ALL ON FUNCTION spine_own_baseline(text) FROM PUBLIC")
    reader, adjudicator, manager = DB_GROUPS.values()
    everyone = f"{reader}, {adjudicator}, {manager}"
    grant = f"GRANT EXECUTE ON FUNCTION spine_own_baseline(text) TO {everyone}"
    grant_to_groups([grant], "the baseline-beside function")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS spine_own_baseline(text)")
    op.drop_column("reading_designs", "baseline_visit")
    op.drop_column("reading_designs", "show_own_baseline")
