"""``spine-endpoints phantom``: one study from the command line, clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest

from imaging.cli import main


def test_phantom_command_writes_a_study_with_its_ground_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["phantom", "--seed", "5", "--out", str(tmp_path), "--preset", "unstable",
         "--subject", "DLBP-950", "--visit", "month_12", "--time-point-id", "M12",
         "--films", "flexion,extension", "--mr", "", "--transfer-syntax", "rle"]
    )  # fmt: skip
    assert status == 0
    folder = tmp_path / "DLBP-950" / "month_12"
    truth = json.loads((folder / "ground_truth.json").read_text())
    assert [i["file"] for i in truth["images"]] == [
        "DLBP-950/month_12/DX_lateral_flexion.dcm",
        "DLBP-950/month_12/DX_lateral_extension.dcm",
    ]
    assert truth["rom"]["L4-L5"]["translation_rom_mm"] == pytest.approx(4.5, abs=1e-9)
    assert truth["time_point_id"] == "M12" and truth["seed"] == 5
    ds = pydicom.dcmread(folder / "DX_lateral_flexion.dcm")
    assert (
        ds.ClinicalTrialTimePointID == "M12"
        and ds.file_meta.TransferSyntaxUID.name == "RLE Lossless"
    )
    assert "DLBP-950 month_12: 2 images" in capsys.readouterr().out


def test_phantom_command_refuses_a_file_as_output_and_unknown_films(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "taken.txt"
    target.write_text("not a folder")
    assert main(["phantom", "--out", str(target), "--films", "neutral", "--mr", ""]) == 2
    assert "taken.txt: is a file, not a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["phantom", "--out", str(tmp_path), "--films", "lateral"])
    assert stop.value.code == 2
    assert "unknown film(s) lateral" in capsys.readouterr().err
