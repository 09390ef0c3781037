"""Lateral cervical and lumbar films of a spine with ankylosing spondylitis, scored by mSASSS.

Each anterior vertebral corner of the 24 mSASSS sites (:data:`imaging.anatomy.MSASSS_SITES`) is
drawn with the change its chosen score stands for (Creemers et al., Ann Rheum Dis 2005;64:127):
0 a normal rounded corner; 1 an erosion (a bite out of the corner) with a sclerotic rim, which also
squares it; 2 a syndesmophyte (a thin bony spur from the corner along the anterior disc margin,
about half way across the disc); 3 a bridging syndesmophyte (bone joining the corner to the facing
corner of the next vertebra, so both corners of that disc score 3). A site may also be hidden
(the shoulders over the cervicothoracic junction): drawn under a dense shadow, its truth is
"cannot be scored" with the reason. Geometry is in patient mm, (row, col) with rows caudal and
columns posterior (anterior to the image's left), as the lumbar phantom's films.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from imaging.anatomy import MSASSS_SEGMENTS, msasss_sites
from imaging.phantom.radiograph import PatientSpacing, RadiographSetup, display_window, expose
from imaging.phantom.raster import Array, Grid, coverage, ellipse_window, rounded_sdf, smooth_noise

MSASSS_SCORES = (0, 1, 2, 3)
HIDDEN_REASON = "hidden by the shoulders"

# (body depth, body height, disc height) in mm and the tilt of each vertebra (deg, caudal axis
# turned towards posterior) per segment; C2's body is drawn with its dens, T1 and S1 larger.
_SEGMENT_SHAPES: dict[str, dict[str, tuple[float, float, float, float]]] = {
    "cervical": {
        "C2": (16.0, 24.0, 5.0, -14.0), "C3": (15.5, 13.5, 5.0, -10.0),
        "C4": (15.5, 13.5, 5.0, -6.0), "C5": (16.0, 13.5, 5.0, -2.0),
        "C6": (16.5, 13.5, 5.0, 2.0), "C7": (17.0, 14.0, 5.0, 6.0), "T1": (18.0, 15.5, 0.0, 9.0),
    },
    "lumbar": {
        "T12": (30.0, 23.0, 7.5, -12.0), "L1": (31.0, 24.0, 8.5, -8.0),
        "L2": (33.0, 25.0, 9.5, -2.0), "L3": (34.0, 26.0, 10.0, 5.0),
        "L4": (34.5, 26.0, 10.5, 13.0), "L5": (35.0, 25.0, 10.0, 22.0),
        "S1": (38.0, 24.0, 0.0, 34.0),
    },
}  # fmt: skip
_TRABECULAR, _CORTEX, _CORTEX_MM, _SPUR = 0.30, 0.32, 1.0, 0.55
_SCLEROSIS = 0.22


@dataclass(frozen=True)
class SpineScores:
    """The mSASSS score chosen at each corner site (0-3; a site not given is 0) and the sites
    hidden from the reader (scores of hidden sites are drawn but cannot be read).

    A bridge joins two corners: a disc's two facing corners (``C3-lower`` and ``C4-upper``) are
    both 3 or neither is.
    """

    scores: Mapping[str, int] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        sites = set(msasss_sites("cervical") + msasss_sites("lumbar"))
        unknown = sorted((set(self.scores) | set(self.hidden)) - sites)
        if unknown:
            raise ValueError(f"{unknown} are not mSASSS sites; valid: {', '.join(sorted(sites))}")
        wrong = {s: v for s, v in self.scores.items() if v not in MSASSS_SCORES}
        if wrong:
            raise ValueError(f"mSASSS scores are 0-3, got {wrong}")
        object.__setattr__(self, "hidden", frozenset(self.hidden))
        for upper, lower in facing_pairs():
            if (self.score(upper) == 3) != (self.score(lower) == 3):
                raise ValueError(
                    f"a bridge joins {upper} and {lower}: score both 3 or neither "
                    f"(got {self.score(upper)} and {self.score(lower)})"
                )

    def score(self, site: str) -> int:
        return int(self.scores.get(site, 0))

    @classmethod
    def rigid(cls) -> SpineScores:
        """Complete spinal rigidity: every corner bridged."""
        return cls({site: 3 for pair in facing_pairs() for site in pair})


def facing_pairs() -> list[tuple[str, str]]:
    """The two corners of each scored disc, (lower corner of a vertebra, upper corner of the
    next), for both segments."""
    pairs = []
    for segment in MSASSS_SEGMENTS:
        sites = msasss_sites(segment)
        pairs += list(zip(sites[0::2], sites[1::2], strict=True))
    return pairs


@dataclass(frozen=True)
class _Body:
    name: str
    centre: NDArray[np.float64]
    caudal: NDArray[np.float64]
    anterior: NDArray[np.float64]
    depth: float
    height: float

    def corner(self, end: str, side: str) -> NDArray[np.float64]:
        """``end`` upper/lower, ``side`` anterior/posterior."""
        along = (-0.5 if end == "upper" else 0.5) * self.height * self.caudal
        across = (0.5 if side == "anterior" else -0.5) * self.depth * self.anterior
        return self.centre + along + across

    @property
    def outline(self) -> list[NDArray[np.float64]]:
        return [self.corner(e, s) for e, s in
                (("upper", "anterior"), ("upper", "posterior"), ("lower", "posterior"),
                 ("lower", "anterior"))]  # fmt: skip


def _bodies(segment: str) -> list[_Body]:
    """The segment's vertebral bodies stacked from (0, 0), each tilted as the shapes say."""
    bodies: list[_Body] = []
    centre = np.zeros(2)
    previous: tuple[NDArray[np.float64], float, float] | None = None
    for name, (depth, height, disc, tilt) in _SEGMENT_SHAPES[segment].items():
        theta = math.radians(tilt)
        caudal = np.array([math.cos(theta), math.sin(theta)])
        anterior = np.array([math.sin(theta), -math.cos(theta)])
        if previous is not None:
            last_caudal, last_half, last_disc = previous
            middle = (last_caudal + caudal) / np.linalg.norm(last_caudal + caudal)
            centre = centre + last_caudal * last_half + middle * last_disc + caudal * height / 2
        bodies.append(_Body(name, centre, caudal, anterior, depth, height))
        previous = (caudal, height / 2, disc)
    return bodies


