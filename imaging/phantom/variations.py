"""What makes a phantom film look like a real one: rounded and osteophytic corners, concave
endplates, double contours, iliac crests, bowel gas, low dose, films cut or shifted.

Every variation is off by default (a :class:`FilmLook` of defaults renders the films of
``sample_dicom/`` byte for byte). Bodies are drawn from signed distance functions (mm, negative
inside) in each vertebra's local frame, so the ground truth is exact: a corner follows the
definition of :data:`imaging.anatomy.ROUNDED_CORNER_MM` on the very outline that is drawn
(:func:`true_corners`). Osteophytes, concave endplates and double contours leave the corners
where they are (the endplate and wall lines do not change; a double contour is read at its
middle); only a corner rounded beyond the definition's limit moves onto the outline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imaging.anatomy import ROUNDED_CORNER_MM, Corner, Vertebra
from imaging.phantom.construction import PlacedVertebra, Point
from imaging.phantom.raster import (
    Array,
    Grid,
    convex_sdf,
    coverage,
    ellipse_sdf,
    ellipse_window,
    rounded_sdf,
)

DEFAULT_CORNER_RADIUS_MM = 1.8
"""The rim radius of the default phantom (intersection 0.75 mm outside the bone at 90 deg)."""


@dataclass(frozen=True)
class FilmLook:
    """Variations of one rendered film, each off by default (lengths in mm).

    ``corner_radius_mm``: rounding of every body corner. ``osteophyte_mm``: length of an
    anterior spur at both anterior corners of T12-L5 (0: none). ``endplate_concavity_mm``: depth
    of the central depression of every endplate. ``double_contour_mm``: the body drawn twice,
    this far apart cranio-caudally at half density each (a beam oblique to the endplates).
    ``iliac_crests``: two dense iliac crests arching over L5 and the L5-S1 disc.
    ``bowel_gas``: strength of gas pockets over the anterior bodies (0-2). ``dose``: fraction of
    the setup's quanta (0.25: a quarter of the dose, twice the noise). ``shift_mm``: the spine
    moved on the film by (rows down, columns posterior), off the film edge if it must.
    ``cut_below_s1_mm``: the film ends this far below S1's posterior-superior corner (through
    the sacrum; negative: S1 off the film).
    """

    corner_radius_mm: float = DEFAULT_CORNER_RADIUS_MM
    osteophyte_mm: float = 0.0
    endplate_concavity_mm: float = 0.0
    double_contour_mm: float = 0.0
    iliac_crests: bool = False
    bowel_gas: float = 0.0
    dose: float = 1.0
    shift_mm: tuple[float, float] = (0.0, 0.0)
    cut_below_s1_mm: float | None = None

    def __post_init__(self) -> None:
        checks = {
            "corner_radius_mm": 0.0 <= self.corner_radius_mm <= 8.0,
            "osteophyte_mm": 0.0 <= self.osteophyte_mm <= 8.0,
            "endplate_concavity_mm": 0.0 <= self.endplate_concavity_mm <= 4.0,
            "double_contour_mm": 0.0 <= self.double_contour_mm <= 5.0,
            "bowel_gas": 0.0 <= self.bowel_gas <= 2.0,
            "dose": 0.01 <= self.dose <= 10.0,
            "shift_mm": all(math.isfinite(s) and abs(s) <= 200 for s in self.shift_mm),
            "cut_below_s1_mm": self.cut_below_s1_mm is None
            or -100.0 <= self.cut_below_s1_mm <= 300.0,
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            raise ValueError(
                f"FilmLook: {wrong[0]}={getattr(self, wrong[0])!r} is out of range; see the "
                "class docstring for each variation's range"
            )

    @property
    def plain(self) -> bool:
        """True when nothing differs from the default phantom."""
        return self == FilmLook()


def body_sdf(placed: PlacedVertebra, row: Array, col: Array, look: FilmLook) -> Array:
    """Signed distance (mm) to one vertebral body as drawn: rounded, with spurs and hollows."""
    outline = [placed.corners_mm[c] for c in _AROUND]
    sdf = rounded_sdf(row, col, outline, look.corner_radius_mm)
    a, c = placed.to_local(row, col)
    d = placed.shape.depth_mm
    ha, hp = placed.shape.anterior_height_mm, placed.shape.posterior_height_mm
    if look.osteophyte_mm > 0 and placed.vertebra is not Vertebra.S1:
        for side in (-1.0, 1.0):  # superior, inferior anterior corner
            spur = _spur(d, ha, side, look.osteophyte_mm)
            sdf = np.minimum(sdf, convex_sdf(a, c, spur))
    if look.endplate_concavity_mm > 0:
        sides = (-1.0,) if placed.vertebra is Vertebra.S1 else (-1.0, 1.0)
        for side in sides:
            middle = side * (ha + hp) / 4.0
            hollow = ellipse_sdf(a, c, (0.0, middle), (0.33 * d, look.endplate_concavity_mm))
            sdf = np.maximum(sdf, -hollow)
    return sdf


_AROUND = (
    Corner.ANTERIOR_SUPERIOR,
    Corner.POSTERIOR_SUPERIOR,
    Corner.POSTERIOR_INFERIOR,
    Corner.ANTERIOR_INFERIOR,
)


def _spur(depth: float, anterior_height: float, side: float, length: float) -> np.ndarray:
    """An anterior osteophyte in local (a, c) mm: from the rim, forward and toward the disc."""
    a0, c0 = depth / 2.0, side * anterior_height / 2.0
    return np.array(
        [
            (a0 - 3.0, c0),
            (a0 + 0.8 * length, c0 + side * 0.6 * length),
            (a0, c0 - side * 4.0),
            (a0 - 3.0, c0 - side * 4.0),
        ]
    )


def true_corners(placed: PlacedVertebra, look: FilmLook) -> dict[Corner, Point]:
    """The corners of the body as drawn, by the corner definition (patient mm).

    The trapezoid vertex (the intersection of endplate and wall lines), unless it lies more than
    :data:`~imaging.anatomy.ROUNDED_CORNER_MM` outside the drawn outline: then the outline point
    nearest to it. A double contour is read at its middle: the undisplaced body.
    """
    out: dict[Corner, Point] = {}
    for corner, vertex in placed.corners_mm.items():
        point = np.array(vertex)
        step = 1e-4
        probes = point + np.array([[0.0, 0.0], [step, 0.0], [-step, 0.0], [0.0, step], [0, -step]])
        sdf = body_sdf(placed, probes[:, 0], probes[:, 1], look)
        if sdf[0] <= ROUNDED_CORNER_MM:
            out[corner] = vertex
            continue
        gradient = np.array([sdf[1] - sdf[2], sdf[3] - sdf[4]]) / (2 * step)
        gradient /= np.hypot(*gradient)
        nearest = point - sdf[0] * gradient
        out[corner] = (float(nearest[0]), float(nearest[1]))
    return out


def add_body(
    out: Array,
    placed: PlacedVertebra,
    grid: Grid,
    texture: Array,
    look: FilmLook,
    interior: float,
    cortex: float,
    cortex_mm: float,
) -> None:
    """Draw one vertebral body (twice, half density each, for a double contour)."""
    offset = look.double_contour_mm / 2.0
    copies = [(0.0, 1.0)] if offset == 0 else [(-offset, 0.5), (offset, 0.5)]
    axis = placed.to_patient(0.0, 1.0)
    caudal = np.array([float(axis[0]) - placed.centre_mm[0], float(axis[1]) - placed.centre_mm[1]])
    outline = [placed.corners_mm[c] for c in _AROUND]
    for shift, weight in copies:
        moved = caudal * shift
        window = grid.window(np.array(outline) + moved, 3.0 + look.osteophyte_mm)
        if window is None:
            continue
        block, rr, cc = window
        sdf = body_sdf(placed, rr - moved[0], cc - moved[1], look)
        inside = coverage(sdf, grid.spacing_mm)
        core = coverage(sdf + cortex_mm, grid.spacing_mm)
        out[block] += weight * (interior * inside * texture[block] + cortex * (inside - core))


def add_iliac_crests(out: Array, s1: PlacedVertebra, grid: Grid) -> None:
    """Two iliac crests (left and right, offset by beam divergence) arching over L5-S1.

    Placed from S1's posterior-superior corner, so they move with the pelvis: their dense rim
    crosses the lower half of L5 and the L5-S1 disc, the overlap that hides corners on real films.
    """
    ps = s1.corners_mm[Corner.POSTERIOR_SUPERIOR]
    axes = (78.0, 56.0)
    for offset in ((0.0, 0.0), (5.0, 4.0)):
        centre = (ps[0] - 28.0 + axes[0] + offset[0], ps[1] - 6.0 + offset[1])
        window = ellipse_window(grid, centre, axes, 3.0)
        if window is None:
            continue
        block, sdf = window
        inside = coverage(sdf, grid.spacing_mm)
        rim = inside - coverage(sdf + 2.0, grid.spacing_mm)
        out[block] += 0.04 * inside + 0.16 * rim


def add_bowel_gas(
    out: Array,
    vertebrae: list[PlacedVertebra],
    grid: Grid,
    strength: float,
    rng: np.random.Generator,
) -> None:
    """Gas pockets (sharp-edged, dark) over the anterior halves of the lower lumbar bodies."""
    for placed in vertebrae:
        for _ in range(2):
            a = rng.uniform(0.0, 0.7) * placed.shape.depth_mm / 2 + 6.0
            c = rng.uniform(-0.7, 0.7) * placed.shape.anterior_height_mm / 2
            centre = placed.to_patient(a, c)
            centre_mm = (float(centre[0]), float(centre[1]))
            axes = (float(rng.uniform(4.0, 11.0)), float(rng.uniform(5.0, 14.0)))
            window = ellipse_window(grid, centre_mm, axes, 2.0)
            if window is None:
                continue
            block, sdf = window
            inside = coverage(sdf, grid.spacing_mm)
            out[block] -= 0.12 * strength * inside
