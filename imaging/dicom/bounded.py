"""pydicom reads within limits: a damaged length never allocates past the file's end, and a
deflated data set never inflates past :data:`imaging.dicom.limits.MAX_INFLATED_BYTES`.

Every reader of DICOM here (the sniffer, the header parse of ``scan``, ``register``, ``batch``,
the loaders and the napari reader) calls pydicom through :func:`dcmread_bounded` or a
:class:`BoundedReader`.

pydicom inflates a Deflated Explicit VR Little Endian data set (PS3.5 A.5) inside ``dcmread``
with one ``zlib.decompress`` of the rest of the file, unbounded: a 1 MB file of deflated zeros
becomes 1 GB in memory, and a header read held it several times over. pydicom asks for that rest
with the only ``read()`` without a size it makes; :class:`BoundedReader` answers it with
:class:`DeflatedDataSet` instead, naming where the deflated data set starts. The data set is then
inflated here in chunks of :data:`INFLATE_CHUNK` bytes: once counting, so a bomb is refused on
reaching the limit having held one chunk, then once more into memory when within the limit.
pydicom parses the inflated bytes as Explicit VR Little Endian, as it would have.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from pydicom import dcmread
from pydicom.dataset import FileDataset
from pydicom.filereader import read_dataset
from pydicom.tag import BaseTag, Tag

from imaging.dicom.limits import check_inflated_size
from imaging.dicom.structure import PIXEL_DATA_TAGS
from imaging.errors import DicomReadError, MalformedDicomError, TruncatedFileError

INFLATE_CHUNK = 1 << 20
"""Most bytes one step of inflating yields (``max_length`` of ``zlib.Decompress.decompress``)."""
_READ_CHUNK = 1 << 16
"""Deflated bytes read from the file at a time."""


class DeflatedDataSet(Exception):  # noqa: N818 - a signal that is caught, not an error
    """pydicom asked :class:`BoundedReader` for the rest of the file: the data set from byte
    ``offset`` on is deflated. Not an error: :func:`dcmread_bounded` inflates it."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"a deflated data set starts at byte {offset}")
        self.offset = offset


class BoundedReader:
    """A binary file whose reads never ask for more than the ``size`` bytes it holds.

    pydicom reads an element's value with one ``read(length)``; Python allocates ``length`` bytes
    before reading, so a damaged length of 0xFFFFFFF0 would allocate 4 GiB. Here such a read
    returns what is left (pydicom, or :mod:`imaging.dicom.structure`, then reports the
    truncation). A ``read()`` of the whole rest raises :class:`DeflatedDataSet` (see the module
    docstring). Seeking and telling go to the wrapped file.
    """

    _SMALL = 1 << 16
    """Reads up to this many bytes are passed through unchecked (cheap whatever they claim)."""

    def __init__(self, fileobj: BinaryIO, size: int) -> None:
        self._fileobj = fileobj
        self._size = size
        # The wrapped file's own methods, not methods of this class that call them: pydicom
        # tells once or twice per element (a Python call each was 2 % of a batch's own time).
        self.seek: Callable[..., int] = fileobj.seek
        self.tell: Callable[[], int] = fileobj.tell

    @property
    def name(self) -> str | None:
        return getattr(self._fileobj, "name", None)

    def read(self, length: int | None = -1) -> bytes:
        if length is None or length < 0:
            raise DeflatedDataSet(self._fileobj.tell())
        if length <= self._SMALL:
            return self._fileobj.read(length)
        remaining = max(self._size - self._fileobj.tell(), 0)
        return self._fileobj.read(min(length, remaining))


def dcmread_bounded(fileobj: BinaryIO, size: int, name: str, **options: Any) -> FileDataset:
    """``pydicom.dcmread(fileobj, **options)`` within the limits of the module docstring.

    ``fileobj`` holds ``size`` bytes; ``name`` is used in errors. Options: ``stop_before_pixels``,
    ``specific_tags``, ``force``. A deflated data set raises what :func:`read_deflated` raises.
    """
    try:
        return dcmread(BoundedReader(fileobj, size), **options)
    except DeflatedDataSet as deflated:
        return read_deflated(
            fileobj,
            deflated.offset,
            size,
            name,
            stop_before_pixels=options.get("stop_before_pixels", False),
            specific_tags=options.get("specific_tags"),
        )


