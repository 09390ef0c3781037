"""PostgreSQL access for people who connect as their own database role (migration 0007).

Three group roles, ``spine_reader``, ``spine_adjudicator`` and ``spine_manager`` (NOLOGIN; each
person's login role is a member of one: :func:`imaging.store.people.create_db_role`). The store's
owner (who runs the migrations) keeps every right: row-level security does not apply to a
table's owner.

- Readers and adjudicators never see ``subjects``, ``visits``, ``images``, ``archive_roots``,
  ``relabels`` or ``audit_log`` (they may append to the audit log but not read it back). They
  find cases through the view ``reading_cases`` (case key, reading id, number of images) and a
  case's images through ``reading_images`` (reading id, image key, film, modality): no subject,
  visit, date, path or description.
- ``reads`` and every table of a read's content (grades, comments, landmarks, films,
  suggestions, measures, signatures) carry row-level security: a reader inserts and sees only
  reads whose ``reader`` is their own role (``current_user``); an adjudicator sees every read
  and writes only their own; a manager sees and writes all.
- Managers read everything and write through the same guards as everyone (triggers).

A later migration that adds a table grants on it itself (``ALL TABLES`` meant the tables of
0007). Kept stable: migrations that ran call it.
"""

from __future__ import annotations

from alembic import op

DB_GROUPS = {"reader": "spine_reader", "adjudicator": "spine_adjudicator",
             "manager": "spine_manager"}  # fmt: skip
"""Person role -> the PostgreSQL group role its members' login roles belong to."""

CONTENT = ("grades", "read_notes", "landmarks", "grade_suggestions", "read_films",
           "measurements", "signatures")  # fmt: skip
"""Tables whose rows belong to a read (``read_pk``), under the reads' row-level security."""


def create_access() -> None:
    """Group roles, grants, views and row-level security; skipped with a notice when the
    migrating role may not create roles (the store then works as before, for its owner)."""
    reader, adjudicator, manager = DB_GROUPS.values()
    blinded = f"{reader}, {adjudicator}"
    everyone = f"{blinded}, {manager}"
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {everyone}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {everyone}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {manager}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON reads TO {blinded}",
        f"GRANT SELECT (id, login, name, role, active) ON people TO {blinded}",
        f"GRANT SELECT (case_pk, locked, id) ON visit_locks TO {blinded}",
        f"GRANT INSERT ON audit_log TO {blinded}",
        f"GRANT SELECT (id) ON audit_log TO {blinded}",
        f"GRANT SELECT, INSERT ON signatures TO {blinded}",
        "CREATE VIEW reading_cases AS SELECT v.id AS case_pk, v.reading_id, "
        "(SELECT count(*) FROM images i WHERE i.case_pk = v.id) AS image_count FROM visits v",
        "CREATE VIEW reading_images AS SELECT v.reading_id, i.id AS image_pk, i.film, "
        "i.modality FROM images i JOIN visits v ON i.case_pk = v.id",
        f"GRANT SELECT ON reading_cases, reading_images TO {everyone}",
        "ALTER TABLE reads ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY reads_own ON reads TO {reader} "
        "USING (reader = current_user) WITH CHECK (reader = current_user)",
        f"CREATE POLICY reads_adjudicator ON reads TO {adjudicator} "
        "USING (true) WITH CHECK (reader = current_user)",
        f"CREATE POLICY reads_manager ON reads TO {manager} USING (true) WITH CHECK (true)",
    ]
    for table in CONTENT:
        if table != "signatures":
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {blinded}")
        statements += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY {table}_of_visible_reads ON {table} TO {blinded} "
            "USING (read_pk IN (SELECT id FROM reads)) "
            "WITH CHECK (read_pk IN (SELECT id FROM reads WHERE reader = current_user))",
            f"CREATE POLICY {table}_manager ON {table} TO {manager} USING (true) WITH CHECK (true)",
        ]
    body = "\n".join(f"EXECUTE {_literal(s)};" for s in statements)
    creates = "\n".join(
        f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{group}') THEN "
        f"CREATE ROLE {group} NOLOGIN; END IF;"
        for group in DB_GROUPS.values()
    )
    op.execute(
        f"""DO $access$ BEGIN
        {creates}
        {body}
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'spine-endpoints: no database roles for people (%): the store works '
                'for its owner only', SQLERRM;
        END $access$"""
    )


def drop_access() -> None:
    for view in ("reading_images", "reading_cases"):
        op.execute(f"DROP VIEW IF EXISTS {view}")
    for table in ("reads", *CONTENT):
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        for policy in ("own", "adjudicator", "manager", "of_visible_reads"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{policy} ON {table}")


def grant_to_groups(statements: list[str] | tuple[str, ...], what: str) -> None:
    """Run ``statements`` (grants, row-level security) when the group roles exist; without
    them, or without the right to grant, a notice says ``what`` was not granted."""
    body = " ".join(f"EXECUTE {_literal(s)};" for s in statements)
    op.execute(
        f"""DO $access$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{DB_GROUPS["reader"]}') THEN {body}
        END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'spine-endpoints: {what} not granted (%)', SQLERRM;
        END $access$"""
    )


def _literal(statement: str) -> str:
    return "'" + statement.replace("'", "''") + "'"
