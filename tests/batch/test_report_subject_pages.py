"""Subject pages: films as thumbnails with the corners measured, or why a film is not shown."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from imaging.errors import LandmarkError
from imaging.report import load
from imaging.report.films import FilmSource, FilmView
from imaging.report.subject_pages import page_name, write_subject_pages

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom"
FILM = "S001/baseline/DX_lateral_neutral.dcm"
CORNER_HEADER = ["subject", "visit", "film", "image", "vertebra", "corner", "row", "col", "reader",
                 "corners"]  # fmt: skip


@pytest.fixture
def with_film(fake_batch_output: Path, tmp_path: Path) -> Path:
    """The fake output with S001's baseline neutral film in an archive, its SHA-256 and its
    corners recorded as the batch records them (the sample DLBP-001 film and corners)."""
    archive = tmp_path / "archive"
    (archive / FILM).parent.mkdir(parents=True)
    shutil.copy(SAMPLE / "DLBP-001/baseline/DX_lateral_neutral.dcm", archive / FILM)
    with (SAMPLE / "landmarks.csv").open(encoding="utf-8") as stream:
        sample = [
            row
            for row in csv.DictReader(stream)
            if (row["subject"], row["visit"], row["film"]) == ("DLBP-001", "baseline", "neutral")
        ]
    with (fake_batch_output / "corners.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CORNER_HEADER)
        for row in sample:
            writer.writerow(["S001", "baseline", "neutral", FILM, row["vertebra"], row["corner"],
                             row["row"], row["col"], "R1", "click"])  # fmt: skip
    provenance_path = fake_batch_output / "provenance.json"
    provenance = json.loads(provenance_path.read_text())
    digest = hashlib.sha256((archive / FILM).read_bytes()).hexdigest()
    provenance["inputs"] = {
        "archive": str(archive),
        "images": [{"path": str(archive / FILM), "size": 1, "sha256": digest}],
    }
    provenance_path.write_text(json.dumps(provenance))
    return fake_batch_output


def subject_page(folder: Path, subject: str = "S001") -> str:
    write_subject_pages(load(folder), folder)
    return (folder / "subjects" / page_name(subject)).read_text(encoding="utf-8")


def only_view(folder: Path) -> FilmView:
    (view,) = FilmSource(load(folder), folder).views("S001")
    return view


def test_a_measured_film_is_a_small_jpeg_thumbnail_with_alt_text(with_film: Path) -> None:
    page = subject_page(with_film)

    (alt,) = re.findall(r'<img alt="([^"]*)" width="171" height="235" src="data:image/jpeg', page)
    assert alt == (
        "neutral film of subject S001 at baseline with the 22 corners read by R1 and their "
        "endplate lines"
    )
    assert "neutral (22 corners; " in page and FILM in page
    encoded = re.search(r'src="data:image/jpeg;base64,([^"]+)"', page)
    assert encoded is not None and len(encoded.group(1)) < 20_000  # a few kB, not the film


def test_a_film_changed_after_the_batch_is_not_drawn_and_the_page_says_why(
    with_film: Path,
) -> None:
    archive = Path(json.loads((with_film / "provenance.json").read_text())["inputs"]["archive"])
    with (archive / FILM).open("ab") as stream:
        stream.write(b"\0")

    view = only_view(with_film)

    assert view.thumbnail is None
    assert view.problem.startswith(
        f"not shown: {archive / FILM} changed since the batch (its SHA-256 differs"
    )


def test_a_film_gone_from_the_archive_is_named_with_the_reason(with_film: Path) -> None:
    archive = Path(json.loads((with_film / "provenance.json").read_text())["inputs"]["archive"])
    (archive / FILM).unlink()

    view = only_view(with_film)

    assert view.thumbnail is None
    assert view.problem == f"not shown: {archive / FILM} cannot be read (No such file or directory)"


def test_an_output_without_corners_says_to_rerun_the_batch(fake_batch_output: Path) -> None:
    page = subject_page(fake_batch_output)

    assert "no corners.csv in this output" in page and "rerun `spine-endpoints batch`" in page


def test_a_damaged_corners_file_is_refused_naming_its_line(with_film: Path) -> None:
    with (with_film / "corners.csv").open("a", encoding="utf-8") as stream:
        stream.write(f"S001,baseline,neutral,{FILM},L2,anterior_superior,abc,10,R1,click\n")

    with pytest.raises(LandmarkError, match=r"corners\.csv.*line 24"):
        FilmSource(load(with_film), with_film)


def test_page_names_keep_apart_ids_that_are_not_file_names() -> None:
    assert page_name("S001") == "S001.html"
    hostile = page_name("../etc/passwd")
    assert "/" not in hostile and hostile.endswith(".html") and not hostile.startswith(".")
    assert page_name("S 001") != page_name("S-001") == "S-001.html"


def test_a_subject_no_longer_in_the_table_loses_its_page(fake_batch_output: Path) -> None:
    stale = fake_batch_output / "subjects" / "S999.html"
    stale.parent.mkdir()
    stale.write_text("old")

    write_subject_pages(load(fake_batch_output), fake_batch_output)

    assert sorted(p.name for p in stale.parent.iterdir()) == ["S001.html", "S002.html"]
