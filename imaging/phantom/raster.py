"""Drawing helpers for the phantom: a pixel grid in patient mm, signed distances, soft coverage.

Shapes are drawn from exact geometry with anti-aliased edges (coverage falls from 1 to 0 over one
pixel across the boundary), so the centroid of a drawn shape sits where the geometry says, to a
small fraction of a pixel. Pixel centres are at integer (row, col); pixel (0, 0)'s centre is at
``Grid.origin_mm``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Grid:
    """A square-pixel image grid laid over the patient plane: (row, col) <-> (row_mm, col_mm)."""

    rows: int
    columns: int
    spacing_mm: float
    origin_mm: tuple[float, float]

    def to_pixel(self, row_mm: float, col_mm: float) -> tuple[float, float]:
        return (
            (row_mm - self.origin_mm[0]) / self.spacing_mm,
            (col_mm - self.origin_mm[1]) / self.spacing_mm,
        )

    def window(
        self, points_mm: ArrayLike, margin_mm: float
    ) -> tuple[tuple[slice, slice], Array, Array] | None:
        """The pixel block around ``points_mm`` (N, 2) plus a margin, and its centres in mm.

        Returns ``((row_slice, col_slice), row_mm, col_mm)`` with 2-D coordinate arrays, or None
        when the block lies outside the image.
        """
        pts = np.asarray(points_mm, dtype=np.float64).reshape(-1, 2)
        low = (pts.min(axis=0) - margin_mm - self.origin_mm) / self.spacing_mm
        high = (pts.max(axis=0) + margin_mm - self.origin_mm) / self.spacing_mm
        r0, c0 = max(int(np.floor(low[0])), 0), max(int(np.floor(low[1])), 0)
        r1 = min(int(np.ceil(high[0])) + 1, self.rows)
        c1 = min(int(np.ceil(high[1])) + 1, self.columns)
        if r0 >= r1 or c0 >= c1:
            return None
        row_mm = self.origin_mm[0] + np.arange(r0, r1) * self.spacing_mm
        col_mm = self.origin_mm[1] + np.arange(c0, c1) * self.spacing_mm
        rr, cc = np.meshgrid(row_mm, col_mm, indexing="ij")
        return (slice(r0, r1), slice(c0, c1)), rr, cc


def convex_sdf(row: Array, col: Array, vertices: ArrayLike) -> Array:
    """Exact signed distance (mm, negative inside) to a convex polygon given by its vertices."""
    v = np.asarray(vertices, dtype=np.float64)
    centre = v.mean(axis=0)
    inside = np.ones(row.shape, dtype=bool)
    nearest = np.full(row.shape, np.inf)
    for i in range(len(v)):
        a, b = v[i], v[(i + 1) % len(v)]
        edge = b - a
        length2 = float(edge @ edge)
        pr, pc = row - a[0], col - a[1]
        t = np.clip((pr * edge[0] + pc * edge[1]) / length2, 0.0, 1.0)
        nearest = np.minimum(nearest, np.hypot(pr - t * edge[0], pc - t * edge[1]))
        # Outward normal: away from the centroid.
        normal = np.array([edge[1], -edge[0]])
        if normal @ (centre - a) > 0:
            normal = -normal
        inside &= (pr * normal[0] + pc * normal[1]) <= 0
    return np.where(inside, -nearest, nearest)


def inset_polygon(vertices: ArrayLike, distance: float) -> Array:
    """The convex polygon whose edges lie ``distance`` mm inside the given one's."""
    v = np.asarray(vertices, dtype=np.float64)
    centre = v.mean(axis=0)
    lines = []
    for i in range(len(v)):
        a, b = v[i], v[(i + 1) % len(v)]
        edge = (b - a) / np.hypot(*(b - a))
        inward = np.array([-edge[1], edge[0]])
        if inward @ (centre - a) < 0:
            inward = -inward
        lines.append((a + distance * inward, edge))
    out = []
    for i in range(len(lines)):
        (p, d), (q, e) = lines[i - 1], lines[i]
        # p + s d = q + t e
        matrix = np.array([[d[0], -e[0]], [d[1], -e[1]]])
        s = np.linalg.solve(matrix, q - p)[0]
        out.append(p + s * d)
    return np.array(out)


def rounded_sdf(row: Array, col: Array, vertices: ArrayLike, radius: float) -> Array:
    """Signed distance to a convex polygon whose corners are rounded with ``radius`` mm."""
    if radius <= 0:
        return convex_sdf(row, col, vertices)
    return convex_sdf(row, col, inset_polygon(vertices, radius)) - radius


def coverage(sdf: Array, pixel_mm: float) -> Array:
    """Fraction of a pixel inside the shape, from the signed distance at its centre."""
    return np.clip(0.5 - sdf / pixel_mm, 0.0, 1.0)


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, ...], sigma_px: float | Sequence[float]
) -> Array:
    """Gaussian-filtered white noise scaled to unit standard deviation."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma_px, mode="reflect")
    std = float(field.std())
    return field / std if std > 0 else field


def ellipse_sdf(
    row: Array, col: Array, centre: Sequence[float], semi_axes: Sequence[float]
) -> Array:
    """Approximate signed distance (mm) to an axis-aligned ellipse; exact on the axes."""
    r = (row - centre[0]) / semi_axes[0]
    c = (col - centre[1]) / semi_axes[1]
    return (np.hypot(r, c) - 1.0) * min(semi_axes)


def ellipse_window(
    grid: Grid, centre: Sequence[float], semi_axes: Sequence[float], margin_mm: float
) -> tuple[tuple[slice, slice], Array] | None:
    """The pixel block around an axis-aligned ellipse (plus ``margin_mm``) and the signed
    distance (mm) to the ellipse at its pixel centres; None when the block is off the grid."""
    (row, col), (half_rows, half_cols) = centre, semi_axes
    corners = [(row - half_rows, col - half_cols), (row + half_rows, col + half_cols)]
    window = grid.window(corners, margin_mm)
    if window is None:
        return None
    block, rr, cc = window
    return block, ellipse_sdf(rr, cc, centre, semi_axes)
