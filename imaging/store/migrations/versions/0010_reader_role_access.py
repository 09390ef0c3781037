"""A reader's whole job as their own PostgreSQL role (issue 16): worklist, case, pixels, submit.

Readers and adjudicators cannot read ``subjects``, ``visits``, ``images`` or ``archive_roots``
(migration 0007); the store's code reaches what their job needs through functions that run as
the store's owner (SECURITY DEFINER, ``SET search_path = public, pg_temp``) and answer for the
connecting login (``session_user``) only:

- ``spine_reading_worklist()``: every case's key, reading id, number of images and how many
  *other* readers made a primary read of it (no names, no subject, visit or date): what the
  worklist and the protocol's ``reads_per_case`` need.
- ``spine_case_visit(reading_id)``: the visit id of a case the caller has a read of (the
  protocol's grading items and checks depend on it), else NULL.
- ``spine_case_files(reading_id)``: per image of a case the caller has a read of, its key, SOP
  Instance UID, stored path, archive root, film and modality (the store turns them into pixels;
  the reader's session receives tokens and pixels only), else no row.
- ``spine_case_for_import(subject, visit)``: the case key and reading id an import of the
  caller's own file names by subject and visit; every call writes an audit entry (``looked up``)
  whether or not the case exists, so probing for subjects shows in the trail.

A trigger fills the subject and visit of an audit entry about a read that a reader's role wrote
without them (it cannot read them). Readers may now read all of ``people`` (their columns of
0007 and ``created_at``; the store reads people as rows) and ``alembic_version`` (opening a store
checks its revision). SQLite: nothing (one workstation, the
reader is the login). docs/store-security.md says what a reader's role can and cannot learn.

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-16
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from imaging.store.migrations.access import DB_GROUPS, grant_to_groups

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"
OWN_READ = "EXISTS (SELECT 1 FROM reads r WHERE r.case_pk = v.id AND r.reader = session_user::text)"
FUNCTIONS = {
    "spine_reading_worklist()": f"""RETURNS TABLE (case_pk integer, reading_id varchar,
        image_count bigint, other_readers bigint) LANGUAGE sql STABLE {DEFINER} AS $$
        SELECT v.id, v.reading_id,
            (SELECT count(*) FROM images i WHERE i.case_pk = v.id),
            (SELECT count(DISTINCT r.reader) FROM reads r WHERE r.case_pk = v.id
                AND r.role <> 'adjudicator' AND r.repeat = 0 AND r.reader <> session_user::text)
        FROM visits v ORDER BY v.id $$""",
    "spine_case_visit(text)": f"""RETURNS text LANGUAGE sql STABLE {DEFINER} AS $$
        SELECT v.visit_id FROM visits v WHERE v.reading_id = $1 AND {OWN_READ} $$""",
    "spine_case_files(text)": f"""RETURNS TABLE (image_pk integer, sop_instance_uid varchar,
        path text, root text, film varchar, modality varchar)
        LANGUAGE sql STABLE {DEFINER} AS $$
        SELECT i.id, i.sop_instance_uid, i.path, a.path, i.film, i.modality
        FROM images i JOIN visits v ON i.case_pk = v.id
        LEFT JOIN archive_roots a ON i.root_pk = a.id
        WHERE v.reading_id = $1 AND {OWN_READ} ORDER BY i.id $$""",
    "spine_case_for_import(text, text)": f"""RETURNS TABLE (case_pk integer,
        reading_id varchar) LANGUAGE plpgsql VOLATILE {DEFINER} AS $$
        DECLARE found_pk integer; found_id varchar;
        BEGIN
            SELECT v.id, v.reading_id INTO found_pk, found_id FROM visits v
            JOIN subjects s ON v.subject_pk = s.id WHERE s.subject_id = $1 AND v.visit_id = $2;
            INSERT INTO audit_log (at, actor, action, entity, entity_pk, subject_id, visit_id,
                field, reason)
            VALUES (now(), session_user, 'looked up', 'visit', found_pk, $1, $2,
                'reading id for an import', '');
            IF found_pk IS NOT NULL THEN
                case_pk := found_pk; reading_id := found_id; RETURN NEXT;
            END IF;
        END $$""",
}


def audit_names(entities: dict[str, str]) -> str:
    """The function of the trigger that fills the subject and visit of an audit entry about an
    ``entity`` (key) written without them, from the case of its row in the table (value)."""
    cases = " ".join(
        f"WHEN '{entity}' THEN (SELECT case_pk FROM {table} WHERE id = NEW.entity_pk)"
        for entity, table in entities.items()
    )
    named = ", ".join(f"'{entity}'" for entity in entities)
    return f"""CREATE OR REPLACE FUNCTION spine_audit_read_names() RETURNS trigger
        LANGUAGE plpgsql {DEFINER} AS $$
        BEGIN
            IF NEW.entity IN ({named}) AND NEW.entity_pk IS NOT NULL AND NEW.subject_id = '' THEN
                SELECT s.subject_id, v.visit_id INTO NEW.subject_id, NEW.visit_id
                FROM visits v JOIN subjects s ON v.subject_pk = s.id
                WHERE v.id = CASE NEW.entity {cases} END;
                NEW.subject_id := coalesce(NEW.subject_id, '');
                NEW.visit_id := coalesce(NEW.visit_id, '');
            END IF;
            RETURN NEW;
        END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for signature, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {signature} {body}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(audit_names({"read": "reads"}))
    op.execute(
        "CREATE TRIGGER audit_log_read_names BEFORE INSERT ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION spine_audit_read_names()"
    )
    reader, adjudicator, manager = DB_GROUPS.values()
    grants = [f"GRANT SELECT ON people, alembic_version TO {reader}, {adjudicator}"]
    grants += [
        f"GRANT EXECUTE ON FUNCTION {signature} TO {reader}, {adjudicator}, {manager}"
        for signature in FUNCTIONS
    ]
    grant_to_groups(grants, "reader functions")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_read_names ON audit_log")
    op.execute("DROP FUNCTION IF EXISTS spine_audit_read_names()")
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
