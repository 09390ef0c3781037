"""Projection radiographs (CR, DX, XA/RF frames, secondary captures of films) for measurement.

``Radiograph.pixels`` is (row, col) (or (row, col, 3) for colour secondary captures, RGB), after
the modality LUT and never windowed; MONOCHROME1 values are NOT inverted (``inverted_for_display``
tells a viewer to invert). The calibration travels with the image: see
:class:`imaging.calibration.Calibration`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from imaging.anatomy import Film
from imaging.calibration import Calibration
from imaging.dicom.film import detect_film
from imaging.dicom.pixels import apply_modality_lut, decode_pixels, rescale_of
from imaging.dicom.read import open_binary, parse_header, read_pixel_bytes, require_image
from imaging.dicom.trial import (
    ClinicalTrialInfo,
    identifying_attributes,
    identity_removed,
    subject_of,
    text_value,
)
from imaging.dicom.vocabulary import is_cross_sectional, is_readable_image, normalized_modality
from imaging.errors import UnsupportedImageError

PathLike = str | os.PathLike[str]


class WindowPreset(NamedTuple):
    """A window from (0028,1050) *Window Center* / (0028,1051) *Window Width*, in output units."""

    center: float
    width: float
    explanation: str


@dataclass(frozen=True, eq=False)
class Radiograph:
    """A projection radiograph with what a reader and the endpoint calculation need.

    ``pixels`` is read-only. ``patient_orientation`` is (0020,0020): the patient direction of
    increasing column index, then of increasing row index (e.g. ``("A", "F")``).
    """

    path: Path
    pixels: np.ndarray
    photometric_interpretation: str
    window_presets: tuple[WindowPreset, ...]
    modality: str
    sop_instance_uid: str
    series_instance_uid: str
    study_instance_uid: str
    patient_id: str | None
    patient_position: str | None
    patient_orientation: tuple[str, ...]
    view_position: str | None
    study_date: date | None
    series_description: str | None
    trial: ClinicalTrialInfo
    film: Film | None
    film_detail: str
    """Where ``film`` came from ("caller", or the header attribute and its text), or why None."""
    calibration: Calibration
    rescale: tuple[float, float]
    """(slope, intercept) applied to the stored values; (1, 0) when none."""
    frame: int | None = None
    """The 0-based frame taken from a multi-frame file, else None."""
    patient_identity_removed: bool = False
    """(0012,0062) *Patient Identity Removed* is YES: ``patient_id`` is a pseudonym."""
    identifying: tuple[str, ...] = ()
    """What still identifies the patient (:func:`.trial.identifying_attributes`)."""

    @property
    def rows(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def cols(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def inverted_for_display(self) -> bool:
        """True for MONOCHROME1: low values are white. Values stay as stored; invert to show."""
        return inverted_for_display(self.photometric_interpretation)

    @property
    def subject(self) -> str | None:
        """Clinical Trial Subject ID, else a de-identified Patient ID (``trial.subject_of``)."""
        return subject_of(self.trial.subject_id, self.patient_id, self.patient_identity_removed)

    @property
    def visit(self) -> str | None:
        """Clinical Trial Time Point ID."""
        return self.trial.time_point_id

    def pixel_spacing_mm(self, what: str = "millimetre measures") -> tuple[float, float]:
        """(row, col) mm per pixel; :class:`CalibrationError` when uncalibrated."""
        return self.calibration.require_millimetres(what, image=str(self.path))

    def with_calibration(self, calibration: Calibration) -> Radiograph:
        return replace(self, calibration=calibration)

    def with_film(self, film: Film | str) -> Radiograph:
        return replace(self, film=Film(film), film_detail="caller")


class RadiographData(NamedTuple):
    """A radiograph file read and decoded (:func:`read_radiograph`), before its header's
    attributes are taken out of ``dataset``."""

    dataset: Dataset
    modality: str
    frame: int | None
    """The 0-based frame taken from a multi-frame file, else None."""
    pixels: np.ndarray
    """Measurement values, read-only, as :attr:`Radiograph.pixels`."""


def load_radiograph(
    path: PathLike,
    film: Film | str | None = None,
    calibration: Calibration | None = None,
    frame: int | None = None,
) -> Radiograph:
    """Load a projection radiograph; ``film`` and ``calibration`` given here override the header.

    ``frame`` (0-based) picks one frame of a multi-frame XA/RF file; single-frame files need none.
    Raises the errors of :mod:`imaging.dicom.read` and :mod:`imaging.dicom.pixels`, and
    :class:`UnsupportedImageError` for CT/MR/PT (use ``load_series``) and non-radiographs.
    """
    dataset, modality, frame, pixels = read_radiograph(path, frame)
    chosen: Film | None
    if film is not None:
        chosen, film_detail = Film(film), "caller"
    else:
        chosen, film_detail = detect_film(dataset)
    return Radiograph(
        path=Path(path),
        pixels=pixels,
        photometric_interpretation=photometric_interpretation(dataset),
        window_presets=window_presets(dataset),
        modality=modality,
        sop_instance_uid=str(dataset.get("SOPInstanceUID", "")),
        series_instance_uid=str(dataset.get("SeriesInstanceUID", "")),
        study_instance_uid=str(dataset.get("StudyInstanceUID", "")),
        patient_id=text_value(dataset, "PatientID"),
        patient_identity_removed=identity_removed(dataset),
        identifying=identifying_attributes(dataset),
        patient_position=text_value(dataset, "PatientPosition"),
        patient_orientation=patient_orientation(dataset),
        view_position=text_value(dataset, "ViewPosition"),
        study_date=parse_date(dataset.get("StudyDate")),
        series_description=text_value(dataset, "SeriesDescription"),
        trial=ClinicalTrialInfo.from_dataset(dataset),
        film=chosen,
        film_detail=film_detail,
        calibration=calibration if calibration is not None else Calibration.from_dataset(dataset),
        rescale=rescale_of(dataset),
        frame=frame,
    )


def read_radiograph(path: PathLike, frame: int | None = None) -> RadiographData:
    """Read, check and decode a projection radiograph (what :func:`load_radiograph` does before
    it takes every attribute out of the header): for a caller that needs a few of them (the
    batch takes 5 of the 20). Raises what :func:`load_radiograph` raises."""
    name = str(path)
    with open_binary(path) as (fileobj, size):
        dicom_file = parse_header(fileobj, size, name)
        dataset = dicom_file.dataset
        modality = check_projection(dataset, name)
        _, _, frames, _ = require_image(dicom_file)
        frame = _check_frame(frame, frames, name)
        read_pixel_bytes(fileobj, dicom_file)
    pixels = apply_modality_lut(decode_pixels(dataset, name, frame), dataset)
    pixels.flags.writeable = False
    return RadiographData(dataset, modality, frame, pixels)


def photometric_interpretation(dataset: Dataset) -> str:
    """(0028,0004) *Photometric Interpretation*, stripped ('' when absent)."""
    return str(dataset.get("PhotometricInterpretation", "")).strip()


def inverted_for_display(photometric: str) -> bool:
    """MONOCHROME1: low values are white (PS3.3 C.7.6.3.1.2)."""
    return photometric == "MONOCHROME1"


def patient_orientation(dataset: Dataset) -> tuple[str, ...]:
    """(0020,0020) *Patient Orientation*: the patient direction of increasing column index, then
    of increasing row index (e.g. ``("A", "F")``); empty when absent."""
    return tuple(str(v) for v in (dataset.get("PatientOrientation") or []))


def check_projection(dataset: Dataset, name: str) -> str:
    """The modality, if ``dataset`` is a projection radiograph; else UnsupportedImageError."""
    modality = normalized_modality(dataset.get("Modality"))
    sop_class = str(dataset.get("SOPClassUID", "") or "")
    if is_cross_sectional(modality):
        raise UnsupportedImageError(
            f"this is a {modality} image (a slice of a cross-sectional series), not a radiograph",
            path=name,
            fix="Load MR/CT with imaging.dicom.load_series(folder) or load_series_file(path).",
        )
    if is_readable_image(modality, sop_class):
        return modality
    raise UnsupportedImageError(
        f"modality {modality or '(none)'} is not a projection radiograph",
        path=name,
        fix="Pass a CR, DX, XA/RF or secondary-capture image of a film.",
    )


def window_presets(dataset: Dataset) -> tuple[WindowPreset, ...]:
    """Presets from (0028,1050)/(0028,1051)/(0028,1055); entries with width <= 0 are dropped."""
    try:
        centers = _as_floats(dataset.get("WindowCenter"))
        widths = _as_floats(dataset.get("WindowWidth"))
    except (TypeError, ValueError):
        return ()
    explanations = dataset.get("WindowCenterWidthExplanation")
    if isinstance(explanations, MultiValue | list | tuple):
        texts = [str(text) for text in explanations]
    else:
        texts = [str(explanations)] if explanations else []
    texts += [""] * (len(centers) - len(texts))
    return tuple(
        WindowPreset(center, width, text.strip())
        for center, width, text in zip(centers, widths, texts, strict=False)
        if width > 0
    )


def parse_date(value: object) -> date | None:
    """A DICOM DA value ('YYYYMMDD') as a date; None when absent or malformed."""
    text = str(value or "").strip()
    try:
        return datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        return None


def _as_floats(value: object) -> list[float]:
    if value is None or value == "":
        return []
    if isinstance(value, MultiValue | list | tuple):
        return [float(v) for v in value]
    return [float(value)]  # type: ignore[arg-type]


def _check_frame(frame: int | None, frames: int, name: str) -> int | None:
    if frames == 1:
        if frame not in (None, 0):
            raise UnsupportedImageError(
                f"frame {frame} asked of a single-frame image", path=name, fix="Omit frame."
            )
        return None
    if frame is None:
        raise UnsupportedImageError(
            f"the file holds {frames} frames; a radiograph is one",
            path=name,
            fix=f"Pass frame=N (0 to {frames - 1}) to take one frame.",
        )
    if not 0 <= frame < frames:
        raise UnsupportedImageError(
            f"frame {frame} asked, the file holds frames 0 to {frames - 1}",
            path=name,
            fix="Pass a frame index in range.",
        )
    return frame
