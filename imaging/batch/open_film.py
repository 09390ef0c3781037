"""Open one film for the batch: decode it, so a damaged file is caught, and keep what measuring
needs.

The pixels are decoded with :func:`imaging.dicom.radiograph.load_radiograph`, exactly as the
reader's viewer loads them, then dropped: the batch measures from landmarks and needs only the
calibration and the anterior direction. Decoding every film is what makes the batch say "this
file is damaged" before a statistician finds a hole in the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydicom.dataset import Dataset

from imaging.calibration import Calibration
from imaging.dicom.radiograph import load_radiograph
from imaging.errors import SpineEndpointsError
from imaging.landmark_files.images import anterior_direction


@dataclass(frozen=True)
class OpenedFilm:
    """The calibration and (row, col) anterior direction of a film (None when not stated)."""

    calibration: Calibration
    anterior_direction: tuple[float, float] | None
    film: str
    shape: tuple[int, int]
    """(rows, cols) of the image."""


def open_film(path: str) -> OpenedFilm:
    """Load and decode ``path``; raises the loader's :class:`SpineEndpointsError` subclasses."""
    radiograph = load_radiograph(path)
    orientation = Dataset()
    if radiograph.patient_orientation:
        orientation.PatientOrientation = list(radiograph.patient_orientation)
    film = radiograph.film.value if radiograph.film is not None else ""
    return OpenedFilm(
        radiograph.calibration,
        anterior_direction(orientation),
        film,
        (radiograph.rows, radiograph.cols),
    )


def failure_kind(error: SpineEndpointsError) -> str:
    """A short kind for the failures table: ``NotDicomError`` -> ``not-dicom``."""
    name = type(error).__name__.removesuffix("Error")
    kind = re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    return {"truncated-file": "truncated", "spine-endpoints": "error"}.get(kind, kind)
