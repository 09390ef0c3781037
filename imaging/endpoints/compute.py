"""Reads -> endpoint rows: the one function every path calls (:func:`endpoint_rows`).

A :class:`StudyRead` is one reader's read of one study (a subject at a visit): the corners of each
film with their calibration (:class:`FilmCorners`) and the grades. :func:`endpoint_rows` turns it
into rows of the endpoint table (:mod:`imaging.endpoints.rows`) with the protocol's rules
(:class:`~imaging.endpoints.rules.MeasureRules`):

- the neutral film gives every disc and vertebral body measure (:data:`imaging.measures.MEASURES`
  of kind ``disc`` and ``body``), with the height-loss flag;
- flexion and extension films give their segmental angle and translation
  (:data:`~imaging.measures.MOTION_MEASURES`), and together the angular and translation ROM and
  the instability flag; a dynamic film without its partner gives ROM rows that say which is
  missing;
- each grade gives a row whose ``measure`` is the grading item and ``grade`` its code (``value``
  the score on ordered scales).

A value that cannot be given is empty with the reason in ``note``: missing corners (named), or
millimetres asked of an uncalibrated film (never a pixel count posing as mm). ``heights``,
``rom``, the batch, the store (when a read is submitted), the workstation's live table, ``export``
and the report all get their numbers here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from imaging import __version__
from imaging.anatomy import DiscLevel, Film
from imaging.endpoints.corner_labels import CLICK, TRACKED, pair_label
from imaging.endpoints.rom_uncertainty import uncertain_rom
from imaging.endpoints.rows import GRADE_UNIT, EndpointRow, order_in_read
from imaging.endpoints.rules import MeasureRules
from imaging.errors import LandmarkError
from imaging.geometry.discs import range_of_motion
from imaging.geometry.film import FilmGeometry, film_geometry
from imaging.geometry.height_loss import HeightLossRule
from imaging.geometry.instability import InstabilityCriteria
from imaging.geometry.landmarks import CornerKey, Landmarks
from imaging.geometry.uncertainty import Covariance
from imaging.measures import MEASURES, MOTION_MEASURES, PAIR_FILM

ROM_SOURCES: Mapping[str, str] = MappingProxyType(
    {
        "angular_rom": "segmental_angle",
        "translation_rom": "translation",
        "translation_rom_pct_depth": "translation_pct_depth",
    }
)
"""Each ROM measure and the single-film measure it is the flexion - extension difference of."""
NOT_FINITE = "not computable from these corners (not a finite number)"
"""The note of a measure that is no finite number though its corners are there and valid: a
guard, since valid corners give finite measures (endplates of at least 1 mm, coordinates within
:data:`~imaging.geometry.landmarks.MAX_COORDINATE`)."""
_FILM_ORDER = {Film.NEUTRAL: 0, Film.FLEXION: 1, Film.EXTENSION: 2}


@dataclass(frozen=True)
class FilmCorners:
    """One film's corners (with its calibration), how they were obtained, and a note."""

    landmarks: Landmarks
    corners: str = CLICK
    """``click`` (as read), ``refined`` or ``tracked``, or the counts of a mixed film
    (:func:`~imaging.endpoints.corner_labels.corners_label`)."""
    note: str = ""
    """Appended to the ``note`` of the film's rows (and of its pair's rows)."""
    covariances: Mapping[CornerKey, Covariance] = field(default_factory=dict)
    """Refined corners' covariance in pixels squared (from the film's noise and edge contrast):
    a ROM too uncertain to give is empty with the reason (:mod:`.rom_uncertainty`)."""


@dataclass(frozen=True)
class Grade:
    """One grade of a read: ``item`` (``pfirrmann``, ``modic_cranial``) at ``level``."""

    level: str
    item: str
    code: str
    score: float | None = None
    """The grade as a number on ordered scales (Pfirrmann 3 -> 3.0), else None (Modic)."""
    note: str = ""


@dataclass(frozen=True)
class StudyRead:
    """One reader's read of one study: films' corners and grades.

    ``extra_rows``: rows computed by another method from the same read (e.g. ROM from image
    registration by vertebra tracking), added after the pair's rows.
    """

    subject: str
    visit: str
    reader: str
    read_version: int | None = None
    films: tuple[FilmCorners, ...] = ()
    grades: tuple[Grade, ...] = ()
    extra_rows: tuple[EndpointRow, ...] = ()
    study_day: int | None = None


