"""A landmark file's corners grouped by film, compactly: what ``heights``, ``rom`` and
``landmarks import`` hold of a file while they measure it.

Each film keeps its image name and its corners packed into arrays (which corner, row, col, the
line read from): about 30 bytes a corner instead of a record object, so a file of a million
corners holds some tens of MB. :meth:`LandmarkFile.films` then builds the validated
:class:`~imaging.geometry.landmarks.Landmarks` of some subjects at a time, finding each film's
image and calibration, so that callers measure subject by subject.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imaging.anatomy import Corner, Film, Vertebra
from imaging.calibration import Calibration
from imaging.errors import DicomReadError, LandmarkError
from imaging.geometry.landmarks import LandmarkPoint, Landmarks
from imaging.landmark_files.images import ArchiveIndex, FilmHeader, film_header, locate_image
from imaging.landmark_files.reader import LandmarkRecord, RowProblem, iter_landmark_records

FilmKey = tuple[str, str, Film, str]
"""(subject, visit, film, reader): the corners of one read film."""

_CORNERS = tuple((vertebra, corner) for vertebra in Vertebra for corner in vertebra.corners)
_CORNER_CODE = {key: code for code, key in enumerate(_CORNERS)}


@dataclass(slots=True)
class _FilmRows:
    """One film's corners as read: the image named, and per corner its code in ``_CORNERS``,
    row, col and line (or JSON entry) number."""

    image: str
    first: str
    """Where its first row was read (``"line 2"``), for messages."""
    codes: array[int] = field(default_factory=lambda: array("B"))
    rows: array[float] = field(default_factory=lambda: array("d"))
    cols: array[float] = field(default_factory=lambda: array("d"))
    numbers: array[int] = field(default_factory=lambda: array("q"))

    def add(self, record: LandmarkRecord) -> None:
        self.codes.append(_CORNER_CODE[(record.vertebra, record.corner)])
        self.rows.append(record.row)
        self.cols.append(record.col)
        self.numbers.append(int(record.where.rpartition(" ")[2]))

    def points(self, unit: str) -> list[LandmarkPoint]:
        return [
            LandmarkPoint(*_CORNERS[code], row, col, f"{unit} {number}")
            for code, row, col, number in zip(
                self.codes, self.rows, self.cols, self.numbers, strict=True
            )
        ]


class LandmarkFile:
    """The films of a landmark file, read and checked row by row (the first bad row raises its
    :class:`LandmarkError`); the corners of one film must all name one image, and one image is
    one film of a subject and visit."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._films: dict[FilmKey, _FilmRows] = {}
        self._by_subject: dict[str, list[FilmKey]] = {}
        self._unit = "entry" if self.path.suffix.lower() == ".json" else "line"
        images: dict[tuple[str, str, str], tuple[Film, str]] = {}
        for record in iter_landmark_records(self.path):
            if isinstance(record, RowProblem):
                raise record.error()
            key = record.film_key
            rows = self._films.get(key)
            if rows is None:
                rows = self._films[key] = _FilmRows(record.image, record.where)
                self._by_subject.setdefault(record.subject, []).append(key)
                film, where = images.setdefault(
                    (record.subject, record.visit, record.image), (record.film, record.where)
                )
                if film is not record.film:
                    raise LandmarkError(
                        f"{record.where}: image {record.image!r} is the {record.film} film of "
                        f"subject {record.subject}, visit {record.visit}, but {where} makes it "
                        f"the {film} film",
                        path=self.path,
                        fix="Each film (neutral, flexion, extension) has its own image.",
                    )
            elif record.image != rows.image:
                raise LandmarkError(
                    f"{record.where}: subject {record.subject}, visit {record.visit}, film "
                    f"{record.film}{_by(record.reader)} names image {record.image!r}, but "
                    f"{rows.first} names {rows.image!r}",
                    path=self.path,
                    fix="The corners of one film must all name the same image.",
                )
            rows.add(record)

    def subjects(self) -> list[str]:
        """The subjects, in the order of their first row."""
        return list(self._by_subject)

    def visits(self) -> dict[str, str]:
        """Each visit name as written, with where its first row is (``"line 2"``)."""
        first: dict[str, str] = {}
        for (_, visit, _, _), rows in self._films.items():
            first.setdefault(visit, rows.first)
        return first

    def films(
        self,
        subjects: Collection[str] | None = None,
        *,
        archive: str | Path | ArchiveIndex | None = None,
        mm_per_pixel: float | Sequence[float] | None = None,
    ) -> Iterator[Landmarks]:
        """The validated films of ``subjects`` (all when None), in the order of their first
        row, with each image's calibration (see :func:`imaging.landmark_files.load_landmarks`).
        """
        if subjects is None:
            keys: list[FilmKey] = list(self._films)
        else:
            chosen = [k for s in subjects for k in self._by_subject.get(s, ())]
            order = {key: index for index, key in enumerate(self._films)}
            keys = sorted(chosen, key=order.__getitem__) if len(subjects) > 1 else chosen
        index = ArchiveIndex(archive) if isinstance(archive, str | Path) else archive
        user = None if mm_per_pixel is None else Calibration.user_supplied_spacing(mm_per_pixel)
        headers: dict[Path, FilmHeader] = {}
        for key in keys:
            yield self._landmarks(key, index, user, headers)

    def _landmarks(
        self,
        key: FilmKey,
        index: ArchiveIndex | None,
        user: Calibration | None,
        headers: dict[Path, FilmHeader],
    ) -> Landmarks:
        subject, visit, film, reader = key
        rows = self._films[key]
        points = rows.points(self._unit)
        calibration: Calibration | None = user
        anterior: tuple[float, float] | None = None
        if user is None:
            image, tried = locate_image(rows.image, self.path, index)
            if image is None:
                raise LandmarkError(
                    f"{rows.first}: image {rows.image!r} of subject {subject}, visit {visit}, "
                    f"film {film}{_by(reader)} not found (tried {'; '.join(tried)})",
                    path=self.path,
                    fix="Put the image there, give --archive DIR to find SOPInstanceUIDs, or "
                    "give --mm-per-pixel to measure without the image's header.",
                )
            if image not in headers:
                try:
                    headers[image] = film_header(image)
                except DicomReadError as error:
                    raise LandmarkError(
                        f"{rows.first}: image of subject {subject}, visit {visit}, film {film} "
                        f"cannot be used: {error}",
                        path=self.path,
                    ) from error
            header = headers[image]
            calibration, anterior = header.calibration, header.anterior_direction
            if header.shape is not None:
                _check_inside(points, header.shape, image, self.path)
        return Landmarks.from_points(
            points,
            film=film,
            calibration=calibration,
            image=rows.image,
            subject=subject,
            visit=visit,
            reader=reader,
            anterior_direction=anterior,
            origin=str(self.path),
        )


def _by(reader: str) -> str:
    return f", reader {reader}" if reader else ""


def _check_inside(
    points: Sequence[LandmarkPoint], shape: tuple[int, int], image: Path, source: Path
) -> None:
    rows, columns = shape
    for point in points:
        if not (-0.5 <= point.row <= rows - 0.5 and -0.5 <= point.col <= columns - 0.5):
            raise LandmarkError(
                f"{point.source}: {point.vertebra} {Corner(point.corner).value} at (row "
                f"{point.row:g}, col {point.col:g}) lies outside image {image} ({rows} rows x "
                f"{columns} columns)",
                path=source,
                fix="Coordinates are (row, col) pixels of that image: check the image and "
                "whether row and col are swapped.",
            )
