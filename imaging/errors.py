"""Errors raised by spine-endpoints.

Every error derives from :class:`SpineEndpointsError`. Errors about a file carry its path and say
what is wrong and how to get unstuck, in that order: ``"<path>: <what is wrong>. <the fix>"``.
"""

from __future__ import annotations

from os import PathLike


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

    ``problems`` lists every ``(line, reason)`` found, so one run shows all bad rows.
    """

    def __init__(
        self,
        problems: list[tuple[int | None, str]],
        *,
        path: str | PathLike[str] | None = None,
        fix: str = "Correct these rows and import again; nothing was imported.",
    ) -> None:
        self.problems = list(problems)
        lines = [
            f"line {line}: {reason}" if line is not None else reason for line, reason in problems
        ]
        count = len(lines)
        head = f"{count} bad row{'s' if count != 1 else ''}"
        super().__init__(f"{head}:\n  " + "\n  ".join(lines) + f"\n{fix}", path=path)
        self.fix = fix


class StoreError(SpineEndpointsError):
    """The read store cannot be opened, migrated or written as asked."""


class ReadImmutableError(StoreError):
    """A submitted or locked read was to be changed in place (corrections make a new version)."""
