"""The one walk: name order, the skip list, archives, and every problem a record, never a hang."""

from __future__ import annotations

import os
import shutil
import signal
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dicom_helpers import archives_of, bundled

from imaging.dicom import ScanStatus, read_header, scan, scan_file
from imaging.dicom.sniff import is_dicom_file
from imaging.dicom.walk import Found, Problem, candidate_files, skipped, walk
from imaging.errors import FileAccessError, ImageTooLargeError


@contextmanager
def no_hang(seconds: int = 5) -> Iterator[None]:
    """Fail instead of hanging (opening a FIFO for reading waits for a writer)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: a FIFO was opened?")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def found(items: list[Found | Problem]) -> list[str]:
    return [item.location for item in items if isinstance(item, Found)]


def problems(items: list[Found | Problem]) -> dict[str, Problem]:
    return {Path(item.path).name: item for item in items if isinstance(item, Problem)}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Real files in nested folders, with documents, hidden and system files around them."""
    root = tmp_path / "archive"
    (root / "b_site" / "MR").mkdir(parents=True)
    (root / "a_site").mkdir()
    shutil.copy(bundled("CT_small.dcm"), root / "a_site" / "IM0001")  # no suffix: a candidate
    shutil.copy(bundled("MR_small.dcm"), root / "b_site" / "MR" / "1.dcm")
    shutil.copy(bundled("RG1_UNCR.dcm"), root / "b_site" / "film.dcm")
    for name in ("README.md", "landmarks.csv", "grades.CSV", "report.pdf", "Thumbs.db"):
        (root / name).write_text("not an image\n")
    (root / ".DS_Store").write_bytes(b"\0" * 64)
    (root / "__MACOSX" / "b_site").mkdir(parents=True)
    shutil.copy(bundled("MR_small.dcm"), root / "__MACOSX" / "b_site" / "._1.dcm")
    return root


def test_files_in_name_order_with_the_skip_list(tree: Path) -> None:
    items = list(walk(tree))
    assert found(items) == [
        str(tree / "a_site" / "IM0001"),
        str(tree / "b_site" / "MR" / "1.dcm"),
        str(tree / "b_site" / "film.dcm"),
    ]
    assert not problems(items)
    assert list(candidate_files(tree)) == [Path(p) for p in found(items)]
    assert found(list(walk(tree / "b_site", recursive=False))) == [str(tree / "b_site/film.dcm")]
    # a path given explicitly is never skipped
    assert found(list(walk(tree / "README.md"))) == [str(tree / "README.md")]


@pytest.mark.parametrize(
    ("name", "skip"),
    [
        (".DS_Store", True), ("__MACOSX", True), ("Thumbs.db", True), ("notes.TXT", True),
        ("ground_truth.json", True), ("IM0001", False), ("1.dcm", False), ("DICOMDIR", False),
        ("scan.png", True), ("site.zip", False),
    ],
)  # fmt: skip
def test_skip_list(name: str, skip: bool) -> None:
    assert skipped(name) is skip


def test_a_fifo_named_dcm_is_never_opened(tree: Path) -> None:
    fifo = tree / "b_site" / "x.dcm"
    os.mkfifo(fifo)
    with no_hang():
        items = list(walk(tree))
        (problem,) = problems(items).values()
        assert problem.path == str(fifo) and problem.status is ScanStatus.UNREADABLE
        assert "FIFO" in problem.reason and "never opened" in problem.reason
        assert str(fifo) not in found(items)
        (record,) = list(scan(fifo))  # given directly
        assert record.status is ScanStatus.UNREADABLE and "FIFO" in record.reason
        assert scan_file(fifo).status is ScanStatus.UNREADABLE
        with pytest.raises(FileAccessError, match="FIFO"):
            read_header(fifo)
        assert not is_dicom_file(fifo)


