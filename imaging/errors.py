"""Errors raised by spine-endpoints.

Every error derives from :class:`SpineEndpointsError`. Errors about a file carry its path and say
what is wrong and how to get unstuck, in that order: ``"<path>: <what is wrong>. <the fix>"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike

LISTED_PROBLEMS = 20
"""Problems an error message lists (the first ones); the rest are counted."""


def problem_listing(lines: Iterable[str], count: int, *, noun: str = "problem") -> str:
    """The first :data:`LISTED_PROBLEMS` of ``lines`` (``count`` in all), one per indented line,
    then ``"... and 999,980 more problems"``: a million bad rows print 21 lines."""
    shown = [line for _, line in zip(range(LISTED_PROBLEMS), lines, strict=False)]
    rest = count - len(shown)
    if rest > 0:
        shown.append(f"... and {rest:,} more {noun}{'s' if rest != 1 else ''}")
    return "\n  " + "\n  ".join(shown)


class ProblemList:
    """Problems found while checking a file, ``(line, reason)``: the first
    :data:`LISTED_PROBLEMS` kept, the rest only counted (memory does not grow with the file)."""

    def __init__(self, problems: Iterable[tuple[int | None, str]] = ()) -> None:
        self.kept: list[tuple[int | None, str]] = []
        self.count = 0
        for line, reason in problems:
            self.add(line, reason)

    def add(self, line: int | None, reason: str) -> None:
        self.count += 1
        if len(self.kept) < LISTED_PROBLEMS:
            self.kept.append((line, reason))

    def extend(self, problems: Iterable[tuple[int | None, str]]) -> None:
        for line, reason in problems:
            self.add(line, reason)

    def __len__(self) -> int:
        return self.count


class SpineEndpointsError(Exception):
    """Base class of every error this package raises on purpose."""

    def __init__(
        self, message: str, *, path: str | PathLike[str] | None = None, fix: str = ""
    ) -> None:
        self.path = None if path is None else str(path)
        self.reason = message
        self.fix = fix
        text = message if self.path is None else f"{self.path}: {message}"
        if fix:
            text = text.rstrip(".")
            text = f"{text} {fix}" if text.endswith(("?", "!")) else f"{text}. {fix}"
        super().__init__(text)


# --- reading files -------------------------------------------------------------------------------
class DicomReadError(SpineEndpointsError):
    """A file could not be used as DICOM image input."""


class NotDicomError(DicomReadError):
    """The file is not DICOM (no preamble/'DICM' prefix and no parseable data set)."""


class TruncatedFileError(DicomReadError):
    """The file ends before its data set or pixel data does."""


class MalformedDicomError(DicomReadError):
    """The file is DICOM but its data set cannot be parsed, or states impossible values."""


class MissingPixelDataError(DicomReadError):
    """The data set has no (7FE0,0010) Pixel Data."""


class InvalidSpacingError(DicomReadError):
    """A pixel spacing is zero, negative, non-finite or malformed."""


class ImageTooLargeError(DicomReadError):
    """Rows x Columns x frames exceeds the documented limit (see ``imaging.dicom.limits``)."""


class FileAccessError(DicomReadError):
    """The file or folder exists but cannot be read (permissions, a folder given as a file)."""


class MissingDecoderError(DicomReadError):
    """The pixel data uses a transfer syntax whose decoder package is not installed."""


class PixelDecodeError(DicomReadError):
    """A decoder is installed but the compressed pixel data could not be decoded (corrupt data)."""


class UnsupportedImageError(DicomReadError):
    """A valid DICOM file of a kind this function does not handle (e.g. an MR given as a film)."""


class SeriesError(DicomReadError):
    """An image series is inconsistent: mixed orientations, sizes or missing slices."""


# --- measurement ---------------------------------------------------------------------------------
class CalibrationError(SpineEndpointsError):
    """Millimetres were asked of an image without a usable pixel spacing, or a bad calibration."""


class LandmarkError(SpineEndpointsError):
    """Landmarks are missing, duplicated, unknown or geometrically impossible."""


# --- reading text files --------------------------------------------------------------------------
class TextInputError(SpineEndpointsError):
    """A text input (landmark file, grade form, protocol, scale, JSON) cannot be read within the
    limits of :mod:`imaging.text_input`: missing, not a regular file, too large, a CSV cell too
    long, nested too deep, not UTF-8. The message reads ``"<file>: line <n>: <what>. <fix>"``
    (``line`` when known)."""

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        line: int | None = None,
        fix: str = "",
    ) -> None:
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}", path=path, fix=fix)
        self.reason = message


# --- trial data ----------------------------------------------------------------------------------
class ProtocolError(SpineEndpointsError):
    """A protocol or scale file is malformed or inconsistent.

    ``line`` (1-based) and ``key`` (a key path such as ``visits[3].window_before``) say where, when
    known; the message reads ``"<file>: line <n> (<key>): <what is wrong>. <the fix>"``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | PathLike[str] | None = None,
        line: int | None = None,
        key: str | None = None,
        fix: str = "",
    ) -> None:
        self.line = line
        self.key = key
        where = [f"line {line}"] if line is not None else []
        if key:
            where.append(f"({key})" if where else key)
        located = f"{' '.join(where)}: {message}" if where else message
        super().__init__(located, path=path, fix=fix)
        self.reason = message


class GradeValueError(SpineEndpointsError):
    """Grades that do not fit the protocol (unknown grade, level, visit or column).

    ``problems`` holds the first :data:`LISTED_PROBLEMS` ``(line, reason)`` found and ``count``
    how many there were: one run shows the bad rows, and a million of them print 21 lines.
    """

    def __init__(
        self,
        problems: list[tuple[int | None, str]] | ProblemList,
        *,
        path: str | PathLike[str] | None = None,
        fix: str = "Correct these rows and import again; nothing was imported.",
    ) -> None:
        found = problems if isinstance(problems, ProblemList) else ProblemList(problems)
        self.problems = found.kept
        self.count = found.count
        lines = (
            f"line {line}: {reason}" if line is not None else reason for line, reason in found.kept
        )
        head = f"{found.count:,} bad row{'s' if found.count != 1 else ''}"
        listing = problem_listing(lines, found.count, noun="bad row")
        super().__init__(f"{head}:{listing}\n{fix}", path=path)
        self.fix = fix


class StoreError(SpineEndpointsError):
    """The read store cannot be opened, migrated or written as asked."""


class ReadImmutableError(StoreError):
    """A submitted or locked read was to be changed in place (corrections make a new version)."""


# --- exchange with a PACS ------------------------------------------------------------------------
class DicomwebError(SpineEndpointsError):
    """A DICOMweb server could not be used as asked: unreachable, refusing (HTTP 4xx/5xx), not
    answering DICOM, or given with credentials in its URL. The message names the server (never a
    credential) and the study or file concerned."""
