"""Signal measures of one disc on mid-sagittal T2 (and T1): nucleus, annulus, CSF, marrow.

Regions are defined in the disc's own coordinates (:class:`~imaging.assist.mr_geometry.
DiscGeometry`: ``u`` along the disc from its centre, ``v`` across it, mm) and taken as the
pixels whose centres fall inside them:

- nucleus: ``|u| <= 0.18 depth``, ``|v| <= 0.2 height``;
- annulus: ``0.38 depth <= |u| <= 0.46 depth``, ``|v| <= 0.25 height`` (both ends);
- endplate marrow (Modic): 1.5-5 mm beyond each endplate line into the vertebral body,
  ``|u| <= 0.35 depth``;
- normal marrow: 3 mm either side of each adjacent vertebral body's mid-height,
  ``|u| <= 0.2 depth``;
- CSF: found beyond the disc's ends (up to 30 mm, across ``max(height / 2, 4 mm)``) where T2 is
  bright and T1 dark against normal marrow, on the side with more such pixels; or around a
  clicked point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from imaging.assist.edges import FloatArray, ImageSampler
from imaging.assist.mr_geometry import DiscGeometry


@dataclass(frozen=True)
class Patch:
    """The pixels around one disc, with their disc coordinates."""

    rows: NDArray[np.intp]
    cols: NDArray[np.intp]
    u: FloatArray
    v: FloatArray
    t2: FloatArray
    t1: FloatArray | None

    def select(self, mask: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray | None]:
        return self.t2[mask], None if self.t1 is None else self.t1[mask]


def patch_around(
    geometry: DiscGeometry,
    t2: FloatArray,
    t1: FloatArray | None,
    spacing: tuple[float, float],
    reach_mm: float,
) -> Patch:
    """Every pixel within ``reach_mm`` of the disc centre."""
    centre_px = geometry.centre / np.array(spacing)
    half = np.ceil(reach_mm / np.array(spacing)).astype(int)
    low = np.maximum(np.floor(centre_px).astype(int) - half, 0)
    high = np.minimum(np.ceil(centre_px).astype(int) + half + 1, t2.shape)
    rows, cols = np.mgrid[low[0] : high[0], low[1] : high[1]]
    rows, cols = rows.ravel(), cols.ravel()
    frame = np.stack([rows * spacing[0], cols * spacing[1]], axis=-1)
    u, v = geometry.coordinates(frame)
    return Patch(rows, cols, u, v, t2[rows, cols], None if t1 is None else t1[rows, cols])


@dataclass(frozen=True)
class DiscSignals:
    """T2 signal measures of one disc (stored units), before any reference is applied."""

    nucleus: float
    annulus: float
    nucleus_cv: float
    """Coefficient of variation in the nucleus region, with the image noise removed."""
    band_depth: float
    """How much darker the disc's mid-plane is than the bright zones next to it (0 = no band)."""
    nucleus_pixels: int


def disc_signals(
    geometry: DiscGeometry, patch: Patch, t2_sampler: ImageSampler, noise: float
) -> DiscSignals | str:
    """Nucleus and annulus signal, homogeneity and horizontal band of one disc."""
    depth, height = geometry.depth_mm, geometry.height_mm
    nucleus_mask = (np.abs(patch.u) <= 0.18 * depth) & (np.abs(patch.v) <= 0.2 * height)
    across = np.abs(patch.v) <= 0.25 * height
    annulus_mask = (np.abs(patch.u) >= 0.38 * depth) & (np.abs(patch.u) <= 0.46 * depth) & across
    if nucleus_mask.sum() < 6 or annulus_mask.sum() < 4:
        return "the disc is too thin or too short on this slice to sample its nucleus"
    nucleus = patch.t2[nucleus_mask]
    mean = float(nucleus.mean())
    variance = max(float(nucleus.var()) - noise**2, 0.0)
    cv = float(np.sqrt(variance) / mean) if mean > 0 else float("nan")
    return DiscSignals(
        nucleus=mean,
        annulus=float(np.median(patch.t2[annulus_mask])),
        nucleus_cv=cv,
        band_depth=_band_depth(geometry, t2_sampler),
        nucleus_pixels=int(nucleus_mask.sum()),
    )


