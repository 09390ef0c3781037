"""Double reading on the samples: two readers' reads imported from files, one case disagreeing
beyond the DLBP protocol's triggers, its adjudication, and the endpoint and eligibility tables
that use it (export, ``eligibility``, ``batch --store``)."""

from __future__ import annotations

import csv
import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from imaging.cli import main
from imaging.errors import StoreError
from imaging.protocol import load_protocol
from imaging.protocol.adjudication import film_key, grade_key
from imaging.store.adjudication import choose, submit_adjudication
from imaging.store.audit import audit_entries
from imaging.store.reads import ReadContent
from imaging.store.signatures import signature_frame
from imaging.store.store import ReadStore
from imaging.store.worklist import adjudication_worklist, unblinding_map, worklist
from imaging.store.workstation import ReadKey, save_read_draft

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
CASES = ("DLBP-001", "DLBP-002")
SHIFT_PX = 10.0  # both L4 inferior corners of reader-2 on DLBP-001: the L4-L5 disc 10 px lower


def _cli(*argv: str) -> str:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        status = main(list(argv))
    # 1: a batch lists the archive's studies nobody read as failures
    assert status in ((0, 1) if argv[0] == "batch" else (0,)), (argv, out.getvalue())
    return out.getvalue()


def _reader_files(folder: Path, reader: str, disagree: bool) -> tuple[Path, Path]:
    """The samples' baseline reads of DLBP-001 and DLBP-002 as ``reader``'s files; with
    ``disagree``, DLBP-001's L4-L5 is Pfirrmann 3 (truth 4) and its disc 10 px lower."""
    corners = pd.read_csv(SAMPLES / "landmarks.csv", dtype=str, keep_default_na=False)
    corners = corners[corners["subject"].isin(CASES) & (corners["visit"] == "baseline")].copy()
    corners["image"] = [str(SAMPLES / p) for p in corners["image"]]
    corners["reader"] = reader
    grades = pd.read_csv(SAMPLES / "grades.csv", dtype=str, keep_default_na=False)
    grades = grades[grades["subject"].isin(CASES) & (grades["visit"] == "baseline")].copy()
    grades["reader"] = reader
    if disagree:
        at = (corners["subject"] == "DLBP-001") & (corners["film"] == "neutral")
        at &= (corners["vertebra"] == "L4") & corners["corner"].str.endswith("_inferior")
        corners.loc[at, "row"] = [str(float(r) - SHIFT_PX) for r in corners.loc[at, "row"]]
        one = (grades["subject"] == "DLBP-001") & (grades["level"] == "L4-L5")
        grades.loc[one, "pfirrmann"] = "3"
    corners.to_csv(folder / f"{reader}-landmarks.csv", index=False)
    grades.to_csv(folder / f"{reader}-grades.csv", index=False)
    return folder / f"{reader}-landmarks.csv", folder / f"{reader}-grades.csv"