def read_deflated(
    fileobj: BinaryIO,
    offset: int,
    size: int,
    name: str,
    stop_before_pixels: bool = False,
    specific_tags: list[Any] | None = None,
) -> FileDataset:
    """The data set of a file whose data set is deflated from byte ``offset`` on.

    Raises :class:`~imaging.errors.ImageTooLargeError` beyond ``MAX_INFLATED_BYTES`` (before
    holding it), :class:`TruncatedFileError` when the deflated data ends early, and
    :class:`MalformedDicomError` when it is not deflate data or not a data set once inflated.
    """
    fileobj.seek(0)
    prefix = fileobj.read(offset)
    # Preamble and file meta only: pydicom reads them and finds no data set left to inflate.
    head = dcmread(io.BytesIO(prefix), force=True)
    count_inflated(fileobj, offset, size, name)
    body = io.BytesIO(b"".join(_inflate(fileobj, offset, size, name)))
    tags: list[BaseTag | int] | None = [Tag(t) for t in specific_tags] if specific_tags else None
    try:
        data_set = read_dataset(
            body,
            is_implicit_VR=False,
            is_little_endian=True,
            stop_when=_at_pixel_data if stop_before_pixels else None,
            specific_tags=tags,
        )
    except Exception as error:  # pydicom raises many types on corrupt data
        raise parse_error(error, "the inflated data set", name) from error
    dataset = FileDataset(name, data_set, head.preamble, head.file_meta, False, True)
    dataset.set_original_encoding(False, True, data_set.original_character_set)
    return dataset


def parse_error(error: Exception, what: str, name: str) -> DicomReadError:
    """The error for pydicom failing on ``what`` (e.g. "the DICOM header") of file ``name``:
    :class:`TruncatedFileError` when the data ended early, else :class:`MalformedDicomError`."""
    if isinstance(error, EOFError | struct.error):
        return TruncatedFileError(
            f"the file ends inside {what} ({error})",
            path=name,
            fix="Copy the file again from its source; the copy is incomplete.",
        )
    return MalformedDicomError(
        f"{what} cannot be parsed ({type(error).__name__}: {error})",
        path=name,
        fix="Check the file with a DICOM validator (dciodvfy, dcmdump); export it again.",
    )


def count_inflated(fileobj: BinaryIO, offset: int, size: int, name: str) -> int:
    """Bytes the deflated data from ``offset`` to ``size`` inflates to, counted one chunk at a
    time; raises as :func:`read_deflated` does, the limit checked after every chunk."""
    return sum(len(chunk) for chunk in _inflate(fileobj, offset, size, name))


# --- internals ----------------------------------------------------------------------------------
def _inflate(fileobj: BinaryIO, offset: int, size: int, name: str) -> Iterator[bytes]:
    """The inflated data set in chunks of at most :data:`INFLATE_CHUNK` bytes, stopping with
    :class:`~imaging.errors.ImageTooLargeError` as soon as their total exceeds the limit."""
    fileobj.seek(offset)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, no zlib header (PS3.5 A.5)
    deflated, inflated = size - offset, 0
    while not inflater.eof:
        data = inflater.unconsumed_tail or fileobj.read(_READ_CHUNK)
        try:
            chunk = inflater.decompress(data, INFLATE_CHUNK)
        except zlib.error as error:
            raise MalformedDicomError(
                f"the deflated data set cannot be inflated ({error})",
                path=name,
                fix="The file is damaged or not deflated as its (0002,0010) Transfer Syntax UID "
                "says; export it again.",
            ) from error
        if not chunk and not data:
            raise TruncatedFileError(
                "the deflated data set ends early (the deflate stream is incomplete)",
                path=name,
                fix="Copy the file again from its source; the copy is incomplete.",
            )
        inflated += len(chunk)
        check_inflated_size(inflated, deflated, name)
        if chunk:
            yield chunk


def _at_pixel_data(tag: BaseTag, vr: str | None, length: int) -> bool:
    return int(tag) in PIXEL_DATA_TAGS


__all__ = [
    "INFLATE_CHUNK",
    "BoundedReader",
    "DeflatedDataSet",
    "count_inflated",
    "dcmread_bounded",
    "parse_error",
    "read_deflated",
]
