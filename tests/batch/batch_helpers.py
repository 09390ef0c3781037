"""Helpers of the batch tests: the samples' ground truth, the output tables as dictionaries."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

MOTION = ("segmental_angle", "translation", "translation_pct_depth")
Key = tuple[str, str, str, str, str]


def ground_truth(archive: Path) -> Iterator[tuple[Key, float | str | None]]:
    """((subject, visit, level, measure, film), value) for every value the phantom knows."""
    index = json.loads((archive / "ground_truth.json").read_text(encoding="utf-8"))
    for study in index["studies"]:
        subject, visit = study["subject"], study["visit"]
        for image in study["images"]:
            if image["modality"] != "DX":
                continue
            for level, values in image["levels"].items():
                for name, value in values.items():
                    measure = name.removesuffix("_mm").removesuffix("_deg")
                    if name == "reference_levels":
                        continue
                    if image["film"] != "neutral" and measure not in MOTION:
                        continue
                    yield (subject, visit, level, measure, image["film"]), value
        for level, values in study["rom"].items():
            for name, value in values.items():
                measure = name.removesuffix("_mm").removesuffix("_deg")
                yield (subject, visit, level, measure, "flexion-extension"), value
        for level, grades in study["grades"].items():
            for item, code in grades.items():
                yield (subject, visit, level, item, ""), str(code)


def table_values(out: Path) -> dict[Key, float | str | None]:
    table = pd.read_parquet(out / "endpoints.parquet")
    values: dict[Key, float | str | None] = {}
    for row in table.to_dict("records"):
        key = (row["subject"], row["visit"], row["level"], row["measure"], row["film"])
        assert key not in values, f"duplicate row {key}"
        value = float(row["value"])
        values[key] = str(row["grade"]) or (None if math.isnan(value) else value)
    return values


def assert_matches(expected: float | str | None, found: float | str | None, key: Key) -> None:
    if isinstance(expected, str) or expected is None:
        assert found == expected, key
    else:
        assert isinstance(found, float), key
        assert found == pytest.approx(expected, abs=1e-6), key


def failures(out: Path) -> set[tuple[str, str, str, str]]:
    table = pd.read_csv(out / "failures.csv", dtype=str, keep_default_na=False)
    return {
        (str(r["file"]), str(r["subject"]), str(r["visit"]), str(r["reason"]).split(":")[0])
        for r in table.to_dict("records")
    }


def keep_subject(archive: Path, subject: str) -> Path:
    """Reduce an archive copy to one subject's folders and reads (quicker batches)."""
    for folder in archive.iterdir():
        if folder.is_dir() and folder.name != subject:
            shutil.rmtree(folder)
    for name in ("landmarks.csv", "grades.csv"):
        table = pd.read_csv(archive / name, dtype=str, keep_default_na=False)
        table[table["subject"] == subject].to_csv(archive / name, index=False)
    return archive
