"""Assisted measurement inside one study's task: ``--refine`` and ``--track``.

Both options are part of every task's recipe, so switching one on or off recomputes the studies.

Refinement (``refine``): the corners of every read film whose calibration gives millimetres are
refined on its pixels (:func:`imaging.assist.refine_corners`; bone bright unless MONOCHROME1). A
confident corner moves to the bone corner (never further than ``search_radius_mm`` from the
click); one refinement is not confident about keeps the click, and the film's rows name it in
their note. The film's rows say ``corners`` = ``refined`` when every corner was refined, ``click``
when none was, else the counts (``refined 18/22, click 4``). An uncalibrated film is not refined
(its search radius is in millimetres): its corners stay ``click``.

Tracking (``track``), for each reader of the study:

- one dynamic film read (flexion or extension): its corners are tracked onto the other one;
- no dynamic film read, the neutral film read: its corners are tracked onto both dynamic films;
- both dynamic films read: nothing is tracked (the reader's corners have the last word).

The target is the study's film of that kind (exactly one must be there). Each vertebra is found
by rigid registration (:func:`imaging.assist.track_vertebrae`); a poorly matched vertebra is a
``poor match: ...`` failure of the target file and its corners are not used (the levels it bounds
are empty on that film, the others are measured). The tracked film's rows say ``corners`` =
``tracked``. Besides the ROM of the mapped corners (``angular_rom``, ``translation_rom``, ...),
each level gets ``angular_rom_registration``: the change of the two vertebrae's relative rotation
between flexion and extension, from the registration transforms alone. (Translation from the
transforms is the translation of the mapped corners, so it is not repeated.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from imaging.anatomy import DiscLevel, Film
from imaging.batch.open_film import OpenedFilm
from imaging.endpoints import (
    PAIR_FILM,
    TRACKED,
    EndpointRow,
    FilmCorners,
)
from imaging.errors import LandmarkError, SpineEndpointsError

if TYPE_CHECKING:
    from imaging.assist import TrackingResult

# imaging.assist (SimpleITK, scikit-image) is imported where it is used: a batch without
# --refine/--track never loads it (about 180 MiB and a second per process).

REGISTRATION_ROM = "angular_rom_registration"
"""Measure name of the angular ROM from the tracking transforms (degrees)."""
Fail = Callable[[str, str], None]
"""``fail(file, reason)``: record a failure of the study."""


@dataclass(frozen=True)
class AssistOptions:
    """What assisted measurement the batch does (plain values: part of the recipe hash)."""

    refine: bool = False
    track: bool = False
    search_radius_mm: float = 4.0
    """Refinement never moves a corner further than this from its click."""
    min_confidence: float = 0.5
    """Below this confidence a refined corner is not used (the click is)."""
    min_correlation: float = 0.5
    """Below this correlation after registration a tracked vertebra is a poor match."""

    @property
    def needs_pixels(self) -> bool:
        return self.refine or self.track


@dataclass(frozen=True)
class ReadFilm:
    """A film as measured (possibly refined), the file it came from and that file opened."""

    film: FilmCorners
    path: str
    opened: OpenedFilm
    read_version: int | None = None
    """The stored read's version the corners come from (None for a landmark file)."""


def refine_film(read: ReadFilm, options: AssistOptions, fail: Fail) -> ReadFilm:
    """The film with refined corners, or as it was when it cannot be refined."""
    landmarks, opened = read.film.landmarks, read.opened
    spacing = landmarks.calibration.pixel_spacing
    if spacing is None:
        return read  # its "uncalibrated" failure says it is not refined
    name = landmarks.film.value
    if opened.pixels is None:
        note = f"{name}: not refined (a colour image)"
        return replace(read, film=replace(read.film, note=_join(read.film.note, note)))
    from imaging.assist import refine_corners

    try:
        result = refine_corners(
            opened.pixels,
            landmarks.corners,
            spacing,
            search_radius_mm=options.search_radius_mm,
            min_confidence=options.min_confidence,
            bone_bright=opened.bone_bright,
        )
    except (SpineEndpointsError, ValueError) as error:
        fail(read.path, f"not refined: {error}; the clicks of the {name} film are measured")
        return read
    try:
        film = result.film_corners(landmarks, read.film.note)
    except LandmarkError as error:
        fail(
            read.path,
            f"not refined: the refined corners of the {name} film are not anatomically possible "
            f"({error.reason}); the clicks are measured",
        )
        return read
    return replace(read, film=film)