@dataclass(frozen=True)
class RenderedFilm(PatientSpacing):
    """One rendered AS film: stored values, how it was taken, its grid and display window."""

    pixels: NDArray[np.uint16]
    setup: RadiographSetup
    grid: Grid
    window_center: float
    window_width: float


@dataclass(frozen=True)
class RenderedSpineFilm(RenderedFilm):
    """A lateral film and each site's anterior corner, (row, col) pixels."""

    segment: str = ""
    sites_px: dict[str, tuple[float, float]] = field(default_factory=dict)


def render_spine_film(
    segment: str, scores: SpineScores, setup: RadiographSetup, rng: np.random.Generator
) -> RenderedSpineFilm:
    """Render the lateral ``segment`` (cervical or lumbar) film with the chosen corner scores."""
    bodies = _bodies(segment)
    sites = _site_corners(bodies)
    points = np.array([p for body in bodies for p in body.outline])
    spacing = setup.patient_spacing_mm
    size = np.array([setup.rows - 1, setup.columns - 1]) * spacing
    centre = (points.min(axis=0) + points.max(axis=0)) / 2 + np.array([0.0, 12.0])
    grid = Grid(setup.rows, setup.columns, spacing, tuple(centre - size / 2))
    if np.any(points.min(axis=0) - 8 < grid.origin_mm) or np.any(
        points.max(axis=0) + 8 > np.array(grid.origin_mm) + size
    ):
        raise ValueError(f"the {segment} spine does not fit {setup.rows}x{setup.columns} pixels")
    shape = (grid.rows, grid.columns)
    out = 0.55 + 0.04 * smooth_noise(rng, shape, 25.0)
    texture = 1.0 + 0.2 * smooth_noise(rng, shape, (2.0, 0.8))
    bone = np.zeros(shape)
    for body in bodies:
        _add(bone, grid, body.outline, 1.2 if segment == "cervical" else 1.8, _TRABECULAR, texture)
        _add(bone, grid, body.outline, 1.2 if segment == "cervical" else 1.8, 0.0, texture,
             rim=_CORTEX)  # fmt: skip
    spurs = np.zeros(shape)
    for site, (body, end) in sites.items():
        _draw_site(bone, spurs, grid, body, end, scores.score(site), bodies)
    out += bone + _SPUR * np.minimum(spurs, 1.0)
    for site in sorted(scores.hidden & set(sites)):
        body, end = sites[site]
        _add_shadow(out, grid, body.corner(end, "anterior"))
    pixels = expose(out, setup, setup.photons, rng)
    sites_px = {s: grid.to_pixel(*b.corner(e, "anterior")) for s, (b, e) in sites.items()}
    window = {"sites": sites_px}
    centre_value, width = display_window(pixels, window)
    return RenderedSpineFilm(pixels, setup, grid, centre_value, width, segment, sites_px)


