"""``spine-endpoints heights`` and ``rom`` on small landmark files with tiny DX films."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from geometry_files import landmark_rows, write_csv, write_dx
from geometry_spines import Corners, spine_corners

from imaging.cli import main
from imaging.endpoints import COLUMNS

HEIGHTS = [10.0, 11.0, 12.0, 8.0, 13.0]  # posterior disc heights in pixels, L1-L2 .. L5-S1
SPACING = 0.2 / 1.25  # Imager Pixel Spacing / Estimated Radiographic Magnification Factor


def _spine(angle: list[float], translation: list[float] | float = 0.0) -> Corners:
    """A rectangle spine that fits in the 400 x 200 pixel test films."""
    return spine_corners(
        posterior_height=HEIGHTS, angle=angle, translation=translation, offset=(30.0, 120.0)
    )


def _study(tmp_path: Path, *, calibrated: bool = True) -> Path:
    """Neutral, flexion and extension films of one visit, with their landmark file."""
    spacing = (0.2, 0.2) if calibrated else None
    magnification = 1.25 if calibrated else None
    rows = []
    films = {
        "neutral": _spine([3, 5, 7, 9, 14]),
        "flexion": _spine([1, 2, 3, -2, 5], [0, 0, 0, 1.5, 0]),
        "extension": _spine([10, 12, 14, 16, 20], [0, 0, 0, -2.0, 0]),
    }
    for film, corners in films.items():
        image = f"DLBP-001/baseline/{film}.dcm"
        write_dx(tmp_path / image, imager_pixel_spacing=spacing, magnification=magnification)
        rows += landmark_rows(corners, "DLBP-001", "baseline", film, image)
    return write_csv(tmp_path / "landmarks.csv", rows)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> pd.DataFrame:
    assert main(list(argv)) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False)


def _value(table: pd.DataFrame, level: str, measure: str, film: str = "neutral") -> pd.Series:
    row = table[(table["level"] == level) & (table["measure"] == measure) & (table["film"] == film)]
    assert len(row) == 1, (level, measure, film)
    return row.iloc[0]


def _grades(tmp_path: Path, pfirrmann: dict[str, str]) -> Path:
    """A grade form with the Pfirrmann grade of each level (the normal reference discs)."""
    rows = [("DLBP-001", "baseline", level, "R1", code) for level, code in pfirrmann.items()]
    header = ("subject", "visit", "level", "reader", "pfirrmann")
    return write_csv(tmp_path / "grades.csv", rows, header)


NORMAL = {"L1-L2": "1", "L2-L3": "2", "L3-L4": "2", "L4-L5": "4", "L5-S1": "2"}


def test_heights_from_calibrated_films(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grades = _grades(tmp_path, NORMAL)
    table = _run(capsys, "heights", str(_study(tmp_path)), "--grades", str(grades))
    assert tuple(table.columns) == COLUMNS  # the one endpoint table (docs/endpoint-table.md)
    posterior = _value(table, "L4-L5", "disc_height_posterior")
    assert float(posterior["value"]) == pytest.approx(8.0 * SPACING, abs=0.005)  # CSV: 2 decimals
    assert (posterior["unit"], posterior["calibration"]) == ("mm", "magnification-corrected")
    assert posterior["source_image"] == "DLBP-001/baseline/neutral.dcm"
    assert float(_value(table, "L4-L5", "segmental_angle")["value"]) == pytest.approx(9.0)
    loss = _value(table, "L3-L4", "height_loss_vs_adjacent_pct")
    assert loss["reference_levels"] == "L2-L3;L5-S1"  # L4-L5 (Pfirrmann 4) is no reference
    assert loss["note"] == "not references: L4-L5 (pfirrmann 4, normal is 1, 2)"
    assert not (table["unit"] == "grade").any()  # heights writes measures, not the grades
    assert float(_value(table, "L4", "anterior_height")["value"]) == pytest.approx(28 * SPACING)
    assert set(table["film"]) == {"neutral", "flexion", "extension"}


def test_without_grades_no_disc_is_known_normal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = _run(capsys, "heights", str(_study(tmp_path)))
    loss = _value(table, "L4-L5", "height_loss_vs_adjacent_pct")
    assert loss["value"] == "" and loss["reference_levels"] == ""
    assert "no normal reference disc measured" in loss["note"]
    assert "L3-L4 (pfirrmann not graded)" in loss["note"]


def test_heights_on_an_uncalibrated_film_give_no_mm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = _run(capsys, "heights", str(_study(tmp_path, calibrated=False)))
    mean = _value(table, "L4-L5", "disc_height_mean")
    assert mean["value"] == "" and mean["calibration"] == "none"
    assert "uncalibrated image" in mean["note"] and "--mm-per-pixel" in mean["note"]
    assert (table[table["unit"] == "mm"]["value"] == "").all()
    assert float(_value(table, "L4-L5", "segmental_angle")["value"]) == pytest.approx(9.0)
    assert _value(table, "L4-L5", "disc_height_index")["value"] != ""


def test_heights_with_user_calibration_and_reference_levels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _study(tmp_path)
    for image in tmp_path.rglob("*.dcm"):
        image.unlink()  # --mm-per-pixel needs no images
    grades = _grades(tmp_path, NORMAL)
    options = ("--mm-per-pixel", "0.1", "--reference-levels", "L4-5=L2-3")
    table = _run(capsys, "heights", str(path), *options, "--grades", str(grades))
    posterior = _value(table, "L4-L5", "disc_height_posterior")
    assert float(posterior["value"]) == pytest.approx(0.8)
    assert posterior["calibration"] == "calibrated"
    loss = _value(table, "L4-L5", "height_loss_vs_adjacent_pct")
    assert loss["reference_levels"] == "L2-L3"
    # A named reference disc nobody graded normal is no reference: the loss is empty, with why.
    ungraded = _value(
        _run(capsys, "heights", str(path), *options), "L4-L5", "height_loss_vs_adjacent_pct"
    )
    assert ungraded["value"] == "" and ungraded["reference_levels"] == ""
    assert "L2-L3 (pfirrmann not graded)" in ungraded["note"]


def test_heights_to_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "heights.parquet"
    grades = _grades(tmp_path, NORMAL)
    assert main(["heights", str(_study(tmp_path)), "--grades", str(grades), "--out", str(out)]) == 0
    assert f"rows written to {out}" in capsys.readouterr().out
    table = pd.read_parquet(out)
    assert _value(table, "L4-L5", "height_loss_flag")["value"] == 1.0


def test_rom_with_presets_and_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _study(tmp_path)
    table = _run(capsys, "rom", str(path))
    rom = _value(table, "L4-L5", "angular_rom", "flexion-extension")
    assert float(rom["value"]) == pytest.approx(18.0)
    translation = _value(table, "L4-L5", "translation_rom", "flexion-extension")
    assert float(translation["value"]) == pytest.approx(3.5 * SPACING)
    unstable = _value(table, "L4-L5", "unstable", "flexion-extension")
    assert float(unstable["value"]) == 1.0 and "angular ROM 18.00 deg > 15" in unstable["note"]
    assert float(_value(table, "L2-L3", "unstable", "flexion-extension")["value"]) == 0.0
    assert float(_value(table, "L4-L5", "segmental_angle", "flexion")["value"]) == pytest.approx(
        -2.0
    )
    assert "neutral" not in set(table["film"])

    relaxed = _run(capsys, "rom", str(path), "--max-angle", "20", "--rom-only")
    assert float(_value(relaxed, "L4-L5", "unstable", "flexion-extension")["value"]) == 0.0
    assert set(relaxed["film"]) == {"flexion-extension"}
    strict = _run(capsys, "rom", str(path), "--preset", "us-device-ide")
    assert (
        float(_value(strict, "L2-L3", "unstable", "flexion-extension")["value"]) == 1.0
    )  # 10 >= 5 deg


def test_missing_image_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _study(tmp_path)
    (tmp_path / "DLBP-001" / "baseline" / "flexion.dcm").unlink()
    assert main(["rom", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"spine-endpoints rom: error: {path}: line 24: image ")
    assert "film flexion, reader R1 not found" in error


def test_a_film_refused_after_others_were_measured_leaves_no_partial_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows stream out subject by subject; a later subject's missing image still means no
    table at all, on standard output or in --out."""
    path = _study(tmp_path)
    later = landmark_rows(_spine([3, 5, 7, 9, 14]), "DLBP-002", "baseline", "neutral", "gone.dcm")
    first = list(pd.read_csv(path, dtype=str).itertuples(index=False))
    write_csv(path, [*first, *later])
    out = tmp_path / "heights.csv"

    assert main(["heights", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = len(first) + 2  # after the header and the first subject's rows
    assert f"{path}: line {line}: image 'gone.dcm' of subject DLBP-002" in captured.err
    assert main(["heights", str(path), "--out", str(out)]) == 2
    assert not out.exists() and list(tmp_path.glob("*.tmp")) == []


def test_bad_options_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(_study(tmp_path))
    for argv in (
        ["heights", path, "--reference-levels", "L4-L5"],
        ["heights", path, "--exclude-levels", "L9-L10"],
        ["heights", path, "--mm-per-pixel", "0"],
        ["rom", path, "--preset", "nonsense"],
        ["rom", path, "--max-translation", "-1"],
    ):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    assert "expected LEVEL=REF[,REF]" in capsys.readouterr().err
    assert main(["heights", path, "--reference-levels", "L4-L5=L4-L5"]) == 2
    assert "cannot be its own reference level" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["heights", "rom"])
def test_help_lists_the_options(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "--mm-per-pixel" in text and "--archive" in text
    if command == "rom":
        assert "> 15% of" in text and "white-panjabi" in text
