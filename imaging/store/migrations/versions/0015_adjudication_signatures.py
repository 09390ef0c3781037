"""A submitted adjudication is signed, as a read version is (issue 16 follow-up).

New table ``adjudication_signatures`` (append-only, like ``signatures``): the adjudication
signed, the signer's login and printed name, the meaning (``adjudicated``), the date and time and
the SHA-256 of the decision's canonical content (:mod:`imaging.store.signatures`). On
PostgreSQL, as for read signatures: an adjudicator's own role signs as itself only (0011's
``as_self`` trigger) and only its own adjudications; adjudicators see every adjudication's
signatures, managers all, readers none (row-level security).

Revision ID: 0015
Revises: 0014
Create Date: 2027-01-22
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imaging.store.migrations.access import DB_GROUPS, grant_to_groups

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "adjudication_signatures"
SIGNED_AS = importlib.import_module(
    "imaging.store.migrations.versions.0011_published_reading_design"
)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adjudication_pk", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(63), nullable=False),
        sa.Column("signer_name", sa.String(128), nullable=False),
        sa.Column("meaning", sa.String(32), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("canonical", sa.String(16), nullable=False),
        sa.CheckConstraint("meaning = 'adjudicated'", name=f"ck_{TABLE}_meaning_known"),
        sa.ForeignKeyConstraint(
            ["adjudication_pk"], ["adjudications.id"],
            name=f"fk_{TABLE}_adjudication_pk_adjudications",
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
    )  # fmt: skip
    op.create_index(f"ix_{TABLE}_adjudication_pk", TABLE, ["adjudication_pk"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"""CREATE TRIGGER {TABLE}_append_only_{event.lower()} BEFORE {event} ON {TABLE}
                BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"""
            )
    elif dialect == "postgresql":
        op.execute(  # the function of migration 0007
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION spine_append_only_table()"
        )
        for statement in SIGNED_AS.as_self(TABLE, "signer"):
            op.execute(statement)
        _grant()


def _grant() -> None:
    reader, adjudicator, manager = DB_GROUPS.values()
    own = "adjudication_pk IN (SELECT id FROM adjudications WHERE adjudicator = current_user)"
    grant_to_groups(
        [
            f"GRANT SELECT, INSERT ON {TABLE} TO {adjudicator}, {manager}",
            f"GRANT SELECT ON {TABLE} TO {reader}",  # no policy: a reader's role sees no row
            f"GRANT USAGE, SELECT ON SEQUENCE {TABLE}_id_seq TO {adjudicator}, {manager}",
            f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY {TABLE}_seen ON {TABLE} FOR SELECT TO {adjudicator} USING (true)",
            f"CREATE POLICY {TABLE}_own ON {TABLE} FOR INSERT TO {adjudicator} WITH CHECK ({own})",
            f"CREATE POLICY {TABLE}_manager ON {TABLE} TO {manager} USING (true) WITH CHECK (true)",
        ],
        "adjudication signatures",
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only_{event}")
    elif dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_as_self ON {TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS spine_{TABLE}_as_self()")
    op.drop_index(f"ix_{TABLE}_adjudication_pk", table_name=TABLE)
    op.drop_table(TABLE)
