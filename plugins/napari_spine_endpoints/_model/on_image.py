"""What to write next to each disc on the film: its height, height loss and angle.

The text of each value is the measures table's own cell (:class:`._model.measures.MeasureGrid`,
made from :func:`imaging.endpoints.endpoint_rows`), so the film and the table never disagree; this
module only chooses the cells and where to put them. A label starts a third of a disc depth in
front of the disc (on the anterior side, in the soft tissue, off the disc space and the vertebral
bodies) and runs away from the spine. Pure geometry on (row, col) pixels; no Qt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imaging.anatomy import Corner, DiscLevel
from imaging.measures import MEASURES
from napari_spine_endpoints._model.measures import MISSING, MeasureGrid
from napari_spine_endpoints._model.placement import CornerLabel

Point = tuple[float, float]

ON_IMAGE_MEASURES: tuple[tuple[str, str], ...] = (
    ("disc_height_mean", "h"),
    ("height_loss_vs_adjacent_pct", "loss"),
    ("segmental_angle", ""),
)
"""(measure, prefix) drawn next to a disc, in order: mean height, height loss, segmental angle."""

LABEL_OFFSET_DEPTHS = 0.35
"""How far in front of the disc's anterior edge a label starts, in disc depths."""

_UNIT_TEXT = {"deg": "\N{DEGREE SIGN}", "%": " %", "mm": " mm"}


@dataclass(frozen=True)
class LevelLabel:
    """The text drawn for one disc level at ``position`` ((row, col) pixels of the film)."""

    level: str
    position: Point
    text: str
    runs_left: bool = False
    """The text runs toward smaller columns (anterior is on the film's left): it ends at
    ``position``; otherwise it starts there."""


def label_text(grid: MeasureGrid, level: str) -> str:
    """'L4-L5  h 8.42 mm  loss 12.3 %  7.9°': the table's cells of the level, with units;
    values the table does not have (uncalibrated, not yet measurable) are left out."""
    parts = []
    for measure, prefix in ON_IMAGE_MEASURES:
        if measure not in grid.measures or level not in grid.levels:
            continue
        cell = grid.cell(level, measure)
        if cell.text == MISSING:
            continue
        unit = _UNIT_TEXT.get(MEASURES[measure].unit, f" {MEASURES[measure].unit}")
        parts.append(f"{prefix} {cell.text}{unit}".strip())
    return f"{level}  " + "  ".join(parts) if parts else ""


def level_labels(
    grid: MeasureGrid | None, positions: Mapping[CornerLabel, Point], levels: Sequence[str]
) -> list[LevelLabel]:
    """One label per disc level with at least one value and its four disc corners placed."""
    if grid is None:
        return []
    labels = []
    for name in levels:
        text = label_text(grid, name)
        found = _anchor(positions, DiscLevel(name))
        if text and found is not None:
            labels.append(LevelLabel(name, found[0], text, found[1]))
    return labels


def _anchor(positions: Mapping[CornerLabel, Point], level: DiscLevel) -> tuple[Point, bool] | None:
    """Where the label starts, in front of the middle of the disc's anterior edge, and whether
    anterior is toward smaller columns; None when a corner of the disc is missing."""
    upper, lower = level.upper_vertebra, level.lower_vertebra
    corners = [
        positions.get(CornerLabel(upper, Corner.ANTERIOR_INFERIOR)),
        positions.get(CornerLabel(lower, Corner.ANTERIOR_SUPERIOR)),
        positions.get(CornerLabel(upper, Corner.POSTERIOR_INFERIOR)),
        positions.get(CornerLabel(lower, Corner.POSTERIOR_SUPERIOR)),
    ]
    if any(c is None for c in corners):
        return None
    (a1, a2, p1, p2) = (c for c in corners if c is not None)
    front = ((a1[0] + a2[0]) / 2.0, (a1[1] + a2[1]) / 2.0)
    back = ((p1[0] + p2[0]) / 2.0, (p1[1] + p2[1]) / 2.0)
    k = LABEL_OFFSET_DEPTHS
    start = (front[0] + k * (front[0] - back[0]), front[1] + k * (front[1] - back[1]))
    return start, front[1] < back[1]
