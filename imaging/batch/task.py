"""One study's work: load its films, measure its landmark sets, add its grades.

A :class:`StudyTask` holds only plain values (paths, corner coordinates, grade codes, thresholds),
so it pickles to a worker process or a dask worker; :func:`run_study` is a module-level function
for the same reason. It never raises for bad input: every file, landmark set or film that cannot
be used becomes a :class:`~imaging.batch.model.Failure` of the study, and the rest is computed.

Uncalibrated films: their angles, indexes and percentages are computed; their millimetre rows
stay in the table with an empty value and the reason in ``note`` (as :mod:`imaging.endpoints`
gives them), and the failures table gets one ``uncalibrated: ...`` row per such film.

A landmark set with bad rows (``FilmRead.problems``) is not measured: each bad row is a
``landmarks: line N ...`` failure naming the landmark file. With ``--refine``/``--track``
(:class:`~imaging.batch.assisted.AssistOptions`) the films' pixels are kept while the study is
computed, and :mod:`imaging.batch.assisted` refines the read corners and tracks unread dynamic
films.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from imaging import __version__
from imaging.anatomy import Corner, Film, Vertebra
from imaging.batch.assisted import AssistOptions, ReadFilm, refine_film, track_study
from imaging.batch.model import CornerRow, Failure, FileDigest, Point, StudyResult
from imaging.batch.open_film import OpenedFilm, failure_kind, open_film
from imaging.dicom.trial import identifying_problem, other_trial_problem
from imaging.endpoints import (
    EndpointRow,
    FilmCorners,
    Grade,
    MeasureRules,
    StudyRead,
    endpoint_rows,
)
from imaging.errors import LandmarkError, SpineEndpointsError
from imaging.geometry.landmarks import LandmarkPoint, Landmarks


@dataclass(frozen=True)
class FilmRead:
    """One reader's corners on one film, as given in the landmark source.

    ``image`` is what the landmark source says (a path or a SOPInstanceUID; reported as
    ``source_image``); ``path`` is the file found for it, empty when none was.
    """

    image: str
    path: str
    film: str
    reader: str
    points: tuple[Point, ...]
    origin: str = ""
    not_found: str = ""
    """Where the image was looked for, when ``path`` is empty."""
    problems: tuple[str, ...] = ()
    """The set's bad rows (``"line 12 (...): unknown corner 'XX' ..."``): not measured."""
    read_version: int | None = None
    """The version of the stored read the corners come from (None for a landmark file)."""


@dataclass(frozen=True)
class GradeEntry:
    """One grade: ``item`` (``pfirrmann``, ``modic_cranial``, ...) at ``level`` by ``reader``."""

    level: str
    item: str
    code: str
    reader: str
    numeric: float | None = None
    """The grade as a number when its scale is ordinal (Pfirrmann 3 -> 3.0), else None."""
    read_version: int | None = None
    """The version of the stored read the grade comes from (None for a grade file)."""
    note: str = ""
    """The reader's comment on the level."""


