"""On the committed sample studies, with their ground-truth corners, every measure is the truth.

The ground truth (``sample_dicom/**/ground_truth.json``) is computed by the phantom generator
independently of ``imaging.geometry``; the corners come from ``sample_dicom/landmarks.csv`` and
the calibrations from the films' headers, as a user would run it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from imaging.cli._files import rows_from_files
from imaging.endpoints import PAIR_FILM, endpoint_table
from imaging.measures import MEASURES, MOTION_MEASURES, MeasureKind
from imaging.protocol.loader import load_protocol

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
TOLERANCE = 1e-6  # mm, degrees, % and ratios alike
LEVEL_MEASURES = {
    "disc_height_anterior_mm": "disc_height_anterior",
    "disc_height_posterior_mm": "disc_height_posterior",
    "disc_height_mean_mm": "disc_height_mean",
    "disc_height_middle_mm": "disc_height_middle",
    "disc_height_index": "disc_height_index",
    "segmental_angle_deg": "segmental_angle",
    "translation_mm": "translation",
    "translation_pct_depth": "translation_pct_depth",
    "height_loss_vs_adjacent_pct": "height_loss_vs_adjacent_pct",
}
VERTEBRA_MEASURES = {
    "anterior_height_mm": "anterior_height",
    "posterior_height_mm": "posterior_height",
}
ROM_MEASURES = {
    "angular_rom_deg": "angular_rom",
    "translation_rom_mm": "translation_rom",
    "translation_rom_pct_depth": "translation_rom_pct_depth",
}


def _studies(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*/*/ground_truth.json"))]


def _tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(single-film rows, flexion/extension pair rows), as `heights` and `rom` compute them."""
    rows = rows_from_files(load_protocol(), folder / "landmarks.csv", folder / "grades.csv")
    table = endpoint_table(row for row in rows if row.measure in MEASURES)  # no grade rows
    pair = table["measure"].map(lambda m: MEASURES[m].kind is MeasureKind.PAIR)
    return table[~pair], table[pair]


def _lookup(table: pd.DataFrame) -> dict[tuple[str, ...], pd.Series]:
    keys = zip(
        table["subject"],
        table["visit"],
        table["film"],
        table["level"],
        table["measure"],
        strict=True,
    )
    return {key: row for key, (_, row) in zip(keys, table.iterrows(), strict=True)}


def _value(row: pd.Series) -> float | None:
    return None if pd.isna(row["value"]) else float(row["value"])


def _check(row: pd.Series, expected: float | None, what: str) -> None:
    if expected is None:
        assert pd.isna(row["value"]) and row["note"], (
            f"{what}: expected no value, got {row['value']}"
        )
    else:
        assert not pd.isna(row["value"]), f"{what}: no value ({row['note']})"
        assert math.isclose(float(row["value"]), expected, rel_tol=0, abs_tol=TOLERANCE), (
            f"{what}: {row['value']} != {expected}"
        )


def check_samples_against_ground_truth(folder: Path) -> int:
    """Compare every measure with the truth; returns how many values were compared."""
    heights, rom = _tables(folder)
    height_rows, rom_rows = _lookup(heights), _lookup(rom)
    compared = 0
    for study in _studies(folder):
        subject, visit = study["subject"], study["visit"]
        for image in study["images"]:
            if image["modality"] != "DX":
                continue
            film = image["film"]
            for level, values in image["levels"].items():
                for key, measure in LEVEL_MEASURES.items():
                    if film != "neutral" and measure not in MOTION_MEASURES:
                        # heights and loss come from the neutral (standing lateral) film only
                        assert (subject, visit, film, level, measure) not in height_rows
                        continue
                    row = height_rows[(subject, visit, film, level, measure)]
                    _check(row, values[key], f"{subject} {visit} {film} {level} {measure}")
                    assert row["calibration"] == image["calibration"]["source"]
                    compared += 1
                if film == "neutral":
                    loss = height_rows[(subject, visit, film, level, "height_loss_vs_adjacent_pct")]
                    assert loss["reference_levels"] == ";".join(values["reference_levels"])
            for vertebra, values in image["vertebrae"].items() if film == "neutral" else ():
                for key, measure in VERTEBRA_MEASURES.items():
                    row = height_rows[(subject, visit, film, vertebra, measure)]
                    _check(row, values[key], f"{subject} {visit} {film} {vertebra} {measure}")
                    compared += 1
        for level, values in study["rom"].items():
            for key, measure in ROM_MEASURES.items():
                row = rom_rows[(subject, visit, PAIR_FILM, level, measure)]
                _check(row, values[key], f"{subject} {visit} {level} {measure}")
                compared += 1
        expected = study["expected"]
        unstable = {
            level
            for level in study["rom"]
            if _value(rom_rows[(subject, visit, PAIR_FILM, level, "unstable")]) == 1
        }
        assert unstable == set(expected["unstable_levels"]), f"{subject} {visit}"
        for level in expected["instability_not_evaluable_levels"]:
            assert pd.isna(rom_rows[(subject, visit, PAIR_FILM, level, "unstable")]["value"])
        target = expected["target_level"]
        flag = height_rows[(subject, visit, "neutral", target, "height_loss_flag")]["value"]
        assert flag == (1 if expected["meets_height_loss_criterion"] else 0), f"{subject} {visit}"
    return compared


@pytest.fixture
def samples() -> Path:
    if not (SAMPLES / "ground_truth.json").is_file() or not (SAMPLES / "landmarks.csv").is_file():
        pytest.skip("sample_dicom/ has no ground truth yet (run `spine-endpoints phantom`)")
    return SAMPLES


def test_every_measure_equals_the_ground_truth(samples: Path) -> None:
    assert check_samples_against_ground_truth(samples) > 500


def test_trial_criteria_on_the_samples(samples: Path) -> None:
    heights, rom = _tables(samples)
    loss = heights[
        (heights["subject"] == "DLBP-001")
        & (heights["film"] == "neutral")
        & (heights["level"] == "L4-L5")
        & (heights["measure"] == "height_loss_flag")
    ]
    assert len(loss) >= 1 and (loss["value"] == 1).all()  # >= 20% loss at every visit
    assert set(loss["reference_levels"]) == {"L3-L4;L5-S1"}
    unstable = rom[(rom["measure"] == "unstable") & (rom["value"] == 1)]
    assert set(unstable["subject"]) == {"DLBP-002"}
    assert set(unstable["level"]) == {"L4-L5"}