def test_symlink_loops_and_dangling_links_are_problems(tree: Path) -> None:
    (tree / "loop_a.dcm").symlink_to("loop_b.dcm")
    (tree / "loop_b.dcm").symlink_to("loop_a.dcm")
    (tree / "gone.dcm").symlink_to(tree / "deleted.dcm")
    (tree / "b_site" / "MR" / "up").symlink_to(tree / "b_site")  # a folder loop
    (tree / "c_alias").symlink_to(tree / "a_site")  # a second path to a walked folder
    (tree / "film_link.dcm").symlink_to(tree / "b_site" / "film.dcm")  # a good link
    with no_hang():
        items = list(walk(tree))
    found_here = problems(items)
    assert set(found_here) == {"loop_a.dcm", "loop_b.dcm", "gone.dcm", "up"}
    assert "loop" in found_here["loop_a.dcm"].reason
    assert "dangling" in found_here["gone.dcm"].reason
    assert "deleted.dcm" in found_here["gone.dcm"].reason
    assert "loop" in found_here["up"].reason and str(tree / "b_site") in found_here["up"].reason
    assert found(items).count(str(tree / "a_site" / "IM0001")) == 1  # the alias is not re-listed
    assert str(tree / "film_link.dcm") in found(items)
    (record,) = list(scan(tree / "gone.dcm"))  # a bad link given directly: a record, no raise
    assert record.status is ScanStatus.UNREADABLE and "dangling" in record.reason


def test_an_unreadable_folder_is_a_problem(tree: Path) -> None:
    locked = tree / "b_site" / "locked"
    locked.mkdir()
    shutil.copy(bundled("CT_small.dcm"), locked / "IM0002")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("this user reads any folder whatever its permissions (root)")
        items = list(walk(tree))
    finally:
        locked.chmod(0o755)
    (problem,) = problems(items).values()
    assert problem.path == str(locked) and "cannot be listed" in problem.reason
    assert isinstance(problem.error(), FileAccessError)
    assert len(found(items)) == 3  # the rest is walked


def test_archives(tree: Path, tmp_path: Path) -> None:
    zipped, tarred = archives_of(tree, tmp_path)
    for path, prefix in ((zipped, ""), (tarred, "archive/")):
        items = list(walk(path))
        members = [item.member for item in items if isinstance(item, Found)]
        # documents, hidden and __MACOSX members skipped
        assert members == [f"{prefix}{name}" for name in ("a_site/IM0001", "b_site/MR/1.dcm",
                                                          "b_site/film.dcm")], path  # fmt: skip
        assert all(isinstance(i, Found) and i.data for i in items)
        assert not list(walk(path, archives=False))
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    (problem,) = list(walk(broken))
    assert isinstance(problem, Problem) and "archive cannot be read" in problem.reason


def test_an_oversized_member_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("imaging.dicom.limits.MAX_INFLATED_BYTES", 100)
    zipped = tmp_path / "big.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(bundled("CT_small.dcm"), "CT_small.dcm")
    (problem,) = list(walk(zipped))
    assert isinstance(problem, Problem) and problem.status is ScanStatus.TOO_LARGE
    assert problem.member == "CT_small.dcm" and isinstance(problem.error(), ImageTooLargeError)
    assert problem.record().location == f"{zipped}!/CT_small.dcm"


def test_a_zip_bomb_member_is_refused_from_its_size_without_unpacking(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("film.dcm", "w", force_zip64=True) as member,
    ):
        zeros = bytes(1 << 20)
        for _ in range(300):  # 300 MiB of zeros: about 300 KB in the archive
            member.write(zeros)
    assert bomb.stat().st_size < 2_000_000
    (problem,) = list(walk(bomb))
    assert isinstance(problem, Problem) and problem.status is ScanStatus.TOO_LARGE
    assert "314,572,800 bytes" in problem.reason and "MAX_INFLATED_BYTES" in problem.reason


def test_a_missing_path_is_a_problem(tmp_path: Path) -> None:
    (problem,) = list(walk(tmp_path / "nowhere"))
    assert isinstance(problem, Problem) and "no such file" in problem.reason


def test_a_folder_that_cannot_be_listed_as_any_user(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same handler, with listing refused by the operating system (root ignores chmod)."""
    locked = tree / "b_site" / "MR"
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> Iterator[os.DirEntry[str]]:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(walk(tree))
    (problem,) = problems(items).values()
    assert problem.path == str(locked)
    assert problem.reason == "the folder cannot be listed (Permission denied)"
    assert found(items) == [str(tree / "a_site" / "IM0001"), str(tree / "b_site" / "film.dcm")]
