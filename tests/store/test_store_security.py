"""Identity, roles, relabel guards, a manager's visit lock and Part 11 signatures (issue 16).

Each test plays one person by setting the login the store sees (``people.login_name``)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from imaging.cli import main
from imaging.errors import ReadImmutableError, StoreError
from imaging.protocol import Protocol
from imaging.store import people as people_module
from imaging.store.audit import audit_entries
from imaging.store.cases import get_case
from imaging.store.corrections import correct
from imaging.store.locks import lock_visit, unlock_visit
from imaging.store.people import add_person, authorize, change_person
from imaging.store.reads import (
    ReadContent,
    latest_version,
    save_draft,
    start_read,
    submit,
)
from imaging.store.relabel import move_image, relabel_subject, relabel_visit
from imaging.store.schema import Image, Read, Signature
from imaging.store.signatures import canonical_content, verify
from imaging.store.store import ReadStore

GRADE = ("L4-L5", "pfirrmann")


def read_as(store: ReadStore, protocol: Protocol, reader: str, code: str = "4") -> int:
    with store.writing() as db:
        case = get_case(db, "S1", "baseline", actor=reader, create=False)
        read = start_read(db, case, reader, actor=reader)
        save_draft(db, read, ReadContent({GRADE: code}), protocol)
        submit(db, read, actor=reader)
        return read.id


def reader_is_refused(
    store: ReadStore, protocol: Protocol, login: Callable[[str], None], act: Callable[[Any], Any]
) -> None:
    """Reader ann reads S1 baseline, then is refused ``act`` (a manager's)."""
    login("ann")
    read_as(store, protocol, "ann")
    with (
        pytest.raises(StoreError, match="ann is a reader; only a manager may"),
        store.writing() as db,
    ):
        act(db)


def correct_as(store: ReadStore, protocol: Protocol, actor: str, reader: str, code: str) -> None:
    with store.writing() as db:
        case = get_case(db, "S1", "baseline", actor=actor, create=False)
        read = latest_version(db, case, reader)
        assert read is not None
        correct(db, read, ReadContent({GRADE: code}), protocol, reason="QC query", actor=actor)


def test_the_first_person_is_yourself_as_manager(
    store: ReadStore, login: Callable[[str], None]
) -> None:
    login("boss")
    with (
        pytest.raises(StoreError, match=r"the first must be you \(boss\), as a manager"),
        store.writing() as db,
    ):
        add_person(db, "ann", "Ann Reader", "reader", actor="boss")
    with store.writing() as db:
        add_person(db, "boss", "Bo Manager", "manager", actor="boss")
    login("ann")
    with (
        pytest.raises(StoreError, match="ann is not one of the store's people"),
        store.writing() as db,
    ):
        add_person(db, "ann", "Ann Reader", "manager", actor="ann")


def test_nobody_acts_as_another_reader(
    staffed: ReadStore, protocol: Protocol, login: Callable[[str], None]
) -> None:
    login("ann")
    with pytest.raises(StoreError, match="refused to act as 'bob': you are 'ann'"):
        read_as(staffed, protocol, "bob")  # --actor bob, $SPINE_ENDPOINTS_ACTOR=bob
    with (
        pytest.raises(StoreError, match="the read is bob's; ann is a reader"),
        staffed.writing() as db,
    ):
        case = get_case(db, "S1", "baseline", actor="ann", create=False)
        start_read(db, case, "bob", actor="ann")
    read_as(staffed, protocol, "ann")
    login("bob")
    read_as(staffed, protocol, "bob", "3")


def test_correcting_another_readers_read_needs_the_role(
    staffed: ReadStore, protocol: Protocol, login: Callable[[str], None]
) -> None:
    login("ann")
    read_as(staffed, protocol, "ann")
    login("bob")
    with pytest.raises(StoreError, match="the read is ann's; bob is a reader and acts on their"):
        correct_as(staffed, protocol, "bob", "ann", "5")
    login("ada")
    correct_as(staffed, protocol, "ada", "ann", "5")
    with staffed.reading() as db:
        case = get_case(db, "S1", "baseline", actor="t", create=False)
        read = latest_version(db, case, "ann")
        assert read is not None and read.version == 2 and read.reason == "QC query"
        assert any(e.actor == "ada" and e.action == "corrected" for e in audit_entries(db))


def test_a_deactivated_person_and_a_reader_managing_people_are_refused(
    staffed: ReadStore, protocol: Protocol, login: Callable[[str], None]
) -> None:
    with staffed.writing() as db:
        change_person(db, "bob", actor="boss", reason="left the study", active=False)
    login("bob")
    with pytest.raises(StoreError, match="bob is deactivated"):
        read_as(staffed, protocol, "bob")
    login("ann")
    with (
        pytest.raises(StoreError, match="ann is a reader; only a manager may"),
        staffed.writing() as db,
    ):
        authorize(db, "ann", "add carl", roles=(people_module.PersonRole.MANAGER,))


def test_a_store_without_people_works_as_before(store: ReadStore, protocol: Protocol) -> None:
    with store.writing() as db:
        case = get_case(db, "S1", "baseline", actor="anyone")
        read = start_read(db, case, "R1", actor="someone else")
        save_draft(db, read, ReadContent({GRADE: "4"}), protocol)
        submit(db, read, actor="someone else")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE subjects SET subject_id = 'S2'",
        "UPDATE visits SET visit_id = 'month_3'",
        "UPDATE visits SET reading_id = 'R-X'",
        "UPDATE images SET case_pk = NULL",
        "UPDATE images SET sha256 = 'f'",
        "DELETE FROM images",
    ],
)
def test_a_plain_update_of_what_a_read_refers_to_fails(
    store: ReadStore, protocol: Protocol, statement: str
) -> None:
    with store.writing() as db:
        case = get_case(db, "S1", "baseline", actor="t")
        db.add(Image(sop_instance_uid="1.2.3", subject_pk=case.subject_pk, case_pk=case.id,
                     path="a.dcm", sha256="0" * 64, assignment_status="assigned"))  # fmt: skip
    read_as(store, protocol, "R1")
    with pytest.raises(DatabaseError, match="a read refers to it"), store.writing() as db:
        db.execute(text(statement))


