"""De-identification fixtures: a secret file and a de-identified sample subset."""

from __future__ import annotations

from pathlib import Path

import pytest
from deid_samples import SECRET, SUBJECTS, read_report, sample_subset, write_map

from imaging.cli import main


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "deid.key"
    path.parent.mkdir()
    path.write_text(SECRET + "\n")
    return path


@pytest.fixture(scope="module")
def deidentified(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, list[dict[str, str]]]:
    """(IN, OUT, report rows) of one ``spine-endpoints deidentify`` run over the subset."""
    root = tmp_path_factory.mktemp("deid")
    source = sample_subset(root / "in")
    (root / "deid.key").write_text(SECRET)
    status = main(
        ["deidentify", str(source), str(root / "out"), "--secret-file", str(root / "deid.key"),
         "--subject-map", str(write_map(root / "map.csv", SUBJECTS))]
    )  # fmt: skip
    assert status == 0
    return source, root / "out", read_report(root / "out.report.csv")
