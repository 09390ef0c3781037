"""``spine-endpoints read-summary``: one read as a printable page, from the store."""

from __future__ import annotations

import csv
import io
import re
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from imaging.cli import main
from imaging.measures import MEASURES

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
CASE = ("DLBP-001", "baseline")


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        status = main(list(argv))
    return status, out.getvalue()


def _only_case(source: Path, target: Path) -> Path:
    """The rows of DLBP-001 at baseline of a sample CSV (the archive holds that study only)."""
    with source.open(newline="") as stream:
        rows = [r for r in csv.DictReader(stream) if (r["subject"], r["visit"]) == CASE]
    with target.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A store with the ground-truth read of DLBP-001 at baseline (three films, grades)."""
    if not (SAMPLES / "landmarks.csv").is_file():
        pytest.skip("sample_dicom/ is not generated")
    work = tmp_path_factory.mktemp("summary")
    archive = work / "archive"
    shutil.copytree(SAMPLES / "DLBP-001" / "baseline", archive / "DLBP-001" / "baseline")
    landmarks = _only_case(SAMPLES / "landmarks.csv", archive / "landmarks.csv")
    grades = _only_case(SAMPLES / "grades.csv", archive / "grades.csv")
    url = f"sqlite:///{work / 'reads.db'}"
    for argv in (
        ("register", str(archive), "--store", url, "--actor", "test"),
        ("grades", "import", str(grades), "--store", url, "--actor", "test"),
        ("landmarks", "import", str(landmarks), "--store", url, "--actor", "test"),
        ("export", "--store", url, "--out", str(work / "export.csv")),
    ):
        status, text = _cli(*argv)
        assert status == 0, text
    return url, work


def test_the_summary_shows_the_films_the_stored_measures_grades_and_version(
    stored: tuple[str, Path],
) -> None:
    url, work = stored
    out = work / "summary.html"
    status, text = _cli("read-summary", *CASE, "--reader", "ground-truth", "--store", url,
                        "--out", str(out))  # fmt: skip
    assert status == 0, text
    page = out.read_text()
    with (work / "export.csv").open(newline="") as stream:
        exported = {
            (r["level"], r["measure"], r["film"]): r["value"] for r in csv.DictReader(stream)
        }
    # the exported value, as the registry rounds it, is in the page's neutral table
    height = exported[("L4-L5", "disc_height_mean", "neutral")]
    shown = MEASURES["disc_height_mean"].format(float(height))
    neutral = page[page.index("<h3>neutral") : page.index("<h3>flexion")]
    levels = re.findall(r"<th>([^<]*)</th>", neutral)[1:]
    assert levels[:4] == ["L1", "L1-L2", "L2", "L2-L3"]  # bodies and discs, in anatomical order
    heading = re.escape(MEASURES["disc_height_mean"].heading)
    row = re.search(rf"<tr><td>{heading}</td>(.*?)</tr>", neutral)
    assert row is not None
    assert re.findall(r">([^<]*)</td>", row.group(1))[levels.index("L4-L5")] == shown
    assert page.count('src="data:image/jpeg;base64,') == 3  # one thumbnail per film
    assert "<script" not in page and "@media print" in page  # self-contained, printable
    assert "<td><b>Version</b></td><td>2</td>" in page  # grades (1), then corners (2)
    assert "<td><b>Reader</b></td><td>ground-truth</td>" in page
    assert re.search(r"read completed by [^<]*, version 2, SHA-256 [0-9a-f]{64}<", page)
    assert "<td>L4-L5</td><td>pfirrmann</td>" in page


def test_a_read_the_store_does_not_have_is_refused_naming_the_versions_it_has(
    stored: tuple[str, Path],
) -> None:
    url, work = stored
    status, text = _cli("read-summary", *CASE, "--reader", "ground-truth", "--version", "7",
                        "--store", url, "--out", str(work / "x.html"))  # fmt: skip
    assert status == 2
    assert "reader ground-truth has no read version 7 of DLBP-001 baseline (versions: 1, 2)" in text
    assert not (work / "x.html").exists()
