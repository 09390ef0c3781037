"""People and roles, Part 11 signatures, a manager's visit lock, guarded relabelling.

New tables ``people`` (login, printed name, role: reader, adjudicator or manager),
``signatures`` (a read version's signature: signer, name, meaning, time, SHA-256 of its content),
``visit_locks`` and ``relabels`` (both append-only, like ``signatures``). Triggers:

- a subject, visit (case) or image a read refers to cannot change in place (ids, labels, the
  image's UIDs, hash, date or film, its case) nor be deleted, unless the newest ``relabels`` row
  names exactly that change (``spine-endpoints relabel``, audited with a reason);
- no read is started or corrected in a visit whose newest ``visit_locks`` row locks it.

On PostgreSQL also the people's access (:mod:`imaging.store.migrations.access`): group roles,
grants, the blinded views ``reading_cases`` and ``reading_images``, row-level security on reads.
Stores before this revision have no people: they work as before (docs/store-security.md).

Revision ID: 0007
Revises: 0006
Create Date: 2027-01-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from imaging.store.migrations.access import create_access, drop_access

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
APPEND_ONLY = ("signatures", "visit_locks", "relabels")
REFERRED = "a read refers to it: relabel with spine-endpoints relabel and a reason"
LOCKED = "the visit is locked: a manager unlocks it with a reason (spine-endpoints lock)"

_SUBJECT_READ = (
    "EXISTS (SELECT 1 FROM reads r JOIN visits v ON r.case_pk = v.id WHERE v.subject_pk = OLD.id)"
)
_CASE_READ = "EXISTS (SELECT 1 FROM reads WHERE case_pk = OLD.id)"
_IMAGE_READ = "EXISTS (SELECT 1 FROM reads WHERE case_pk = OLD.case_pk)"
_LOCKED = "(SELECT locked FROM visit_locks WHERE case_pk = NEW.case_pk ORDER BY id DESC LIMIT 1)"


def _changed(columns: Sequence[str], differs: str) -> str:
    return "(" + " OR ".join(f"NEW.{c} {differs} OLD.{c}" for c in columns) + ")"


def _relabelled(entity: str, field: str, old: str, new: str) -> str:
    """True when the newest relabels row names exactly this change of ``entity`` row OLD."""
    return (
        "EXISTS (SELECT 1 FROM relabels WHERE id = (SELECT max(id) FROM relabels) "
        f"AND entity = '{entity}' AND entity_pk = OLD.id AND field = '{field}' "
        f"AND old_value = {old} AND new_value = {new})"
    )


def _update_refusals(differs: str) -> dict[str, str]:
    """Table -> the condition under which an UPDATE of a row a read refers to is refused."""
    image_move = _relabelled(
        "images", "case_pk", "CAST(OLD.case_pk AS TEXT)", "CAST(NEW.case_pk AS TEXT)"
    )
    image_fixed = ("id", "sop_instance_uid", "series_instance_uid", "study_instance_uid",
                   "sha256", "study_date", "film")  # fmt: skip
    return {
        "subjects": f"{_SUBJECT_READ} AND ({_changed(['id'], differs)} OR "
        f"(NEW.subject_id {differs} OLD.subject_id AND NOT "
        f"{_relabelled('subjects', 'subject_id', 'OLD.subject_id', 'NEW.subject_id')}))",
        "visits": f"{_CASE_READ} AND ({_changed(['id', 'subject_pk', 'reading_id'], differs)} OR "
        f"(NEW.visit_id {differs} OLD.visit_id AND NOT "
        f"{_relabelled('visits', 'visit_id', 'OLD.visit_id', 'NEW.visit_id')}))",
        "images": f"OLD.case_pk IS NOT NULL AND {_IMAGE_READ} AND "
        f"({_changed(image_fixed, differs)} OR "
        f"({_changed(['case_pk', 'subject_pk'], differs)} AND NOT {image_move}))",
    }


DELETE_REFUSALS = {"subjects": _SUBJECT_READ, "visits": _CASE_READ,
                   "images": f"OLD.case_pk IS NOT NULL AND {_IMAGE_READ}"}  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(63), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "role IN ('reader', 'adjudicator', 'manager')", name="ck_people_role_known"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("login", name="uq_people_login"),
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_pk", sa.Integer(), nullable=False),
        sa.Column("signer", sa.String(63), nullable=False),
        sa.Column("signer_name", sa.String(128), nullable=False),
        sa.Column("meaning", sa.String(32), nullable=False),
        sa.Column("signed_at", TIMESTAMP, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("canonical", sa.String(16), nullable=False),
        sa.CheckConstraint(
            "meaning IN ('read completed', 'adjudicated', 'locked')",
            name="ck_signatures_meaning_known",
        ),
        sa.ForeignKeyConstraint(["read_pk"], ["reads.id"], name="fk_signatures_read_pk_reads"),
        sa.PrimaryKeyConstraint("id", name="pk_signatures"),
    )
    op.create_index("ix_signatures_read_pk", "signatures", ["read_pk"])
    op.create_table(
        "visit_locks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_pk", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(63), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("length(trim(reason)) > 0", name="ck_visit_locks_has_reason"),
        sa.ForeignKeyConstraint(["case_pk"], ["visits.id"], name="fk_visit_locks_case_pk_visits"),
        sa.PrimaryKeyConstraint("id", name="pk_visit_locks"),
    )
    op.create_index("ix_visit_locks_case_pk", "visit_locks", ["case_pk"])
    op.create_table(
        "relabels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(63), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_pk", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.CheckConstraint("length(trim(reason)) > 0", name="ck_relabels_has_reason"),
        sa.PrimaryKeyConstraint("id", name="pk_relabels"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _postgresql_triggers()
        create_access()


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"""CREATE TRIGGER {table}_append_only_{event.lower()} BEFORE {event} ON {table}
                BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
            )
    for table, condition in _update_refusals("IS NOT").items():
        op.execute(
            f"""CREATE TRIGGER {table}_read_update BEFORE UPDATE ON {table} WHEN {condition}
            BEGIN SELECT RAISE(ABORT, '{table}: {REFERRED}'); END"""
        )
    for table, condition in DELETE_REFUSALS.items():
        op.execute(
            f"""CREATE TRIGGER {table}_read_delete BEFORE DELETE ON {table} WHEN {condition}
            BEGIN SELECT RAISE(ABORT, '{table}: {REFERRED}'); END"""
        )
    op.execute(
        f"""CREATE TRIGGER reads_visit_locked BEFORE INSERT ON reads WHEN {_LOCKED} = 1
        BEGIN SELECT RAISE(ABORT, 'reads: {LOCKED}'); END"""
    )


