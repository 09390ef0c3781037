"""The rules that make a set of vertebral corners anatomically possible on a lateral film.

A lateral film may show the patient facing left or right, and may be rotated, so "anterior" and
"superior" are decided from the spine itself, in physical space ((row, col) times the pixel
spacing; the pixel grid when uncalibrated):

1. Endplate length. Each endplate with both corners placed is at least
   :data:`MIN_ENDPLATE_LENGTH` long (1 mm; 5 px on a film without a pixel spacing): a shorter
   one is two corners clicked on one spot, not a vertebra.
2. Spine axis. The cranial direction is the unit vector from the centroid of the most caudal
   labelled vertebra to the centroid of the most cranial one (centroid = mean of its placed
   corners). With a single vertebra the film is taken as upright (cranial = decreasing row).
3. Anterior side. For every endplate with both corners placed, the anterior corner must lie on
   the same side of the spine axis (``sign(cross(anterior - posterior, cranial))``, the film's
   *facing*) as on every other endplate of the film. The side is the one given by
   ``anterior_direction`` (e.g. from (0020,0020) *Patient Orientation*) when known, otherwise
   the majority of endplates; endplates on the other side have anterior and posterior swapped.
4. Superior above inferior. For each vertebra and side (anterior, posterior) with both corners
   placed, the superior corner lies cranial of the inferior one along the spine axis.
5. Outline. A vertebra with all four corners traces anterior-superior, posterior-superior,
   posterior-inferior, anterior-inferior as a convex outline turning the way the film faces
   (a crossing outline means two corners are swapped).
6. Vertebra order. Vertebra centroids lie in anatomical order along the spine axis.

Coordinates are (row, col); ``cross(a, b) = a_row * b_col - a_col * b_row``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, NoReturn

from imaging.anatomy import BODY_OUTLINE, ENDPLATES, Corner, Vertebra

Point = tuple[float, float]
CornerKey = tuple[Vertebra, Corner]
Fail = Callable[[str, Sequence[CornerKey], str], NoReturn]
Unit = Literal["mm", "px"]

MIN_ENDPLATE_LENGTH: dict[Unit, float] = {"mm": 1.0, "px": 5.0}
"""The shortest endplate (anterior to posterior corner) accepted, in mm, or in pixels on a film
without a pixel spacing. A lumbar endplate is some 30-45 mm deep (an automated corner error of
0.6-0.7 mm is about 2 % of vertebral size, Cina 2021) and an expert places a corner within about
0.8 mm, so an endplate under 1 mm is a corner clicked twice or on the wrong spot; its depth
would divide the translation and disc height index (a height loss of -95 % from an endplate
1e-200 px long). 5 px is at most 10 mm at the coarsest radiograph spacing
(2 mm per pixel, :data:`imaging.calibration.PLAUSIBLE_SPACING_MM`), still no real endplate."""

_ENDPLATES = ENDPLATES
_ENDPLATE_CORNERS = {name: (anterior, posterior) for name, anterior, posterior in _ENDPLATES}
_WALLS = (
    ("anterior", Corner.ANTERIOR_SUPERIOR, Corner.ANTERIOR_INFERIOR),
    ("posterior", Corner.POSTERIOR_SUPERIOR, Corner.POSTERIOR_INFERIOR),
)


@dataclass(frozen=True)
class SpineOrientation:
    """How the spine lies on the film."""

    cranial: Point
    """Unit (row, col) vector toward the head."""
    facing: int | None
    """+1: anterior toward increasing col (head up); -1: toward decreasing col; None: unknown."""


def _cross(a: Point, b: Point) -> float:
    return a[0] * b[1] - a[1] * b[0]


def _minus(a: Point, b: Point) -> Point:
    return (a[0] - b[0], a[1] - b[1])


def _centroid(points: Sequence[Point]) -> Point:
    return (
        sum(p[0] for p in points) / len(points),
        sum(p[1] for p in points) / len(points),
    )


def _names(vertebrae: Sequence[Vertebra]) -> str:
    return ", ".join(v.value for v in sorted(set(vertebrae), key=lambda v: v.position))


def check_corner_order(
    corners: Mapping[Vertebra, Mapping[Corner, Point]],
    *,
    anterior_direction: Point | None,
    unit: Unit,
    fail: Fail,
) -> SpineOrientation:
    """Apply rules 1-6 to corners in physical (row, col) space, whose ``unit`` is ``mm`` (or
    ``px`` when the film has no pixel spacing); ``fail`` raises on a violation."""
    _check_endplate_lengths(corners, unit, fail)
    cranial = _spine_axis(corners, fail)
    facing = _check_anterior_side(corners, cranial, anterior_direction, fail)
    _check_superior_cranial(corners, cranial, fail)
    if facing is not None:
        _check_outlines(corners, facing, fail)
    _check_vertebra_order(corners, cranial, fail)
    return SpineOrientation(cranial, facing)


def _check_endplate_lengths(
    corners: Mapping[Vertebra, Mapping[Corner, Point]], unit: Unit, fail: Fail
) -> None:
    minimum = MIN_ENDPLATE_LENGTH[unit]
    for vertebra, placed in corners.items():
        for endplate, anterior, posterior in _ENDPLATES:
            if anterior in placed and posterior in placed:
                length = math.dist(placed[anterior], placed[posterior])
                if length < minimum:
                    fail(
                        f"{vertebra} {endplate} endplate is {length:.3g} {unit} long "
                        f"({anterior.value} to {posterior.value}), under the {minimum:g} {unit} "
                        "minimum for a vertebral endplate: one of its corners is misplaced",
                        [(vertebra, anterior), (vertebra, posterior)],
                        f"Move {vertebra} {anterior.value} or {posterior.value} onto its corner "
                        "of the vertebral body.",
                    )


def _spine_axis(corners: Mapping[Vertebra, Mapping[Corner, Point]], fail: Fail) -> Point:
    vertebrae = sorted(corners, key=lambda v: v.position)
    if len(vertebrae) < 2:
        return (-1.0, 0.0)
    top = _centroid(list(corners[vertebrae[0]].values()))
    bottom = _centroid(list(corners[vertebrae[-1]].values()))
    axis = _minus(top, bottom)
    length = math.hypot(*axis)
    if length == 0:
        keys = [(v, c) for v in (vertebrae[0], vertebrae[-1]) for c in corners[v]]
        fail(
            f"{vertebrae[0]} and {vertebrae[-1]} are placed at the same position",
            keys,
            "Check the vertebra labels: each vertebra has its own corners.",
        )
    return (axis[0] / length, axis[1] / length)


def _check_anterior_side(
    corners: Mapping[Vertebra, Mapping[Corner, Point]],
    cranial: Point,
    anterior_direction: Point | None,
    fail: Fail,
) -> int | None:
    sides: list[tuple[int, Vertebra, str]] = []
    for vertebra, placed in corners.items():
        for endplate, anterior, posterior in _ENDPLATES:
            if anterior in placed and posterior in placed:
                value = _cross(_minus(placed[anterior], placed[posterior]), cranial)
                if value == 0:
                    fail(
                        f"{vertebra} {endplate} endplate runs along the spine axis, so its "
                        "anterior and posterior corners cannot be told apart",
                        [(vertebra, anterior), (vertebra, posterior)],
                        "Check that the corner names match the positions.",
                    )
                sides.append((1 if value > 0 else -1, vertebra, endplate))
    hint: int | None = None
    if anterior_direction is not None and any(anterior_direction):
        value = _cross(anterior_direction, cranial)
        hint = None if value == 0 else (1 if value > 0 else -1)
    if not sides:
        return hint
    votes = sum(side for side, _, _ in sides)
    if hint is not None:
        facing = hint
    elif votes != 0:
        facing = 1 if votes > 0 else -1
    else:
        one = _names([v for s, v, _ in sides if s > 0])
        other = _names([v for s, v, _ in sides if s < 0])
        keys = [(v, c) for _, v, _ in sides for c in Corner if c in corners[v]]
        fail(
            f"cannot tell anterior from posterior: the anterior corners of {one} lie on one side "
            f"of the spine and those of {other} on the other",
            keys,
            "Swap the anterior and posterior corner names of the vertebrae that are wrong.",
        )
    wrong = [(v, e) for s, v, e in sides if s != facing]
    if wrong and len(wrong) == len(sides) and hint is not None:
        fail(
            "every anterior corner lies on the posterior side given by the image orientation "
            "(0020,0020) Patient Orientation",
            [],
            "Swap anterior and posterior in the corner names, or correct the image's "
            "Patient Orientation.",
        )
    if wrong:
        vertebra, endplate = wrong[0]
        right = _names([v for s, v, _ in sides if s == facing])  # never empty: see above
        anterior, posterior = _ENDPLATE_CORNERS[endplate]
        fail(
            f"{vertebra} anterior and posterior corners are swapped: its {endplate} endplate's "
            f"anterior corner lies on the posterior side compared with {right}",
            [(vertebra, anterior), (vertebra, posterior)],
            f"Swap {vertebra} {anterior.value} and {posterior.value}.",
        )
    return facing


def _check_superior_cranial(
    corners: Mapping[Vertebra, Mapping[Corner, Point]], cranial: Point, fail: Fail
) -> None:
    for vertebra, placed in corners.items():
        for side, superior, inferior in _WALLS:
            if superior in placed and inferior in placed:
                offset = _minus(placed[superior], placed[inferior])
                if offset[0] * cranial[0] + offset[1] * cranial[1] <= 0:
                    fail(
                        f"{vertebra} {superior.value} is not cranial of {inferior.value} along "
                        f"the spine: superior and inferior corners swapped on its {side} side",
                        [(vertebra, superior), (vertebra, inferior)],
                        f"Swap {vertebra} {superior.value} and {inferior.value}.",
                    )


def _check_outlines(
    corners: Mapping[Vertebra, Mapping[Corner, Point]], facing: int, fail: Fail
) -> None:
    for vertebra, placed in corners.items():
        if not all(c in placed for c in BODY_OUTLINE):
            continue
        outline = [placed[c] for c in BODY_OUTLINE]
        turns = [
            _cross(
                _minus(outline[(i + 1) % 4], outline[i]),
                _minus(outline[(i + 2) % 4], outline[(i + 1) % 4]),
            )
            for i in range(4)
        ]
        if not all(turn * facing > 0 for turn in turns):
            fail(
                f"{vertebra} corners do not outline a vertebral body (anterior_superior, "
                "posterior_superior, posterior_inferior, anterior_inferior cross or fold)",
                [(vertebra, c) for c in BODY_OUTLINE],
                "Two corners are swapped or misplaced: check each corner's name.",
            )


def _check_vertebra_order(
    corners: Mapping[Vertebra, Mapping[Corner, Point]], cranial: Point, fail: Fail
) -> None:
    vertebrae = sorted(corners, key=lambda v: v.position)
    heights = {}
    for vertebra in vertebrae:
        centre = _centroid(list(corners[vertebra].values()))
        heights[vertebra] = centre[0] * cranial[0] + centre[1] * cranial[1]
    for upper, lower in pairwise(vertebrae):
        if heights[upper] <= heights[lower]:
            fail(
                f"{upper} is not cranial of {lower} along the spine: vertebra labels swapped?",
                [(v, c) for v in (upper, lower) for c in corners[v]],
                f"Check which vertebra is {upper} and which is {lower}.",
            )