def test_relabelling_goes_through_the_command_with_a_reason(
    staffed: ReadStore, protocol: Protocol, login: Callable[[str], None]
) -> None:
    relabel = functools.partial(relabel_subject, old="S1", new="S9", actor="ann", reason="typo")
    reader_is_refused(staffed, protocol, login, relabel)
    login("boss")
    with staffed.writing() as db:
        get_case(db, "S2", "baseline", actor="boss")
        db.add(Image(sop_instance_uid="9.9", subject_pk=1, case_pk=1, path="b.dcm",
                     sha256="0" * 64, assignment_status="assigned"))  # fmt: skip
    with pytest.raises(StoreError, match="subject S2 exists"), staffed.writing() as db:
        relabel_subject(db, "S1", "S2", actor="boss", reason="typo")
    with staffed.writing() as db:
        relabel_subject(db, "S1", "S10", actor="boss", reason="site typed S1 for S10")
        relabel_visit(db, "S10", "baseline", "month_3", protocol, actor="boss", reason="dates")
        move_image(db, "9.9", "S2", "baseline", actor="boss", reason="wrong patient")
    with pytest.raises(DatabaseError, match="a read refers to it"), staffed.writing() as db:
        db.execute(text("UPDATE subjects SET subject_id = 'S1' WHERE subject_id = 'S10'"))
    with staffed.reading() as db:
        trail = [(e.field, e.old_value, e.new_value, e.reason) for e in audit_entries(db)
                 if e.action == "relabelled"]  # fmt: skip
    assert trail == [
        ("subject_id", "S1", "S10", "site typed S1 for S10"),
        ("visit_id", "baseline", "month_3", "dates"),
        ("case", "S10 month_3", "S2 baseline", "wrong patient"),
    ]


def test_a_locked_visit_refuses_corrections_until_unlocked(
    staffed: ReadStore, protocol: Protocol, login: Callable[[str], None]
) -> None:
    lock = functools.partial(lock_visit, subject="S1", visit="baseline", actor="ann", reason="QC")
    reader_is_refused(staffed, protocol, login, lock)
    login("boss")
    with staffed.writing() as db:
        assert lock_visit(db, "S1", "baseline", actor="boss", reason="QC done") == 1
    login("ann")
    with pytest.raises(ReadImmutableError, match=r"S1 baseline was locked by boss .*\(QC done\)"):
        correct_as(staffed, protocol, "ann", "ann", "5")
    login("bob")
    with pytest.raises(ReadImmutableError, match="locked by boss"):
        read_as(staffed, protocol, "bob")
    with pytest.raises(DatabaseError, match="the visit is locked"), staffed.writing() as db:
        db.execute(text("INSERT INTO reads (case_pk, reader, role, version, status, protocol_id, "
                        "source, started_at) VALUES (1, 'bob', 'primary', 1, 'draft', '', '', "
                        "'2025-01-01')"))  # fmt: skip
    login("boss")
    with staffed.writing() as db:
        unlock_visit(db, "S1", "baseline", actor="boss", reason="site query on L4-L5")
    login("ann")
    correct_as(staffed, protocol, "ann", "ann", "5")
    with staffed.reading() as db:
        actions = [(e.action, e.reason) for e in audit_entries(db) if "lock" in e.action]
        meanings = [s.meaning for s in db.query(Signature).order_by(Signature.id)]
    assert actions == [("locked", "QC done"), ("unlocked", "site query on L4-L5")]
    assert meanings == ["read completed", "locked", "read completed"]