def _site_corners(bodies: list[_Body]) -> dict[str, tuple[_Body, str]]:
    by_name = {body.name: body for body in bodies}
    segment = next(s for s, names in MSASSS_SEGMENTS.items() if names[0] == bodies[0].name)
    out = {}
    for site in msasss_sites(segment):
        name, end = site.rsplit("-", 1)
        out[site] = (by_name[name], end)
    return out


def _add(
    out: Array,
    grid: Grid,
    outline: list[NDArray[np.float64]],
    radius: float,
    interior: float,
    texture: Array,
    rim: float = 0.0,
) -> None:
    window = grid.window(np.array(outline), 3.0)
    if window is None:
        return
    block, rr, cc = window
    sdf = rounded_sdf(rr, cc, outline, radius)
    inside = coverage(sdf, grid.spacing_mm)
    if rim:
        out[block] += rim * (inside - coverage(sdf + _CORTEX_MM, grid.spacing_mm))
    else:
        out[block] += interior * inside * texture[block]


def _segment_sdf(
    rr: Array, cc: Array, a: NDArray[np.float64], b: NDArray[np.float64], half_width: float
) -> Array:
    """Signed distance (mm) to a thick line segment from ``a`` to ``b`` with round ends."""
    d = b - a
    t = np.clip(((rr - a[0]) * d[0] + (cc - a[1]) * d[1]) / float(d @ d), 0.0, 1.0)
    return np.hypot(rr - (a[0] + t * d[0]), cc - (a[1] + t * d[1])) - half_width


def _draw_site(
    bone: Array, spurs: Array, grid: Grid, body: _Body, end: str, score: int, bodies: list[_Body]
) -> None:
    """The change of ``score`` at the anterior ``end`` corner of ``body``."""
    corner = body.corner(end, "anterior")
    towards = body.caudal if end == "lower" else -body.caudal  # into the disc
    scale = body.depth / 30.0
    if score == 1:
        radius = max(1.4, 2.6 * scale)
        window = ellipse_window(grid, tuple(corner), (radius, radius), radius + 2.0)
        if window is None:
            return
        block, sdf = window
        notch = coverage(sdf, grid.spacing_mm)
        rim = coverage(sdf - 1.3, grid.spacing_mm) - notch
        in_bone = np.clip(bone[block] / _TRABECULAR, 0.0, 1.0)
        bone[block] = bone[block] * (1 - notch) + _SCLEROSIS * rim * in_bone
    elif score == 2:
        gap = _disc_gap(body, end, bodies)
        base = corner - 1.0 * towards + 0.3 * body.anterior
        tip = corner + 0.55 * gap * towards + 0.9 * body.anterior
        _add_spur(spurs, grid, base, tip, 0.8 * max(scale, 0.7))
    elif score == 3 and end == "lower":  # one bridge per disc, drawn from its upper corner
        lower = bodies[bodies.index(body) + 1]
        facing = lower.corner("upper", "anterior")
        middle = (corner + facing) / 2 + 1.6 * (body.anterior + lower.anterior) / 2
        width = 1.1 * max(scale, 0.7)
        _add_spur(spurs, grid, corner - 1.0 * body.caudal, middle, width)
        _add_spur(spurs, grid, middle, facing + 1.0 * lower.caudal, width)


def _disc_gap(body: _Body, end: str, bodies: list[_Body]) -> float:
    index = bodies.index(body)
    if end == "lower":
        other = bodies[index + 1].corner("upper", "anterior")
    else:
        other = bodies[index - 1].corner("lower", "anterior")
    return float(np.linalg.norm(other - body.corner(end, "anterior")))


def _add_spur(
    spurs: Array, grid: Grid, a: NDArray[np.float64], b: NDArray[np.float64], half_width: float
) -> None:
    window = grid.window(np.array([a, b]), half_width + 2.0)
    if window is None:
        return
    block, rr, cc = window
    spurs[block] = np.maximum(
        spurs[block], coverage(_segment_sdf(rr, cc, a, b, half_width), grid.spacing_mm)
    )


def _add_shadow(out: Array, grid: Grid, centre: NDArray[np.float64]) -> None:
    """The shoulders' dense shadow over a corner: the site cannot be scored."""
    window = ellipse_window(grid, tuple(centre), (14.0, 30.0), 8.0)
    if window is None:
        return
    block, sdf = window
    out[block] += 2.2 * np.clip(0.5 - sdf / 6.0, 0.0, 1.0)
