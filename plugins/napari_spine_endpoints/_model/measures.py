"""The live measures table: the endpoint rows of :mod:`imaging.endpoints`, laid out for reading.

Numbers come only from :func:`imaging.endpoints.measure_film` and
:func:`imaging.endpoints.measure_pair`, the functions the command line and the batch call, so a
read made in napari and the same corners through ``spine-endpoints heights`` give identical
values. This module only chooses rows and formats them: one row per disc level, one column per
measure, titled with units and formatted to the decimals of the measure registry
(:mod:`imaging.measures`), an empty value shown as a dash with the reason as its tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from imaging.endpoints import EndpointRow
from imaging.measures import MEASURES

FILM_COLUMNS: tuple[str, ...] = (
    "disc_height_anterior",
    "disc_height_posterior",
    "disc_height_mean",
    "disc_height_middle",
    "disc_height_index",
    "height_loss_vs_adjacent_pct",
    "height_loss_flag",
    "segmental_angle",
    "translation",
    "translation_pct_depth",
)
"""Disc measures of one film shown in the table, in order (titles, units and decimals come from
the measure registry, :data:`imaging.measures.MEASURES`)."""

PAIR_COLUMNS: tuple[str, ...] = (
    "angular_rom",
    "translation_rom",
    "translation_rom_pct_depth",
    "unstable",
)
"""Flexion/extension measures shown in the ROM table."""

MISSING = "-"
"""What a cell without a value shows (its tooltip gives the reason)."""


def format_value(measure: str, value: float | None) -> str:
    """The registry's text for the value ('8.42' mm, '12.3' deg, 'yes'/'no' for flags), '-'
    when there is none."""
    if value is None or not math.isfinite(value):
        return MISSING
    return MEASURES[measure].format(value) or MISSING


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
    columns: Sequence[str] = FILM_COLUMNS,
) -> MeasureGrid:
    """Lay out endpoint rows of one film (or one pair) as ``levels`` x ``columns`` (measure
    names), each column titled with its registry heading ('Mean disc height (mm)')."""
    by_key = {(r.level, r.measure): r for r in rows}
    cells = []
    for level in levels:
        line = []
        for measure in columns:
            row = by_key.get((level, measure))
            if row is None:
                line.append(Cell(MISSING, None, "not measured on this film"))
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
        measures=tuple(columns),
        titles=tuple(MEASURES[m].heading for m in columns),
        cells=tuple(cells),
        calibration=", ".join(sources),
    )
