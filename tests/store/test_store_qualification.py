"""Reader qualification (``[reading.qualification]``): a reader gets the qualification set's
cases until a check against the reference reads passes, then the trial cases; the result is
stored and audited; the set never becomes an endpoint; imports follow the same rules."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from imaging.agreement.qualification import evaluate_reader
from imaging.cli import main
from imaging.errors import SpineEndpointsError, StoreError
from imaging.protocol import Protocol
from imaging.protocol.qualification import Qualification, QualificationLimit
from imaging.store.audit import audit_entries
from imaging.store.cases import get_case
from imaging.store.export import reader_rows, stored_rows
from imaging.store.grades import import_grade_rows
from imaging.store.qualification import record_result, standing
from imaging.store.reads import ReadContent, save_draft, start_read, submit
from imaging.store.store import ReadStore
from imaging.store.worklist import worklist
from imaging.store.workstation import CaseKey, save_read_draft

SET = ("QUAL-01", "QUAL-02", "QUAL-03")
LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
REFERENCE = ("3", "3", "4", "4", "5")
PFIRRMANN = QualificationLimit("pfirrmann", "", ("all",), "percent_exact", 80.0, True)


def _with_set(protocol: Protocol, *limits: QualificationLimit) -> Protocol:
    found = Qualification("dlbp-q1", SET, "reference", limits or (PFIRRMANN,))
    design = dataclasses.replace(protocol.reading_design, qualification=found, repeats=None)
    return dataclasses.replace(protocol, reading_design=design)


def _read(
    store: ReadStore, protocol: Protocol, subject: str, reader: str, codes: tuple[str, ...]
) -> None:
    with store.writing() as session:
        case = get_case(session, subject, "baseline", actor="t")
        read = start_read(session, case, reader, actor="t")
        grades = {(level, "pfirrmann"): code for level, code in zip(LEVELS, codes, strict=True)}
        save_draft(session, read, ReadContent(grades=grades), protocol)
        submit(session, read, actor="t")


@pytest.fixture
def qualifying(store: ReadStore, protocol: Protocol) -> Protocol:
    """A store with the set's three cases read by the reference reader and one trial case."""
    with_set = _with_set(protocol)
    for subject in SET:
        _read(store, with_set, subject, "reference", REFERENCE)
    with store.writing() as session:
        get_case(session, "DLBP-001", "baseline", actor="t")
    return with_set


def _reading_ids(store: ReadStore, protocol: Protocol, reader: str) -> list[str]:
    with store.reading() as session:
        return sorted(item.reading_id for item in worklist(session, reader, protocol=protocol))


def _trial_reading_id(store: ReadStore) -> str:
    with store.reading() as session:
        return get_case(session, "DLBP-001", "baseline", actor="t", create=False).reading_id


def test_a_reader_gets_the_set_until_qualified_then_the_trial_cases(
    store: ReadStore, qualifying: Protocol
) -> None:
    trial = _trial_reading_id(store)
    with store.reading() as session:
        set_ids = sorted(
            get_case(session, s, "baseline", actor="t", create=False).reading_id for s in SET
        )
    assert _reading_ids(store, qualifying, "R1") == set_ids  # no trial case yet
    with pytest.raises(StoreError) as refused, store.writing() as session:
        save_read_draft(session, CaseKey(trial, "R1"), ReadContent(), qualifying)
    assert str(refused.value).startswith(
        f"case {trial}: R1 gets trial cases once qualified: protocol "
        f"{qualifying.id} names the qualification set dlbp-q1 (3 subjects) and R1 has not been "
        "evaluated on it. The reader reads the qualification set's cases"
    )

    for subject in SET:  # R1 reads the set, one grade of 15 differing: 93 % exact agreement
        codes = ("3", "3", "4", "4", "4") if subject == "QUAL-01" else REFERENCE
        _read(store, qualifying, subject, "R1", codes)
    with store.reading() as session:
        result = evaluate_reader(
            qualifying, reader_rows(session, qualifying, qualification=True), "R1"
        )
    assert result.passed
    assert result.summary().splitlines() == [
        "R1 passed qualification dlbp-q1 (3 cases against the reference reads)",
        "  pass: pfirrmann all percent_exact >= 80 %: 93.3 (percent_exact, 15 cases)",
    ]
    with store.writing() as session:
        record_result(session, qualifying, "R1", result.passed, result.summary(), actor="boss")

    assert _reading_ids(store, qualifying, "R1") == [trial]  # the set no more, the trial now
    with store.writing() as session:
        save_read_draft(session, CaseKey(trial, "R1"), ReadContent(), qualifying)
        stored = standing(session, qualifying, "R1")
        audit = [e for e in audit_entries(session) if e.action == "qualification"]
    assert stored is not None and (stored.passed, stored.checked_by) == (True, "boss")
    assert [(e.actor, e.field, e.new_value) for e in audit] == [("boss", "dlbp-q1", "passed")]
    assert "percent_exact >= 80 %: 93.3" in audit[0].reason