@dataclass
class TrackedFilms:
    """What tracking added to a study: films, ROM rows per reader, the target files used."""

    films: list[FilmCorners] = field(default_factory=list)
    pair_rows: dict[str, list[EndpointRow]] = field(default_factory=dict)
    paths: set[str] = field(default_factory=set)


def track_study(
    reads: Sequence[ReadFilm],
    images: Sequence[tuple[str, str]],
    opened: Mapping[str, OpenedFilm | None],
    display: Callable[[str], str],
    options: AssistOptions,
    fail: Fail,
) -> TrackedFilms:
    """Track every reader's missing dynamic films (see the module docstring).

    ``images`` are the study's (path, film) pairs, ``opened`` its opened files (None when
    damaged), ``display`` turns a path into the name the table shows.
    """
    out = TrackedFilms()
    by_reader: dict[str, dict[Film, ReadFilm]] = {}
    for read in reads:
        by_reader.setdefault(read.film.landmarks.reader, {})[read.film.landmarks.film] = read
    for reader, films in sorted(by_reader.items()):
        source, targets = _plan(films)
        if source is None:
            continue
        tracks: dict[Film, TrackingResult | None] = {source.film.landmarks.film: None}
        names: dict[Film, str] = {source.film.landmarks.film: source.film.landmarks.image}
        for kind in targets:
            target = _target(source, kind, images, opened, fail)
            if target is None:
                continue
            tracked = _track(source, kind, target, opened[target], display(target), options, fail)
            if tracked is None:
                continue
            tracking, film = tracked
            tracks[kind], names[kind] = tracking, display(target)
            if film is not None:
                out.films.append(film)
                out.paths.add(target)
        if Film.FLEXION in tracks and Film.EXTENSION in tracks:
            out.pair_rows[reader] = _registration_rows(source.film, tracks, names)
    return out


def _plan(films: Mapping[Film, ReadFilm]) -> tuple[ReadFilm | None, tuple[Film, ...]]:
    """The film to track from and the films to track onto, for one reader."""
    flexion, extension = films.get(Film.FLEXION), films.get(Film.EXTENSION)
    if flexion is not None and extension is None:
        return flexion, (Film.EXTENSION,)
    if extension is not None and flexion is None:
        return extension, (Film.FLEXION,)
    if flexion is None and extension is None and Film.NEUTRAL in films:
        return films[Film.NEUTRAL], (Film.FLEXION, Film.EXTENSION)
    return None, ()


def _target(
    source: ReadFilm,
    kind: Film,
    images: Sequence[tuple[str, str]],
    opened: Mapping[str, OpenedFilm | None],
    fail: Fail,
) -> str | None:
    """The study's one usable film of ``kind``; None (a failure when ambiguous) otherwise."""
    candidates = sorted(path for path, film in images if film == kind.value)
    if len(candidates) > 1:
        fail(
            source.path,
            f"not tracked: the study has {len(candidates)} {kind} films "
            f"({', '.join(candidates)}); read the one to measure",
        )
        return None
    if not candidates or opened.get(candidates[0]) is None:
        return None  # no such film (its ROM rows say so), or a damaged one (already failed)
    return candidates[0]


