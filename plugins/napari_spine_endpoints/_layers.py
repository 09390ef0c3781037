"""Loaded images -> napari layer data tuples ``(data, kwargs, "image")``, without Qt.

Scale is the pixel spacing in mm, (row, col) (and slice first for volumes), with ``units`` "mm";
an uncalibrated film keeps scale 1 and units "pixel", never pretending millimetres. Contrast
limits come from the file's first window (else the 1st-99th percentile); MONOCHROME1 is shown
with the inverted colormap "gray_r", the data untouched.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.anatomy import Film
from imaging.calibration import Calibration
from imaging.dicom.radiograph import Radiograph
from imaging.dicom.series import ImageSeries
from imaging.store.blinding import BlindedImage
from napari_spine_endpoints._layer_info import METADATA_KEY, ImageInfo
from napari_spine_endpoints._model.window import Window, percentile_window

LayerData = tuple[Any, dict[str, Any], str]


def display_window(presets: tuple[tuple[float, float, str], ...], data: npt.ArrayLike) -> Window:
    """The window shown first: the file's first valid window, else the 1st-99th percentiles."""
    for center, width, explanation in presets:
        if width >= 1.0:
            return Window(center, width, explanation)
    return percentile_window(data)


def radiograph_info(radiograph: Radiograph) -> ImageInfo:
    """The layer metadata of a radiograph."""
    return ImageInfo(
        kind="radiograph",
        path=str(radiograph.path),
        calibration=radiograph.calibration,
        modality=radiograph.modality,
        subject=radiograph.subject or "",
        visit=radiograph.visit or "",
        film=radiograph.film,
        study_instance_uid=radiograph.study_instance_uid,
        series_instance_uid=radiograph.series_instance_uid,
        sop_instance_uid=radiograph.sop_instance_uid,
        photometric_interpretation=radiograph.photometric_interpretation,
        description=radiograph.series_description or "",
        window_presets=tuple((p.center, p.width, p.explanation) for p in radiograph.window_presets),
        patient_orientation=radiograph.patient_orientation,
    )


def layer_name(info: ImageInfo) -> str:
    """'DLBP-001 BASELINE flexion', falling back on the file name for anonymous files."""
    what = info.film.value if info.film is not None else (info.description or info.modality)
    parts = [p for p in (info.subject, info.visit, what) if p]
    return " ".join(parts) if parts else info.path.rsplit("/", 1)[-1]


def _spatial_kwargs(calibration: Calibration, ndim: int, slice_mm: float | None) -> dict[str, Any]:
    if calibration.pixel_spacing is None:
        return {"scale": (1.0,) * ndim, "units": ("pixel",) * ndim}
    scale = tuple(calibration.pixel_spacing)
    if ndim == 3:
        return {"scale": (slice_mm or 1.0, *scale), "units": ("mm",) * 3}
    return {"scale": scale, "units": ("mm", "mm")}


def _image_layer(
    info: ImageInfo, pixels: Any, name: str, slice_mm: float | None, extra: dict[str, Any]
) -> LayerData:
    """``pixels`` as an image layer with its scale, units, window and metadata."""
    kwargs: dict[str, Any] = {
        "name": name,
        "metadata": {METADATA_KEY: {**info.to_metadata(), **extra}},
        **_spatial_kwargs(info.calibration, 3 if info.kind == "series" else 2, slice_mm),
    }
    if info.kind == "radiograph" and pixels.ndim == 3:  # RGB secondary capture: shown as it is
        kwargs["rgb"] = True
    else:
        # A lazy volume's fallback window comes from its middle slice alone (not decoding all).
        lazy = info.kind == "series" and not isinstance(pixels, np.ndarray)
        sample = pixels[pixels.shape[0] // 2] if lazy else pixels
        kwargs["colormap"] = "gray_r" if info.inverted else "gray"
        kwargs["contrast_limits"] = display_window(info.window_presets, sample).contrast_limits
    return pixels, kwargs, "image"


def radiograph_layer(radiograph: Radiograph, name: str | None = None) -> LayerData:
    """A film as an image layer with its scale, units, window and metadata."""
    info = radiograph_info(radiograph)
    return _image_layer(info, radiograph.pixels, name or layer_name(info), None, {})


def blinded_layer(image: BlindedImage, reading_id: str) -> LayerData:
    """An image of a worklist case as the store hands it on (:mod:`imaging.store.blinding`):
    named '<reading id> neutral' or '<reading id> MR T2 sagittal', its metadata holding no path,
    UID, subject, visit, date or description."""
    weighting = "" if image.weighting in ("", "unknown") else image.weighting
    what = (
        image.film.value
        if image.film is not None
        else " ".join(x for x in (image.modality, weighting, image.orientation) if x)
    )
    info = ImageInfo(
        kind=image.kind,
        path="",
        calibration=image.calibration,
        modality=image.modality,
        film=image.film,
        photometric_interpretation=image.photometric_interpretation,
        description=what.strip(),
        window_presets=tuple(
            (c, w, f"window {n}") for n, (c, w) in enumerate(image.window_presets, 1)
        ),
        patient_orientation=image.patient_orientation,
        reading_id=reading_id,
        reference=image.token,
        weighting=image.weighting,
    )
    extra = {}
    if image.kind == "series":
        extra = {
            "orientation": image.orientation,
            "slice_spacing_detail": image.slice_spacing_detail,
        }
    name = f"{reading_id} {info.description}"
    return _image_layer(info, image.pixels, name, image.slice_spacing_mm, extra)


def series_info(series: ImageSeries) -> ImageInfo:
    """The layer metadata of an MR/CT series (the calibration of its in-plane spacing)."""
    description = series.series_description or f"{series.modality} series {series.series_number}"
    return ImageInfo(
        kind="series",
        path=str(series.paths[0].parent) if series.paths else "",
        calibration=series.calibration,
        modality=series.modality,
        subject=series.trial.subject_id or series.patient_id or "",
        visit=series.trial.time_point_id or "",
        film=None,
        study_instance_uid=series.study_instance_uid,
        series_instance_uid=series.series_instance_uid,
        sop_instance_uid="",
        photometric_interpretation=series.photometric_interpretation,
        description=f"{description} ({series.orientation})",
        window_presets=tuple((p.center, p.width, p.explanation) for p in series.window_presets),
        weighting="" if series.contrast is None else series.contrast.weighting.value,
    )


def series_layer(series: ImageSeries, name: str | None = None) -> LayerData:
    """A series as a 3-D image layer (slice, row, col) with its spacing in mm (data may be lazy).

    napari opens a new volume on its middle slice: for a sagittal series, the mid-sagittal one.
    """
    info = series_info(series)
    extra = {
        "orientation": series.orientation,
        "slice_spacing_detail": series.slice_spacing_detail,
    }
    name = name or layer_name(info)
    return _image_layer(info, series.volume, name, float(series.spacing[0]), extra)


def film_of(layer_kwargs: dict[str, Any]) -> Film | None:
    """The film recorded in a layer's kwargs metadata (for ordering flexion before extension)."""
    info = ImageInfo.from_metadata(layer_kwargs.get("metadata", {}))
    return None if info is None else info.film
