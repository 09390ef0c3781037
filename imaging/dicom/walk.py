"""One walk over files, folders and zip/tar archives: the files that may hold DICOM, in name order.

Every caller that looks for DICOM under a path (``scan``, ``register``, ``batch``, the napari
reader, the worklist, MR/CT series folders, landmark image look-up by (0008,0018) *SOP Instance
UID*) walks with :func:`walk`, so all of them see the same files and the same problems.

* Folders are walked depth-first, entries sorted by name. Symbolic links are followed; a link
  back to a folder being walked (a loop) is a problem, a second link to a folder already walked
  is passed over (its files were listed under their first path).
* The skip list (:func:`skipped`): names starting with '.', system files (``__MACOSX``,
  ``Thumbs.db``, ``desktop.ini``, ...) and documents by suffix (``.csv``, ``.json``, ``.md``,
  ``.pdf``, pictures, ...), in folders and inside archives alike. A path given explicitly is
  never skipped.
* ``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``/``.tbz2``, ``.tar.xz``/``.txz`` archives
  are opened (``archives=True``): each member is read into memory on its own, at most
  :data:`imaging.dicom.limits.MAX_INFLATED_BYTES` bytes unpacked (a zip bomb member is refused
  from its declared size, never unpacked). With ``archives=False`` they are passed over.
* The one error handler: a folder that cannot be listed, a symbolic link loop, a dangling link,
  a special file (FIFO, device, socket: never opened, so never a hang), an archive or member that
  cannot be read, a member that is too large: each becomes a :class:`Problem`, never an exception.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

from imaging.dicom import limits
from imaging.dicom.scan_records import ScanRecord, ScanStatus
from imaging.errors import FileAccessError, ImageTooLargeError, SpineEndpointsError

PathLike = str | os.PathLike[str]

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
DOCUMENT_SUFFIXES = frozenset(
    {".csv", ".tsv", ".json", ".md", ".txt", ".rst", ".toml", ".yaml", ".yml", ".xml", ".html",
     ".htm", ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".parquet", ".py", ".npy", ".npz",
     ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".log"}
)  # fmt: skip
"""Suffixes of files next to the images that are never opened as DICOM (any case)."""
SYSTEM_NAMES = frozenset(
    {"__macosx", "thumbs.db", "ehthumbs.db", "desktop.ini", "$recycle.bin",
     "system volume information", "lost+found"}
)  # fmt: skip
"""File and folder names (any case) an operating system leaves in archives and on media."""


@dataclass(frozen=True)
class Found:
    """A file to open: on disk, or a member of an archive at ``path`` with its bytes in ``data``."""

    path: Path
    member: str | None = None
    data: bytes | None = None

    @property
    def location(self) -> str:
        """``path``, or ``archive!/member`` for a file inside an archive."""
        return str(self.path) if self.member is None else f"{self.path}!/{self.member}"


@dataclass(frozen=True)
class Problem:
    """Something under the walked path that cannot be opened, with the reason and the fix."""

    path: str
    status: ScanStatus
    reason: str
    fix: str
    member: str | None = None

    @property
    def location(self) -> str:
        return self.path if self.member is None else f"{self.path}!/{self.member}"

    def record(self) -> ScanRecord:
        """The problem as a scan record (status ``unreadable`` or ``too-large``)."""
        return ScanRecord(self.path, self.status, self.reason, self.fix, self.member)

    def error(self) -> SpineEndpointsError:
        """The problem as the error a loader would raise for it."""
        kind = ImageTooLargeError if self.status is ScanStatus.TOO_LARGE else FileAccessError
        return kind(self.reason, path=self.location, fix=self.fix)


def skipped(name: str) -> bool:
    """True for a file or folder name on the skip list (hidden, system, document)."""
    lowered = name.lower()
    return (
        name.startswith(".")
        or lowered in SYSTEM_NAMES
        or PurePath(lowered).suffix in DOCUMENT_SUFFIXES
    )


def is_archive(name: str) -> bool:
    """True when ``name`` ends with a zip or tar archive suffix (any case)."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def walk(
    path: PathLike, *, archives: bool = True, recursive: bool = True
) -> Iterator[Found | Problem]:
    """The files under ``path`` (a file, a folder or an archive), lazily; see the module docstring.

    ``recursive=False`` lists a folder's own files only. A missing ``path`` is a problem too.
    """
    root = Path(path)
    try:
        mode = root.stat().st_mode
    except OSError as error:
        yield _stat_problem(root, error, root.is_symlink())
        return
    if stat.S_ISDIR(mode):
        yield from _walk_folder(root, archives, recursive, [], set())
    else:
        yield from _file(root, mode, archives)


def candidate_files(path: PathLike, *, recursive: bool = True) -> Iterator[Path]:
    """The files on disk :func:`walk` finds (archives passed over), for callers that only test
    whether a folder holds DICOM; problems are not listed here: :func:`walk` gives them."""
    for item in walk(path, archives=False, recursive=recursive):
        if isinstance(item, Found):
            yield item.path