def test_a_reader_who_fails_stays_on_the_set_with_the_reason(
    store: ReadStore, qualifying: Protocol
) -> None:
    for subject in SET:  # every disc a grade lower than the reference: 0 % exact
        _read(store, qualifying, subject, "R2", ("2", "2", "3", "3", "4"))
    with store.reading() as session:
        result = evaluate_reader(
            qualifying, reader_rows(session, qualifying, qualification=True), "R2"
        )
    assert not result.passed
    assert "FAIL: pfirrmann all percent_exact >= 80 %: 0" in result.summary()
    with store.writing() as session:
        record_result(session, qualifying, "R2", result.passed, result.summary(), actor="boss")
    trial = _trial_reading_id(store)
    with (
        pytest.raises(StoreError, match=r"R2 did not pass it \(\d{4}-\d\d-\d\d, checked by boss\)"),
        store.writing() as session,
    ):
        save_read_draft(session, CaseKey(trial, "R2"), ReadContent(), qualifying)
    assert trial not in _reading_ids(store, qualifying, "R2")


def test_a_limit_nobody_could_check_fails_and_unread_cases_are_named(
    store: ReadStore, qualifying: Protocol
) -> None:
    bias = QualificationLimit(
        "disc_height_mean", "neutral", ("L4-L5",), "bland_altman_bias", 0.5, False
    )
    both = _with_set(qualifying, PFIRRMANN, bias)
    _read(store, both, "QUAL-01", "R3", REFERENCE)
    with store.reading() as session:
        rows = reader_rows(session, both, qualification=True)
    with pytest.raises(SpineEndpointsError, match="R3 has not submitted reads of 2 of the 3 "
                       "qualification cases: QUAL-02 baseline, QUAL-03 baseline"):  # fmt: skip
        evaluate_reader(both, rows, "R3")
    for subject in SET[1:]:
        _read(store, both, subject, "R3", REFERENCE)
    with store.reading() as session:
        result = evaluate_reader(both, reader_rows(session, both, qualification=True), "R3")
    assert not result.passed  # the grades agree, but no corners: the bias is not evaluable
    assert result.summary().splitlines()[2] == (
        "  FAIL: disc_height_mean (neutral) L4-L5 |bland_altman_bias| <= 0.5 mm: no value "
        "(not evaluable: fewer than 2 cases both read)"
    )


def test_the_set_is_never_an_endpoint(store: ReadStore, qualifying: Protocol) -> None:
    _read(store, qualifying, "QUAL-01", "R1", REFERENCE)
    with store.reading() as session:
        subjects = {row.subject for row in stored_rows(session, qualifying)}
        agreement_input = {row.subject for row in reader_rows(session, qualifying)}
    assert subjects.isdisjoint(SET) and agreement_input.isdisjoint(SET)


def test_an_import_by_an_unqualified_reader_is_refused_naming_the_row(
    store: ReadStore, qualifying: Protocol
) -> None:
    from imaging.protocol.grade_forms import GradeRow

    rows = [GradeRow("DLBP-001", "baseline", "L4-L5", "R4", (("pfirrmann", "4"),), line=2)]
    with pytest.raises(SpineEndpointsError) as refused:
        import_grade_rows(store, qualifying, rows, actor="t")
    assert "line 2: DLBP-001 baseline: R4 gets trial cases once qualified" in str(refused.value)
    assert "nothing was imported" in str(refused.value)


def test_the_command_checks_stores_and_lists_a_result(
    store_url: str, store: ReadStore, qualifying: Protocol, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    protocol_file = _protocol_file(tmp_path)
    for subject in SET:
        _read(store, qualifying, subject, "R5", REFERENCE)
    options = ["--protocol", str(protocol_file), "--store", store_url]

    assert main(["qualification", "check", "R5", *options, "--actor", "boss"]) == 0
    assert "R5 passed qualification dlbp-q1 (3 cases" in capsys.readouterr().out
    assert main(["qualification", "status", *options]) == 0
    listed = capsys.readouterr().out
    assert "qualification dlbp-q1: reference reader reference, 3 subjects; 1 result(s)" in listed
    assert "R5               passed" in listed and "checked by boss" in listed


def _protocol_file(tmp_path: Path) -> Path:
    """The DLBP protocol file with the set of :func:`_with_set` as TOML."""
    from imaging.protocol.loader import DEFAULT_PROTOCOL

    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8").replace(
        "after_days = 28",
        'after_days = 28\n\n[reading.qualification]\nid = "dlbp-q1"\n'
        'subjects = ["QUAL-01", "QUAL-02", "QUAL-03"]\nreference_reader = "reference"\n\n'
        '[[reading.qualification.limits]]\nname = "pfirrmann"\npooled = true\n'
        'statistic = "percent_exact"\nat_least = 80\n',
    )
    path = tmp_path / "trial.toml"
    path.write_text(text, encoding="utf-8")
    return path
