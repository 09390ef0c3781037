"""Intra-reader repeats in the store: beside the first read, blind to it, due after the
protocol's interval, never the endpoint; a store at 0008 keeps its reads and guards."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from old_stores import migrate_to
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from imaging.errors import StoreError
from imaging.protocol import Protocol
from imaging.protocol.reading_design import Repeats
from imaging.store.cases import get_case
from imaging.store.export import reader_rows, stored_rows
from imaging.store.reads import (
    ReadContent,
    current_reads,
    read_content,
    save_draft,
    start_read,
    submit,
)
from imaging.store.repeats import start_repeat
from imaging.store.store import ReadStore
from imaging.store.worklist import worklist

GRADE = ("L4-L5", "pfirrmann")


@pytest.fixture
def every_case_again(protocol: Protocol) -> Protocol:
    """The default protocol with every case re-read 28 days after the first read."""
    design = dataclasses.replace(protocol.reading_design, repeats=Repeats(1.0, 28))
    return dataclasses.replace(protocol, reading_design=design)


def _first_read(store: ReadStore, protocol: Protocol, code: str = "4") -> None:
    with store.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        read = start_read(session, case, "R1", actor="t")
        save_draft(session, read, ReadContent(grades={GRADE: code}), protocol)
        submit(session, read, actor="t")


def test_a_repeat_is_offered_after_the_interval_starts_blind_and_sits_beside_the_first_read(
    store: ReadStore, every_case_again: Protocol
) -> None:
    _first_read(store, every_case_again)
    soon, later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=d) for d in (27, 29))
    with store.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        assert [i.repeat for i in worklist(session, "R1", protocol=every_case_again, now=soon)] == [
            0
        ]
        with pytest.raises(StoreError, match=r"not due for a repeat read by R1.*28 days"):
            start_repeat(session, every_case_again, case, "R1", actor="t", now=soon)
        items = worklist(session, "R1", protocol=every_case_again, now=later)
        assert [(i.reading_id, i.repeat, i.status) for i in items] == [
            (case.reading_id, 0, "submitted"), (case.reading_id, 1, "to read"),
        ]  # fmt: skip
        repeat = start_repeat(session, every_case_again, case, "R1", actor="t", now=later)
        assert (repeat.repeat, repeat.version) == (1, 1)
        assert read_content(session, repeat) == ReadContent()  # nothing of the first read
        save_draft(session, repeat, ReadContent(grades={GRADE: "2"}), every_case_again)
        submit(session, repeat, actor="t")
        with pytest.raises(StoreError, match="already has repeat 1 of a read of S1 baseline"):
            start_repeat(session, every_case_again, case, "R1", actor="t", now=later)
    with store.reading() as session:
        first = [c.read for c in current_reads(session)]
        again = [c.read for c in current_reads(session, repeats=True)]
        endpoint = stored_rows(session, every_case_again)
        repeated = reader_rows(session, every_case_again, repeats=True)
    assert [(r.repeat, r.version) for r in first] == [(0, 1)]
    assert [(r.repeat, r.version) for r in again] == [(1, 1)]
    pfirrmann = [(r.level, r.grade) for r in endpoint if r.measure == "pfirrmann"]
    assert pfirrmann == [("L4-L5", "4")]  # the repeat's 2 never becomes the endpoint
    assert [(r.reader, r.level, r.grade) for r in repeated if r.measure == "pfirrmann"] == [
        ("R1", "L4-L5", "2")
    ]


def test_without_repeats_in_the_protocol_a_repeat_is_refused(
    store: ReadStore, protocol: Protocol
) -> None:
    once = dataclasses.replace(
        protocol, reading_design=dataclasses.replace(protocol.reading_design, repeats=None)
    )
    _first_read(store, once)
    with store.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        with pytest.raises(StoreError, match=r"no intra-reader repeats.*\[reading.repeats\]"):
            start_repeat(session, once, case, "R1", actor="t")


def test_a_store_at_0008_keeps_its_reads_and_their_guards_after_the_rebuild(
    store_url: str,
) -> None:
    migrate_to(store_url, "0008")
    with ReadStore(store_url, migrate=False) as old, old.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        for reader in ("R0", "R1"):  # ids 1, 2: the grade belongs to the second
            read_id = session.execute(
                text(
                    "INSERT INTO reads (case_pk, reader, role, version, status, protocol_id, "
                    "source, started_at) VALUES (:case, :reader, 'primary', 1, 'draft', '', '', "
                    "CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"case": case.id, "reader": reader},
            ).scalar_one()
        session.execute(
            text(
                "INSERT INTO grades (read_pk, level, item, scale, code) "
                "VALUES (:read, 'L4-L5', 'pfirrmann', 'pfirrmann', '4')"
            ),
            {"read": read_id},
        )
        session.execute(text("UPDATE reads SET status = 'submitted', submitted_at = started_at"))
    with ReadStore(store_url) as store, store.reading() as session:
        assert session.execute(
            text("SELECT r.id, r.repeat, g.code FROM reads r JOIN grades g ON g.read_pk = r.id")
        ).all() == [(read_id, 0, "4")]
        triggers = set(
            session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        )
        assert session.execute(text("PRAGMA foreign_key_check")).all() == []
    assert {"reads_immutable_update", "reads_immutable_delete", "reads_visit_locked",
            "reads_repeat_fixed", "grades_immutable_update"} <= triggers  # fmt: skip
    for statement, message in (
        ("UPDATE grades SET code = '2'", "grades: a submitted or locked read is immutable"),
        ("DELETE FROM reads", "reads: a submitted or locked read is immutable"),
        ("UPDATE reads SET repeat = 1", "reads: "),
    ):
        with (
            ReadStore(store_url) as store,
            pytest.raises(DBAPIError, match=message),
            store.writing() as session,
        ):
            session.execute(text(statement))