def endpoint_rows(read: StudyRead, rules: MeasureRules) -> list[EndpointRow]:
    """Every endpoint row of one read (see the module docstring), in table order.

    Raises :class:`~imaging.errors.LandmarkError` when two corner sets claim the same film.
    """
    films: dict[Film, FilmCorners] = {}
    for film in read.films:
        kind = film.landmarks.film
        if kind in films:
            raise LandmarkError(
                f"{film.landmarks.label}: two landmark sets for the same film "
                f"({films[kind].landmarks.image} and {film.landmarks.image})",
                path=film.landmarks.origin,
                fix="Keep one set of corners per subject, visit, film and reader.",
            )
        films[kind] = _with_accepted_magnification(film, rules)
    if rules.reference_item:
        codes = {g.level: g.code for g in read.grades if g.item == rules.reference_item}
    else:
        codes = {}
    skipped = rules.skipped_references(codes)
    height_loss = rules.height_loss_rule(skipped)
    made: list[tuple[EndpointRow, str, str]] = []  # (row, corners, note to add)
    geometry = {kind: film_geometry(f.landmarks, height_loss) for kind, f in films.items()}
    for kind in sorted(films, key=_FILM_ORDER.__getitem__):
        film = films[kind]
        measured = measure_film(
            film.landmarks, height_loss=height_loss, skipped=skipped, geometry=geometry[kind]
        )
        if kind is not Film.NEUTRAL:
            measured = [row for row in measured if row.measure in MOTION_MEASURES]
        made.extend((row, film.corners, film.note) for row in measured)
    flexion, extension = films.get(Film.FLEXION), films.get(Film.EXTENSION)
    if flexion is not None and extension is not None:
        method = pair_label(flexion.corners, extension.corners)
        note = "; ".join(n for n in (flexion.note, extension.note) if n)
        both = (*geometry[Film.FLEXION].levels, *geometry[Film.EXTENSION].levels)
        levels = tuple(level for level in DiscLevel if level in both)
        pair = measure_pair(
            flexion.landmarks, extension.landmarks, rules.instability_criteria(),
            (geometry[Film.FLEXION], geometry[Film.EXTENSION]),
            uncertain_rom(flexion, extension, levels),
        )  # fmt: skip
        made.extend((row, method, note) for row in pair)
    elif flexion is not None or extension is not None:
        present = flexion or extension
        assert present is not None
        unpaired = unpaired_rom_rows(present.landmarks)
        made.extend((row, present.corners, present.note) for row in unpaired)
    made.extend((row, row.corners or TRACKED, "") for row in read.extra_rows)
    made.extend((_grade_row(read, grade), "", "") for grade in read.grades)
    rows = [
        row.but(
            corners=corners, note="; ".join(n for n in (row.note, note) if n),
            reader=read.reader, read_version=read.read_version, study_day=read.study_day,
            protocol=rules.protocol, software_version=__version__,
        )
        for row, corners, note in made
    ]  # fmt: skip
    return sorted(rows, key=order_in_read)


def reads_from_landmarks(
    landmarks: Iterable[Landmarks],
    grades: Mapping[tuple[str, str, str], Sequence[Grade]] | None = None,
) -> list[StudyRead]:
    """Landmark sets (e.g. of a landmark file) grouped into reads by subject, visit and reader;
    ``grades`` by (subject, visit, reader) join them."""
    grades = grades or {}
    films: dict[tuple[str, str, str], list[FilmCorners]] = defaultdict(list)
    for film in landmarks:
        films[(film.subject, film.visit, film.reader)].append(FilmCorners(film))
    keys = sorted(films.keys() | grades.keys())
    return [
        StudyRead(
            subject, visit, reader, films=tuple(films.get((subject, visit, reader), ())),
            grades=tuple(grades.get((subject, visit, reader), ())),
        )
        for subject, visit, reader in keys
    ]  # fmt: skip