# --- internals ----------------------------------------------------------------------------------
def _walk_folder(
    folder: Path,
    archives: bool,
    recursive: bool,
    chain: list[tuple[int, int]],
    walked: set[tuple[int, int]],
) -> Iterator[Found | Problem]:
    try:
        identity = _identity(folder.stat())
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        yield _unreadable(
            folder,
            f"the folder cannot be listed ({error.strerror or error})",
            "Make the folder readable for this user.",
        )
        return
    chain.append(identity)
    walked.add(identity)
    for entry in entries:
        if skipped(entry.name):
            continue
        path = Path(entry.path)
        try:
            info = entry.stat()  # follows a link; costs nothing more for a plain entry on Linux
        except OSError as error:
            yield _stat_problem(path, error, entry.is_symlink())
            continue
        if not stat.S_ISDIR(info.st_mode):
            yield from _file(path, info.st_mode, archives)
        elif not recursive:
            continue
        elif _identity(info) in chain:
            yield _unreadable(
                path,
                f"a symbolic link loop: it leads back to {path.resolve()}, a folder being walked",
                "Remove the link, or point it at a folder outside this tree.",
            )
        elif _identity(info) not in walked:  # a second link to a walked folder: listed once
            yield from _walk_folder(path, archives, recursive, chain, walked)
    chain.pop()


def _file(path: Path, mode: int, archives: bool) -> Iterator[Found | Problem]:
    if not stat.S_ISREG(mode):
        yield _unreadable(
            path,
            f"not a regular file but {special_kind(mode)}: never opened",
            "Copy the image files themselves into the folder.",
        )
    elif not is_archive(path.name):
        yield Found(path)
    elif archives:
        yield from _zip_members(path) if path.name.lower().endswith(".zip") else _tar_members(path)


def _zip_members(path: Path) -> Iterator[Found | Problem]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        yield _bad_archive(path, error)
        return
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or _skipped_member(info.filename):
                continue
            if info.file_size > limits.MAX_INFLATED_BYTES:
                yield _oversized(path, info.filename, info.file_size)
                continue
            try:
                data = archive.read(info)
            except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as error:
                yield _bad_archive(path, error, info.filename)
                continue
            yield Found(path, info.filename, data)


def _tar_members(path: Path) -> Iterator[Found | Problem]:
    try:
        archive = tarfile.open(path, "r:*")  # noqa: SIM115 - closed by the `with` below
    except (OSError, tarfile.TarError) as error:
        yield _bad_archive(path, error)
        return
    with archive:
        while True:  # in archive order: a compressed tar is read as a stream
            try:
                member = archive.next()
            except (OSError, tarfile.TarError, EOFError) as error:
                yield _bad_archive(path, error)
                return
            if member is None:
                return
            if not member.isfile() or _skipped_member(member.name):
                continue  # folders, links and special files inside an archive are not images
            if member.size > limits.MAX_INFLATED_BYTES:
                yield _oversized(path, member.name, member.size)
                continue
            try:
                extracted = archive.extractfile(member)
                data = extracted.read() if extracted is not None else b""
            except (OSError, tarfile.TarError, EOFError) as error:
                yield _bad_archive(path, error, member.name)
                continue
            yield Found(path, member.name, data)


def _skipped_member(name: str) -> bool:
    return any(skipped(part) for part in name.replace("\\", "/").split("/") if part)


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def special_kind(mode: int) -> str:
    """What a file that is neither a regular file nor a folder is, for messages."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _unreadable(path: Path, reason: str, fix: str, member: str | None = None) -> Problem:
    return Problem(str(path), ScanStatus.UNREADABLE, reason, fix, member)


def _stat_problem(path: Path, error: OSError, link: bool) -> Problem:
    """Why ``path`` (a symbolic link when ``link``) cannot be examined: a loop, a dangling link,
    a path that is gone, or what the operating system says."""
    if link and error.errno == errno.ELOOP:
        reason, fix = "a symbolic link loop: the link never reaches a file", "Remove the link."
    elif link:
        try:
            target = str(path.readlink())
        except OSError:
            target = "?"
        reason = f"a dangling symbolic link: its target {target} cannot be reached"
        fix = "Copy the missing file back, or remove the link."
    elif error.errno == errno.ENOENT:
        reason, fix = "no such file or folder", "Check the path and the working folder."
    else:
        reason, fix = "cannot be examined", "Make it readable for this user."
    return _unreadable(path, f"{reason} ({error.strerror or error})", fix)


def _bad_archive(path: Path, error: BaseException, member: str | None = None) -> Problem:
    what = "archive cannot be read" if member is None else "member cannot be extracted"
    return _unreadable(
        path,
        f"the {what} ({type(error).__name__}: {error})",
        "Check that the archive is complete; download or copy it again.",
        member,
    )


def _oversized(path: Path, member: str, size: int) -> Problem:
    """A member held whole in memory once read, like an inflated data set: the same limit."""
    return Problem(
        str(path),
        ScanStatus.TOO_LARGE,
        f"the member unpacks to {size:,} bytes, above the {limits.MAX_INFLATED_BYTES:,} bytes "
        "a member or an inflated data set may take in memory "
        "(imaging.dicom.limits.MAX_INFLATED_BYTES)",
        "Extract the archive and check what the member is.",
        member,
    )


__all__ = [
    "ARCHIVE_SUFFIXES",
    "DOCUMENT_SUFFIXES",
    "SYSTEM_NAMES",
    "Found",
    "Problem",
    "candidate_files",
    "is_archive",
    "skipped",
    "special_kind",
    "walk",
]
