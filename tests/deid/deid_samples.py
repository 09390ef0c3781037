"""The de-identification tests' secret, subject map and sample subset: imported by name
(``from deid_samples import ...``), not from ``conftest``, whose module name every test folder
shares."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SECRET = "core-lab-secret-0123456789abcdef"
SUBJECTS = {"DLBP-001": "SUBJ-A", "DLBP-002": "SUBJ-B"}
Deidentified = tuple[Path, Path, list[dict[str, str]]]
"""(IN, OUT, report rows) of a run."""


def write_map(path: Path, rows: dict[str, str], site: str = "07") -> Path:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["patient_id", "subject_id", "site_id"])
        writer.writerows([patient, subject, site] for patient, subject in rows.items())
    return path


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as stream:
        return list(csv.DictReader(stream))


def sample_subset(target: Path) -> Path:
    """The sample archive's radiographs of DLBP-001 and DLBP-002 (three visits each), with their
    landmarks and grades: the batch's input, small enough to run twice in a test."""
    source = REPOSITORY / "sample_dicom"
    for film in sorted(source.glob("DLBP-00[12]/*/DX_*.dcm")):
        copy = target / film.relative_to(source)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(film, copy)
    for name in ("landmarks.csv", "grades.csv"):
        lines = (source / name).read_text().splitlines(keepends=True)
        kept = [line for line in lines[1:] if line.split(",")[0] in SUBJECTS]
        (target / name).write_text(lines[0] + "".join(kept))
    return target
