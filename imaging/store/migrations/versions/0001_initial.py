"""Initial read store: subjects, visits, images, reads and their content, measurements, audit log,
with the triggers that make submitted reads and the audit log immutable.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
CONTENT_TABLES = ("grades", "read_notes", "landmarks")
READ_COLUMNS_FIXED_ON_LOCK = (
    "id", "case_pk", "reader", "role", "version", "supersedes_id", "reason", "protocol_id",
    "source", "started_at", "submitted_at",
)  # fmt: skip
IMMUTABLE = "a submitted or locked read is immutable: make a correction (a new version)"


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("treatment_date", sa.Date(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subjects"),
        sa.UniqueConstraint("subject_id", name="uq_subjects_subject_id"),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.String(64), nullable=False),
        sa.Column("reading_id", sa.String(32), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name="fk_visits_subject_pk_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
        sa.UniqueConstraint("reading_id", name="uq_visits_reading_id"),
        sa.UniqueConstraint("subject_pk", "visit_id", name="uq_visits_subject_visit"),
    )
    op.create_index("ix_visits_subject_pk", "visits", ["subject_pk"])
    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_instance_uid", sa.String(64), nullable=False),
        sa.Column("series_instance_uid", sa.String(64), nullable=False),
        sa.Column("study_instance_uid", sa.String(64), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("case_pk", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("modality", sa.String(16), nullable=False),
        sa.Column("film", sa.String(16), nullable=False),
        sa.Column("study_date", sa.Date(), nullable=True),
        sa.Column("time_point_id", sa.String(64), nullable=False),
        sa.Column("assignment_status", sa.String(32), nullable=False),
        sa.Column("assignment_reason", sa.Text(), nullable=False),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["visits.id"], name="fk_images_case_pk_visits"),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subjects.id"], name="fk_images_subject_pk_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_images"),
        sa.UniqueConstraint("sop_instance_uid", name="uq_images_sop_instance_uid"),
    )
    op.create_index("ix_images_case_pk", "images", ["case_pk"])
    op.create_index("ix_images_study_instance_uid", "images", ["study_instance_uid"])
    op.create_index("ix_images_subject_pk", "images", ["subject_pk"])
    op.create_table(
        "reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_pk", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("protocol_id", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("submitted_at", TIMESTAMP, nullable=True),
        sa.Column("locked_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status = 'draft' OR submitted_at IS NOT NULL", name="ck_reads_submitted_has_time"
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'locked')", name="ck_reads_status_known"
        ),
        sa.CheckConstraint(
            "(version = 1 AND supersedes_id IS NULL) OR (version > 1 AND supersedes_id IS NOT "
            "NULL AND reason IS NOT NULL AND length(trim(reason)) > 0)",
            name="ck_reads_correction_has_reason",
        ),
        sa.ForeignKeyConstraint(["case_pk"], ["visits.id"], name="fk_reads_case_pk_visits"),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["reads.id"], name="fk_reads_supersedes_id_reads"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reads"),
        sa.UniqueConstraint("case_pk", "reader", "version", name="uq_reads_case_reader_version"),
        sa.UniqueConstraint("supersedes_id", name="uq_reads_supersedes_id"),
    )
    op.create_index("ix_reads_case_pk", "reads", ["case_pk"])
    op.create_table(
        "grades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_pk", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("scale", sa.String(64), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["read_pk"], ["reads.id"], name="fk_grades_read_pk_reads"),
        sa.PrimaryKeyConstraint("id", name="pk_grades"),
        sa.UniqueConstraint("read_pk", "level", "item", name="uq_grades_read_level_item"),
    )
    op.create_index("ix_grades_read_pk", "grades", ["read_pk"])
    op.create_table(
        "read_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_pk", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["read_pk"], ["reads.id"], name="fk_read_notes_read_pk_reads"),
        sa.PrimaryKeyConstraint("id", name="pk_read_notes"),
        sa.UniqueConstraint("read_pk", "level", name="uq_read_notes_read_level"),
    )
    op.create_index("ix_read_notes_read_pk", "read_notes", ["read_pk"])
    op.create_table(
        "landmarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_pk", sa.Integer(), nullable=False),
        sa.Column("film", sa.String(16), nullable=False),
        sa.Column("image", sa.Text(), nullable=False),
        sa.Column("vertebra", sa.String(8), nullable=False),
        sa.Column("corner", sa.String(32), nullable=False),
        sa.Column("row", sa.Float(), nullable=False),
        sa.Column("col", sa.Float(), nullable=False),
        sa.Column("click_row", sa.Float(), nullable=True),
        sa.Column("click_col", sa.Float(), nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["read_pk"], ["reads.id"], name="fk_landmarks_read_pk_reads"),
        sa.PrimaryKeyConstraint("id", name="pk_landmarks"),
        sa.UniqueConstraint(
            "read_pk", "image", "vertebra", "corner", name="uq_landmarks_read_image_corner"
        ),
    )
    op.create_index("ix_landmarks_read_pk", "landmarks", ["read_pk"])
    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_pk", sa.Integer(), nullable=False),
        sa.Column("read_pk", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("measure", sa.String(64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("calibration", sa.String(32), nullable=False),
        sa.Column("film", sa.String(32), nullable=False),
        sa.Column("reader", sa.String(64), nullable=False),
        sa.Column("reference_levels", sa.String(64), nullable=False),
        sa.Column("source_image", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("software_version", sa.String(32), nullable=False),
        sa.Column("computed_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["case_pk"], ["visits.id"], name="fk_measurements_case_pk_visits"),
        sa.ForeignKeyConstraint(["read_pk"], ["reads.id"], name="fk_measurements_read_pk_reads"),
        sa.PrimaryKeyConstraint("id", name="pk_measurements"),
    )
    op.create_index("ix_measurements_case_reader", "measurements", ["case_pk", "reader"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_pk", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("visit_id", sa.String(64), nullable=False),
        sa.Column("field", sa.String(128), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_subject_id", "audit_log", ["subject_id"])

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _postgresql_triggers()


def _sqlite_triggers() -> None:
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in READ_COLUMNS_FIXED_ON_LOCK)
    op.execute(
        f"""CREATE TRIGGER reads_immutable_update BEFORE UPDATE ON reads
        WHEN OLD.status <> 'draft' AND NOT (OLD.status = 'submitted' AND NEW.status = 'locked'
            AND {unchanged})
        BEGIN SELECT RAISE(ABORT, 'reads: {IMMUTABLE}'); END"""
    )
    op.execute(
        f"""CREATE TRIGGER reads_immutable_delete BEFORE DELETE ON reads
        WHEN OLD.status <> 'draft'
        BEGIN SELECT RAISE(ABORT, 'reads: {IMMUTABLE}'); END"""
    )
    for table in CONTENT_TABLES:
        status_new = "(SELECT status FROM reads WHERE id = NEW.read_pk)"
        status_old = "(SELECT status FROM reads WHERE id = OLD.read_pk)"
        message = f"{table}: {IMMUTABLE}"
        op.execute(
            f"""CREATE TRIGGER {table}_immutable_insert BEFORE INSERT ON {table}
            WHEN {status_new} <> 'draft'
            BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        )
        op.execute(
            f"""CREATE TRIGGER {table}_immutable_update BEFORE UPDATE ON {table}
            WHEN {status_old} <> 'draft' OR {status_new} <> 'draft'
            BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        )
        op.execute(
            f"""CREATE TRIGGER {table}_immutable_delete BEFORE DELETE ON {table}
            WHEN {status_old} <> 'draft'
            BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        )
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"""CREATE TRIGGER audit_log_append_only_{event.lower()} BEFORE {event} ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""
        )


def _postgresql_triggers() -> None:
    unchanged = " AND ".join(
        f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in READ_COLUMNS_FIXED_ON_LOCK
    )
    op.execute(
        f"""CREATE FUNCTION spine_reads_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.status <> 'draft' THEN RAISE EXCEPTION 'reads: {IMMUTABLE}'; END IF;
                RETURN OLD;
            END IF;
            IF OLD.status <> 'draft' AND NOT (OLD.status = 'submitted' AND NEW.status = 'locked'
                    AND {unchanged}) THEN
                RAISE EXCEPTION 'reads: {IMMUTABLE}';
            END IF;
            RETURN NEW;
        END $$"""
    )
    op.execute(
        "CREATE TRIGGER reads_immutable BEFORE UPDATE OR DELETE ON reads "
        "FOR EACH ROW EXECUTE FUNCTION spine_reads_guard()"
    )
    op.execute(
        f"""CREATE FUNCTION spine_content_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE')
                    AND (SELECT status FROM reads WHERE id = OLD.read_pk) <> 'draft' THEN
                RAISE EXCEPTION '%: {IMMUTABLE}', TG_TABLE_NAME;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE')
                    AND (SELECT status FROM reads WHERE id = NEW.read_pk) <> 'draft' THEN
                RAISE EXCEPTION '%: {IMMUTABLE}', TG_TABLE_NAME;
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$"""
    )
    for table in CONTENT_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION spine_content_guard()"
        )
    op.execute(
        """CREATE FUNCTION spine_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"""
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION spine_append_only()"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in ("audit_log", "measurements", "landmarks", "read_notes", "grades", "reads",
                  "images", "visits", "subjects"):  # fmt: skip
        op.drop_table(table)
    if dialect == "postgresql":
        for function in ("spine_reads_guard", "spine_content_guard", "spine_append_only"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
