"""Landmarks and calibrations -> the tidy endpoint table.

One row per subject x visit x level x measure (and film and reader).

Columns, in order: ``subject, visit, level, measure, value, unit, calibration, film, reader,
reference_levels, source_image, note``. ``level`` is a disc level (``L4-L5``) or, for vertebral body
heights, a vertebra (``L4``). ``unit`` is ``mm``, ``deg``, ``%`` or ``1``. ``calibration`` is the
film's calibration source (for ROM rows the flexion and extension sources, joined by ``;`` when
they differ). A value that cannot be given is an empty cell with the reason in ``note``: missing
corners (named), or millimetres asked of an uncalibrated film (never a pixel count posing as mm).
Flags (``unstable``, ``height_loss_flag``) are 1 or 0, empty when undecidable.

:func:`measure_film` (one film) and :func:`measure_pair` (a flexion/extension pair) are what the
napari widgets and the batch call; :func:`heights_table` and :func:`rom_table` run them over a
whole landmark file.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from imaging.anatomy import DiscLevel, Film, Vertebra
from imaging.errors import LandmarkError, SpineEndpointsError
from imaging.geometry.discs import range_of_motion
from imaging.geometry.film import FilmGeometry, film_geometry
from imaging.geometry.height_loss import HeightLossRule
from imaging.geometry.instability import InstabilityCriteria, instability_preset
from imaging.geometry.landmarks import Landmarks

COLUMNS = (
    "subject",
    "visit",
    "level",
    "measure",
    "value",
    "unit",
    "calibration",
    "film",
    "reader",
    "reference_levels",
    "source_image",
    "note",
)
UNITS: Mapping[str, str] = MappingProxyType(
    {
        "disc_height_anterior": "mm",
        "disc_height_posterior": "mm",
        "disc_height_mean": "mm",
        "disc_height_middle": "mm",
        "disc_height_index": "1",
        "height_loss_vs_adjacent_pct": "%",
        "height_loss_flag": "1",
        "segmental_angle": "deg",
        "translation": "mm",
        "translation_pct_depth": "%",
        "anterior_height": "mm",
        "posterior_height": "mm",
        "angular_rom": "deg",
        "translation_rom": "mm",
        "translation_rom_pct_depth": "%",
        "unstable": "1",
    }
)
"""Every measure, in table order, with its unit."""
PAIR_FILM = "flexion-extension"
"""The ``film`` of ROM rows."""

_FILM_ORDER = {Film.NEUTRAL.value: 0, Film.FLEXION.value: 1, Film.EXTENSION.value: 2, PAIR_FILM: 3}
_MEASURE_ORDER = {name: i for i, name in enumerate(UNITS)}
_MOTION = ("segmental_angle", "translation", "translation_pct_depth")


@dataclass(frozen=True)
class EndpointRow:
    """One row of the endpoint table; ``value`` None when it cannot be given (see ``note``)."""

    subject: str
    visit: str
    level: str
    measure: str
    value: float | None
    unit: str
    calibration: str
    film: str
    reader: str
    reference_levels: str = ""
    source_image: str = ""
    note: str = ""


def measure_film(
    landmarks: Landmarks, *, height_loss: HeightLossRule | None = None
) -> list[EndpointRow]:
    """Every disc and vertebral body measure of one film, with the height loss flag."""
    rule = height_loss or HeightLossRule()
    geometry = film_geometry(landmarks, rule)
    calibration = landmarks.calibration
    no_mm = _uncalibrated_note(landmarks)
    rows: list[EndpointRow] = []

    def add(
        level: str,
        measure: str,
        raw: float,
        references: str = "",
        note: str = "",
        corners_of: str = "",
    ) -> None:
        missing = geometry.missing.get((level, corners_of or measure), ())
        value: float | None = raw if math.isfinite(raw) else None
        if missing:
            value, note = None, "missing " + ", ".join(missing)
        elif UNITS[measure] == "mm" and not geometry.millimetres:
            value, note = None, no_mm
        elif value is None and not note:
            note = "not computable from these corners (an endplate of zero depth)"
        rows.append(
            EndpointRow(
                landmarks.subject,
                landmarks.visit,
                level,
                measure,
                value,
                UNITS[measure],
                calibration.source.value,
                landmarks.film.value,
                landmarks.reader,
                references,
                landmarks.image,
                note,
            )
        )

    for i, level in enumerate(geometry.levels):
        for measure, values in geometry.disc.items():
            value = float(values[i])
            if measure != "height_loss_vs_adjacent_pct":
                add(level.value, measure, value)
                continue
            references = ";".join(r.value for r in geometry.references[level])
            note = "" if references else "no reference disc measured and not excluded"
            add(level.value, measure, value, references, note)
            flag = float(rule.flag(value))
            flag_note = f"flag at {rule.describe()}" if math.isfinite(flag) else note
            add(level.value, "height_loss_flag", flag, references, flag_note, measure)
    for i, vertebra in enumerate(geometry.vertebrae):
        for measure, values in geometry.body.items():
            add(vertebra.value, measure, float(values[i]))
    return rows


def measure_pair(
    flexion: Landmarks,
    extension: Landmarks,
    *,
    criteria: InstabilityCriteria | None = None,
) -> list[EndpointRow]:
    """Angular and translation ROM and the instability flag of every level of a film pair."""
    if flexion.film is not Film.FLEXION or extension.film is not Film.EXTENSION:
        raise ValueError(
            f"measure_pair needs a flexion and an extension film, got {flexion.film} and "
            f"{extension.film}"
        )
    if (flexion.subject, flexion.visit) != (extension.subject, extension.visit):
        raise ValueError(f"films of different studies: {flexion.label} and {extension.label}")
    criteria = criteria or instability_preset()
    films = {"flexion": film_geometry(flexion), "extension": film_geometry(extension)}
    levels = tuple(level for level in DiscLevel if any(level in g.levels for g in films.values()))
    sources = [flexion.calibration.source.value, extension.calibration.source.value]
    calibration = sources[0] if sources[0] == sources[1] else ";".join(sources)
    mixed = "" if sources[0] == sources[1] else f"flexion {sources[0]}, extension {sources[1]}"
    uncalibrated = "; ".join(
        f"{film.film}: {_uncalibrated_note(film)}"
        for film in (flexion, extension)
        if not film.calibration.has_millimetres
    )

    def pair_row(level: DiscLevel, measure: str, value: float | None, note: str) -> EndpointRow:
        return EndpointRow(
            flexion.subject,
            flexion.visit,
            level.value,
            measure,
            value,
            UNITS[measure],
            calibration,
            PAIR_FILM,
            flexion.reader,
            "",
            f"{flexion.image};{extension.image}",
            note,
        )

    rows: list[EndpointRow] = []
    for level in levels:
        values: dict[str, float] = {}
        for measure, source in _ROM_SOURCES.items():
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
            note = mixed if UNITS[measure] == "mm" else ""
            if missing:
                rom, note = math.nan, "missing " + ", ".join(missing)
            elif UNITS[measure] == "mm" and uncalibrated:
                rom, note = math.nan, uncalibrated
            elif not math.isfinite(rom):
                note = "not computable: an endplate has zero depth"
            values[measure] = rom
            rows.append(pair_row(level, measure, rom if math.isfinite(rom) else None, note))
        flags, reasons = criteria.evaluate(
            (level,),
            values["angular_rom"],
            values["translation_rom"],
            values["translation_rom_pct_depth"],
        )
        flag = float(flags[0])
        rows.append(pair_row(level, "unstable", flag if math.isfinite(flag) else None, reasons[0]))
    return rows


def heights_table(
    landmarks: Iterable[Landmarks], *, height_loss: HeightLossRule | None = None
) -> pd.DataFrame:
    """:func:`measure_film` over many films, as one sorted table."""
    films = _unique(landmarks)
    return endpoint_table(
        row for film in films for row in measure_film(film, height_loss=height_loss)
    )


def rom_table(
    landmarks: Iterable[Landmarks],
    *,
    criteria: InstabilityCriteria | None = None,
    include_film_motion: bool = True,
) -> pd.DataFrame:
    """:func:`measure_pair` for every subject x visit x reader with flexion and extension films.

    With ``include_film_motion`` the segmental angle and translation of each dynamic film are
    included. A visit with only one of the two films gets ROM rows saying which is missing;
    neutral films are ignored. Raises :class:`SpineEndpointsError` when no film is dynamic.
    """
    pairs: dict[tuple[str, str, str], dict[Film, Landmarks]] = defaultdict(dict)
    for film in _unique(landmarks):
        if film.film is not Film.NEUTRAL:
            pairs[(film.subject, film.visit, film.reader)][film.film] = film
    if not pairs:
        raise SpineEndpointsError(
            "no flexion or extension film among the landmarks",
            fix="Range of motion needs landmarks on a flexion and an extension film of a visit.",
        )
    rows: list[EndpointRow] = []
    for films in pairs.values():
        if include_film_motion:
            for film in films.values():
                rows.extend(r for r in measure_film(film) if r.measure in _MOTION)
        if Film.FLEXION in films and Film.EXTENSION in films:
            rows.extend(measure_pair(films[Film.FLEXION], films[Film.EXTENSION], criteria=criteria))
            continue
        rows.extend(unpaired_rom_rows(next(iter(films.values()))))
    return endpoint_table(rows)


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
            UNITS[measure],
            present.calibration.source.value,
            PAIR_FILM,
            present.reader,
            "",
            present.image,
            f"no {absent} film for this subject, visit and reader",
        )
        for level in film_geometry(present).levels
        for measure in (*_ROM_SOURCES, "unstable")
    ]


def endpoint_table(rows: Iterable[EndpointRow]) -> pd.DataFrame:
    """Rows -> DataFrame with :data:`COLUMNS`, deterministically sorted.

    Order: subject, visit (baseline first, then by time), level (cranial to caudal, each vertebra
    before the disc below it), measure (as :data:`UNITS`), film, reader.
    """
    records = sorted(rows, key=_sort_key)
    table = pd.DataFrame([asdict(r) for r in records], columns=list(COLUMNS))
    table["value"] = pd.array([r.value for r in records], dtype="Float64")
    for column in COLUMNS:
        if column != "value":
            table[column] = table[column].astype(str)
    return table


def write_endpoint_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write as CSV or Parquet, chosen by the suffix (``.csv``, ``.parquet``)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        raise SpineEndpointsError(
            "unknown output format", path=target, fix="Name the output FILE.csv or FILE.parquet."
        )
    try:
        if suffix == ".csv":
            table.to_csv(target, index=False)
        else:
            table.to_parquet(target, index=False)
    except OSError as error:
        raise SpineEndpointsError(
            f"cannot write the table ({error.strerror or error})",
            path=target,
            fix="Choose a writable folder.",
        ) from error


def visit_sort_key(visit: str) -> tuple[int, float, str]:
    """Baseline/screening first, then visits by their time ('1 week' < 'month 3'), then by name."""
    text = visit.strip().lower()
    if text in {"screening", "baseline", "bl", "day 0", "d0"}:
        return (0, 0.0 if text != "screening" else -1.0, text)
    match = _VISIT_TIME.search(text)
    if match:
        number = float(match.group("n1") or match.group("n2"))
        unit = (match.group("u1") or match.group("u2"))[0]
        return (1, number * _DAYS[unit], text)
    return (2, 0.0, text)


_VISIT_TIME = re.compile(
    r"(?:(?P<n1>\d+(?:\.\d+)?)\s*[-_ ]?\s*(?P<u1>days?|d|weeks?|wk|w|months?|mo|m|years?|yr|y)\b)"
    r"|(?:\b(?P<u2>days?|d|weeks?|wk|w|months?|mo|m|years?|yr|y)\s*[-_ ]?\s*(?P<n2>\d+(?:\.\d+)?))"
)
_DAYS = {"d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}
_ROM_SOURCES = MappingProxyType(
    {
        "angular_rom": "segmental_angle",
        "translation_rom": "translation",
        "translation_rom_pct_depth": "translation_pct_depth",
    }
)


def _missing(geometry: FilmGeometry, level: DiscLevel, measure: str) -> tuple[str, ...]:
    if level not in geometry.levels:
        return ("(no corners of this level)",)
    return geometry.missing.get((level.value, measure), ())


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


def _level_position(level: str) -> int:
    try:
        return 2 * Vertebra(level).position
    except ValueError:
        return 2 * DiscLevel(level).upper_vertebra.position + 1


def _sort_key(row: EndpointRow) -> tuple[object, ...]:
    return (
        _natural(row.subject),
        visit_sort_key(row.visit),
        _level_position(row.level),
        _MEASURE_ORDER[row.measure],
        _FILM_ORDER.get(row.film, 9),
        _natural(row.reader),
    )


def _unique(landmarks: Iterable[Landmarks]) -> list[Landmarks]:
    seen: dict[tuple[str, str, Film, str], Landmarks] = {}
    for film in landmarks:
        key = (film.subject, film.visit, film.film, film.reader)
        if key in seen:
            raise LandmarkError(
                f"{film.label}: two landmark sets for the same film ({seen[key].image} and "
                f"{film.image})",
                path=film.origin,
                fix="Keep one set of corners per subject, visit, film and reader.",
            )
        seen[key] = film
    return list(seen.values())


def _uncalibrated_note(landmarks: Landmarks) -> str:
    detail = landmarks.calibration.detail
    reason = f" ({detail})" if detail else ""
    return f"uncalibrated image{reason}: millimetres need a calibration, e.g. --mm-per-pixel"
