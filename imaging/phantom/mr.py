"""Render sagittal T1 and T2 MR series of a phantom: discs graded by Pfirrmann, endplates by Modic.

The neutral pose is extruded left-right: each vertebral body has an elliptical axial section of
its ``width_mm`` (lateral slices cut it shorter), the nucleus is an ellipsoid, the thecal sac a
tube behind the bodies, pedicles and laminae sit lateral to it. Each slice averages three planes
across its thickness (partial volume), then gets a receive-coil bias, blur and Rician noise.

Signal follows shared/reference/spine-imaging.md: nucleus T2 signal falls and blurs into the
annulus with the Pfirrmann grade (I bright homogeneous ... V black); marrow next to each endplate
follows its Modic type (I: T1 hypo, T2 hyper; II: T1 hyper, T2 iso-hyper; III: both hypo; mixed
types are patchy blends). In-plane coordinates are the radiograph's: (row, col) with rows caudal,
columns posterior; slices run along the patient's left (+x, LPS).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.phantom.construction import (
    SpinePose,
    build_pose,
)
from imaging.phantom.mr_tissues import SagittalPainter
from imaging.phantom.raster import Array, Grid, smooth_noise
from imaging.phantom.spec import PhantomSpec

SEQUENCES: dict[str, dict[str, float]] = {
    "T2": {"repetition_time_ms": 3500.0, "echo_time_ms": 105.0, "echo_train_length": 17,
           "flip_angle_deg": 150.0},
    "T1": {"repetition_time_ms": 560.0, "echo_time_ms": 11.0, "echo_train_length": 3,
           "flip_angle_deg": 150.0},
}  # fmt: skip


@dataclass(frozen=True)
class MRSetup:
    """Sagittal 2-D acquisition: in-plane grid, slices, noise (lengths in mm)."""

    rows: int = 256
    columns: int = 224
    pixel_spacing_mm: float = 0.9
    slices: int = 11
    slice_thickness_mm: float = 3.5
    spacing_between_slices_mm: float = 4.0
    noise_sigma: float = 14.0
    blur_sigma_px: float = 0.6

    def __post_init__(self) -> None:
        if self.slices < 1 or self.slices % 2 == 0:
            raise ValueError(f"slices must be odd (a mid-sagittal slice), got {self.slices}")
        if not (
            self.pixel_spacing_mm > 0
            and 0 < self.slice_thickness_mm <= self.spacing_between_slices_mm
        ):
            raise ValueError("spacing must be positive and slices may not overlap")

    @property
    def slice_offsets_mm(self) -> NDArray[np.float64]:
        """Left-right position (+ = patient's left) of each slice centre, right to left."""
        half = (self.slices - 1) / 2
        offsets = (np.arange(self.slices) - half) * self.spacing_between_slices_mm
        return np.asarray(offsets, dtype=np.float64)


@dataclass(frozen=True)
class RenderedMRSeries:
    """A sagittal series: volume (slice, row, col) of stored values, and where things are."""

    sequence: str
    volume: NDArray[np.uint16]
    setup: MRSetup
    grid: Grid
    pose: SpinePose
    window_center: float
    window_width: float

    @property
    def mid_slice(self) -> int:
        """Index of the mid-sagittal slice (x = 0)."""
        return self.setup.slices // 2

    def corners_px(self) -> dict[Vertebra, dict[Corner, tuple[float, float]]]:
        """Corners in the mid-sagittal slice's pixels."""
        corners = self.pose.corners_mm()
        return {v: {c: self.grid.to_pixel(*p) for c, p in cs.items()} for v, cs in corners.items()}

    def disc_centres_px(self) -> dict[DiscLevel, tuple[float, float]]:
        """Centre of each disc (mean of its four corners) in the mid-sagittal slice's pixels."""
        corners = self.corners_px()
        order = list(self.pose.vertebrae)
        out: dict[DiscLevel, tuple[float, float]] = {}
        for upper, lower in itertools.pairwise(order):
            points = [
                corners[upper][Corner.ANTERIOR_INFERIOR],
                corners[upper][Corner.POSTERIOR_INFERIOR],
                corners[lower][Corner.ANTERIOR_SUPERIOR],
                corners[lower][Corner.POSTERIOR_SUPERIOR],
            ]
            row, col = np.mean(points, axis=0)
            out[DiscLevel.between(upper, lower)] = (float(row), float(col))
        return out


def render_mr_series(
    spec: PhantomSpec,
    sequence: str,
    setup: MRSetup | None = None,
    rng: np.random.Generator | None = None,
) -> RenderedMRSeries:
    """Render a sagittal ``sequence`` ("T1" or "T2") series of ``spec`` in its neutral pose."""
    if sequence not in SEQUENCES:
        raise ValueError(f"sequence must be one of {', '.join(SEQUENCES)}, got {sequence!r}")
    setup = setup or MRSetup()
    rng = rng if rng is not None else np.random.default_rng(0)
    weighting = 0 if sequence == "T2" else 1
    pose = build_pose(spec, Film.NEUTRAL)
    grid = _place_grid(pose, spec, setup)
    shape = (grid.rows, grid.columns)
    textures = {
        "marrow": smooth_noise(rng, shape, 1.5),
        "nucleus": smooth_noise(rng, shape, 1.2),
        "modic_mix": smooth_noise(rng, shape, 3.0),
        "abdomen": smooth_noise(rng, shape, 4.0),
        "muscle": smooth_noise(rng, shape, (5.0, 1.0)),
    }
    painter = SagittalPainter(spec, pose, grid, weighting, textures)
    thickness = setup.slice_thickness_mm
    bias = _coil_bias(grid, painter.posterior_wall)
    slices = []
    for offset in setup.slice_offsets_mm:
        planes = [painter.plane(offset + f * thickness) for f in (-1 / 3, 0.0, 1 / 3)]
        image = np.mean(planes, axis=0) * bias
        image = ndimage.gaussian_filter(image, setup.blur_sigma_px)
        noisy = np.hypot(
            image + rng.normal(0.0, setup.noise_sigma, shape),
            rng.normal(0.0, setup.noise_sigma, shape),
        )
        slices.append(np.clip(np.rint(noisy), 0, 4095).astype(np.uint16))
    volume = np.stack(slices)
    middle = volume[setup.slices // 2]
    low, high = np.percentile(middle, [1.0, 99.5])
    centre, width = float(np.floor((low + high) / 2)), float(np.ceil((high - low) * 1.1))
    return RenderedMRSeries(sequence, volume, setup, grid, pose, centre, max(width, 1.0))


def _place_grid(pose: SpinePose, spec: PhantomSpec, setup: MRSetup) -> Grid:
    spacing = setup.pixel_spacing_mm
    points = np.array([p for v in spec.landmarked_vertebrae for p in pose.corners_mm()[v].values()])
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2 + np.array([4.0, 28.0])
    size_mm = np.array([setup.rows - 1, setup.columns - 1]) * spacing
    origin = centre - size_mm / 2
    if np.any(low - 5.0 < origin) or np.any(high + 5.0 > origin + size_mm):
        raise ValueError(
            f"the landmarked spine does not fit a {size_mm[0]:.0f} x {size_mm[1]:.0f} mm field of "
            "view; use more rows/columns or larger pixels"
        )
    return Grid(setup.rows, setup.columns, spacing, (float(origin[0]), float(origin[1])))


def _coil_bias(grid: Grid, posterior_wall: Array) -> Array:
    """Spine-array receive sensitivity: strongest at the back, falling off anteriorly."""
    col_mm = grid.origin_mm[1] + np.arange(grid.columns) * grid.spacing_mm
    depth = (posterior_wall[:, None] + 90.0 - col_mm[None, :]) / 150.0
    return 1.15 - 0.45 * np.clip(depth, 0.0, 1.0)
