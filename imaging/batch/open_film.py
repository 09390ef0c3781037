"""Open one film for the batch: decode it, so a damaged file is caught, and keep what measuring
needs.

The pixels are decoded with :func:`imaging.dicom.radiograph.read_radiograph`, exactly as the
reader's viewer loads them, then dropped unless asked for: measuring from landmarks needs only the
calibration and the anterior direction; corner refinement and vertebra tracking (``--refine``,
``--track``) need the pixels, kept for the study's task only. Decoding every film is what makes
the batch say "this file is damaged" before a statistician finds a hole in the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from imaging.calibration import Calibration
from imaging.dicom.film import detect_film
from imaging.dicom.orientation import anterior_direction
from imaging.dicom.radiograph import (
    inverted_for_display,
    patient_orientation,
    photometric_interpretation,
    read_radiograph,
)
from imaging.dicom.trial import identifying_attributes, text_value
from imaging.errors import SpineEndpointsError


@dataclass(frozen=True)
class OpenedFilm:
    """The calibration and (row, col) anterior direction of a film (None when not stated)."""

    calibration: Calibration
    anterior_direction: tuple[float, float] | None
    film: str
    shape: tuple[int, int]
    """(rows, cols) of the image."""
    pixels: np.ndarray | None = None
    """Measurement values (modality LUT applied, MONOCHROME1 not inverted), when kept."""
    bone_bright: bool = True
    """False for MONOCHROME1 films, whose stored values make bone dark."""
    identifying: tuple[str, ...] = ()
    """What in the header still identifies the patient (empty once de-identified)."""
    trial_protocol_id: str | None = None
    """(0012,0020) *Clinical Trial Protocol ID*, None when the header has none."""


def open_film(path: str, keep_pixels: bool = False) -> OpenedFilm:
    """Load and decode ``path``; raises the loader's :class:`SpineEndpointsError` subclasses.

    ``keep_pixels`` keeps the decoded (row, col) image of a greyscale film (a colour secondary
    capture keeps none: assisted measurement works on grey values). The film is read and decoded
    as :func:`~imaging.dicom.radiograph.load_radiograph` does, and only the attributes kept
    here are taken from its header (the others cost a quarter of the batch's header work).
    """
    dataset, _, _, pixels = read_radiograph(path)
    film, _ = detect_film(dataset)
    return OpenedFilm(
        Calibration.from_dataset(dataset),
        anterior_direction(patient_orientation(dataset)),
        film.value if film is not None else "",
        (int(pixels.shape[0]), int(pixels.shape[1])),
        pixels if keep_pixels and pixels.ndim == 2 else None,
        not inverted_for_display(photometric_interpretation(dataset)),
        identifying_attributes(dataset),
        text_value(dataset, "ClinicalTrialProtocolID"),
    )


def failure_kind(error: SpineEndpointsError) -> str:
    """A short kind for the failures table: ``NotDicomError`` -> ``not-dicom``."""
    name = type(error).__name__.removesuffix("Error")
    kind = re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    return {"truncated-file": "truncated", "spine-endpoints": "error"}.get(kind, kind)