def _band_depth(geometry: DiscGeometry, sampler: ImageSampler) -> float:
    """1 - (signal at the mid-plane) / (brightest signal 15-35% of the height from it)."""
    height = geometry.height_mm
    v = np.arange(-0.4 * height, 0.4 * height + 1e-9, 0.1)
    u = np.linspace(-0.15 * geometry.depth_mm, 0.15 * geometry.depth_mm, 15)
    points = (
        geometry.centre[None, None, :]
        + u[:, None, None] * geometry.along[None, None, :]
        + v[None, :, None] * geometry.axis[None, None, :]
    )
    profile = sampler.values(points).mean(axis=0)
    middle = float(profile[np.abs(v) <= 0.05 * height + 0.15].mean())
    flanks = profile[(np.abs(v) >= 0.15 * height) & (np.abs(v) <= 0.35 * height)]
    peak = float(flanks.max()) if len(flanks) else middle
    return float(np.clip(1.0 - middle / peak, 0.0, 1.0)) if peak > 0 else 0.0


@dataclass(frozen=True)
class MarrowBand:
    """Signal of the marrow next to one endplate (medians, and per-pixel values)."""

    t2: FloatArray
    t1: FloatArray | None


def endplate_band(
    geometry: DiscGeometry, patch: Patch, cranial: bool, spacing: tuple[float, float]
) -> MarrowBand:
    """Pixels 1.5-5 mm beyond one endplate line into the vertebral body."""
    line = geometry.cranial if cranial else geometry.caudal
    frame = np.stack([patch.rows * spacing[0], patch.cols * spacing[1]], axis=-1)
    beyond = line.distance(frame)
    normal = np.array([-line.direction[1], line.direction[0]])
    outward = -geometry.axis if cranial else geometry.axis
    if normal @ outward < 0:
        beyond = -beyond
    mask = (beyond >= 1.5) & (beyond <= 5.0) & (np.abs(patch.u) <= 0.35 * geometry.depth_mm)
    t2, t1 = patch.select(mask)
    return MarrowBand(t2, t1)


def body_marrow(
    centre: FloatArray, geometry: DiscGeometry, patch: Patch, spacing: tuple[float, float]
) -> tuple[float, float | None] | None:
    """Median T2 (and T1) of the marrow 3 mm either side of a vertebral body's mid-height."""
    frame = np.stack([patch.rows * spacing[0], patch.cols * spacing[1]], axis=-1)
    offset = frame - centre
    mask = (np.abs(offset @ geometry.axis) <= 3.0) & (
        np.abs(offset @ geometry.along) <= 0.2 * geometry.depth_mm
    )
    if mask.sum() < 6:
        return None
    t2, t1 = patch.select(mask)
    return float(np.median(t2)), None if t1 is None else float(np.median(t1))


def csf_signal(
    geometry: DiscGeometry, patch: Patch, marrow: tuple[float, float | None]
) -> tuple[float, int] | None:
    """Median T2 of the CSF beyond one end of the disc, and which end (+1 / -1 along ``u``).

    CSF pixels are at least 1.5 times as bright as normal marrow on T2 and (with T1) at most
    half as bright on T1 (fat is bright on both); the end with more of them is taken.
    """
    half = geometry.depth_mm / 2
    across = np.abs(patch.v) <= max(geometry.height_mm / 2, 4.0)
    marrow_t2, marrow_t1 = marrow
    best: tuple[float, int, int] | None = None
    for side in (1, -1):
        mask = across & (side * patch.u >= half + 1.0) & (side * patch.u <= half + 30.0)
        t2, t1 = patch.select(mask)
        candidates = t2 >= 1.5 * marrow_t2
        if t1 is not None and marrow_t1 is not None:
            candidates &= t1 <= 0.5 * marrow_t1
        count = int(candidates.sum())
        if count >= 5 and (best is None or count > best[2]):
            best = (float(np.median(t2[candidates])), side, count)
    return None if best is None else (best[0], best[1])


def csf_at(point: FloatArray, t2: FloatArray, spacing: tuple[float, float]) -> float:
    """Median T2 within 3 mm of a clicked CSF point (frame mm)."""
    centre = point / np.array(spacing)
    half = np.ceil(3.0 / np.array(spacing)).astype(int)
    low = np.maximum(np.floor(centre).astype(int) - half, 0)
    high = np.minimum(np.ceil(centre).astype(int) + half + 1, t2.shape)
    rows, cols = np.mgrid[low[0] : high[0], low[1] : high[1]]
    near = np.hypot(rows * spacing[0] - point[0], cols * spacing[1] - point[1]) <= 3.0
    values = t2[rows[near], cols[near]]
    return float(np.median(values)) if values.size else float("nan")
