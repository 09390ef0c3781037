"""Refine a whole landmark file: read each film's image, refine its corners, tabulate.

The I/O edge of :mod:`imaging.assist` (the algorithms never read files). The table keeps the
landmark file's columns, with ``row`` and ``col`` the positions to measure with (refined where
accepted, else the click), so it can be measured directly (``spine-endpoints heights``); the
extra columns record the click, the refined point, which was used, the confidence and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from imaging.assist.refine import refine_corners
from imaging.dicom import load_radiograph
from imaging.errors import CalibrationError, LandmarkError
from imaging.landmark_files import load_landmarks
from imaging.landmark_files.images import ArchiveIndex, locate_image

REFINED_COLUMNS = (
    "subject", "visit", "film", "image", "vertebra", "corner", "row", "col", "reader",
    "clicked_row", "clicked_col", "refined_row", "refined_col", "used", "confidence",
    "moved_mm", "status", "reason",
)  # fmt: skip
"""The landmark file format's columns first, then the refinement's record."""


def refine_landmark_file(
    path: str | Path,
    *,
    archive: str | Path | None = None,
    mm_per_pixel: float | tuple[float, float] | None = None,
    search_radius_mm: float = 4.0,
    search_radius_px: float | None = None,
    min_confidence: float = 0.5,
) -> pd.DataFrame:
    """Every corner of every film in the landmark file, refined on its image.

    The images are required (a landmark file can be measured without them, but not refined).
    ``mm_per_pixel`` overrides the headers' calibration as for measuring; uncalibrated films
    need ``search_radius_px``.
    """
    source = Path(path)
    films = load_landmarks(source, archive=archive, mm_per_pixel=mm_per_pixel)
    index = ArchiveIndex(archive) if archive is not None else None
    records: list[dict[str, Any]] = []
    for film in films:
        image, tried = locate_image(film.image, source, index)
        if image is None:
            raise LandmarkError(
                f"{film.label}: image {film.image!r} not found (tried {'; '.join(tried)})",
                path=source,
                fix="Refinement reads the film itself: put the image where the landmark file "
                "says, or give --archive DIR for SOPInstanceUIDs.",
            )
        radiograph = load_radiograph(image, film=film.film, calibration=film.calibration)
        try:
            result = refine_corners(
                radiograph.pixels,
                film.corners,
                film.calibration.pixel_spacing,
                search_radius_mm=search_radius_mm,
                search_radius_px=search_radius_px,
                min_confidence=min_confidence,
                bone_bright=not radiograph.inverted_for_display,
            )
        except CalibrationError as error:
            raise CalibrationError(
                f"{film.label}: {error.reason}",
                path=image,
                fix="Give a calibration (--mm-per-pixel) or the radius in pixels "
                "(--search-radius-px).",
            ) from None
        for record in result.rows():
            records.append(
                {
                    "subject": film.subject,
                    "visit": film.visit,
                    "film": film.film.value,
                    "image": film.image,
                    "reader": film.reader,
                    **record,
                }
            )
    return pd.DataFrame(records, columns=list(REFINED_COLUMNS))
