"""Render a lateral lumbar radiograph of a phantom: pixels plus the exact corners in pixels.

Projection: the mid-sagittal plane is magnified by SID/SOD onto a detector of square pixels of
``imager_pixel_spacing_mm``, so one pixel is ``imager_pixel_spacing_mm / magnification`` mm in the
patient (what the DICOM file's (0018,1164) / (0018,1114) give back). The image is a log-processed
"for presentation" film, MONOCHROME2 (bone bright): soft-tissue torso, iliac wings, vertebral bodies
with a cortical rim and trabecular texture, simple posterior elements, sacrum; then focal-spot blur,
quantum (Poisson) noise, detector blur and mild edge enhancement. Anterior is to the image's left,
caudal down. Corners are (row, col) with pixel centres at integers.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.phantom.construction import (
    PlacedVertebra,
    SpinePose,
    build_pose,
    posterior_elements,
    sacral_segments,
)
from imaging.phantom.raster import (
    Array,
    Grid,
    coverage,
    ellipse_window,
    rounded_sdf,
    smooth_noise,
)
from imaging.phantom.spec import PhantomSpec
from imaging.phantom.truth import level_measures, lordosis_deg, vertebra_heights
from imaging.phantom.variations import (
    DEFAULT_CORNER_RADIUS_MM,
    FilmLook,
    add_body,
    add_bowel_gas,
    add_iliac_crests,
    true_corners,
)

PixelCorners = dict[Vertebra, dict[Corner, tuple[float, float]]]

# Attenuation (log units after processing) of each tissue, per unit of coverage.
_TRABECULAR = 0.30
_CORTEX = 0.32
_CORTEX_MM = 1.2
_POSTERIOR = 0.09
_POSTERIOR_CORTEX = 0.08
_SACRUM = 0.85  # density of the sacral segments below S1, relative to a vertebral body
# Fixed map from processed attenuation to stored values, as a fraction of the full range.
_DISPLAY_LOW, _DISPLAY_HIGH = -0.1, 2.4


@dataclass(frozen=True)
class RadiographSetup:
    """Acquisition and processing of one lateral film (all lengths in mm).

    ``photons`` is the mean number of quanta per pixel of the unattenuated beam (it sets the
    noise); ``blur_sigma_px`` the focal-spot and detector blur; ``position_jitter_mm`` how far the
    spine may sit from the centre of the field (drawn per film from the render's generator).
    """

    rows: int = 704
    columns: int = 512
    imager_pixel_spacing_mm: float = 0.4
    source_image_distance_mm: float = 1150.0
    source_object_distance_mm: float = 1000.0
    bits_stored: int = 12
    photons: float = 6000.0
    blur_sigma_px: float = 0.9
    edge_enhancement: float = 0.35
    position_jitter_mm: float = 6.0

    def __post_init__(self) -> None:
        if not (64 <= self.rows <= 4096 and 64 <= self.columns <= 4096):
            raise ValueError(f"rows and columns must be 64-4096, got {self.rows}x{self.columns}")
        if self.bits_stored not in (10, 12, 14, 16):
            raise ValueError(f"bits_stored must be 10, 12, 14 or 16, got {self.bits_stored}")
        if not 0 < self.source_object_distance_mm <= self.source_image_distance_mm:
            raise ValueError(
                "source_object_distance_mm must be positive and at most "
                "source_image_distance_mm (magnification >= 1)"
            )
        if not (self.imager_pixel_spacing_mm > 0 and self.photons > 0 and self.blur_sigma_px >= 0):
            raise ValueError("spacing and photons must be positive, blur_sigma_px >= 0")

    @property
    def magnification(self) -> float:
        """SID / SOD: (0018,1114) Estimated Radiographic Magnification Factor."""
        return self.source_image_distance_mm / self.source_object_distance_mm

    @property
    def patient_spacing_mm(self) -> float:
        """Size of a pixel in the mid-sagittal plane."""
        return self.imager_pixel_spacing_mm / self.magnification

    @classmethod
    def random(cls, rng: np.random.Generator) -> RadiographSetup:
        """Random plausible acquisition: magnification 1.08-1.25, 0.3-0.45 mm pixels, noise."""
        spacing = float(rng.uniform(0.3, 0.45))
        sid = float(rng.uniform(1000.0, 1800.0))
        magnification = float(rng.uniform(1.08, 1.25))
        field_mm = (310.0, 220.0)  # at the detector
        return cls(
            rows=round(field_mm[0] / spacing),
            columns=round(field_mm[1] / spacing),
            imager_pixel_spacing_mm=spacing,
            source_image_distance_mm=sid,
            source_object_distance_mm=sid / magnification,
            bits_stored=int(rng.choice([12, 14])),
            photons=float(rng.uniform(2000.0, 12000.0)),
            blur_sigma_px=float(rng.uniform(0.5, 1.6)),
            edge_enhancement=float(rng.uniform(0.0, 0.6)),
            position_jitter_mm=10.0,
        )


class PatientSpacing:
    """A rendered film's pixel size in the patient plane, from its :class:`RadiographSetup`."""

    setup: RadiographSetup

    @property
    def pixel_spacing_mm(self) -> tuple[float, float]:
        """(row, col) mm per pixel in the patient plane (magnification-corrected)."""
        spacing = self.setup.patient_spacing_mm
        return (spacing, spacing)


@dataclass(frozen=True)
class RenderedRadiograph(PatientSpacing):
    """One rendered film: stored values, exact landmarks, and what produced them."""

    film: Film
    pixels: NDArray[np.uint16]
    corners_px: PixelCorners
    setup: RadiographSetup
    pose: SpinePose
    grid: Grid
    window_center: float
    window_width: float

    def measures(
        self, calibrated: bool = True, normal: Collection[DiscLevel] | None = None
    ) -> dict[str, Any]:
        """Ground-truth measures of this film; lengths None when ``calibrated`` is False;
        ``normal``: the discs that may be height-loss references (None: every one)."""
        spacing = self.pixel_spacing_mm if calibrated else None
        return {
            "levels": level_measures(self.corners_px, spacing, normal),
            "vertebrae": vertebra_heights(self.corners_px, spacing),
            "lumbar_lordosis_deg": lordosis_deg(self.corners_px),
        }


def render_radiograph(
    spec: PhantomSpec,
    film: Film | str,
    setup: RadiographSetup | None = None,
    rng: np.random.Generator | None = None,
    look: FilmLook | None = None,
) -> RenderedRadiograph:
    """Render one lateral film of ``spec`` (deterministic for a given ``rng`` state).

    ``look``: the variations that make it look like a real film (:class:`FilmLook`; default
    none). The corners follow the corner definition on the outline drawn.
    """
    film = Film(film)
    setup = setup or RadiographSetup()
    look = look or FilmLook()
    rng = rng if rng is not None else np.random.default_rng(0)
    pose = build_pose(spec, film)
    grid = _place_grid(pose, spec, setup, rng, look)
    attenuation = _attenuation(pose, grid, rng, look)
    pixels = expose(attenuation, setup, setup.photons * look.dose, rng)
    corners = _corners_px(pose, spec, grid, look)
    centre, width = display_window(pixels, corners)
    return RenderedRadiograph(film, pixels, corners, setup, pose, grid, centre, width)


def expose(
    attenuation: Array, setup: RadiographSetup, photons: float, rng: np.random.Generator
) -> NDArray[np.uint16]:
    """A film's stored values from its attenuation (log units): focal-spot blur, the heel effect,
    quantum (Poisson) noise around ``photons`` per pixel, log processing, detector blur, edge
    enhancement and the fixed display map to ``setup.bits_stored`` bits."""
    if setup.blur_sigma_px > 0:
        attenuation = ndimage.gaussian_filter(attenuation, setup.blur_sigma_px)
    heel = 1.0 + 0.08 * (np.arange(attenuation.shape[0]) / setup.rows - 0.5)[:, None]
    expected = photons * heel * np.exp(-attenuation)
    counts = np.maximum(rng.poisson(expected), 1).astype(np.float64)
    processed = -np.log(counts / (photons * heel))
    processed = ndimage.gaussian_filter(processed, 0.5)
    if setup.edge_enhancement > 0:
        background = ndimage.gaussian_filter(processed, 12.0)
        processed = processed + setup.edge_enhancement * (processed - background)
    top = 2**setup.bits_stored - 1
    scaled = (processed - _DISPLAY_LOW) / (_DISPLAY_HIGH - _DISPLAY_LOW) * top
    return np.clip(np.rint(scaled), 0, top).astype(np.uint16)


def _corners_px(pose: SpinePose, spec: PhantomSpec, grid: Grid, look: FilmLook) -> PixelCorners:
    corners_mm = pose.corners_mm()
    if not look.plain:
        for vertebra, placed in pose.vertebrae.items():
            drawn = true_corners(placed, look)
            corners_mm[vertebra] = {c: drawn[c] for c in corners_mm[vertebra]}
    return {
        v: {c: grid.to_pixel(*corners_mm[v][c]) for c in corners_mm[v]}
        for v in spec.landmarked_vertebrae
    }


def _place_grid(
    pose: SpinePose,
    spec: PhantomSpec,
    setup: RadiographSetup,
    rng: np.random.Generator,
    look: FilmLook,
) -> Grid:
    """Centre the landmarked spine (and its posterior elements) in the field, with jitter; then
    the look's shift and cut (which may take part of the spine off the film)."""
    spacing = setup.patient_spacing_mm
    points = np.array([p for v in spec.landmarked_vertebrae for p in pose.corners_mm()[v].values()])
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2 + np.array([0.0, 22.0])  # room for the posterior elements
    centre = centre + rng.uniform(-1.0, 1.0, size=2) * setup.position_jitter_mm
    size_mm = np.array([setup.rows - 1, setup.columns - 1]) * spacing
    origin = centre - size_mm / 2
    # Keep every landmark at least 12 mm inside the field.
    margin = 12.0
    origin = np.minimum(origin, low - margin)
    origin = np.maximum(origin, high + margin - size_mm)
    if np.any(low - margin < origin) or np.any(high + margin > origin + size_mm):
        raise ValueError(
            f"the landmarked spine ({high[0] - low[0]:.0f} x {high[1] - low[1]:.0f} mm) does not "
            f"fit a {size_mm[0]:.0f} x {size_mm[1]:.0f} mm field; use more rows/columns or "
            "larger pixels"
        )
    origin = origin - np.array(look.shift_mm)
    rows = setup.rows
    if look.cut_below_s1_mm is not None:
        s1 = pose.vertebrae[Vertebra.S1].corners_mm[Corner.POSTERIOR_SUPERIOR]
        last = math.floor((s1[0] + look.cut_below_s1_mm - origin[0]) / spacing)
        rows = int(np.clip(last + 1, 16, setup.rows))
    return Grid(rows, setup.columns, spacing, (float(origin[0]), float(origin[1])))


def _attenuation(pose: SpinePose, grid: Grid, rng: np.random.Generator, look: FilmLook) -> Array:
    shape = (grid.rows, grid.columns)
    px = grid.spacing_mm
    out = _soft_tissue(pose, grid, rng)
    trabecular = (
        1.0 + 0.22 * smooth_noise(rng, shape, (2.2, 0.8)) + 0.1 * smooth_noise(rng, shape, 6.0)
    )
    s1 = pose.vertebrae[Vertebra.S1]
    for placed in pose.vertebrae.values():
        add_body(out, placed, grid, trabecular, look, _TRABECULAR, _CORTEX, _CORTEX_MM)
    sacrum = _SACRUM * _TRABECULAR, _SACRUM * _CORTEX, _CORTEX_MM
    for placed in sacral_segments(s1):
        add_body(out, placed, grid, trabecular, FilmLook(), *sacrum)
    for vertebra, placed in pose.vertebrae.items():
        if vertebra is Vertebra.S1:
            continue
        for outline in posterior_elements(placed).values():
            _add_shell(out, outline, grid, _POSTERIOR, _POSTERIOR_CORTEX, 1.0, trabecular)
    _add_iliac_wings(out, s1, grid, px)
    if look.iliac_crests:
        add_iliac_crests(out, s1, grid)
    if look.bowel_gas > 0:
        lower = [pose.vertebrae[v] for v in (Vertebra.L3, Vertebra.L4, Vertebra.L5, Vertebra.S1)]
        add_bowel_gas(out, lower, grid, look.bowel_gas, rng)
    return out


def _add_shell(
    out: Array,
    outline: list[tuple[float, float]],
    grid: Grid,
    interior: float,
    cortex: float,
    cortex_mm: float,
    texture: Array,
) -> None:
    """Add a bony shape: textured interior plus a denser rim ``cortex_mm`` thick."""
    window = grid.window(outline, 3.0)
    if window is None:
        return
    block, rr, cc = window
    sdf = rounded_sdf(rr, cc, outline, DEFAULT_CORNER_RADIUS_MM)
    inside = coverage(sdf, grid.spacing_mm)
    core = coverage(sdf + cortex_mm, grid.spacing_mm)
    out[block] += interior * inside * texture[block] + cortex * (inside - core)


def _soft_tissue(pose: SpinePose, grid: Grid, rng: np.random.Generator) -> Array:
    """Torso seen from the side: lateral path length through an elliptical trunk, bowel gas."""
    posterior_walls = np.array(
        [
            pose.vertebrae[v].corners_mm[c]
            for v in pose.vertebrae
            for c in (Corner.POSTERIOR_SUPERIOR, Corner.POSTERIOR_INFERIOR)
        ]
    )
    order = np.argsort(posterior_walls[:, 0])
    row_mm = grid.origin_mm[0] + np.arange(grid.rows) * grid.spacing_mm
    col_mm = grid.origin_mm[1] + np.arange(grid.columns) * grid.spacing_mm
    wall = np.interp(row_mm, posterior_walls[order, 0], posterior_walls[order, 1])
    wall = ndimage.gaussian_filter1d(wall, 40.0 / grid.spacing_mm, mode="nearest")
    skin = wall + 92.0  # the back's skin, behind muscles and fat
    half_depth = 125.0
    depth = (col_mm[None, :] - (skin[:, None] - half_depth)) / half_depth
    path = np.clip(1.0 - depth**4, 0.0, 1.0) ** 0.25
    tissue = 1.05 * path + 0.04 * smooth_noise(rng, path.shape, 25.0)
    gas = smooth_noise(rng, path.shape, 9.0)
    anterior = np.clip((wall[:, None] - 45.0 - col_mm[None, :]) / 20.0, 0.0, 1.0)
    tissue -= 0.12 * np.clip(gas - 1.2, 0.0, 1.0) * anterior
    return np.clip(tissue, 0.0, None)


def _add_iliac_wings(out: Array, s1: PlacedVertebra, grid: Grid, px: float) -> None:
    """Both iliac wings, slightly offset by beam divergence, over the lumbosacral junction."""
    ps = s1.corners_mm[Corner.POSTERIOR_SUPERIOR]
    for offset in (0.0, 4.0):
        centre = (ps[0] + 18.0 + offset, ps[1] + 12.0 + offset)
        window = ellipse_window(grid, centre, (62.0, 44.0), 3.0)
        if window is None:
            continue
        block, sdf = window
        inside = coverage(sdf, px)
        rim = inside - coverage(sdf + 1.5, px)
        out[block] += 0.05 * inside + 0.04 * rim


def display_window(pixels: NDArray[np.uint16], corners: Mapping[Any, Any]) -> tuple[float, float]:
    """Window centre and width that show bone and disc: from the spine region's percentiles."""
    points = np.array([p for c in corners.values() for p in c.values()])
    r0, c0 = np.clip(points.min(axis=0).astype(int), 0, np.array(pixels.shape) - 1)
    r1, c1 = np.clip(points.max(axis=0).astype(int) + 1, r0 + 1, np.array(pixels.shape))
    low, high = np.percentile(pixels[r0:r1, c0:c1], [1.0, 99.5])
    width = max(float(high - low) * 1.15, 1.0)
    return float(math.floor((low + high) / 2)), float(math.ceil(width))
