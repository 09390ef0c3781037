"""What to draw over a film from the placed corners: endplate lines and disc height segments.

Pure geometry on (row, col) pixel coordinates; the Qt side turns :class:`Segment` s into a napari
Shapes layer of lines. Only what can be drawn is returned: a segment whose corners are not both
placed is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from imaging.anatomy import Corner, DiscLevel, Vertebra
from napari_spine_endpoints._model.placement import CornerLabel

Point = tuple[float, float]

SEGMENT_COLORS: dict[str, str] = {
    "endplate": "#ffd24d",  # yellow: the endplate lines angles are measured between
    "height_anterior": "#4dd2ff",
    "height_posterior": "#ff8c4d",
    "height_middle": "#9dff4d",
}
"""Colour per segment kind (also used in the widget's legend)."""


@dataclass(frozen=True)
class Segment:
    """A line from ``start`` to ``end`` ((row, col) pixels) of a ``kind`` in SEGMENT_COLORS."""

    kind: str
    name: str
    start: Point
    end: Point

    @property
    def color(self) -> str:
        return SEGMENT_COLORS[self.kind]


def _midpoint(a: Point, b: Point) -> Point:
    return ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)


def overlay_segments(
    positions: Mapping[CornerLabel, Point], levels: Iterable[DiscLevel | str]
) -> list[Segment]:
    """Endplate lines of every vertebra, then the anterior, posterior and middle disc heights.

    ``positions`` maps placed corners to (row, col) pixels; ``levels`` are the disc levels read.
    """

    def at(vertebra: Vertebra, corner: Corner) -> Point | None:
        return positions.get(CornerLabel(vertebra, corner))

    segments: list[Segment] = []
    vertebrae = sorted({label.vertebra for label in positions}, key=lambda v: v.position)
    for vertebra in vertebrae:
        for side, anterior, posterior in (
            ("superior", Corner.ANTERIOR_SUPERIOR, Corner.POSTERIOR_SUPERIOR),
            ("inferior", Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR),
        ):
            a, p = at(vertebra, anterior), at(vertebra, posterior)
            if a is not None and p is not None:
                segments.append(Segment("endplate", f"{vertebra.value} {side} endplate", p, a))
    for level in (DiscLevel(x) for x in levels):
        upper_ai = at(level.upper_vertebra, Corner.ANTERIOR_INFERIOR)
        upper_pi = at(level.upper_vertebra, Corner.POSTERIOR_INFERIOR)
        lower_as = at(level.lower_vertebra, Corner.ANTERIOR_SUPERIOR)
        lower_ps = at(level.lower_vertebra, Corner.POSTERIOR_SUPERIOR)
        if upper_ai is not None and lower_as is not None:
            segments.append(
                Segment("height_anterior", f"{level.value} anterior height", upper_ai, lower_as)
            )
        if upper_pi is not None and lower_ps is not None:
            segments.append(
                Segment("height_posterior", f"{level.value} posterior height", upper_pi, lower_ps)
            )
        if None not in (upper_ai, upper_pi, lower_as, lower_ps):
            assert upper_ai and upper_pi and lower_as and lower_ps  # narrowed for mypy
            segments.append(
                Segment(
                    "height_middle",
                    f"{level.value} middle height",
                    _midpoint(upper_ai, upper_pi),
                    _midpoint(lower_as, lower_ps),
                )
            )
    return segments
