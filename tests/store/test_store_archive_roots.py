"""Image paths are kept relative to an archive root recorded in the store: a case registered from
one folder opens from any other, and after the archive moves, ``archive-roots move`` makes it
open again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from old_stores import old_store_with_an_image
from sqlalchemy import select

from imaging.cli import main
from imaging.dicom import load_radiograph
from imaging.store.audit import audit_entries
from imaging.store.schema import ArchiveRoot, Image
from imaging.store.store import ReadStore
from imaging.store.worklist import images_for_reading, worklist

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
STUDY = SAMPLES / "DLBP-001" / "baseline"
pytestmark = pytest.mark.skipif(not STUDY.is_dir(), reason="sample_dicom/ has not been generated")


def _films(archive: Path) -> None:
    """DLBP-001's three baseline films under ``archive/DLBP-001/baseline``."""
    target = archive / "DLBP-001" / "baseline"
    target.mkdir(parents=True)
    for film in STUDY.glob("DX_*.dcm"):
        shutil.copy(film, target / film.name)


def _opened(url: str) -> list[str]:
    """The films of the reader's first worklist case, as the workstation opens them."""
    with ReadStore(url) as store, store.reading() as db:
        (item,) = worklist(db, "R1")
        return [path for _, path, _ in images_for_reading(db, item.reading_id)]


def test_a_case_registered_from_one_folder_opens_from_another_and_after_a_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'reads.db'}"
    _films(tmp_path / "site" / "archive")
    (tmp_path / "site" / "work").mkdir()
    monkeypatch.chdir(tmp_path / "site" / "work")
    assert main(["register", "../archive", "--store", url]) == 0
    with ReadStore(url) as store, store.reading() as db:
        assert list(db.scalars(select(ArchiveRoot.path))) == [str(tmp_path / "site" / "archive")]
        assert "DLBP-001/baseline/DX_lateral_neutral.dcm" in set(db.scalars(select(Image.path)))

    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    paths = _opened(url)
    assert len(paths) == 3 and all(Path(p).is_absolute() for p in paths)
    assert {str(load_radiograph(p).film) for p in paths} == {"neutral", "flexion", "extension"}

    shutil.move(tmp_path / "site" / "archive", tmp_path / "nas")
    assert not any(Path(p).is_file() for p in _opened(url))
    capsys.readouterr()
    assert main(["archive-roots", "--store", url]) == 1
    assert f"{tmp_path / 'site' / 'archive'}: 3 image(s), 3 missing" in capsys.readouterr().out

    old = str(tmp_path / "site" / "archive")
    status = main(["archive-roots", "move", old, "../nas", "--store", url,
                   "--actor", "it", "--reason", "archive moved to the NAS"])  # fmt: skip
    assert status == 0
    assert f"archive root now {tmp_path / 'nas'}: 3 image(s), 0 missing" in capsys.readouterr().out
    assert {str(load_radiograph(p).film) for p in _opened(url)} == {
        "neutral", "flexion", "extension",
    }  # fmt: skip
    with ReadStore(url) as store, store.reading() as db:
        (moved,) = [e for e in audit_entries(db) if e.entity == "archive_root" and e.old_value]
    assert (moved.actor, moved.old_value, moved.new_value, moved.reason) == (
        "it",
        old,
        str(tmp_path / "nas"),
        "archive moved to the NAS",
    )


def test_the_archive_root_option_keeps_paths_under_it_and_refuses_a_path_outside(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "archive"
    _films(archive)
    assert main(["register", str(archive / "DLBP-001"), "--archive-root", str(archive),
                 "--store", store_url]) == 0  # fmt: skip
    with ReadStore(store_url) as store, store.reading() as db:
        assert list(db.scalars(select(ArchiveRoot.path))) == [str(archive)]
        assert (
            sorted(db.scalars(select(Image.path)))[0]
            == "DLBP-001/baseline/DX_lateral_extension.dcm"
        )

    elsewhere = tmp_path / "other"
    _films(elsewhere)
    status = main(["register", str(elsewhere), "--archive-root", str(archive),
                   "--store", store_url])  # fmt: skip
    assert status == 2
    assert f"{elsewhere}: the path is not inside the archive root {archive}" in (
        capsys.readouterr().err
    )


def test_images_of_a_store_older_than_archive_roots_open_as_they_were_stored(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old_store_with_an_image(store_url, "0005", "/archive/S1/IM1.dcm")
    assert _opened(store_url) == ["/archive/S1/IM1.dcm"]
    assert main(["archive-roots", "--store", store_url]) == 1
    assert "(registered before archive roots: paths as stored): 1 image(s), 1 missing" in (
        capsys.readouterr().out
    )
