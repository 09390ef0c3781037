"""Adjudication of double-read cases: the read an adjudicator takes per grade or film.

New tables ``adjudications`` (a case, the adjudicator, the two read versions decided on, the
triggers then, draft or submitted) and ``adjudication_choices`` (per grade (level, item) or film:
the read taken and the reason). Additive: stores before this revision have no adjudications and
open as before. A submitted adjudication and its choices cannot change (triggers).

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
FINAL = "a submitted adjudication is final"


def upgrade() -> None:
    op.create_table(
        "adjudications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_pk", sa.Integer(), nullable=False),
        sa.Column("adjudicator", sa.String(64), nullable=False),
        sa.Column("first_read_pk", sa.Integer(), nullable=False),
        sa.Column("second_read_pk", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("submitted_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted')", name="ck_adjudications_status_known"
        ),
        sa.ForeignKeyConstraint(["case_pk"], ["visits.id"], name="fk_adjudications_case_pk_visits"),
        sa.ForeignKeyConstraint(
            ["first_read_pk"], ["reads.id"], name="fk_adjudications_first_read_pk_reads"
        ),
        sa.ForeignKeyConstraint(
            ["second_read_pk"], ["reads.id"], name="fk_adjudications_second_read_pk_reads"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_adjudications"),
        sa.UniqueConstraint(
            "case_pk", "first_read_pk", "second_read_pk", name="uq_adjudications_case_reads"
        ),
    )
    op.create_index("ix_adjudications_case_pk", "adjudications", ["case_pk"])
    op.create_table(
        "adjudication_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("adjudication_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("read_pk", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("kind IN ('grade', 'film')", name="ck_adjudication_choices_kind_known"),
        sa.CheckConstraint("length(trim(reason)) > 0", name="ck_adjudication_choices_has_reason"),
        sa.ForeignKeyConstraint(
            ["adjudication_pk"],
            ["adjudications.id"],
            name="fk_adjudication_choices_adjudication_pk_adjudications",
        ),
        sa.ForeignKeyConstraint(
            ["read_pk"], ["reads.id"], name="fk_adjudication_choices_read_pk_reads"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_adjudication_choices"),
        sa.UniqueConstraint(
            "adjudication_pk", "kind", "level", "item", name="uq_adjudication_choices_item"
        ),
    )
    op.create_index(
        "ix_adjudication_choices_adjudication_pk", "adjudication_choices", ["adjudication_pk"]
    )
    _create_guards(op.get_bind().dialect.name)


def _create_guards(dialect: str) -> None:
    """A submitted adjudication, and the choices of one, refuse UPDATE and DELETE (and new
    choices)."""
    if dialect == "sqlite":
        op.execute(
            f"""CREATE TRIGGER adjudications_final_update BEFORE UPDATE ON adjudications
            WHEN OLD.status = 'submitted'
            BEGIN SELECT RAISE(ABORT, 'adjudications: {FINAL}'); END"""
        )
        op.execute(
            f"""CREATE TRIGGER adjudications_final_delete BEFORE DELETE ON adjudications
            WHEN OLD.status = 'submitted'
            BEGIN SELECT RAISE(ABORT, 'adjudications: {FINAL}'); END"""
        )
        status = "(SELECT status FROM adjudications WHERE id = {}.adjudication_pk)"
        for event, row in (("insert", "NEW"), ("update", "OLD"), ("delete", "OLD")):
            op.execute(
                f"""CREATE TRIGGER adjudication_choices_final_{event} BEFORE {event.upper()}
                ON adjudication_choices WHEN {status.format(row)} = 'submitted'
                BEGIN SELECT RAISE(ABORT, 'adjudication_choices: {FINAL}'); END"""
            )
    elif dialect == "postgresql":
        op.execute(
            f"""CREATE FUNCTION spine_adjudication_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_TABLE_NAME = 'adjudications' THEN
                    IF OLD.status = 'submitted' THEN
                        RAISE EXCEPTION 'adjudications: {FINAL}';
                    END IF;
                ELSIF TG_OP <> 'INSERT' AND (SELECT status FROM adjudications
                        WHERE id = OLD.adjudication_pk) = 'submitted' THEN
                    RAISE EXCEPTION 'adjudication_choices: {FINAL}';
                ELSIF TG_OP <> 'DELETE' AND (SELECT status FROM adjudications
                        WHERE id = NEW.adjudication_pk) = 'submitted' THEN
                    RAISE EXCEPTION 'adjudication_choices: {FINAL}';
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
            END $$"""
        )
        op.execute(
            "CREATE TRIGGER adjudications_final BEFORE UPDATE OR DELETE ON adjudications "
            "FOR EACH ROW EXECUTE FUNCTION spine_adjudication_guard()"
        )
        op.execute(
            "CREATE TRIGGER adjudication_choices_final BEFORE INSERT OR UPDATE OR DELETE ON "
            "adjudication_choices FOR EACH ROW EXECUTE FUNCTION spine_adjudication_guard()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS adjudication_choices_final ON adjudication_choices")
        op.execute("DROP TRIGGER IF EXISTS adjudications_final ON adjudications")
        op.execute("DROP FUNCTION IF EXISTS spine_adjudication_guard()")
    elif dialect == "sqlite":
        for name in ("adjudications_final_update", "adjudications_final_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS adjudication_choices_final_{event}")
    op.drop_index("ix_adjudication_choices_adjudication_pk", table_name="adjudication_choices")
    op.drop_table("adjudication_choices")
    op.drop_index("ix_adjudications_case_pk", table_name="adjudications")
    op.drop_table("adjudications")