def measure_film(
    landmarks: Landmarks,
    *,
    height_loss: HeightLossRule | None = None,
    skipped: Mapping[str, str] | None = None,
    geometry: FilmGeometry | None = None,
) -> list[EndpointRow]:
    """Every disc and vertebral body measure of one film, with the height loss flag.

    ``skipped``: disc level -> why it may not be a reference disc (not normal); the height loss
    rows name the skipped discs next to the level and between it and its references.
    ``geometry``: the film's :func:`~imaging.geometry.film.film_geometry` with ``height_loss``,
    when already computed.
    """
    rule = height_loss or HeightLossRule()
    geometry = geometry or film_geometry(landmarks, rule)
    calibration = landmarks.calibration
    no_mm = _uncalibrated_note(landmarks)
    rows: list[EndpointRow] = []

    def add(
        level: str, measure: str, raw: float, references: str = "", note: str = "",
        corners_of: str = "",
    ) -> None:  # fmt: skip
        missing = geometry.missing.get((level, corners_of or measure), ())
        value: float | None = raw if math.isfinite(raw) else None
        unit = MEASURES[measure].unit
        if missing:
            value, note = None, "missing " + ", ".join(missing)
        elif unit == "mm" and not geometry.millimetres:
            value, note = None, no_mm
        elif value is None and not note:
            note = NOT_FINITE
        rows.append(
            EndpointRow(
                landmarks.subject, landmarks.visit, level, measure, value, unit,
                calibration=calibration.source.value, film=landmarks.film.value,
                reader=landmarks.reader, reference_levels=references,
                source_image=landmarks.image, note=note,
            )
        )  # fmt: skip

    for i, level in enumerate(geometry.levels):
        for measure, values in geometry.disc.items():
            value = float(values[i])
            if measure != "height_loss_vs_adjacent_pct":
                add(level.value, measure, value)
                continue
            used = geometry.references[level]
            references = ";".join(r.value for r in used)
            named = rule.reference_levels.get(level, ())
            passed = _passed_over(level, (*used, *named), skipped or {})
            note = "" if references else "no normal reference disc measured"
            note = "; ".join(n for n in (note, passed) if n)
            add(level.value, measure, value, references, note)
            flag = float(rule.flag(value))
            if math.isfinite(flag):
                flag_note = f"flag at {rule.describe()}"
            else:
                flag_note = rule.describe() if math.isfinite(value) else note
            add(level.value, "height_loss_flag", flag, references, flag_note, measure)
    for i, vertebra in enumerate(geometry.vertebrae):
        for measure, values in geometry.body.items():
            add(vertebra.value, measure, float(values[i]))
    return rows


def measure_pair(
    flexion: Landmarks,
    extension: Landmarks,
    criteria: InstabilityCriteria | None,
    geometries: tuple[FilmGeometry, FilmGeometry] | None = None,
    uncertain: Mapping[tuple[DiscLevel, str], str] | None = None,
) -> list[EndpointRow]:
    """Angular and translation ROM and the instability flag of every level of a film pair.

    ``criteria`` None (the protocol sets no instability threshold) leaves ``unstable`` empty.
    ``geometries``: the two films' :func:`~imaging.geometry.film.film_geometry`, when already
    computed (the angles and translations do not depend on the height-loss rule).
    ``uncertain``: (level, ROM measure) -> why that value is too uncertain to give (empty).
    """
    if flexion.film is not Film.FLEXION or extension.film is not Film.EXTENSION:
        raise ValueError(
            f"measure_pair needs a flexion and an extension film, got {flexion.film} and "
            f"{extension.film}"
        )
    if (flexion.subject, flexion.visit) != (extension.subject, extension.visit):
        raise ValueError(f"films of different studies: {flexion.label} and {extension.label}")
    flexion_geometry, extension_geometry = geometries or (
        film_geometry(flexion),
        film_geometry(extension),
    )
    films = {"flexion": flexion_geometry, "extension": extension_geometry}
    levels = tuple(level for level in DiscLevel if any(level in g.levels for g in films.values()))
    sources = [flexion.calibration.source.value, extension.calibration.source.value]
    calibration = sources[0] if sources[0] == sources[1] else ";".join(sources)
    mixed = "" if sources[0] == sources[1] else f"flexion {sources[0]}, extension {sources[1]}"
    uncalibrated = "; ".join(
        f"{film.film}: {_uncalibrated_note(film)}"
        for film in (flexion, extension)
        if not film.calibration.has_millimetres
    )
    magnified = ", ".join(
        f"{film.film} {film.calibration.source.value}"
        for film in (flexion, extension)
        if film.calibration.has_millimetres and not film.calibration.source.at_the_patient
    )

    def pair_row(level: DiscLevel, measure: str, value: float | None, note: str) -> EndpointRow:
        return EndpointRow(
            flexion.subject, flexion.visit, level.value, measure, value, MEASURES[measure].unit,
            calibration=calibration, film=PAIR_FILM, reader=flexion.reader,
            source_image=f"{flexion.image};{extension.image}", note=note,
        )  # fmt: skip

    rows: list[EndpointRow] = []
    for level in levels:
        values: dict[str, float] = {}
        for measure, source in ROM_SOURCES.items():
            missing = [
                f"{name} {corner}"
                for name, geometry in films.items()
                for corner in _missing(geometry, level, source)
            ]
            rom = float(
                range_of_motion(
                    films["flexion"].value(level, source), films["extension"].value(level, source)
                )
            )
            millimetres = MEASURES[measure].unit == "mm"
            note = mixed if millimetres else ""
            if missing:
                rom, note = math.nan, "missing " + ", ".join(missing)
            elif millimetres and uncalibrated:
                rom, note = math.nan, uncalibrated
            elif not math.isfinite(rom):
                note = NOT_FINITE
            elif (level, measure) in (uncertain or {}):
                rom, note = math.nan, (uncertain or {})[(level, measure)]
            values[measure] = rom
            rows.append(pair_row(level, measure, rom if math.isfinite(rom) else None, note))
        if criteria is None:
            rows.append(
                pair_row(level, "unstable", None, "no instability threshold in the protocol")
            )
            continue
        # Millimetres magnified by an unknown factor decide nothing (angles and ratios do).
        flags, reasons = criteria.evaluate(
            (level,),
            values["angular_rom"],
            math.nan if magnified else values["translation_rom"],
            values["translation_rom_pct_depth"],
        )
        flag = float(flags[0])
        reason = reasons[0] + (
            f"; translation in mm not decided: spacing not corrected for magnification "
            f"({magnified}); the protocol names no accepted magnification factor"
            if magnified
            else ""
        )
        rows.append(pair_row(level, "unstable", flag if math.isfinite(flag) else None, reason))
    return rows


