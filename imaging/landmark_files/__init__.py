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
:class:`~imaging.errors.LandmarkError` naming the file, the line and the fix.

:func:`load_landmarks` and :func:`read_landmark_records` refuse a file with a bad row;
:func:`iter_landmark_records` yields a :class:`RowProblem` per bad row and the good records, for
callers (the batch) that measure every film they can.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from imaging.anatomy import Film
from imaging.calibration import Calibration
from imaging.errors import DicomReadError, LandmarkError
from imaging.geometry.landmarks import LandmarkPoint, Landmarks
from imaging.landmark_files.images import ArchiveIndex, FilmHeader, film_header, locate_image
from imaging.landmark_files.reader import (
    LandmarkRecord,
    RowProblem,
    iter_landmark_records,
    read_landmark_records,
)

__all__ = [
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
    """
    source = Path(path)
    groups: dict[tuple[str, str, Film, str], list[LandmarkRecord]] = {}
    for record in read_landmark_records(source):
        group = groups.setdefault(record.film_key, [])
        if group and record.image != group[0].image:
            raise LandmarkError(
                f"{record.where}: subject {record.subject}, visit {record.visit}, film "
                f"{record.film}{_by(record.reader)} names image {record.image!r}, but "
                f"{group[0].where} names {group[0].image!r}",
                path=source,
                fix="The corners of one film must all name the same image.",
            )
        group.append(record)
    _check_one_film_per_image(groups, source)

    index = ArchiveIndex(archive) if archive is not None else None
    user = None if mm_per_pixel is None else Calibration.user_supplied_spacing(mm_per_pixel)
    headers: dict[Path, FilmHeader] = {}
    films = []
    for (subject, visit, film, reader), records in groups.items():
        first = records[0]
        calibration: Calibration | None = user
        anterior: tuple[float, float] | None = None
        if user is None:
            image, tried = locate_image(first.image, source, index)
            if image is None:
                raise LandmarkError(
                    f"{first.where}: image {first.image!r} of subject {subject}, visit {visit}, "
                    f"film {film}{_by(reader)} not found (tried {'; '.join(tried)})",
                    path=source,
                    fix="Put the image there, give --archive DIR to find SOPInstanceUIDs, or "
                    "give --mm-per-pixel to measure without the image's header.",
                )
            if image not in headers:
                try:
                    headers[image] = film_header(image)
                except DicomReadError as error:
                    raise LandmarkError(
                        f"{first.where}: image of subject {subject}, visit {visit}, film {film} "
                        f"cannot be used: {error}",
                        path=source,
                    ) from error
            header = headers[image]
            calibration, anterior = header.calibration, header.anterior_direction
            if header.shape is not None:
                _check_inside(records, header.shape, image, source)
        films.append(
            Landmarks.from_points(
                (LandmarkPoint(r.vertebra, r.corner, r.row, r.col, r.where) for r in records),
                film=film,
                calibration=calibration,
                image=first.image,
                subject=subject,
                visit=visit,
                reader=reader,
                anterior_direction=anterior,
                origin=str(source),
            )
        )
    return films


def _by(reader: str) -> str:
    return f", reader {reader}" if reader else ""


def _check_one_film_per_image(
    groups: dict[tuple[str, str, Film, str], list[LandmarkRecord]], source: Path
) -> None:
    seen: dict[tuple[str, str, str], LandmarkRecord] = {}
    for (subject, visit, _, _), records in groups.items():
        first = records[0]
        earlier = seen.setdefault((subject, visit, first.image), first)
        if earlier.film is not first.film:
            raise LandmarkError(
                f"{first.where}: image {first.image!r} is the {first.film} film of subject "
                f"{subject}, visit {visit}, but {earlier.where} makes it the {earlier.film} film",
                path=source,
                fix="Each film (neutral, flexion, extension) has its own image.",
            )


def _check_inside(
    records: Sequence[LandmarkRecord], shape: tuple[int, int], image: Path, source: Path
) -> None:
    rows, columns = shape
    for record in records:
        if not (-0.5 <= record.row <= rows - 0.5 and -0.5 <= record.col <= columns - 0.5):
            raise LandmarkError(
                f"{record.where}: {record.vertebra} {record.corner.value} at (row {record.row:g}, "
                f"col {record.col:g}) lies outside image {image} ({rows} rows x {columns} columns)",
                path=source,
                fix="Coordinates are (row, col) pixels of that image: check the image and "
                "whether row and col are swapped.",
            )
