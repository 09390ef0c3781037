"""Fixtures of the batch tests: a small tidy endpoint table in the batch's output format (for report
tests that need no images)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

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


@pytest.fixture
def fake_batch_output(tmp_path: Path) -> Path:
    """A batch output folder written from :func:`endpoint_rows`, with failures and eligibility."""
    return write_batch_output(tmp_path / "out")


REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample archive (``sample_dicom/``), generated once if the tree lacks it."""
    bundled = REPOSITORY / "sample_dicom"
    if (bundled / "landmarks.csv").is_file():
        return bundled
    from imaging.phantom.samples import write_samples

    generated = tmp_path_factory.mktemp("sample_dicom")
    write_samples(generated)
    return generated


@pytest.fixture
def archive_copy(sample_archive: Path, tmp_path: Path) -> Path:
    """A private copy of the sample archive that a test may damage."""
    copy = tmp_path / "archive"
    shutil.copytree(sample_archive, copy)
    return copy


@pytest.fixture(scope="session")
def clean_run(sample_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """One in-process batch over the untouched samples, through the command line (tests only
    read its output, or rewrite the report, which gives the same files)."""
    from imaging.cli import main

    out = tmp_path_factory.mktemp("clean") / "out"
    status = main(["batch", str(sample_archive), "--out", str(out)])
    return out, status