def _table(path: Path) -> dict[tuple[str, str, str, str], dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return {(r["subject"], r["level"], r["measure"], r["film"]): r for r in rows}


@pytest.fixture(scope="module")
def double_read(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A store with reader-1's and reader-2's reads of the two cases, imported from files."""
    if not (SAMPLES / "landmarks.csv").is_file():
        pytest.skip("sample_dicom/ has not been generated")
    folder = tmp_path_factory.mktemp("double")
    url = f"sqlite:///{folder / 'reads.db'}"
    for reader, disagree in (("reader-1", False), ("reader-2", True)):
        landmarks, grades = _reader_files(folder, reader, disagree)
        _cli("grades", "import", str(grades), "--store", url, "--actor", reader,
             "--register-unknown")  # fmt: skip
        _cli("landmarks", "import", str(landmarks), "--store", url, "--actor", reader)
    return url, folder


def test_the_disagreeing_case_alone_goes_to_the_adjudicator_with_the_triggers(
    double_read: tuple[str, Path],
) -> None:
    url, _ = double_read
    protocol = load_protocol()
    with ReadStore(url) as store, store.reading() as session:
        items = adjudication_worklist(session, protocol, "adj-1")
        names = unblinding_map(session)
        own = adjudication_worklist(session, protocol, "reader-1")
        third_reader = worklist(session, "reader-3", protocol=protocol)

    assert [names[item.reading_id] for item in items] == [("DLBP-001", "baseline")]
    reasons = items[0].reasons
    assert "L4-L5 pfirrmann differs by >= 1 grade (reader-1: 4, reader-2: 3)" in reasons
    assert any(
        r.startswith("L4-L5 disc_height_mean differs by > 1 mm on the neutral film (reader-1: ")
        for r in reasons
    )
    assert items[0].readers == ("reader-1", "reader-2")
    assert items[0].status == "to adjudicate"
    assert own == []  # a reader never adjudicates their own read
    assert third_reader == []  # both cases have their two reads: none is offered to a third


def test_adjudication_triggers_lists_the_disagreeing_case_with_its_reasons(
    double_read: tuple[str, Path],
) -> None:
    url, _ = double_read
    with ReadStore(url) as store, store.reading() as session:
        names = {v: k for k, v in unblinding_map(session).items()}
    printed = _cli("adjudication", "triggers", "--store", url).splitlines()
    assert printed[0] == f"{names[('DLBP-001', 'baseline')]}  DLBP-001 baseline  to adjudicate"
    assert "  L4-L5 pfirrmann differs by >= 1 grade (reader-1: 4, reader-2: 3)" in printed
    assert printed[-1] == "1 triggered case(s)"  # SQLite keeps nothing: the adjudicator logs in


def test_before_adjudication_the_triggered_items_are_empty_and_agreeing_reads_are_averaged(
    double_read: tuple[str, Path],
) -> None:
    url, folder = double_read
    out = folder / "before.csv"
    _cli("export", "--store", url, "--out", str(out))
    rows = _table(out)

    waiting = rows[("DLBP-001", "L4-L5", "pfirrmann", "")]
    assert (waiting["value"], waiting["grade"], waiting["origin"]) == ("", "", "")
    assert waiting["note"].startswith("awaiting adjudication: L4-L5 pfirrmann differs")
    agreed = rows[("DLBP-002", "L4-L5", "disc_height_mean", "neutral")]
    assert agreed["origin"] == "agreeing reads"
    assert agreed["reader"] == "reader-1;reader-2"
    grade = rows[("DLBP-002", "L4-L5", "pfirrmann", "")]
    assert (grade["grade"], grade["origin"]) == ("3", "agreeing reads")


def test_the_adjudicated_read_is_the_endpoint_of_export_eligibility_and_batch(
    double_read: tuple[str, Path],
) -> None:
    url, folder = double_read
    protocol = load_protocol()
    with ReadStore(url) as store:
        with store.reading() as session:
            reading_id = adjudication_worklist(session, protocol, "adj-1")[0].reading_id
        with (
            pytest.raises(StoreError, match="no read is taken for neutral film"),
            store.writing() as session,
        ):
            choose(session, protocol, reading_id, "adj-1", grade_key("L4-L5", "pfirrmann"),
                   "reader-1", "nucleus and annulus still distinct")  # fmt: skip
            submit_adjudication(session, protocol, reading_id, "adj-1")
        with store.writing() as session:
            choose(session, protocol, reading_id, "adj-1", grade_key("L4-L5", "pfirrmann"),
                   "reader-1", "nucleus and annulus still distinct")  # fmt: skip
            choose(session, protocol, reading_id, "adj-1", film_key("neutral"), "reader-2",
                   "L4 inferior endplate is the lower contour")  # fmt: skip
            taken = submit_adjudication(session, protocol, reading_id, "adj-1")
        with store.reading() as session:
            trail = audit_entries(session, subject="DLBP-001")
    assert taken == ["neutral film: reader-2", "L4-L5 pfirrmann: reader-1"]
    adjudicated = [e for e in trail if e.entity == "adjudication"]
    assert [e.action for e in adjudicated] == [
        "started", "adjudicated", "adjudicated", "submitted", "signed"
    ]  # fmt: skip
    assert (adjudicated[2].field, adjudicated[2].new_value, adjudicated[2].reason) == (
        "neutral film",
        "reader-2 (version 2)",
        "L4 inferior endplate is the lower contour",
    )

    _cli("export", "--store", url, "--out", str(folder / "after.csv"))
    _cli("eligibility", "--store", url, "--out", str(folder / "eligibility.csv"))
    _cli("batch", str(SAMPLES), "--store", url, "--out", str(folder / "batch"))
    exported = _table(folder / "after.csv")
    batched = _table(folder / "batch" / "endpoints.csv")

    grade = exported[("DLBP-001", "L4-L5", "pfirrmann", "")]
    assert (grade["grade"], grade["origin"], grade["reader"]) == ("4", "adjudication", "reader-1")
    assert "adjudicated by adj-1: nucleus and annulus still distinct" in grade["note"]
    height = exported[("DLBP-001", "L4-L5", "disc_height_mean", "neutral")]
    assert (height["origin"], height["reader"]) == ("adjudication", "reader-2")
    for key in (("DLBP-001", "L4-L5", "pfirrmann", ""),
                ("DLBP-001", "L4-L5", "disc_height_mean", "neutral"),
                ("DLBP-002", "L4-L5", "disc_height_mean", "neutral")):  # fmt: skip
        for column in ("value", "grade", "origin", "reader", "change_from_baseline"):
            assert batched[key][column] == exported[key][column], (key, column)
    verdicts = pd.read_csv(folder / "eligibility.csv", dtype=str, keep_default_na=False)
    pfirrmann = verdicts[
        (verdicts["subject"] == "DLBP-001") & (verdicts["rule"] == "pfirrmann_target")
    ]
    assert list(pfirrmann["verdict"]) == ["pass"]
    assert list(pfirrmann["values"]) == ["L4-L5 pfirrmann 4"]
    batch_verdicts = pd.read_csv(
        folder / "batch" / "eligibility.csv", dtype=str, keep_default_na=False
    )
    read = batch_verdicts[batch_verdicts["subject"].isin(CASES)]  # DLBP-003: nobody read it
    assert list(read["verdict"]) == list(verdicts["verdict"])

    # the report shows every signature: signer, date and time, meaning, the version's hash
    _cli("report", str(folder / "batch"))
    html = (folder / "batch" / "report.html").read_text(encoding="utf-8")
    with ReadStore(url) as store, store.reading() as session:
        signed = signature_frame(session)
    section = html[html.index('<h2 id="signatures">') :]
    assert f"<p>{len(signed)} electronic signatures" in section
    for row in signed.itertuples():
        cells = (
            f"<td>{row.reader}</td><td>{row.read_version}</td><td>{row.meaning}</td>"
            f"<td>{row.signer_name} ({row.signer})</td><td>{row.signed_at}</td>"
            f"<td>{row.content_sha256}</td>"
        )
        assert cells in section, cells
    assert set(signed["reader"]) == {"reader-1", "reader-2", "reader-1;reader-2"}
    assert len(signed) >= 5
    # the adjudication is signed too: by the adjudicator, meaning adjudicated, bound to its hash
    (decision,) = signed[signed["signs"] == "adjudication"].itertuples()
    assert (decision.subject, decision.visit, decision.reading_id) == (
        "DLBP-001", "baseline", reading_id
    )  # fmt: skip
    assert (decision.signer, decision.meaning, decision.read_version) == (
        "adj-1", "adjudicated", "2;2"
    )  # fmt: skip
    assert "<td>adjudicated</td><td>adj-1 (adj-1)</td>" in section
    assert f"<td>{decision.content_sha256}</td><td>adjudication</td>" in section
    written = pd.read_csv(folder / "after.signatures.csv", dtype=str, keep_default_na=False)
    assert decision.content_sha256 in set(written["content_sha256"])
    assert adjudicated[-1].new_value == f"adjudicated by adj-1, sha256 {decision.content_sha256}"


def test_a_repeat_is_due_only_after_the_interval_and_names_only_the_reading_id(
    double_read: tuple[str, Path],
) -> None:
    import dataclasses
    import datetime as dt

    from imaging.protocol.reading_design import Repeats
    from imaging.store.worklist import repeats_due

    url, _ = double_read
    base = load_protocol()
    every = dataclasses.replace(
        base, reading_design=dataclasses.replace(base.reading_design, repeats=Repeats(1.0, 28))
    )
    now = dt.datetime.now(dt.UTC)
    with ReadStore(url) as store, store.reading() as session:
        early = repeats_due(session, every, "reader-1", now=now + dt.timedelta(days=27))
        due = repeats_due(session, every, "reader-1", now=now + dt.timedelta(days=29))
        names = unblinding_map(session)
    assert early == []
    assert sorted(names[r] for r in due) == [("DLBP-001", "baseline"), ("DLBP-002", "baseline")]


def test_a_third_primary_read_imported_from_a_file_is_refused_with_the_reason(
    double_read: tuple[str, Path], tmp_path: Path
) -> None:
    import shutil

    url, _ = double_read
    copy = tmp_path / "reads.db"  # the module's store stays as the other tests expect it
    shutil.copyfile(url.removeprefix("sqlite:///"), copy)
    _, grades = _reader_files(tmp_path, "reader-3", disagree=False)
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        status = main(["grades", "import", str(grades), "--store", f"sqlite:///{copy}"])

    assert status == 2
    text = out.getvalue()
    assert (
        "line 2: DLBP-001 baseline: already read by reader-1 and reader-2; protocol "
        "DLBP-ChiCTR2200058291 reads each case 2 times (reads_per_case = 2), so reader-3's read "
        "would be one too many. An adjudicator's read of a triggered case is made in the "
        "adjudicator role (imports: --role adjudicator)"
    ) in text
    assert "nothing was imported" in text
    with ReadStore(f"sqlite:///{copy}") as store, store.reading() as session:
        assert [i.reading_id for i in worklist(session, "reader-3", protocol=load_protocol())] == []
    # the workstation (a film opened from a file names the case) refuses the same way
    with (
        ReadStore(f"sqlite:///{copy}") as store,
        pytest.raises(StoreError, match=r"DLBP-001 baseline: already read by reader-1 and "
                      r"reader-2; .* reader-3's read would be one too many"),
        store.writing() as session,
    ):  # fmt: skip
        save_read_draft(session, ReadKey("DLBP-001", "baseline", "reader-3"), ReadContent(),
                        load_protocol())  # fmt: skip
