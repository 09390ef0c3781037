"""PostgreSQL: each person connects as their own role; a reader sees only their own reads and
never the subject, visit, dates or paths behind a reading id (issue 16).

Runs only with ``SPINE_ENDPOINTS_TEST_POSTGRES_URL`` (a scratch database, emptied; its user must
be allowed to create roles, as the test server's ``postgres`` is). The reader roles are removed
afterwards: roles belong to the server, not the database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scratch_postgres import POSTGRES_URL, empty_postgres, reader_roles
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError

from imaging.protocol import Protocol
from imaging.store import people as people_module
from imaging.store.cases import get_case
from imaging.store.reading_design import publish
from imaging.store.relabel import relabel_subject
from imaging.store.schema import Image
from imaging.store.store import ReadStore

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SPINE_ENDPOINTS_TEST_POSTGRES_URL to run"
)
NEW_READ = (
    "INSERT INTO reads (case_pk, reader, role, version, status, protocol_id, source, "
    "started_at) VALUES ((SELECT case_pk FROM reading_cases WHERE reading_id = :rid), "
    ":reader, 'primary', 1, 'draft', (SELECT protocol_id FROM reading_designs), '', now()) "
    "RETURNING id"
)


@pytest.fixture
def owner(protocol: Protocol) -> Iterator[ReadStore]:
    """An empty store keeping the protocol's reading design (as registering under it does)."""
    with ReadStore(empty_postgres(POSTGRES_URL)) as store:
        with store.writing() as db:
            publish(db, protocol, actor="owner")
        yield store


@pytest.fixture
def readers(owner: ReadStore) -> Iterator[tuple[str, ...]]:
    with reader_roles(owner) as logins:
        yield logins


def connect_as(store: ReadStore, role: str) -> Engine:
    return create_engine(make_url(str(store.url.render_as_string(False))).set(username=role))


def test_a_reader_sees_only_their_reads_and_never_the_subject_behind_a_reading_id(
    owner: ReadStore, readers: tuple[str, str], protocol: Protocol
) -> None:
    a, b = readers
    with owner.writing() as db:
        case = get_case(db, "SUBJ-7", "baseline", actor="owner")
        db.add(Image(sop_instance_uid="1.2.7", subject_pk=case.subject_pk, case_pk=case.id,
                     path="/archive/Doe^Jane/film.dcm", sha256="0" * 64, film="neutral",
                     assignment_status="assigned"))  # fmt: skip
        reading_id = case.reading_id
    engine_a, engine_b = connect_as(owner, a), connect_as(owner, b)
    try:
        for engine, reader in ((engine_a, a), (engine_b, b)):
            with engine.begin() as connection:
                connection.execute(text(NEW_READ), {"rid": reading_id, "reader": reader})
                connection.execute(
                    text("INSERT INTO grades (read_pk, level, item, scale, code) SELECT id, "
                         "'L4-L5', 'pfirrmann', 'pfirrmann', '3' FROM reads")
                )  # fmt: skip
        with engine_a.connect() as connection:
            assert connection.execute(text("SELECT reader FROM reads")).scalars().all() == [a]
            grades = connection.execute(text("SELECT r.reader FROM grades g JOIN reads r ON "
                                             "g.read_pk = r.id")).scalars().all()  # fmt: skip
            assert grades == [a]
            assert connection.execute(text("SELECT * FROM reading_images")).all() == [
                (reading_id, 1, "neutral", "")
            ]
        for hidden in ("subjects", "visits", "images", "audit_log", "archive_roots"):
            with pytest.raises(DatabaseError, match="permission denied"), engine_a.connect() as c:
                c.execute(text(f"SELECT * FROM {hidden}"))
        with pytest.raises(DatabaseError, match="row-level security"), engine_a.begin() as c:
            c.execute(text(NEW_READ), {"rid": reading_id, "reader": b})
    finally:
        engine_a.dispose()
        engine_b.dispose()


def test_an_update_of_a_subject_a_read_refers_to_fails_and_relabel_is_audited(
    owner: ReadStore, readers: tuple[str, str]
) -> None:
    a, _ = readers
    with owner.writing() as db:
        reading_id = get_case(db, "SUBJ-7", "baseline", actor="owner").reading_id
    engine_a = connect_as(owner, a)
    try:
        with engine_a.begin() as connection:
            connection.execute(text(NEW_READ), {"rid": reading_id, "reader": a})
    finally:
        engine_a.dispose()
    for statement in ("UPDATE subjects SET subject_id = 'SUBJ-8'",
                      "UPDATE visits SET visit_id = 'month_3'"):  # fmt: skip
        with pytest.raises(DatabaseError, match="a read refers to it"), owner.writing() as db:
            db.execute(text(statement))
    with owner.writing() as db:
        me = people_module.identity(db)
        relabel_subject(db, "SUBJ-7", "SUBJ-8", actor=me, reason="site typo")
    with owner.reading() as db:
        entry = db.execute(
            text("SELECT old_value, new_value, reason FROM audit_log WHERE action = 'relabelled'")
        ).one()
    assert tuple(entry) == ("SUBJ-7", "SUBJ-8", "site typo")


def test_a_reader_cannot_record_their_own_qualification_and_results_are_append_only(
    owner: ReadStore, readers: tuple[str, str], protocol: Protocol
) -> None:
    import dataclasses

    from imaging.protocol.qualification import Qualification, QualificationLimit
    from imaging.store.qualification import record_result, standing

    a, _ = readers
    limit = QualificationLimit("pfirrmann", "", ("all",), "percent_exact", 80.0, True)
    design = dataclasses.replace(
        protocol.reading_design, qualification=Qualification("q1", ("QUAL-01",), "ref", (limit,))
    )
    qualifying = dataclasses.replace(protocol, reading_design=design)
    engine_a = connect_as(owner, a)
    try:
        with pytest.raises(DatabaseError, match="permission denied"), engine_a.begin() as c:
            c.execute(
                text("INSERT INTO qualifications (reader, qualification, passed, summary, "
                     "checked_by, checked_at) VALUES (:r, 'q1', true, 'mine', :r, now())"),
                {"r": a},
            )  # fmt: skip
        with owner.writing() as db:
            record_result(
                db, qualifying, a, False, "FAIL: pfirrmann", actor=people_module.identity(db)
            )
        with engine_a.connect() as c:  # the reader sees where they stand
            assert c.execute(text("SELECT passed FROM qualifications")).scalars().all() == [False]
    finally:
        engine_a.dispose()
    with pytest.raises(DatabaseError, match="append-only"), owner.writing() as db:
        db.execute(text("UPDATE qualifications SET passed = true"))
    with owner.reading() as db:
        result = standing(db, qualifying, a)
    assert result is not None and not result.passed