def test_submitting_signs_the_version_and_a_changed_version_no_longer_verifies(
    staffed: ReadStore, protocol: Protocol, login: Callable[[str], None], tmp_path: Path
) -> None:
    login("ann")
    first = read_as(staffed, protocol, "ann")
    correct_as(staffed, protocol, "ann", "ann", "5")
    with staffed.reading() as db:
        signatures = list(db.query(Signature).order_by(Signature.id))
        canonical = canonical_content(db, db.get_one(Read, first))
    assert [(s.read_pk == first, s.signer, s.signer_name, s.meaning) for s in signatures] == [
        (True, "ann", "Ann Reader", "read completed"),
        (False, "ann", "Ann Reader", "read completed"),
    ]
    assert signatures[0].content_sha256 == hashlib.sha256(canonical).hexdigest()
    assert b'"code":"4"' in canonical and b'"version":1' in canonical
    with staffed.reading() as db:
        assert all(check.matches for check in verify(db))
    # someone with the file drops the guard and edits the first version's grade
    with staffed.writing() as db:
        db.execute(text("DROP TRIGGER grades_immutable_update"))
        db.execute(text("UPDATE grades SET code = '2' WHERE read_pk = :r"), {"r": first})
    with staffed.reading() as db:
        assert [check.matches for check in verify(db)] == [False, True]
    out = tmp_path / "endpoints.csv"
    assert main(["export", "--out", str(out), "--store", str(staffed.url)]) == 0
    signed = pd.read_csv(tmp_path / "endpoints.signatures.csv")
    assert signed[["reader", "read_version", "meaning", "signer_name"]].values.tolist() == [
        ["ann", 1, "read completed", "Ann Reader"],
        ["ann", 2, "read completed", "Ann Reader"],
    ]
    assert signed["content_sha256"].tolist() == [s.content_sha256 for s in signatures]


def test_verify_lists_the_mismatch(
    staffed: ReadStore, protocol: Protocol, login: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    login("ann")
    read_as(staffed, protocol, "ann")
    store_option = ["--store", str(staffed.url)]
    assert main(["verify", *store_option]) == 0
    with staffed.writing() as db:
        db.execute(text("DROP TRIGGER grades_immutable_update"))
        db.execute(text("UPDATE grades SET code = '2'"))
    capsys.readouterr()
    assert main(["verify", *store_option]) == 1
    out = capsys.readouterr().out
    assert "signature 1 of read 1 (read completed, Ann Reader" in out
    assert "MISMATCH: signed" in out and "1 signatures, 1 mismatched" in out


def test_the_commands_add_people_lock_and_relabel_as_the_login(
    store: ReadStore, protocol: Protocol, login: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    login("boss")
    url = ["--store", str(store.url)]
    assert main(["people", "add", "boss", "--name", "Bo Manager", "--role", "manager", *url]) == 0
    assert main(["people", "add", "ann", "--name", "Ann Reader", "--role", "reader", *url]) == 0
    with store.writing() as db:
        get_case(db, "S1", "baseline", actor="boss")
    login("ann")
    read_as(store, protocol, "ann")
    assert main(["lock", "S1", "baseline", "--reason", "QC", *url]) == 2
    assert "lock S1 baseline: ann is a reader; only a manager may" in capsys.readouterr().err
    login("boss")
    assert main(["lock", "S1", "baseline", "--reason", "QC", *url]) == 0
    assert main(["relabel", "subject", "S1", "S7", "--reason", "typo", *url]) == 0
    assert main(["people", "list", *url]) == 0
    out = capsys.readouterr().out
    assert "S1 baseline locked; 1 read(s) signed 'locked'" in out
    assert "subject S1 is now S7" in out
    assert "ann              reader       Ann Reader" in out
