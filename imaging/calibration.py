"""Pixel calibration: how many millimetres a pixel is, and where that number came from.

Spacing is (row, col) in mm, the order of DICOM (0028,0030) *Pixel Spacing*. The source follows
shared/reference/spine-imaging.md section 5 and is carried with every millimetre value:

========================= =====================================================================
``calibrated``            (0028,0030) *Pixel Spacing* differs from (0018,1164) *Imager Pixel
                          Spacing* (with (0028,0A02) *Pixel Spacing Calibration Type*), or a
                          user-supplied calibration (mm per pixel, or a marker of known size)
``magnification-corrected`` *Imager Pixel Spacing* / (0018,1114) *Estimated Radiographic
                          Magnification Factor*
``detector``              *Imager Pixel Spacing* only, or equal to *Pixel Spacing*: at the
                          detector, not corrected for magnification
``patient``               *Pixel Spacing* of a cross-sectional image (CT, MR, PT)
``unknown``               *Pixel Spacing* alone on a projection image: origin not stated
``none``                  no spacing, or a zero/negative/malformed one: no millimetres at all
========================= =====================================================================
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydicom.datadict import tag_for_keyword
from pydicom.dataelem import RawDataElement

from imaging.errors import CalibrationError, InvalidSpacingError


class CalibrationSource(StrEnum):
    """Where a pixel spacing came from, most trustworthy first."""

    CALIBRATED = "calibrated"
    MAGNIFICATION_CORRECTED = "magnification-corrected"
    DETECTOR = "detector"
    PATIENT = "patient"
    UNKNOWN = "unknown"
    NONE = "none"

    def __str__(self) -> str:
        return self.value

    @property
    def at_the_patient(self) -> bool:
        """True when millimetres are the patient's (calibrated, corrected for radiographic
        magnification, or cross-sectional): a millimetre threshold may decide on them.
        ``detector`` and ``unknown`` spacings are magnified by about 1.1-1.25 on a lateral
        lumbar film (shared/reference/spine-imaging.md section 4)."""
        return self in (
            CalibrationSource.CALIBRATED,
            CalibrationSource.MAGNIFICATION_CORRECTED,
            CalibrationSource.PATIENT,
        )


@dataclass(frozen=True)
class Calibration:
    """Pixel spacing (row, col) in mm with its source; valid once constructed.

    ``pixel_spacing`` is None exactly when ``source`` is ``none``. ``detail`` says in words which
    attributes or which user input gave the spacing (or why there is none).
    """

    pixel_spacing: tuple[float, float] | None
    source: CalibrationSource
    detail: str = ""
    user_supplied: bool = False

    def __post_init__(self) -> None:
        source = CalibrationSource(self.source)
        object.__setattr__(self, "source", source)
        if source is CalibrationSource.NONE:
            if self.pixel_spacing is not None:
                raise CalibrationError(
                    "a calibration of source 'none' cannot have a pixel spacing",
                    fix="Pass pixel_spacing=None, or choose the source the spacing came from.",
                )
            return
        if self.pixel_spacing is None:
            raise CalibrationError(
                f"a calibration of source '{source}' needs a pixel spacing",
                fix="Give pixel_spacing=(row_mm, col_mm), or use source 'none'.",
            )
        row, col = (float(v) for v in self.pixel_spacing)
        if not (math.isfinite(row) and math.isfinite(col) and row > 0 and col > 0):
            raise InvalidSpacingError(
                f"pixel spacing must be two positive finite numbers (row, col) in mm, "
                f"got {self.pixel_spacing!r}"
            )
        object.__setattr__(self, "pixel_spacing", (row, col))

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def none(cls, detail: str = "no pixel spacing in the file") -> Calibration:
        """An uncalibrated image: angles and ratios only."""
        return cls(None, CalibrationSource.NONE, detail)

    @classmethod
    def user_supplied_spacing(cls, mm_per_pixel: float | Sequence[float]) -> Calibration:
        """A calibration the user states: one number (square pixels) or (row, col) in mm."""
        spacing = _as_pair(mm_per_pixel)
        return cls(
            spacing,
            CalibrationSource.CALIBRATED,
            f"user-supplied: {spacing[0]:g} x {spacing[1]:g} mm per pixel (row x col)",
            user_supplied=True,
        )

    @classmethod
    def from_marker(
        cls,
        point_a: Sequence[float],
        point_b: Sequence[float],
        known_distance_mm: float,
        pixel_aspect: Sequence[float] = (1.0, 1.0),
    ) -> Calibration:
        """Calibrate from two (row, col) pixel points a known distance apart (a marker, a ball).

        ``pixel_aspect`` is the (row, col) shape of a pixel in any unit (e.g. the detector
        spacing); only its ratio matters. The result keeps that ratio.
        """
        if not (math.isfinite(known_distance_mm) and known_distance_mm > 0):
            raise CalibrationError(
                f"the marker's known distance must be a positive number of mm, "
                f"got {known_distance_mm!r}"
            )
        aspect_row, aspect_col = _as_pair(pixel_aspect)
        d_row = (float(point_b[0]) - float(point_a[0])) * aspect_row
        d_col = (float(point_b[1]) - float(point_a[1])) * aspect_col
        length = math.hypot(d_row, d_col)
        if length == 0:
            raise CalibrationError(
                "the two marker points are the same pixel",
                fix="Place the points at the two ends of the marker.",
            )
        scale = known_distance_mm / length
        pixels = math.hypot(d_row / aspect_row, d_col / aspect_col)
        return cls(
            (aspect_row * scale, aspect_col * scale),
            CalibrationSource.CALIBRATED,
            f"user-supplied: marker of {known_distance_mm:g} mm over {pixels:.2f} pixels",
            user_supplied=True,
        )

    @classmethod
    def from_dataset(cls, dataset: Any) -> Calibration:
        """Decide the calibration of a pydicom data set (section 5 of the domain reference).

        Never raises for bad header values: a zero, negative or malformed spacing gives source
        ``none`` with the reason in ``detail``.
        """
        # imaging.dicom imports this module: its vocabulary is imported when first needed
        from imaging.dicom.vocabulary import is_cross_sectional

        modality = str(_attribute(dataset, "Modality") or "").strip().upper()
        kind = "cross-sectional" if is_cross_sectional(modality) else "projection"
        pixel = _read_spacing(dataset, "PixelSpacing", "(0028,0030) Pixel Spacing", kind)
        imager = _read_spacing(
            dataset, "ImagerPixelSpacing", "(0018,1164) Imager Pixel Spacing", kind
        )
        problems = [p for p in (pixel, imager) if isinstance(p, str)]
        ps = pixel if isinstance(pixel, tuple) else None
        ips = imager if isinstance(imager, tuple) else None

        if is_cross_sectional(modality) and ips is None:
            if ps is not None:
                return cls(ps, CalibrationSource.PATIENT, f"(0028,0030) Pixel Spacing ({modality})")
            return cls.none("; ".join(problems) or f"no (0028,0030) Pixel Spacing ({modality})")

        calibration_type = str(_attribute(dataset, "PixelSpacingCalibrationType") or "").strip()
        if ps is not None and ips is not None and not _close(ps, ips):
            how = f"type {calibration_type}" if calibration_type else "calibration type not stated"
            return cls(
                ps,
                CalibrationSource.CALIBRATED,
                f"(0028,0030) Pixel Spacing differs from Imager Pixel Spacing ({how})",
            )
        if ps is not None and ips is None and calibration_type:
            return cls(
                ps,
                CalibrationSource.CALIBRATED,
                f"(0028,0030) Pixel Spacing with (0028,0A02) calibration type {calibration_type}",
            )
        if ips is not None:
            magnification = _read_magnification(dataset)
            if isinstance(magnification, float):
                return cls(
                    (ips[0] / magnification, ips[1] / magnification),
                    CalibrationSource.MAGNIFICATION_CORRECTED,
                    f"(0018,1164) Imager Pixel Spacing / (0018,1114) Estimated Radiographic "
                    f"Magnification Factor {magnification:g}",
                )
            detail = "(0018,1164) Imager Pixel Spacing, not corrected for magnification"
            if ps is not None:
                detail = "(0028,0030) Pixel Spacing equals Imager Pixel Spacing: " + detail
            if isinstance(magnification, str):
                detail += f" ({magnification})"
            return cls(ips, CalibrationSource.DETECTOR, detail)
        if ps is not None:
            return cls(
                ps,
                CalibrationSource.UNKNOWN,
                "(0028,0030) Pixel Spacing alone on a projection image: whether it is at the "
                "detector or in the patient is not stated",
            )
        return cls.none("; ".join(problems) or "no Pixel Spacing or Imager Pixel Spacing")

    # --- use ---------------------------------------------------------------------------------
    @property
    def has_millimetres(self) -> bool:
        """True when millimetre values can be computed (any source but ``none``)."""
        return self.pixel_spacing is not None

    def require_millimetres(
        self, what: str = "millimetre measures", image: str = ""
    ) -> tuple[float, float]:
        """Return (row, col) spacing in mm, or raise :class:`CalibrationError` naming the image."""
        if self.pixel_spacing is None:
            where = f"image {image}" if image else "this image"
            raise CalibrationError(
                f"{what} need a pixel spacing, but {where} is uncalibrated ({self.detail}); "
                "1 pixel is never taken as 1 mm",
                fix="Supply a calibration: mm per pixel, or two points on a marker of known "
                "size. Angles and ratios are still available.",
            )
        return self.pixel_spacing

    def corrected_for_magnification(self, factor: float, by: str) -> Calibration:
        """A ``detector`` or ``unknown`` spacing divided by an accepted radiographic
        magnification ``factor`` (>= 1, e.g. a protocol's, named by ``by``), recorded as
        ``magnification-corrected``; any other calibration is returned as it is."""
        if self.source not in (CalibrationSource.DETECTOR, CalibrationSource.UNKNOWN):
            return self
        if not (math.isfinite(factor) and factor >= 1.0):
            raise CalibrationError(f"a magnification factor must be >= 1, got {factor!r}")
        assert self.pixel_spacing is not None
        row, col = self.pixel_spacing
        return Calibration(
            (row / factor, col / factor),
            CalibrationSource.MAGNIFICATION_CORRECTED,
            f"{self.detail}; divided by the magnification factor {factor:g} accepted by {by}",
            self.user_supplied,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return {
            "pixel_spacing_mm": None if self.pixel_spacing is None else list(self.pixel_spacing),
            "source": self.source.value,
            "detail": self.detail,
            "user_supplied": self.user_supplied,
        }


def _as_pair(value: float | Sequence[float]) -> tuple[float, float]:
    if isinstance(value, int | float):
        pair = (float(value), float(value))
    else:
        items = [float(v) for v in value]
        if len(items) != 2:
            raise CalibrationError(f"expected one number or a (row, col) pair, got {value!r}")
        pair = (items[0], items[1])
    if not all(math.isfinite(v) and v > 0 for v in pair):
        raise InvalidSpacingError(f"spacing must be positive and finite, got {value!r}")
    return pair


def _attribute(dataset: Any, keyword: str) -> Any:
    """The attribute's value, or None. A value pydicom has not converted yet is taken from the
    file's text, so that a malformed number becomes a reason (not a pydicom error or warning)."""
    get_item = getattr(dataset, "get_item", None)
    if get_item is None:
        return getattr(dataset, keyword, None)
    element = get_item(tag_for_keyword(keyword))
    if element is None:
        return None
    if isinstance(element, RawDataElement):
        if element.value is None:
            return None
        text = element.value.decode("latin-1").strip(" \x00")
        return text.split("\\") if "\\" in text else text
    return element.value


PLAUSIBLE_SPACING_MM: dict[str, tuple[float, float]] = {
    "projection": (0.02, 2.0),
    "cross-sectional": (0.05, 10.0),
}
"""mm per pixel a real image of each kind can have, inclusive: detectors of projection
radiographs have pixels of about 0.05-1 mm; MR and CT in-plane spacings of about 0.1-5 mm. A
spacing outside is a broken header (``1e30`` would give disc heights of ``1e31`` mm): the image is
then uncalibrated, with the reason. Change the bounds here for unusual equipment."""


def _read_spacing(
    dataset: Any, keyword: str, label: str, kind: str
) -> tuple[float, float] | str | None:
    """(row, col) mm, or a string saying why the attribute is unusable, or None when absent.

    ``kind``: ``projection`` or ``cross-sectional``, for :data:`PLAUSIBLE_SPACING_MM`."""
    value = _attribute(dataset, keyword)
    if value is None or value == "":
        return None
    try:
        values = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
        items = [float(v) for v in values]
    except (TypeError, ValueError):
        return f"{label} is malformed ({value!r})"
    if len(items) != 2:
        return f"{label} should have 2 values (row, col), has {len(items)} ({value!r})"
    if not all(math.isfinite(v) and v > 0 for v in items):
        return f"{label} is {items[0]:g}\\{items[1]:g}: zero, negative or not finite"
    low, high = PLAUSIBLE_SPACING_MM[kind]
    if not all(low <= v <= high for v in items):
        return (
            f"{label} is {items[0]:g}\\{items[1]:g} mm: outside the {low:g}-{high:g} mm per "
            f"pixel a {kind} image can have (calibration.PLAUSIBLE_SPACING_MM)"
        )
    return (items[0], items[1])


def _read_magnification(dataset: Any) -> float | str | None:
    raw = _attribute(dataset, "EstimatedRadiographicMagnificationFactor")
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return f"Estimated Radiographic Magnification Factor is malformed ({raw!r})"
    if not (math.isfinite(value) and value >= 1.0):
        return f"Estimated Radiographic Magnification Factor {value:g} ignored (must be >= 1)"
    return value


def _close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Equal but for the rounding of decimal text (1e-6 relative; spacings are >= 0.02 mm)."""
    return all(math.isclose(x, y, rel_tol=1e-6) for x, y in zip(a, b, strict=True))
