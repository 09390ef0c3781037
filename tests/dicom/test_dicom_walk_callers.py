"""scan, register, batch, the napari reader and landmark image look-up see the same files and the
same problems in the same folder: they all go through the one walk and the one sniffer."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import napari_spine_endpoints._sniff as plugin_sniff
import pytest
from dicom_helpers import bundled
from napari_spine_endpoints._reader import collect, napari_get_reader
from sqlalchemy import select
from test_dicom_walk import no_hang

import imaging.dicom.sniff as sniff
from imaging.batch.plan import plan_batch, scan_archive
from imaging.cli import main
from imaging.dicom import load_series, scan
from imaging.dicom.walk import candidate_files
from imaging.landmark_files.images import ArchiveIndex, locate_image
from imaging.protocol import load_protocol
from imaging.store.archive_roots import image_path
from imaging.store.schema import Image
from imaging.store.store import ReadStore

STUDY = Path(__file__).resolve().parents[2] / "sample_dicom" / "DLBP-001" / "baseline"
pytestmark = pytest.mark.skipif(not STUDY.is_dir(), reason="sample_dicom/ has not been generated")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], set[str]]:
    """The DLBP-001 baseline study (3 films, 2 MR series) among a FIFO named x.dcm, a link loop,
    a dangling link, documents and hidden files; with its image paths and its problem paths."""
    root = tmp_path_factory.mktemp("walk") / "archive"
    study = root / "DLBP-001" / "baseline"
    shutil.copytree(STUDY, study)
    images = sorted(str(p) for p in study.rglob("*.dcm"))
    os.mkfifo(study / "x.dcm")
    (study / "loop.dcm").symlink_to("loop.dcm")
    (study / "MR_sag_T2" / "IM9999.dcm").symlink_to(root / "deleted.dcm")
    (root / "README.md").write_text("DLBP archive\n")
    shutil.copy(bundled("CT_small.dcm"), root / ".hidden.dcm")
    problems = {str(study / "x.dcm"), str(study / "loop.dcm"), str(study / "MR_sag_T2/IM9999.dcm")}
    return root, images, problems


def test_scan_and_batch(archive: tuple[Path, list[str], set[str]]) -> None:
    root, images, problems = archive
    with no_hang():
        scanned = list(scan(root))
        batch = list(scan_archive(root))
        plan = plan_batch(root, load_protocol())
    for records in (scanned, batch):
        assert sorted(r.path for r in records if r.status.usable) == images
        assert {r.path for r in records if not r.status.usable} == problems
    assert {failure.file for failure in plan.failures} == problems
    assert plan.inputs["files_scanned"] == len(images) + len(problems)


def test_register(archive: tuple[Path, list[str], set[str]], tmp_path: Path,
                  capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    root, images, problems = archive
    url = f"sqlite:///{tmp_path / 'reads.db'}"
    with no_hang():
        assert main(["register", str(root), "--store", url]) == 1  # files were left out
    out = capsys.readouterr().out
    left_out = {line.split(": ")[1] for line in out.splitlines() if line.startswith("left out")}
    assert left_out == problems
    with ReadStore(url) as store, store.reading() as db:
        # stored relative to the archive root, opened from anywhere through it
        assert sorted(image_path(db, image) for image in db.scalars(select(Image))) == images


def test_plugin_reader(archive: tuple[Path, list[str], set[str]]) -> None:
    root, images, problems = archive
    with no_hang():
        assert napari_get_reader(str(root)) is not None
        contents = collect(root)
    series = [str(p) for f in contents.series_folders for s in load_series(f) for p in s.paths]
    assert sorted(map(str, contents.radiographs)) == [p for p in images if "DX_" in p]
    assert sorted(series) == [p for p in images if "MR_" in p]
    assert {problem.path for problem in contents.problems} == problems


def test_landmark_image_resolution(archive: tuple[Path, list[str], set[str]]) -> None:
    root, images, problems = archive
    index = ArchiveIndex(root)
    with no_hang():
        assert sorted(map(str, index.paths())) == images
    assert {problem.path for problem in index.problems} == problems
    film = next(r for r in scan(root / "DLBP-001/baseline/DX_lateral_neutral.dcm"))
    assert film.sop_instance_uid
    found, tried = locate_image(film.sop_instance_uid, root / "landmarks.csv", index)
    assert (str(found), tried) == (film.path, [])


def test_one_sniffer(archive: tuple[Path, list[str], set[str]]) -> None:
    root, images, _ = archive
    for name in ("is_dicom_file", "is_image_file", "folder_has_dicom", "MAX_FILES_TO_SNIFF"):
        assert getattr(plugin_sniff, name) is getattr(sniff, name), name
    assert plugin_sniff.is_ours is sniff.opens_as_dicom
    assert plugin_sniff.candidate_files is candidate_files
    with no_hang():
        assert [str(p) for p in candidate_files(root) if sniff.is_dicom_file(p)] == images
