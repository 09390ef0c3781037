"""``report`` on a batch folder whose provenance or tables are damaged: refused, naming the file,
where in it and what is wrong (a report silently missing its failures would mislead)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imaging.cli import main
from imaging.report import ReportInputError, load

FIX = (
    ". Rerun `spine-endpoints batch` with the same --out to rewrite it (finished studies are not "
    "recomputed)."
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def provenance(folder: Path) -> dict[str, object]:
    record: dict[str, object] = json.loads((folder / "provenance.json").read_text("utf-8"))
    return record


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        pytest.param(
            "provenance.json",
            b'{"protocol": {"name": "DLBP trial", "visits": ["base',
            "line 1, column 48: not valid JSON (Unterminated string starting)",
            id="provenance-truncated",
        ),
        pytest.param(
            "provenance.json", PNG, "not UTF-8 text (byte 0x89 at offset 0)", id="provenance-binary"
        ),
        pytest.param(
            "provenance.json", b"[1, 2]", "the file is [1, 2], not an object", id="provenance-list"
        ),
        pytest.param(
            "provenance.json",
            b'{"protocol": {"thresholds": {"height_loss_pct": "25%"}}}',
            'protocol.thresholds.height_loss_pct is "25%", not a number or null',
            id="provenance-threshold-text",
        ),
        pytest.param(
            "provenance.json",
            b'{"protocol": {"visits": "baseline"}}',
            'protocol.visits is "baseline", not a list',
            id="provenance-visits-text",
        ),
        pytest.param(
            "provenance.json",
            b'{"inputs": {"landmarks": {"path": "l.csv", "sha256": 12}}}',
            "inputs.landmarks.sha256 is 12, not text",
            id="provenance-digest-number",
        ),
        pytest.param(
            "failures.csv",
            b"file,subject,visit,reason\nS002/month_6/dx.dcm,S002,mon",
            "damaged rows: line 2: 3 cell(s), the header has 4",
            id="failures-truncated-row",
        ),
        pytest.param(
            "failures.csv",
            b'file,subject,visit,reason\nS002/month_6/dx.dcm,S002,month_6,"not-dicom: no',
            "line 2: not CSV (unexpected end of data)",
            id="failures-truncated-in-quotes",
        ),
        pytest.param("failures.csv", b"", "empty: no header row", id="failures-empty"),
        pytest.param(
            "failures.csv",
            b"file,subject,reason\nS002/month_6/dx.dcm,S002,not-dicom\n",
            "lacks the column(s) visit (its header: file, subject, reason)",
            id="failures-missing-column",
        ),
        pytest.param(
            "failures.csv", PNG, "not UTF-8 text (byte 0x89 at offset 0)", id="failures-binary"
        ),
        pytest.param(
            "eligibility.csv",
            b"subject,rule\nS001,pfirrmann_target\n",
            "lacks the column(s) verdict (its header: subject, rule)",
            id="eligibility-missing-column",
        ),
    ],
)
def test_a_damaged_file_is_refused_naming_it_and_the_problem(
    fake_batch_output: Path, name: str, content: bytes, problem: str
) -> None:
    (fake_batch_output / name).write_bytes(content)

    with pytest.raises(ReportInputError) as refused:
        load(fake_batch_output)

    assert str(refused.value) == f"{fake_batch_output / name}: {problem}{FIX}"


def test_many_damaged_rows_list_the_first_five_and_count_the_rest(
    fake_batch_output: Path,
) -> None:
    rows = "".join(f"S{i:03},extra,cells,here,too\n" for i in range(1000))
    (fake_batch_output / "failures.csv").write_text("file,subject,visit,reason\n" + rows)

    with pytest.raises(ReportInputError) as refused:
        load(fake_batch_output)

    assert str(refused.value) == (
        f"{fake_batch_output / 'failures.csv'}: damaged rows: "
        + "; ".join(f"line {n}: 5 cell(s), the header has 4" for n in range(2, 7))
        + f"; and 995 more{FIX}"
    )


def test_a_damaged_endpoint_table_is_refused(fake_batch_output: Path) -> None:
    (fake_batch_output / "endpoints.parquet").write_bytes(PNG)

    with pytest.raises(ReportInputError, match=r"endpoints\.parquet: the endpoint table cannot"):
        load(fake_batch_output)


def test_the_report_command_exits_2_with_the_message_and_writes_nothing(
    fake_batch_output: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (fake_batch_output / "provenance.json").write_bytes(b'{"counts": {"studies": "nine"}}')

    assert main(["report", str(fake_batch_output)]) == 2

    assert capsys.readouterr().err == (
        f"spine-endpoints report: error: {fake_batch_output / 'provenance.json'}: "
        f'counts.studies is "nine", not a number{FIX}\n'
    )
    assert not [p for p in fake_batch_output.iterdir() if p.name.endswith((".html", ".tmp"))]


def test_an_intact_folder_still_loads_every_table(fake_batch_output: Path) -> None:
    data = load(fake_batch_output)
    assert data.failures.to_dict("records") == [
        {
            "file": "S002/month_6/dx_flexion.dcm",
            "subject": "S002",
            "visit": "month_6",
            "reason": "not-dicom: no DICM prefix <b>",
        }
    ]
    assert data.provenance == provenance(fake_batch_output)
    assert list(data.eligibility["verdict"]) == ["pass", "fail"]