@dataclass(frozen=True)
class StudyTask:
    """Everything one subject x visit needs; ``images`` are the study's radiograph files."""

    study_id: str
    subject: str
    visit: str
    images: tuple[tuple[str, str], ...]
    """(path, film) of every radiograph of the study, landmarked or not."""
    reads: tuple[FilmRead, ...] = ()
    grades: tuple[GradeEntry, ...] = ()
    settings: MeasureRules = field(default_factory=MeasureRules)
    study_day: int | None = None
    """Days from the subject's day 0 to this study's date (None when unknown)."""
    assist: AssistOptions = field(default_factory=AssistOptions)
    archive: str = ""
    """The archive folder: images found by the scan are shown relative to it."""
    require_deidentified: bool = False
    """The protocol refuses images that still identify their patient (a failure row each)."""
    dicom_protocol_ids: tuple[str, ...] = ()
    """The protocol's (0012,0020) ids: an image of another trial is a failure row, not measured."""
    software: str = __version__

    @property
    def label(self) -> str:
        return f"{self.subject} {self.visit}"

    def display(self, path: str) -> str:
        """``path`` relative to the archive (POSIX separators) when inside it."""
        if self.archive:
            try:
                return Path(path).relative_to(self.archive).as_posix()
            except ValueError:
                pass
        return path

    @property
    def files(self) -> tuple[str, ...]:
        """The image files whose content the result depends on."""
        return tuple(
            sorted({path for path, _ in self.images} | {r.path for r in self.reads if r.path})
        )

    def recipe_hash(self) -> str:
        """SHA-256 of everything but the files' content: landmarks, grades, settings, version.

        Where the landmark file lies is left out: moving it changes nothing computed.
        """
        text = json.dumps(self, sort_keys=True, default=_plain_fields, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _plain_fields(value: Any) -> Any:
    """JSON for what the C encoder cannot write itself (its ``default``): a dataclass as a dict
    of its fields (a read without its ``origin``), anything else as its text. The same JSON as
    :func:`dataclasses.asdict` then ``default=str`` gave (so the same recipe hash), without
    copying each of a study's hundreds of values first."""
    if is_dataclass(value) and not isinstance(value, type):
        plain = {f.name: getattr(value, f.name) for f in fields(value)}
        if isinstance(value, FilmRead):
            del plain["origin"]
        return plain
    return str(value)


def run_study(task: StudyTask) -> StudyResult:
    """Compute one study (see the module docstring); never raises for bad input."""
    started = time.perf_counter()
    failures: list[Failure] = []

    def fail(file: str, reason: str) -> None:
        failures.append(Failure(file, task.subject, task.visit, reason))

    digests: list[FileDigest] = []
    opened: dict[str, OpenedFilm | None] = {}
    for path in task.files:
        try:
            digests.append(FileDigest.of(path))
            header = open_film(path, keep_pixels=task.assist.needs_pixels)
            other = other_trial_problem(
                header.trial_protocol_id, task.dicom_protocol_ids, task.settings.protocol
            )
            if task.require_deidentified and header.identifying:
                opened[path] = None
                fail(path, identifying_problem(header.identifying))
            elif other:
                opened[path] = None
                fail(path, other)
            else:
                opened[path] = header
        except OSError as error:
            opened[path] = None
            fail(path, f"unreadable: {error.strerror or error}")
        except SpineEndpointsError as error:
            opened[path] = None
            fail(path, f"{failure_kind(error)}: {error}")

    reads: list[ReadFilm] = []
    for read in task.reads:
        if read.problems:
            for problem in read.problems:
                fail(read.origin, f"landmarks: {problem}")
            continue
        if not read.path:
            fail(read.image, f"image not found: looked in {read.not_found}")
            continue
        film = opened.get(read.path)
        if film is None:
            continue  # its failure is already recorded
        try:
            landmarks = _landmarks(task, read, film)
        except (SpineEndpointsError, ValueError) as error:
            fail(read.path, f"landmarks: {error}")
            continue
        reads.append(ReadFilm(FilmCorners(landmarks), read.path, film, read.read_version))
        if not film.calibration.has_millimetres:
            refine = "; its corners are not refined" if task.assist.refine else ""
            fail(
                read.path,
                f"uncalibrated: the {read.film} film has no pixel spacing "
                f"({film.calibration.detail}); its millimetre measures are left empty, its "
                f"angles and ratios are computed{refine}. Supply a calibration to get millimetres",
            )
    if task.assist.refine:
        reads = [refine_film(read, task.assist, fail) for read in reads]
    tracked = (
        track_study(reads, task.images, opened, task.display, task.assist, fail)
        if task.assist.track
        else None
    )

    measured = {r.path for r in task.reads} | (tracked.paths if tracked else set())
    for path, film_name in task.images:
        if path not in measured and opened.get(path) is not None:
            fail(
                path,
                f"no landmarks: no corners were read on this {film_name or 'radiograph'} film. "
                "Read it (napari plugin) or add its rows to the landmark file",
            )
    read_sets = len(reads)
    versions = {read.film.landmarks.reader: read.read_version for read in reads}
    films = [(read.film, read.read_version) for read in reads] + [
        (film, versions.get(film.landmarks.reader)) for film in (tracked.films if tracked else [])
    ]
    placed = [(read.film, task.display(read.path)) for read in reads] + [
        (film, film.landmarks.image) for film in (tracked.films if tracked else [])
    ]
    corners = tuple(row for film, image in placed for row in _corner_rows(film, image))
    del reads, opened, placed  # the pixels, when kept, are no longer needed

    rows = _study_rows(task, films, tracked.pair_rows if tracked else {}, fail)
    summary: dict[str, Any] = {
        "films": len(task.images),
        "landmark_sets": read_sets,
        "tracked_films": len(tracked.films) if tracked else 0,
        "grades": len(task.grades),
        "seconds": round(time.perf_counter() - started, 4),
    }
    return StudyResult(
        task.study_id, task.subject, task.visit, tuple(row.cells() for row in rows),
        tuple(failures), tuple(digests),
        summary, corners,
    )  # fmt: skip


def _corner_rows(film: FilmCorners, image: str) -> list[CornerRow]:
    """The film's corners as ``corners.csv`` rows (full precision: the table is reproducible)."""
    marks = film.landmarks
    return [
        (
            marks.film.value,
            image,
            marks.reader,
            vertebra.value,
            corner.value,
            row,
            col,
            film.corners,
        )
        for vertebra, points in marks.corners.items()
        for corner, (row, col) in points.items()
    ]


def _study_rows(
    task: StudyTask,
    films: list[tuple[FilmCorners, int | None]],
    extra: dict[str, list[EndpointRow]],
    fail: Callable[[str, str], None],
) -> list[EndpointRow]:
    """Every reader's read of the study through the one endpoint function."""
    reads: dict[tuple[str, int | None], StudyRead] = {}

    def read_of(reader: str, version: int | None) -> StudyRead:
        key = (reader, version)
        if key not in reads:
            reads[key] = StudyRead(
                task.subject, task.visit, reader, version, study_day=task.study_day
            )
        return reads[key]

    for film, version in films:
        read = read_of(film.landmarks.reader, version)
        reads[(read.reader, version)] = replace(read, films=(*read.films, film))
    for entry in task.grades:
        read = read_of(entry.reader, entry.read_version)
        grade = Grade(entry.level, entry.item, entry.code, entry.numeric, entry.note)
        reads[(read.reader, read.read_version)] = replace(read, grades=(*read.grades, grade))
    for reader, extra_rows in extra.items():
        key = next((k for k in reads if k[0] == reader), (reader, None))
        read = read_of(*key)
        reads[key] = replace(read, extra_rows=(*read.extra_rows, *extra_rows))
    rows: list[EndpointRow] = []
    for key in sorted(reads, key=lambda k: (k[0], k[1] or 0)):
        try:
            rows.extend(endpoint_rows(reads[key], task.settings))
        except SpineEndpointsError as error:
            fail("", f"landmarks: {error}")
            rows.extend(endpoint_rows(replace(reads[key], films=(), extra_rows=()), task.settings))
    return rows


def _landmarks(task: StudyTask, read: FilmRead, film: OpenedFilm) -> Landmarks:
    """The read's corners as validated landmarks; LandmarkError when one is off the image."""
    rows, cols = film.shape
    for vertebra, corner, row, col, where in read.points:
        if not (-0.5 <= row <= rows - 0.5 and -0.5 <= col <= cols - 0.5):
            raise LandmarkError(
                f"{where}: {vertebra} {corner} at (row {row:g}, col {col:g}) lies outside the "
                f"image ({rows} rows x {cols} columns)",
                path=read.origin or None,
                fix="Coordinates are (row, col) pixels of that image: check the image and "
                "whether row and col are swapped.",
            )
    points = [
        LandmarkPoint(Vertebra(v), Corner(c), row, col, where)
        for v, c, row, col, where in read.points
    ]
    return Landmarks.from_points(
        points,
        film=Film(read.film),
        calibration=film.calibration,
        image=read.image,
        subject=task.subject,
        visit=task.visit,
        reader=read.reader,
        anterior_direction=film.anterior_direction,
        origin=read.origin or None,
    )


__all__ = ["FilmRead", "GradeEntry", "StudyTask", "run_study"]
