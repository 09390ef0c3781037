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
            text = f"{text.rstrip('.')}. {fix}"
        super().__init__(text)


# --- reading files -------------------------------------------------------------------------------
class DicomReadError(SpineEndpointsError):
    """A file could not be used as DICOM image input."""


class NotDicomError(DicomReadError):
    """The file is not DICOM (no preamble/'DICM' prefix and no parseable data set)."""


class TruncatedFileError(DicomReadError):
    """The file ends before its data set or pixel data does."""


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


class UnsupportedImageError(DicomReadError):
    """A valid DICOM file of a kind this function does not handle (e.g. an MR given as a film)."""


class SeriesError(DicomReadError):
    """An image series is inconsistent: mixed orientations, sizes or missing slices."""


# --- measurement ---------------------------------------------------------------------------------
class CalibrationError(SpineEndpointsError):
    """Millimetres were asked of an image without a usable pixel spacing, or a bad calibration."""


class LandmarkError(SpineEndpointsError):
    """Landmarks are missing, duplicated, unknown or geometrically impossible."""
