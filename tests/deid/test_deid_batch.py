"""One truth: the de-identified samples give the batch the same endpoints; only ids differ."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from deid_samples import SUBJECTS, Deidentified

from imaging.cli import main


def _rewrite(source: Path, target: Path, paths: dict[str, str]) -> None:
    """The landmarks and grades with the subject ids (and image paths) of the output."""
    for name in ("landmarks.csv", "grades.csv"):
        table = pd.read_csv(source / name, dtype=str, keep_default_na=False)
        table["subject"] = table["subject"].map(SUBJECTS)
        if "image" in table:
            table["image"] = table["image"].map(paths)
        table.to_csv(target / name, index=False)


def test_the_deidentified_subset_gives_the_same_endpoints(
    deidentified: Deidentified, tmp_path: Path
) -> None:
    source, out, rows = deidentified
    paths = {str(Path(row["in"]).relative_to(source)): str(out / row["out"]) for row in rows}
    reads = tmp_path / "reads"
    reads.mkdir()
    _rewrite(source, reads, paths)
    flags = ["--landmarks", str(reads / "landmarks.csv"), "--grades", str(reads / "grades.csv")]
    assert main(["batch", str(source), "--out", str(tmp_path / "a")]) == 0
    assert main(["batch", str(out), "--out", str(tmp_path / "b"), *flags]) == 0
    before = pd.read_csv(tmp_path / "a" / "endpoints.csv", dtype=str, keep_default_na=False)
    after = pd.read_csv(tmp_path / "b" / "endpoints.csv", dtype=str, keep_default_na=False)
    assert len(before) > 100
    before["subject"] = before["subject"].map(SUBJECTS)
    differing = [c for c in before.columns if not before[c].equals(after[c])]
    assert differing == ["source_image"]  # the ids were mapped above; every value is the same
    assert (
        before["source_image"]
        .map(lambda p: Path(p).name if p else "")
        .equals(after["source_image"].map(lambda p: Path(p).name if p else ""))
    )
