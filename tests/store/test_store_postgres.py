"""The same store on PostgreSQL: migrations, triggers, corrections, two writers.

Runs only when ``SPINE_ENDPOINTS_TEST_POSTGRES_URL`` names a scratch database (it is emptied), e.g.
``postgresql+psycopg://postgres@/scratch?host=/tmp/pgsock``, and the driver is installed.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

import pytest
import store_workers
from old_stores import OLD_CORNERS, old_store_with_a_submitted_read
from scratch_postgres import POSTGRES_URL, empty_postgres
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from imaging.protocol import Protocol
from imaging.protocol.grade_forms import grade_csv_text
from imaging.store.audit import audit_entries
from imaging.store.cases import get_case
from imaging.store.grades import export_grade_rows, import_grade_rows
from imaging.store.reads import (
    GradeSuggestion,
    LandmarkPoint,
    ReadContent,
    read_content,
    save_draft,
    start_read,
    submit,
    versions,
)
from imaging.store.schema import Read
from imaging.store.store import ReadStore

URL = POSTGRES_URL
pytestmark = pytest.mark.skipif(not URL, reason="set SPINE_ENDPOINTS_TEST_POSTGRES_URL to run")


@pytest.fixture
def pg_store() -> Iterator[ReadStore]:
    with ReadStore(empty_postgres(URL)) as store:
        yield store


def test_postgres_store_round_trip_correction_and_guards(
    pg_store: ReadStore, protocol: Protocol
) -> None:
    rows = [store_workers.grade_row("P-1", "3"), store_workers.grade_row("P-2", "4")]
    import_grade_rows(pg_store, protocol, rows, actor="t", register_unknown=True)
    text_before = grade_csv_text(export_grade_rows(pg_store, protocol), protocol)
    assert "P-1,baseline,L4-L5,R1,3,I,0," in text_before
    import_grade_rows(pg_store, protocol, [store_workers.grade_row("P-1", "5")], actor="t",
                      reason="adjudication", register_unknown=True)  # fmt: skip
    assert "P-1,baseline,L4-L5,R1,5,I,0," in grade_csv_text(
        export_grade_rows(pg_store, protocol), protocol
    )
    for statement in ("UPDATE grades SET code = '1'", "DELETE FROM reads",
                      "UPDATE audit_log SET actor = 'x'"):  # fmt: skip
        with pytest.raises(DatabaseError), pg_store.writing() as session:
            session.execute(text(statement))
    with pg_store.reading() as session:
        case = get_case(session, "P-1", "baseline", actor="t", create=False)
        assert [r.version for r in versions(session, case)] == [1, 2]
        assert any(e.reason == "adjudication" for e in audit_entries(session, subject="P-1"))


def test_postgres_two_writers_lose_nothing(pg_store: ReadStore, protocol: Protocol) -> None:
    import_grade_rows(pg_store, protocol, [store_workers.grade_row("SHARED", "4", "R0")],
                      actor="setup", register_unknown=True)  # fmt: skip
    context = multiprocessing.get_context("spawn")
    start, times = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=store_workers.writer, args=(URL, name, 10, start, times))
        for name in ("A", "B")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with pg_store.reading() as session:
        case = get_case(session, "SHARED", "baseline", actor="t", create=False)
        assert [r.version for r in versions(session, case, "R0")] == list(range(1, 22))


def test_postgres_upgrade_keeps_corners_as_clicks_and_guards_the_assisted_record(
    protocol: Protocol,
) -> None:
    engine = create_engine(URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    read_id = old_store_with_a_submitted_read(URL, "0002")
    refined = LandmarkPoint(
        "neutral", "f.dcm", "L4", "anterior_superior", 10.5, 20.5, 11.0, 21.0, "refined",
        10.5, 20.5, 0.9, "refined",
    )  # fmt: skip
    with ReadStore(URL) as store:
        with store.reading() as session:
            rows = session.execute(
                text("SELECT row, col, click_row, click_col, used FROM landmarks ORDER BY row")
            ).all()
        assert [tuple(r) for r in rows] == [
            (row, col, row, col, "click") for row, col in sorted(OLD_CORNERS.values())
        ]
        with store.writing() as session:
            case = get_case(session, "S2", "baseline", actor="t")
            read = start_read(session, case, "R1", actor="t")
            content = ReadContent(
                landmarks={refined.key: refined},
                suggestions={("L4-L5", "pfirrmann"): GradeSuggestion("4", "evidence")},
            )
            save_draft(session, read, content, protocol)
            submit(session, read, actor="t")
        for statement in (
            "UPDATE landmarks SET refined_row = 1, refined_col = 2",
            "UPDATE landmarks SET used = 'moved'",
            "UPDATE grade_suggestions SET code = '2'",
            "INSERT INTO grade_suggestions (read_pk, level, item, scale, code, evidence, "
            "software_version) VALUES (:read, 'L3-L4', 'pfirrmann', 'pfirrmann', '2', '', '')",
        ):
            with pytest.raises(DatabaseError, match="immutable"), store.writing() as session:
                session.execute(text(statement), {"read": read_id})
        with store.reading() as session:
            stored = read_content(session, session.get_one(Read, read.id))
        assert stored.landmarks == {refined.key: refined}