def _track(
    source: ReadFilm,
    kind: Film,
    path: str,
    target: OpenedFilm | None,
    image: str,
    options: AssistOptions,
    fail: Fail,
) -> tuple[TrackingResult, FilmCorners | None] | None:
    """Track ``source`` onto ``target``: the tracking and the mapped film (None if no corner)."""
    landmarks, name = source.film.landmarks, source.film.landmarks.film.value
    assert target is not None
    for film, opened, file in ((name, source.opened, source.path), (kind, target, path)):
        if opened.calibration.pixel_spacing is None:
            fail(
                file,
                f"not tracked: the {film} film has no pixel spacing; tracking works in "
                f"millimetres. Supply a calibration, or read the {kind} film",
            )
            return None
        if opened.pixels is None:
            fail(file, f"not tracked: the {film} film is a colour image; read the {kind} film")
            return None
    assert source.opened.pixels is not None and target.pixels is not None
    from imaging.assist import mapped_landmarks, track_vertebrae

    try:
        tracking = track_vertebrae(
            source.opened.pixels,
            landmarks.corners,
            target.pixels,
            source.opened.calibration.pixel_spacing,
            target_spacing_mm=target.calibration.pixel_spacing,
            source_film=landmarks.film,
            target_film=kind,
            min_correlation=options.min_correlation,
            bone_bright=target.bone_bright,
        )
    except (SpineEndpointsError, ValueError) as error:
        fail(path, f"not tracked: {error}")
        return None
    poor = [t for t in tracking if t.poor_match]
    if tracking.identity:
        fail(
            path,
            f"not tracked: {tracking.identity} (tracked from the {name} film); read the {kind} "
            "film, or check that it is this subject's",
        )
    elif poor:
        fail(
            path,
            f"poor match: {'; '.join(f'{t.vertebra} ({t.reason})' for t in poor)}, tracked "
            f"from the {name} film; the corners of {', '.join(t.vertebra for t in poor)} are "
            f"not used on this {kind} film. Read the {kind} film, or check the two films",
        )
    if not tracking.mapped_corners():
        return tracking, None
    try:
        mapped = mapped_landmarks(
            landmarks, tracking, kind, calibration=target.calibration, image=image
        )
        if target.anterior_direction not in (None, mapped.anterior_direction):
            mapped = replace(mapped, anterior_direction=target.anterior_direction)
    except LandmarkError as error:
        fail(path, f"not tracked: the tracked corners are not anatomically possible ({error})")
        return tracking, None
    note = f"{kind} corners tracked from the {name} film"
    return tracking, FilmCorners(mapped, TRACKED, note)


def _registration_rows(
    source: FilmCorners, tracks: Mapping[Film, TrackingResult | None], names: Mapping[Film, str]
) -> list[EndpointRow]:
    """``angular_rom_registration`` of every level whose two vertebrae the source film has.

    A film without a tracking (None) is the source film itself: its vertebrae did not move.
    """
    landmarks = source.landmarks
    calibration = landmarks.calibration.source.value
    rows: list[EndpointRow] = []
    for level in DiscLevel:
        upper, lower = level.upper_vertebra, level.lower_vertebra
        if upper not in landmarks.corners or lower not in landmarks.corners:
            continue
        relative: dict[Film, float] = {}
        problems: list[str] = []
        for kind in (Film.FLEXION, Film.EXTENSION):
            tracking = tracks[kind]
            if tracking is None:
                relative[kind] = 0.0
                continue
            angles = []
            for vertebra in (upper, lower):
                track = tracking.vertebrae.get(vertebra)
                if track is None or track.transform is None or track.poor_match:
                    problems.append(f"poor match of {vertebra} on the {kind} film")
                else:
                    angles.append(track.transform.angle_deg)
            if len(angles) == 2:
                relative[kind] = angles[0] - angles[1]
        value = None if problems else abs(_wrap(relative[Film.EXTENSION] - relative[Film.FLEXION]))
        rows.append(
            EndpointRow(
                landmarks.subject, landmarks.visit, level.value, REGISTRATION_ROM, value, "deg",
                calibration=calibration, film=PAIR_FILM, corners=TRACKED,
                reader=landmarks.reader,
                source_image=f"{names[Film.FLEXION]};{names[Film.EXTENSION]}",
                note="; ".join(problems),
            )
        )  # fmt: skip
    return rows


def _wrap(angle_deg: float) -> float:
    return (angle_deg + 180.0) % 360.0 - 180.0 if math.isfinite(angle_deg) else angle_deg


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


__all__ = [
    "REGISTRATION_ROM",
    "AssistOptions",
    "ReadFilm",
    "TrackedFilms",
    "refine_film",
    "track_study",
]
