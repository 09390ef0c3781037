"""Stores at an older schema revision, filled the way the code of that revision filled them.

The current code cannot write an old schema (it knows tables and columns added since), so the
content rows and reads (``reads.repeat`` came with 0009) are written in SQL as the revision's own
code wrote them; subjects and cases have not changed and go through :mod:`imaging.store`.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from imaging.store.cases import get_case
from imaging.store.migrate import alembic_config
from imaging.store.store import ReadStore

OLD_CORNERS = {
    ("L4", "anterior_inferior"): (120.5, 300.25),
    ("L5", "anterior_superior"): (140.0, 301.0),
}
"""(vertebra, corner) -> (row, col) written into the old store's read, method 'manual'."""


def migrate_to(url: str, revision: str) -> None:
    engine = create_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def old_store_with_a_submitted_read(url: str, revision: str) -> int:
    """A store at ``revision`` with one submitted read (a grade and two corners); its id."""
    migrate_to(url, revision)
    with ReadStore(url, migrate=False) as old, old.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        read_id = session.execute(
            text(
                "INSERT INTO reads (case_pk, reader, role, version, status, protocol_id, source, "
                "started_at) VALUES (:case, 'R1', 'primary', 1, 'draft', '', '', "
                "CURRENT_TIMESTAMP) RETURNING id"
            ),
            {"case": case.id},
        ).scalar_one()
        session.execute(
            text(
                "INSERT INTO grades (read_pk, level, item, scale, code) "
                "VALUES (:read, 'L4-L5', 'pfirrmann', 'pfirrmann', '4')"
            ),
            {"read": read_id},
        )
        for (vertebra, corner), (row, col) in OLD_CORNERS.items():
            session.execute(
                text(
                    "INSERT INTO landmarks (read_pk, film, image, vertebra, corner, row, col, "
                    "click_row, click_col, method) VALUES (:read, 'neutral', 'film.dcm', "
                    ":vertebra, :corner, :row, :col, NULL, NULL, 'manual')"
                ),
                {"read": read_id, "vertebra": vertebra, "corner": corner, "row": row, "col": col},
            )
        session.execute(
            text(
                "UPDATE reads SET status = 'submitted', submitted_at = started_at WHERE id = :read"
            ),
            {"read": read_id},
        )
        return read_id


def old_store_with_an_image(url: str, revision: str, path: str) -> None:
    """A store at ``revision`` (before archive roots) holding one image registered as ``path``
    (as that code stored it: as given on the command line), assigned to S1's baseline case."""
    migrate_to(url, revision)
    with ReadStore(url, migrate=False) as old, old.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        session.execute(
            text(
                "INSERT INTO images (sop_instance_uid, series_instance_uid, study_instance_uid, "
                "subject_pk, case_pk, path, sha256, modality, film, time_point_id, "
                "assignment_status, assignment_reason, registered_at) VALUES ('1.2.3', '', '', "
                ":subject, :case, :path, :sha, 'DX', 'neutral', 'BASELINE', 'assigned', '', "
                "CURRENT_TIMESTAMP)"
            ),
            {"subject": case.subject_pk, "case": case.id, "path": path, "sha": "0" * 64},
        )
