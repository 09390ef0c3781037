"""Paired reading (issue 20): a subject's progression visits scored in one sitting, shuffled,
undated, stored per visit with versions and audit; the export maps the scores back to visits."""

from __future__ import annotations

import zlib

import pytest
from sqlalchemy import select

from imaging.errors import StoreError
from imaging.protocol import Protocol, load_protocol
from imaging.store.cases import get_case
from imaging.store.export import stored_rows
from imaging.store.paired import (
    PAIRED_REASON,
    paired_case,
    paired_content,
    paired_worklist,
    save_paired,
)
from imaging.store.reads import (
    ReadContent,
    latest_version,
    read_content,
    save_draft,
    start_read,
    submit,
)
from imaging.store.schema import AuditEntry, Image, Read
from imaging.store.store import ReadStore
from imaging.store.vocabulary import ReadStatus

AS = load_protocol("as-ucmsc")
assert AS.msasss is not None
SITES = AS.msasss.sites


def _register(store: ReadStore, subject: str, visits: tuple[str, ...]) -> dict[str, str]:
    """Cases with one lateral film each; visit -> reading id."""
    ids: dict[str, str] = {}
    with store.writing() as db:
        for visit in visits:
            case = get_case(db, subject, visit, actor="t")
            uid = f"1.2.{zlib.crc32(subject.encode())}.{len(ids)}"
            db.add(
                Image(sop_instance_uid=uid, subject_pk=case.subject_pk,
                      case_pk=case.id, path=f"{subject}-{visit}.dcm", sha256="0" * 64,
                      modality="DX", film="neutral", assignment_status="assigned")
            )  # fmt: skip
            ids[visit] = case.reading_id
    return ids


def _scores(code: str) -> ReadContent:
    return ReadContent(grades={(site, "msasss"): code for site in SITES})


SUBJECTS = 20
"""Paired cases in the shuffling test (with 6, one run in 32 showed every baseline first)."""


def test_a_paired_case_shows_its_visits_shuffled_per_reader_without_visit_names(
    store: ReadStore,
) -> None:
    ids: dict[str, dict[str, str]] = {}
    for n in range(SUBJECTS):  # every case in the same order by chance: 2 ** (1 - SUBJECTS)
        ids[f"AS-{n}"] = _register(store, f"AS-{n}", ("baseline", "month_24"))
    _register(store, "AS-one-visit", ("baseline",))  # one visit: nothing to pair yet
    with store.reading() as db:
        first = paired_worklist(db, AS, "R1")
        second = paired_worklist(db, AS, "R2")
    assert len(first) == SUBJECTS and {c.paired_id for c in first} == {c.paired_id for c in second}
    assert all(c.paired_id.startswith("P-") and len(c.paired_id) == 12 for c in first)
    assert all([s.label for s in c.sets] == ["A", "B"] for c in first)
    baseline_first = [ids_of(c.sets[0].reading_id, ids) == "baseline" for c in first]
    assert True in baseline_first and False in baseline_first  # the order says nothing
    shown = repr(first)
    assert "baseline" not in shown and "month_24" not in shown and "AS-" not in shown


def ids_of(reading_id: str, ids: dict[str, dict[str, str]]) -> str:
    return next(v for visits in ids.values() for v, r in visits.items() if r == reading_id)


def test_paired_scores_are_stored_per_visit_and_exported_under_their_visits(
    store: ReadStore,
) -> None:
    ids = _register(store, "AS-1", ("baseline", "month_24"))
    with store.writing() as db:
        (case,) = paired_worklist(db, AS, "R1")
        visit_of = {s.label: ids_of(s.reading_id, {"AS-1": ids}) for s in case.sets}
        given = {
            label: _scores("1" if visit_of[label] == "baseline" else "2") for label in visit_of
        }
        saved = save_paired(db, AS, "R1", case.paired_id, {"A": given["A"]})
        assert saved.status is ReadStatus.DRAFT
        resumed = paired_content(db, AS, "R1", case.paired_id)
        assert resumed["A"].grades == given["A"].grades and resumed["B"] == ReadContent()
        done = save_paired(db, AS, "R1", case.paired_id, given, submit=True)
    assert done.status is ReadStatus.SUBMITTED
    with store.reading() as db:
        rows = stored_rows(db, AS)
    totals = {(r.visit, r.measure): r.value for r in rows if r.level == "spine"}
    assert totals[("baseline", "msasss_total")] == 24.0
    assert totals[("month_24", "msasss_total")] == 48.0
    assert totals[("month_24", "new_syndesmophytes")] == 24.0
    change = next(r for r in rows if (r.visit, r.measure) == ("month_24", "msasss_total"))
    assert change.change_from_baseline == 24.0


def test_a_submitted_screening_read_is_corrected_by_the_paired_sitting_with_the_reason(
    store: ReadStore,
) -> None:
    ids = _register(store, "AS-1", ("baseline", "month_24"))
    screening = ReadContent(grades={**_scores("0").grades, ("SIJ-left", "sacroiliitis"): "3"})
    with store.writing() as db:
        case = get_case(db, "AS-1", "baseline", actor="t")
        read = start_read(db, case, "R1", actor="R1")
        save_draft(db, read, screening, AS)
        submit(db, read, actor="R1")
        paired = paired_case(db, AS, "R1", paired_worklist(db, AS, "R1")[0].paired_id)
        assert {s.status for s in paired.sets} == {ReadStatus.TO_READ}
        scores = {s.label: _scores("1") for s in paired.sets}
        save_paired(db, AS, "R1", paired.paired_id, scores, submit=True)
    with store.reading() as db:
        case = get_case(db, "AS-1", "baseline", actor="t", create=False)
        latest = latest_version(db, case, "R1")
        assert latest is not None and latest.version == 2
        assert latest.reason == f"{PAIRED_REASON} ({paired.paired_id})"
        content = read_content(db, latest)
        assert content.grades[("SIJ-left", "sacroiliitis")] == "3"  # kept
        assert content.grades[("C5-lower", "msasss")] == "1"  # rescored beside the 2-year film
        changed = db.scalars(
            select(AuditEntry).where(
                AuditEntry.field == "C5-lower msasss", AuditEntry.action == "corrected"
            )
        ).one()
        assert (changed.old_value, changed.new_value) == ("0", "1")
        assert len(db.scalars(select(Read)).all()) == 3
    assert ids["baseline"] == case.reading_id


def test_a_paired_sitting_refuses_grades_that_would_give_the_visit_away(store: ReadStore) -> None:
    _register(store, "AS-1", ("baseline", "month_24"))
    with store.writing() as db:
        key = paired_worklist(db, AS, "R1")[0].paired_id
        content = ReadContent(grades={("SIJ-left", "sacroiliitis"): "2"})
        with pytest.raises(
            StoreError,
            match=r"set A: SIJ-left sacroiliitis are not scored in a "
            r"paired sitting \(only msasss at the \[msasss\] corners\)",
        ):
            save_paired(db, AS, "R1", key, {"A": content})
        with pytest.raises(StoreError, match="has no set C"):
            save_paired(db, AS, "R1", key, {"C": ReadContent()})


def test_a_protocol_without_paired_reading_is_named(store: ReadStore, protocol: Protocol) -> None:
    with store.reading() as db, pytest.raises(StoreError, match="paired_reading = true"):
        paired_worklist(db, protocol, "R1")
