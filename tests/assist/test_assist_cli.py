"""``spine-endpoints refine`` on a sample film: a table the measuring commands can read."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pydicom
import pytest

from imaging.cli import main
from imaging.landmark_files import load_landmarks

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"


@pytest.fixture(scope="module")
def clicks(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[tuple[str, str], tuple[float, float]]]:
    """The neutral film of DLBP-001 at baseline, every true corner moved by 2-5 pixels."""
    folder = tmp_path_factory.mktemp("refine")
    with (SAMPLES / "landmarks.csv").open(newline="", encoding="utf-8") as handle:
        rows = [
            r for r in csv.DictReader(handle)
            if (r["subject"], r["visit"], r["film"]) == ("DLBP-001", "baseline", "neutral")
        ]  # fmt: skip
    truth = {(r["vertebra"], r["corner"]): (float(r["row"]), float(r["col"])) for r in rows}
    for i, row in enumerate(rows):
        angle = 2.4 * i
        row["row"] = repr(float(row["row"]) + 4.0 * math.cos(angle))
        row["col"] = repr(float(row["col"]) + 4.0 * math.sin(angle))
        row["image"] = str(SAMPLES / row["image"])
        row["reader"] = "R1"
    path = folder / "clicks.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path, truth


def test_refine_writes_used_positions_with_the_click_and_confidence(
    clicks: tuple[Path, dict[tuple[str, str], tuple[float, float]]], tmp_path: Path
) -> None:
    path, truth = clicks
    out = tmp_path / "refined.csv"
    assert main(["refine", str(path), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns[:9]) == [
        "subject", "visit", "film", "image", "vertebra", "corner", "row", "col", "reader",
    ]  # fmt: skip
    assert len(table) == 22
    assert set(table["status"]) == {"refined"} and set(table["used"]) == {"refined"}
    spacing = load_landmarks(out)[0].calibration.pixel_spacing
    assert spacing is not None
    for record in table.to_dict("records"):
        row, col = float(record["row"]), float(record["col"])
        true_row, true_col = truth[(str(record["vertebra"]), str(record["corner"]))]
        error = math.hypot((row - true_row) * spacing[0], (col - true_col) * spacing[1])
        assert error < 0.5
        assert (float(record["clicked_row"]), float(record["clicked_col"])) != (row, col)
        assert 0.5 <= float(record["confidence"]) <= 1.0
        assert float(record["moved_mm"]) <= 4.0


def test_a_small_radius_keeps_the_clicks_and_says_so(
    clicks: tuple[Path, dict[tuple[str, str], tuple[float, float]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, _ = clicks
    assert main(["refine", str(path), "--search-radius", "0.5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 23
    assert all(",click," in line and "beyond_radius" in line for line in lines[1:])


def test_a_missing_image_is_a_clear_error(
    clicks: tuple[Path, dict[tuple[str, str], tuple[float, float]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, _ = clicks
    text = path.read_text(encoding="utf-8").replace(str(SAMPLES), str(tmp_path))
    moved = tmp_path / "elsewhere.csv"
    moved.write_text(text, encoding="utf-8")
    assert main(["refine", str(moved)]) == 2
    assert "not found" in capsys.readouterr().err


def test_uncalibrated_films_need_a_radius_in_pixels(
    clicks: tuple[Path, dict[tuple[str, str], tuple[float, float]]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, _ = clicks
    dataset = pydicom.dcmread(SAMPLES / "DLBP-001" / "baseline" / "DX_lateral_neutral.dcm")
    for keyword in (
        "ImagerPixelSpacing",
        "EstimatedRadiographicMagnificationFactor",
        "PixelSpacing",
    ):
        if keyword in dataset:
            delattr(dataset, keyword)
    image = tmp_path / "uncalibrated.dcm"
    dataset.save_as(image)
    text = path.read_text(encoding="utf-8")
    original = str(SAMPLES / "DLBP-001" / "baseline" / "DX_lateral_neutral.dcm")
    landmarks = tmp_path / "uncalibrated.csv"
    landmarks.write_text(text.replace(original, str(image)), encoding="utf-8")
    assert main(["refine", str(landmarks)]) == 2
    error = capsys.readouterr().err
    assert "uncalibrated film" in error and "--search-radius-px" in error
    out = tmp_path / "refined.csv"
    assert main(["refine", str(landmarks), "--search-radius-px", "12", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert set(table["used"]) == {"refined"}
    assert table["moved_mm"].isna().all()
