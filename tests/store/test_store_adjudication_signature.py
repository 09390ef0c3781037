"""Submitting an adjudication signs it (21 CFR 11.50, 11.70), as submitting a read signs the
read: the adjudicator's login and printed name, the time, the meaning ``adjudicated`` and the
SHA-256 of the decision's content; audited; in ``verify`` and the export's signatures. A
submitted, signed adjudication cannot change (the database refuses it); one changed by someone
who bypassed the triggers no longer verifies; a reader's correction leads to a new adjudication
with its own signature while the old one stays verifiable. SQLite; PostgreSQL with an
adjudicator's own role is in test_store_postgres_adjudicator_role.py."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from imaging.errors import StoreError
from imaging.protocol import Protocol
from imaging.protocol.adjudication import grade_key
from imaging.store.adjudication import choose, submit_adjudication
from imaging.store.audit import audit_entries
from imaging.store.cases import get_case
from imaging.store.corrections import correct
from imaging.store.reads import ReadContent, latest_version, save_draft, start_read, submit
from imaging.store.schema import Adjudication, AdjudicationSignature
from imaging.store.signatures import adjudication_content, signature_frame, verify
from imaging.store.store import ReadStore
from imaging.store.triggered import empty_worklist_reason
from imaging.store.worklist import adjudication_worklist, unblinding_map

GRADE = ("L4-L5", "pfirrmann")
KEY = grade_key(*GRADE)


@pytest.fixture
def disagreeing(staffed: ReadStore, protocol: Protocol, login: Callable[[str], None]) -> str:
    """The staffed store (conftest) with readers ann (Pfirrmann 4) and bob (3) of S1 baseline;
    returns the case's reading id."""
    for reader, code in (("ann", "4"), ("bob", "3")):
        login(reader)
        with staffed.writing() as db:
            case = get_case(db, "S1", "baseline", actor=reader, create=False)
            read = start_read(db, case, reader, actor=reader)
            save_draft(db, read, ReadContent({GRADE: code}), protocol)
            submit(db, read, actor=reader)
    with staffed.reading() as db:
        (reading_id,) = unblinding_map(db)
    return reading_id


def adjudicate(store: ReadStore, protocol: Protocol, reading_id: str, reader: str) -> None:
    with store.writing() as db:
        choose(db, protocol, reading_id, "ada", KEY, reader, "nucleus signal as on the T2")
        submit_adjudication(db, protocol, reading_id, "ada")


@pytest.fixture
def adjudicated(
    staffed: ReadStore, protocol: Protocol, disagreeing: str, login: Callable[[str], None]
) -> ReadStore:
    """The disagreeing case adjudicated by ada (login), taking bob's grade."""
    login("ada")
    adjudicate(staffed, protocol, disagreeing, "bob")
    return staffed


def test_submitting_an_adjudication_signs_it_as_the_adjudicator_bound_to_its_content(
    adjudicated: ReadStore, protocol: Protocol, disagreeing: str
) -> None:
    store = adjudicated
    with store.reading() as db:
        (signature,) = db.query(AdjudicationSignature).all()
        decision = db.get_one(Adjudication, signature.adjudication_pk)
        canonical = adjudication_content(db, decision)
        checks = verify(db)
        frame = signature_frame(db)
        trail = [e for e in audit_entries(db, subject="S1") if e.entity == "adjudication"]
    assert (signature.signer, signature.signer_name, signature.meaning) == (
        "ada", "Ada Adjudicator", "adjudicated"
    )  # fmt: skip
    assert signature.content_sha256 == hashlib.sha256(canonical).hexdigest()
    assert b'"adjudicator":"ada"' in canonical and b'"reason":"nucleus signal as on the T2"' in (
        canonical
    )  # fmt: skip
    assert b'"read":{"reader":"bob","repeat":0,"role":"primary","version":1}' in canonical
    assert [c.matches for c in checks] == [True, True, True]  # ann's read, bob's, the decision
    (row,) = frame[frame["signs"] == "adjudication"].to_dict("records")
    assert (row["subject"], row["visit"], row["reading_id"], row["reader"]) == (
        "S1", "baseline", disagreeing, "ann;bob"
    )  # fmt: skip
    assert (row["meaning"], row["signer_name"], row["content_sha256"]) == (
        "adjudicated", "Ada Adjudicator", signature.content_sha256
    )  # fmt: skip
    assert (trail[-1].action, trail[-1].actor, trail[-1].field) == ("signed", "ada", "adjudication")
    with store.reading() as db:  # SQLite: the worklist is computed from the reads themselves
        assert adjudication_worklist(db, protocol, "ada") == []
        assert empty_worklist_reason(db) == (
            "No case to adjudicate: no double-read case's reads set off a trigger left open"
        )


def test_a_signed_adjudication_refuses_changes_and_a_bypassed_change_fails_verification(
    adjudicated: ReadStore, protocol: Protocol, disagreeing: str
) -> None:
    store = adjudicated
    with pytest.raises(StoreError, match="is submitted: it is final"), store.writing() as db:
        choose(db, protocol, disagreeing, "ada", KEY, "ann", "second thoughts")
    for statement, refusal in (
        ("UPDATE adjudication_choices SET reason = 'edited'", "a submitted adjudication is final"),
        ("UPDATE adjudications SET reasons = 'edited'", "a submitted adjudication is final"),
        ("UPDATE adjudication_signatures SET signer = 'ann'", "is append-only"),
        ("DELETE FROM adjudication_signatures", "is append-only"),
    ):
        with pytest.raises(DatabaseError, match=refusal), store.writing() as db:
            db.execute(text(statement))
    # someone with the file drops the guard and takes ann's grade instead of bob's
    with store.writing() as db:
        db.execute(text("DROP TRIGGER adjudication_choices_final_update"))
        db.execute(text("UPDATE adjudication_choices SET read_pk = first_read_pk "
                        "FROM adjudications WHERE adjudications.id = adjudication_pk"))  # fmt: skip
    with store.reading() as db:
        bad = [check.text() for check in verify(db) if not check.matches]
    assert len(bad) == 1
    assert bad[0].startswith("adjudication signature 1 of adjudication 1 (adjudicated, ")
    assert "Ada Adjudicator" in bad[0] and ": MISMATCH: signed " in bad[0]


def test_after_a_reader_corrects_a_new_adjudication_is_signed_and_the_old_one_still_verifies(
    adjudicated: ReadStore, protocol: Protocol, disagreeing: str, login: Callable[[str], None]
) -> None:
    store = adjudicated
    login("ann")
    with store.writing() as db:
        case = get_case(db, "S1", "baseline", actor="ann", create=False)
        read = latest_version(db, case, "ann")
        assert read is not None
        correct(db, read, ReadContent({GRADE: "5"}), protocol, reason="QC query", actor="ann")
    login("ada")
    adjudicate(store, protocol, disagreeing, "ann")
    with store.reading() as db:
        signed = [(s.adjudication_pk, s.signer) for s in db.query(AdjudicationSignature)]
        checks = verify(db)
        frame = signature_frame(db)
    assert signed == [(1, "ada"), (2, "ada")]
    assert all(check.matches for check in checks) and len(checks) == 5
    decided = frame[frame["signs"] == "adjudication"]
    assert decided["read_version"].tolist() == ["1;1", "2;1"]
