"""The live measures table: the endpoint rows of :mod:`imaging.endpoints`, laid out for reading.

Numbers come only from :func:`imaging.endpoints.measure_film` and
:func:`imaging.endpoints.measure_pair`, the functions the command line and the batch call, so a
read made in napari and the same corners through ``spine-endpoints heights`` give identical
values. This module only chooses rows and formats them: one row per disc level, one column per
measure, units in the headers, an empty value shown as a dash with the reason as its tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from imaging.endpoints import UNITS, EndpointRow

FILM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("disc_height_anterior", "Anterior"),
    ("disc_height_posterior", "Posterior"),
    ("disc_height_mean", "Mean"),
    ("disc_height_middle", "Middle"),
    ("disc_height_index", "Index"),
    ("height_loss_vs_adjacent_pct", "Loss vs adjacent"),
    ("height_loss_flag", "Loss flag"),
    ("segmental_angle", "Angle"),
    ("translation", "Translation"),
    ("translation_pct_depth", "Transl. % depth"),
)
"""Disc measures of one film shown in the table, in order, with their column titles."""

PAIR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("angular_rom", "Angular ROM"),
    ("translation_rom", "Translation ROM"),
    ("translation_rom_pct_depth", "Transl. ROM % depth"),
    ("unstable", "Unstable"),
)
"""Flexion/extension measures shown in the ROM table."""

_DECIMALS = {"mm": 2, "deg": 1, "%": 1, "1": 3}
_FLAGS = frozenset({"height_loss_flag", "unstable"})


def format_value(measure: str, value: float | None) -> str:
    """'8.42' (mm), '12.3' (deg), 'yes'/'no' for flags, '-' when there is no value."""
    if value is None or not math.isfinite(value):
        return "-"
    if measure in _FLAGS:
        return "yes" if value >= 0.5 else "no"
    return f"{value:.{_DECIMALS.get(UNITS[measure], 3)}f}"


def column_title(measure: str, title: str) -> str:
    """Header with the unit: 'Mean (mm)'; flags and indexes have none."""
    unit = UNITS[measure]
    return title if unit == "1" else f"{title} ({unit})"


@dataclass(frozen=True)
class Cell:
    """One shown value: the text, the exact value, and the reason when it is missing."""

    text: str
    value: float | None
    note: str = ""


@dataclass(frozen=True)
class MeasureGrid:
    """Levels x measures, ready for a table widget."""

    levels: tuple[str, ...]
    measures: tuple[str, ...]
    titles: tuple[str, ...]
    cells: tuple[tuple[Cell, ...], ...]
    calibration: str = ""
    notes: tuple[str, ...] = field(default=())

    def cell(self, level: str, measure: str) -> Cell:
        return self.cells[self.levels.index(level)][self.measures.index(measure)]


def measure_grid(
    rows: Iterable[EndpointRow],
    levels: Sequence[str],
    columns: Sequence[tuple[str, str]] = FILM_COLUMNS,
) -> MeasureGrid:
    """Lay out endpoint rows of one film (or one pair) as ``levels`` x ``columns``."""
    by_key = {(r.level, r.measure): r for r in rows}
    cells = []
    for level in levels:
        line = []
        for measure, _ in columns:
            row = by_key.get((level, measure))
            if row is None:
                line.append(Cell("-", None, "not measured on this film"))
                continue
            note = row.note
            if row.reference_levels and measure.startswith("height_loss"):
                note = f"references: {row.reference_levels.replace(';', ', ')}" + (
                    f"; {note}" if note else ""
                )
            line.append(Cell(format_value(measure, row.value), row.value, note))
        cells.append(tuple(line))
    sources = sorted({r.calibration for r in by_key.values() if r.calibration})
    return MeasureGrid(
        levels=tuple(levels),
        measures=tuple(m for m, _ in columns),
        titles=tuple(column_title(m, t) for m, t in columns),
        cells=tuple(cells),
        calibration=", ".join(sources),
    )
