"""A small tidy endpoint table in the batch's output format (for report tests that need no images):
imported by name (``from batch_output import ...``), not from ``conftest``, whose module name
every test folder shares."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from imaging.endpoints import EndpointRow, EndpointTableWriter, complete_rows
from imaging.protocol.loader import load_protocol

VISITS = ("baseline", "month_6", "month_12")
LEVELS = ("L2-L3", "L3-L4", "L4-L5", "L5-S1")
# Disc height (mm) per subject and level at baseline; S001's L4-L5 loses 1 mm per visit.
HEIGHTS = {"S001": (10.0, 11.0, 8.0, 11.5), "S002": (9.5, 10.5, 11.0, 11.0)}


def endpoint_rows() -> list[EndpointRow]:
    """The fixture's reads as the batch would write them, completed by the one pipeline (change
    from baseline, visit days)."""
    rows = []
    for subject, heights in HEIGHTS.items():
        for v, visit in enumerate(VISITS):
            for level, base in zip(LEVELS, heights, strict=True):
                height = base - (v if (subject, level) == ("S001", "L4-L5") else 0)
                rows += [
                    EndpointRow(subject, visit, level, "disc_height_mean", height, "mm",
                                film="neutral", reader="R1"),
                    EndpointRow(subject, visit, level, "angular_rom", 8.0 + v, "deg",
                                film="flexion-extension", reader="R1"),
                    EndpointRow(subject, visit, level, "pfirrmann", 3.0 + (v > 1), "grade",
                                grade=str(3 + (v > 1)), reader="R1"),
                ]  # fmt: skip
            rows.append(
                EndpointRow(subject, visit, "L4-L5", "height_loss_vs_adjacent_pct", 25.0 + 5 * v,
                            "%", film="neutral", reader="R1")
            )  # fmt: skip
            for item, code in (("modic_cranial", "I"), ("modic_caudal", "II")):
                rows.append(
                    EndpointRow(subject, visit, "L4-L5", item, None, "grade", grade=code,
                                reader="R1")
                )  # fmt: skip
    return complete_rows(rows, load_protocol())


def write_batch_output(folder: Path) -> Path:
    """Write endpoints.parquet, failures.csv, eligibility.csv and provenance.json in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with EndpointTableWriter(parquet_path=folder / "endpoints.parquet") as writer:
        writer.add(endpoint_rows())
    pd.DataFrame(
        [
            {
                "file": "S002/month_6/dx_flexion.dcm",
                "subject": "S002",
                "visit": "month_6",
                "reason": "not-dicom: no DICM prefix <b>",
            }
        ]
    ).to_csv(folder / "failures.csv", index=False)
    pd.DataFrame(
        [
            {
                "subject": "S001",
                "visit": "baseline",
                "rule": "pfirrmann_target",
                "role": "inclusion",
                "verdict": "pass",
                "values": "L4-L5 pfirrmann 3",
                "reason": "",
                "subject_verdict": "eligible",
                "subject_reason": "meets every imaging criterion",
                "text": "MRI: the L4-5 disc is Pfirrmann grade 3, 4 or 5",
            },
            {
                "subject": "S002",
                "visit": "baseline",
                "rule": "pfirrmann_target",
                "role": "inclusion",
                "verdict": "fail",
                "values": "L4-L5 pfirrmann 2",
                "reason": "",
                "subject_verdict": "not eligible",
                "subject_reason": "fails pfirrmann_target",
                "text": "MRI: the L4-5 disc is Pfirrmann grade 3, 4 or 5",
            },
        ]
    ).to_csv(folder / "eligibility.csv", index=False)
    provenance = {
        "protocol": {"name": "DLBP trial", "visits": list(VISITS), "target_level": "L4-L5"},
        "started": "2025",
        "finished": "2025",
    }
    (folder / "provenance.json").write_text(json.dumps(provenance))
    return folder