def unpaired_rom_rows(present: Landmarks) -> list[EndpointRow]:
    """ROM rows without values for a dynamic film whose partner film is missing, saying which."""
    absent = Film.EXTENSION if present.film is Film.FLEXION else Film.FLEXION
    return [
        EndpointRow(
            present.subject,
            present.visit,
            level.value,
            measure,
            None,
            MEASURES[measure].unit,
            calibration=present.calibration.source.value,
            film=PAIR_FILM,
            reader=present.reader,
            source_image=present.image,
            note=f"no {absent} film for this subject, visit and reader",
        )
        for level in film_geometry(present).levels
        for measure in (*ROM_SOURCES, "unstable")
    ]


def _passed_over(level: DiscLevel, used: tuple[DiscLevel, ...], skipped: Mapping[str, str]) -> str:
    """'not references: L5-S1 (pfirrmann 4, normal is 1, 2)' for the skipped discs next to
    ``level`` or between it and a reference it uses or the protocol names (``used``)."""
    order = list(DiscLevel)
    here = order.index(level)
    reach = [order.index(r) for r in used] + [here - 1, here + 1]
    low, high = min(reach), max(reach)
    names = [
        f"{other.value} ({skipped[other.value]})"
        for other in order[max(low, 0) : high + 1]
        if other is not level and other.value in skipped
    ]
    return "not references: " + ", ".join(names) if names else ""


def _with_accepted_magnification(film: FilmCorners, rules: MeasureRules) -> FilmCorners:
    """The film with a ``detector``/``unknown`` spacing corrected by the protocol's accepted
    magnification factor, when it names one."""
    factor, calibration = rules.accepted_magnification, film.landmarks.calibration
    if factor is None or not calibration.has_millimetres or calibration.source.at_the_patient:
        return film
    corrected = calibration.corrected_for_magnification(factor, f"protocol {rules.protocol}")
    return replace(film, landmarks=film.landmarks.with_calibration(corrected))


def _grade_row(read: StudyRead, grade: Grade) -> EndpointRow:
    return EndpointRow(
        read.subject, read.visit, grade.level, grade.item, grade.score, GRADE_UNIT,
        grade=grade.code, note=grade.note,
    )  # fmt: skip


def _missing(geometry: FilmGeometry, level: DiscLevel, measure: str) -> tuple[str, ...]:
    if level not in geometry.levels:
        return ("(no corners of this level)",)
    return geometry.missing.get((level.value, measure), ())


def _uncalibrated_note(landmarks: Landmarks) -> str:
    detail = landmarks.calibration.detail
    reason = f" ({detail})" if detail else ""
    return f"uncalibrated image{reason}: millimetres need a calibration, e.g. --mm-per-pixel"
