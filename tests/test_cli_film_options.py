"""Every command that measures a landmark file finds its images and takes a calibration the same
way: --archive DIR (images named by SOPInstanceUID) and --mm-per-pixel MM[,MM]."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pydicom
import pytest

from imaging.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "sample_dicom"


@pytest.mark.parametrize(
    "command", [["heights"], ["rom"], ["agreement"], ["eligibility"], ["landmarks", "import"]]
)
def test_each_command_has_both_options(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--archive DIR folder whose DICOM headers resolve images given as SOPInstanceUIDs" in (
        text
    )
    assert "--mm-per-pixel MM[,MM] calibration for every film" in text
    assert "(square pixels, or row,col)" in text


def test_eligibility_finds_images_named_by_uid_and_takes_a_row_col_spacing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corners = pd.read_csv(SAMPLE / "landmarks.csv", dtype=str, keep_default_na=False)
    corners = corners[(corners["subject"] == "DLBP-001") & (corners["visit"] == "baseline")]
    uids = {
        image: str(pydicom.dcmread(SAMPLE / image, stop_before_pixels=True).SOPInstanceUID)
        for image in set(corners["image"])
    }
    corners.assign(image=corners["image"].map(uids)).to_csv(tmp_path / "uids.csv", index=False)
    grades = pd.read_csv(SAMPLE / "grades.csv", dtype=str, keep_default_na=False)
    grades[grades["subject"] == "DLBP-001"].to_csv(tmp_path / "grades.csv", index=False)
    common = ["eligibility", "--landmarks", str(tmp_path / "uids.csv"), "--grades"]
    common += [str(tmp_path / "grades.csv")]

    by_uid_csv, spacing_csv = tmp_path / "by-uid.csv", tmp_path / "spacing.csv"

    assert main([*common, "--archive", str(SAMPLE / "DLBP-001"), "--out", str(by_uid_csv)]) == 0
    assert main([*common, "--mm-per-pixel", "0.16,0.16", "--out", str(spacing_csv)]) == 0

    by_uid = pd.read_csv(by_uid_csv, keep_default_na=False)
    assert set(by_uid["subject_verdict"]) == {"eligible"}
    assert "height_loss_vs_adjacent_pct 30.00 %" in " ".join(by_uid["values"])
    spacing = pd.read_csv(spacing_csv, keep_default_na=False)
    assert set(spacing["subject_verdict"]) == {"eligible"}
    capsys.readouterr()