def _postgresql_triggers() -> None:
    op.execute(
        """CREATE FUNCTION spine_append_only_table() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"""
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION spine_append_only_table()"
        )
    updates = _update_refusals("IS DISTINCT FROM")
    for table in ("subjects", "visits", "images"):
        # SECURITY DEFINER: the guard sees reads and relabels whoever updates
        op.execute(
            f"""CREATE FUNCTION spine_{table}_guard() RETURNS trigger LANGUAGE plpgsql
            SECURITY DEFINER SET search_path = public, pg_temp AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    IF {DELETE_REFUSALS[table]} THEN
                        RAISE EXCEPTION '{table}: {REFERRED}';
                    END IF;
                    RETURN OLD;
                END IF;
                IF {updates[table]} THEN RAISE EXCEPTION '{table}: {REFERRED}'; END IF;
                RETURN NEW;
            END $$"""
        )
        op.execute(
            f"CREATE TRIGGER {table}_read_guard BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION spine_{table}_guard()"
        )
    op.execute(
        f"""CREATE FUNCTION spine_visit_lock_guard() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
            IF {_LOCKED} THEN RAISE EXCEPTION 'reads: {LOCKED}'; END IF;
            RETURN NEW;
        END $$"""
    )
    op.execute(
        "CREATE TRIGGER reads_visit_locked BEFORE INSERT ON reads "
        "FOR EACH ROW EXECUTE FUNCTION spine_visit_lock_guard()"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        drop_access()
        op.execute("DROP TRIGGER IF EXISTS reads_visit_locked ON reads")
        for table in ("subjects", "visits", "images"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_read_guard ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS spine_{table}_guard()")
        op.execute("DROP FUNCTION IF EXISTS spine_visit_lock_guard()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS reads_visit_locked")
        for table in ("subjects", "visits", "images"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_read_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_read_delete")
    op.drop_table("relabels")
    op.drop_index("ix_visit_locks_case_pk", table_name="visit_locks")
    op.drop_table("visit_locks")
    op.drop_index("ix_signatures_read_pk", table_name="signatures")
    op.drop_table("signatures")
    op.drop_table("people")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS spine_append_only_table()")
