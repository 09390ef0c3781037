"""scan(): one record per file from headers; the `scan` command's table and JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from dicom_helpers import archives_of, bundled, dicomdirtests, dx_dataset, write

from imaging.cli import main
from imaging.dicom import ScanStatus, ScanSummary, scan, scan_file
from imaging.errors import FileAccessError


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A folder of a good film, an uncalibrated film, a file that is not DICOM, a truncated copy,
    and a document and a hidden file (both on the walk's skip list)."""
    folder = tmp_path / "site01"
    write(
        dx_dataset(
            ImagerPixelSpacing=[0.15, 0.15],
            EstimatedRadiographicMagnificationFactor=1.2,
            ClinicalTrialSubjectID="S-007",
            ClinicalTrialTimePointID="M6",
            SeriesDescription="L-SPINE LAT FLEX",
        ),
        folder / "subject7" / "flexion.dcm",
    )
    write(
        dx_dataset(
            PixelSpacing=[0, 0], SeriesDescription="[bone] LAT", PatientIdentityRemoved="YES"
        ),
        folder / "subject7" / "zero_spacing.dcm",
    )
    (folder / "readme.txt").write_text("Films for subject 7.\n")  # a document: skipped
    (folder / "notes").write_text("Films for subject 7.\n")  # no suffix: opened, not DICOM
    data = bundled("CT_small.dcm").read_bytes()
    (folder / "cut.dcm").write_bytes(data[: len(data) // 2])
    (folder / ".DS_Store").write_bytes(b"\0" * 64)  # hidden: skipped
    return folder


def test_records_of_a_folder(study: Path) -> None:
    records = {Path(r.path).name: r for r in scan(study)}
    assert sorted(records) == ["cut.dcm", "flexion.dcm", "notes", "zero_spacing.dcm"]
    good = records["flexion.dcm"]
    assert good.status is ScanStatus.OK
    assert (good.modality, good.subject, good.visit, good.film) == ("DX", "S-007", "M6", "flexion")
    assert (good.rows, good.cols, good.study_date) == (20, 30, "2024-01-15")
    assert good.pixel_spacing_mm == pytest.approx((0.125, 0.125))
    assert good.calibration_source == "magnification-corrected"
    zero = records["zero_spacing.dcm"]
    assert zero.status is ScanStatus.UNCALIBRATED
    assert "zero, negative" in zero.reason
    assert zero.subject == "P001"  # no trial subject: the de-identified Patient ID
    assert records["notes"].status is ScanStatus.NOT_DICOM
    truncated = records["cut.dcm"]
    assert truncated.status is ScanStatus.TRUNCATED
    assert truncated.modality == "CT"  # what the header told before it ended
    assert truncated.fix


def test_an_identified_patients_own_id_never_becomes_a_subject_id(tmp_path: Path) -> None:
    write(dx_dataset(PatientIdentityRemoved="NO"), tmp_path / "identified.dcm")
    write(dx_dataset(PatientIdentityRemoved="YES"), tmp_path / "pseudonym.dcm")
    write(dx_dataset(ClinicalTrialSubjectID="S-001"), tmp_path / "trial.dcm")
    subjects = {Path(r.path).name: r.subject for r in scan(tmp_path)}
    assert subjects == {"identified.dcm": None, "pseudonym.dcm": "P001", "trial.dcm": "S-001"}


def test_summary(study: Path) -> None:
    summary = ScanSummary.of(scan(study))
    assert summary.files == 4
    assert dict(summary.by_status) == {
        "ok": 1,
        "uncalibrated": 1,
        "not-dicom": 1,
        "truncated": 1,
    }
    assert summary.subjects == {"S-007", "P001"}  # CT_small's Patient ID 1CT1 is not de-identified
    assert summary.line().startswith("4 file(s): not-dicom 1, ok 1, truncated 1, uncalibrated 1")


def test_missing_path_raises_at_once(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError, match=r"no such file or folder"):
        scan(tmp_path / "nowhere")


def test_statuses_of_real_files(tmp_path: Path) -> None:
    assert scan_file(bundled("rtplan.dcm")).status is ScanStatus.NO_PIXEL_DATA
    assert scan_file(bundled("MR_truncated.dcm")).status is ScanStatus.TRUNCATED
    mr = scan_file(bundled("MR_small.dcm"))
    assert (mr.status, mr.orientation, mr.calibration_source) == (ScanStatus.OK, "axial", "patient")
    cr = scan_file(dicomdirtests() / "77654033" / "CR1" / "6154")
    assert (cr.calibration_source, cr.pixel_spacing_mm) == ("detector", (0.1, 0.1))
    film = scan_file(bundled("RG1_UNCR.dcm"))
    assert film.status is ScanStatus.UNCALIBRATED
    huge = dx_dataset()
    huge.Rows = huge.Columns = 65535
    huge.NumberOfFrames = 100
    assert scan_file(write(huge, tmp_path / "huge.dcm")).status is ScanStatus.TOO_LARGE
    assert scan_file(tmp_path).status is ScanStatus.UNREADABLE  # a folder given as a file


def test_dicomdir_is_recorded_not_an_image() -> None:
    record = scan_file(dicomdirtests() / "DICOMDIR")
    assert record.status is ScanStatus.NO_PIXEL_DATA
    assert "DICOMDIR" in record.reason


def test_archives(study: Path, tmp_path: Path) -> None:
    for path in archives_of(study, tmp_path):
        records = list(scan(path))
        statuses = sorted(r.status.value for r in records)
        assert statuses == ["not-dicom", "ok", "truncated", "uncalibrated"], path
        assert all(r.path == str(path) and r.member for r in records)
        (good,) = [r for r in records if r.status is ScanStatus.OK]
        assert good.location.endswith("subject7/flexion.dcm")
        assert good.location.startswith(f"{path}!/")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    (record,) = list(scan(broken))
    assert record.status is ScanStatus.UNREADABLE


def test_scan_command_json(study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(study), "--json"]) == 0
    captured = capsys.readouterr()
    records = json.loads(captured.out)
    by_name = {Path(r["path"]).name: r for r in records}
    assert by_name["flexion.dcm"]["status"] == "ok"
    assert by_name["flexion.dcm"]["pixel_spacing_mm"] == pytest.approx([0.125, 0.125])
    assert by_name["flexion.dcm"]["subject"] == "S-007"
    assert by_name["notes"]["status"] == "not-dicom"
    assert "not a DICOM file" in by_name["notes"]["reason"]
    assert by_name["cut.dcm"]["status"] == "truncated"
    assert "4 file(s)" in captured.err


def test_scan_command_json_lines_and_table(study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(study), "--json-lines"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert {json.loads(line)["status"] for line in lines} == {
        "ok",
        "uncalibrated",
        "not-dicom",
        "truncated",
    }
    assert main(["scan", str(study)]) == 0
    table = capsys.readouterr().out
    assert "subject7/flexion.dcm" in table
    assert "magnification-corrected" in table
    assert "[bone] LAT" in table  # printed as text, not read as rich markup
    assert "4 file(s): not-dicom 1, ok 1, truncated 1, uncalibrated 1" in table


def test_scan_command_missing_path_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(tmp_path / "nowhere")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_scan_of_a_single_file(tmp_path: Path) -> None:
    path = tmp_path / "ct.dcm"
    shutil.copy(bundled("CT_small.dcm"), path)
    (record,) = list(scan(path))
    assert (record.status, record.modality, record.rows) == (ScanStatus.OK, "CT", 128)
