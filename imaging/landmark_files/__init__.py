"""Landmark files: the documented, user-facing format for vertebral corners.

Format (CSV; JSON with the same content is also accepted)
---------------------------------------------------------
One row per placed corner, with a header line naming the columns (any order, case and spacing
ignored, extra columns ignored)::

    subject,visit,film,image,vertebra,corner,row,col,reader
    DLBP-001,baseline,neutral,DLBP-001/baseline/neutral.dcm,L4,anterior_inferior,812.5,1034.0,R1

``subject``, ``visit``
    Free text identifying the study.
``film``
    ``neutral``, ``flexion`` or ``extension``.
``image``
    The film's DICOM file (relative to the landmark file's folder, else to the current folder,
    or absolute) or its SOPInstanceUID (found in an archive given with ``--archive``).
``vertebra``
    ``T12``, ``L1`` ... ``L5``, ``S1``.
``corner``
    ``anterior_superior``, ``posterior_superior``, ``anterior_inferior``, ``posterior_inferior``
    (also written ``anterior-superior``, ``Anterior Superior`` or ``AS``/``PS``/``AI``/``PI``);
    S1 has the two superior corners only.
``row``, ``col``
    Pixel coordinates of the corner on that image (0-based, (row, col), fractions allowed). Both
    empty: the corner was not placed (the same as leaving the row out).
``reader`` (optional)
    Who placed the corners; each reader's films are measured separately.

JSON: a list of objects with these keys, or ``{"landmarks": [...]}``. The corners of one
subject x visit x film x reader must all name the same image. Each corner appears once, and the
corners must be anatomically possible (:mod:`imaging.geometry.corner_order`); every violation is a
:class:`~imaging.errors.LandmarkError` naming the file, the line and the fix. The file is read
within the limits of :mod:`imaging.text_input` (a regular file; CSV cells up to 128 KiB; JSON up
to 64 MiB and 64 levels deep): beyond them a :class:`~imaging.errors.TextInputError` names the
file, the line and the fix.

:func:`load_landmarks` and :func:`read_landmark_records` refuse a file with a bad row;
:func:`iter_landmark_records` yields a :class:`RowProblem` per bad row and the good records, for
callers (the batch) that measure every film they can.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from imaging.geometry.landmarks import Landmarks
from imaging.landmark_files.grouped import LandmarkFile
from imaging.landmark_files.reader import (
    LandmarkRecord,
    RowProblem,
    iter_landmark_records,
    read_landmark_records,
)

__all__ = [
    "LandmarkFile",
    "LandmarkRecord",
    "RowProblem",
    "iter_landmark_records",
    "load_landmarks",
    "read_landmark_records",
]


def load_landmarks(
    path: str | Path,
    *,
    archive: str | Path | None = None,
    mm_per_pixel: float | Sequence[float] | None = None,
) -> list[Landmarks]:
    """Read a landmark file, find each film's image and calibration, and validate the corners.

    Films come in the order of their first row. ``mm_per_pixel`` (one number, or (row, col))
    replaces every image's calibration, recorded as user-supplied, and makes the images optional.
    A large file is better measured subject by subject: :class:`LandmarkFile`.
    """
    return list(LandmarkFile(path).films(archive=archive, mm_per_pixel=mm_per_pixel))
