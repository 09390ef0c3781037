"""Sub-pixel edge lines on a radiograph: profiles across an expected edge, a robust line fit.

Geometry is done in a millimetre frame: a pixel (row, col) sits at ``(row * s_row, col * s_col)``
where ``(s_row, s_col)`` is the pixel spacing, so non-square pixels and angles come out right.
An edge point is the sub-pixel maximum of the intensity derivative along a profile, taken in the
direction that enters the bone (bone is bright in measurement values; pass ``bone_bright=False``
for MONOCHROME1 data). Lines are fitted by total least squares with Tukey biweights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

FloatArray = NDArray[np.float64]

_LAPLACE_MASK = np.array([[1.0, -2.0, 1.0], [-2.0, 4.0, -2.0], [1.0, -2.0, 1.0]])


def noise_sigma(image: ArrayLike) -> float:
    """Standard deviation of white noise in ``image`` (Immerkaer 1996, robust to edges).

    The image is convolved with a mask that cancels linear ramps and edges to first order; the
    median absolute response, scaled for a Gaussian (mask norm 6), estimates sigma.
    """
    values = np.asarray(image, dtype=np.float64)
    if values.shape[0] < 3 or values.shape[1] < 3:
        return 0.0
    response = ndimage.correlate(values, _LAPLACE_MASK, mode="nearest")[1:-1, 1:-1]
    return float(np.median(np.abs(response)) * 1.4826 / 6.0)


class ImageSampler:
    """Interpolates an image at points given in the millimetre frame (cubic spline).

    ``spacing`` is (row, col) units per pixel: mm for a calibrated image, or any consistent
    unit. The spline coefficients are computed once per image.
    """

    def __init__(self, image: ArrayLike, spacing: tuple[float, float], bone_bright: bool = True):
        values = np.asarray(image, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"expected a 2-D image (rows, cols), got shape {values.shape}")
        self.shape = values.shape
        self.spacing = (float(spacing[0]), float(spacing[1]))
        self.sign = 1.0 if bone_bright else -1.0
        self._coefficients = ndimage.spline_filter(values, order=3, mode="mirror")

    def to_frame(self, points_px: ArrayLike) -> FloatArray:
        """(row, col) pixels -> millimetre frame."""
        return np.asarray(points_px, dtype=np.float64) * np.array(self.spacing)

    def to_pixels(self, points: ArrayLike) -> FloatArray:
        """Millimetre frame -> (row, col) pixels."""
        return np.asarray(points, dtype=np.float64) / np.array(self.spacing)

    def inside(self, points: ArrayLike, margin_px: float = 1.0) -> NDArray[np.bool_]:
        """Whether frame points lie inside the image by at least ``margin_px``."""
        pixels = self.to_pixels(points)
        limit = np.array(self.shape, dtype=np.float64) - 1.0 - margin_px
        return np.all((pixels >= margin_px) & (pixels <= limit), axis=-1)

    def values(self, points: ArrayLike) -> FloatArray:
        """Signed intensity (bone positive) at frame points of any shape ``(..., 2)``."""
        pixels = self.to_pixels(points)
        flat = pixels.reshape(-1, 2).T
        sampled = ndimage.map_coordinates(
            self._coefficients, flat, order=3, mode="mirror", prefilter=False
        )
        return self.sign * sampled.reshape(pixels.shape[:-1])


@dataclass(frozen=True)
class EdgePoints:
    """Edge points found on profiles across one expected edge (frame units)."""

    points: FloatArray
    """(k, 2) frame positions of the derivative maxima."""
    strength: FloatArray
    """(k,) derivative at each maximum (intensity per frame unit)."""
    step: FloatArray
    """(k,) intensity rise across each edge point (inside minus outside, over ``step_mm``)."""
    stations: int
    """Profiles attempted (inside the image)."""


def edge_points(
    sampler: ImageSampler,
    origin: FloatArray,
    along: FloatArray,
    into_bone: FloatArray,
    stations: FloatArray,
    half_width: float,
    step_mm: float = 0.9,
) -> EdgePoints:
    """The bone edge on profiles across a line.

    Profiles start at ``origin + s * along`` for each ``s`` in ``stations`` and run along
    ``into_bone`` over ``[-half_width, half_width]``; on each, the largest rise of the signed
    intensity is located to a fraction of a pixel (parabola through the derivative maximum).
    """
    resolution = min(sampler.spacing) / 4.0
    offsets = np.arange(-half_width, half_width + resolution / 2, resolution)
    centres = origin[None, :] + stations[:, None] * along[None, :]
    keep = sampler.inside(centres, margin_px=2.0)
    keep &= sampler.inside(centres + half_width * into_bone, margin_px=2.0)
    keep &= sampler.inside(centres - half_width * into_bone, margin_px=2.0)
    centres = centres[keep]
    if len(centres) == 0 or len(offsets) < 5:
        empty = np.zeros((0,))
        return EdgePoints(np.zeros((0, 2)), empty, empty, 0)
    grid = centres[:, None, :] + offsets[None, :, None] * into_bone[None, None, :]
    profiles = sampler.values(grid)
    derivative = np.gradient(profiles, resolution, axis=1)
    inner = derivative[:, 1:-1]
    best = np.argmax(inner, axis=1) + 1
    rows = np.arange(len(centres))
    left, middle, right = (derivative[rows, best + k] for k in (-1, 0, 1))
    curvature = left - 2.0 * middle + right
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    shift = np.clip(shift, -0.5, 0.5)
    position = offsets[best] + shift * resolution
    points = centres + position[:, None] * into_bone[None, :]
    span = max(round(step_mm / resolution), 1)
    inside_index = np.clip(best + span, 0, len(offsets) - 1)
    outside_index = np.clip(best - span, 0, len(offsets) - 1)
    step = profiles[rows, inside_index] - profiles[rows, outside_index]
    strength = middle.astype(np.float64)
    return EdgePoints(points, strength, step, len(centres))


@dataclass(frozen=True)
class Line:
    """A fitted line in the frame: ``point + t * direction`` (``direction`` a unit vector)."""

    point: FloatArray
    direction: FloatArray
    inliers: NDArray[np.bool_]
    """Which of the fitted points lie within the inlier distance."""
    residual: float
    """RMS perpendicular distance of the inliers (frame units)."""

    @property
    def inlier_fraction(self) -> float:
        return float(self.inliers.mean()) if len(self.inliers) else 0.0

    def distance(self, points: ArrayLike) -> FloatArray:
        """Signed perpendicular distance of points to the line."""
        normal = np.array([-self.direction[1], self.direction[0]])
        return np.asarray((np.asarray(points) - self.point) @ normal, dtype=np.float64)


def _tls(points: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    total = float(weights.sum())
    centre = (weights[:, None] * points).sum(axis=0) / total
    centred = points - centre
    scatter = (weights[:, None] * centred).T @ centred
    _, vectors = np.linalg.eigh(scatter)
    return centre, vectors[:, 1]


def fit_line(
    points: FloatArray,
    weights: FloatArray,
    expected_direction: FloatArray,
    inlier_distance: float,
    max_angle_deg: float = 25.0,
    seed_line: tuple[FloatArray, FloatArray] | None = None,
) -> Line | None:
    """Robust total-least-squares line through weighted points, near an expected direction.

    Without ``seed_line`` a consensus search over point pairs (deterministic: every pair when
    few, else a fixed subsample) picks the start; then Tukey-biweighted refits with the scale
    ``inlier_distance``. None when fewer than three points agree or the line turns more than
    ``max_angle_deg`` from ``expected_direction``.
    """
    if len(points) < 3:
        return None
    weights = np.clip(np.asarray(weights, dtype=np.float64), 1e-9, None)
    cos_limit = math.cos(math.radians(max_angle_deg))
    if seed_line is None:
        seed = _consensus(points, weights, expected_direction, inlier_distance, cos_limit)
        if seed is None:
            return None
        centre, direction = seed
    else:
        centre, direction = seed_line
    scale = 2.5 * inlier_distance
    for _ in range(8):
        normal = np.array([-direction[1], direction[0]])
        residual = (points - centre) @ normal
        u = residual / scale
        robust = np.where(np.abs(u) < 1.0, (1.0 - u**2) ** 2, 0.0) * weights
        if np.count_nonzero(robust) < 3:
            return None
        centre, direction = _tls(points, robust)
    if direction @ expected_direction < 0:
        direction = -direction
    if abs(float(direction @ expected_direction)) < cos_limit:
        return None
    normal = np.array([-direction[1], direction[0]])
    residual = (points - centre) @ normal
    inliers = np.abs(residual) <= inlier_distance
    if np.count_nonzero(inliers) < 3:
        return None
    rms = float(np.sqrt(np.mean(residual[inliers] ** 2)))
    return Line(centre, direction, inliers, rms)


def _consensus(
    points: FloatArray,
    weights: FloatArray,
    expected_direction: FloatArray,
    inlier_distance: float,
    cos_limit: float,
) -> tuple[FloatArray, FloatArray] | None:
    count = len(points)
    first, second = np.triu_indices(count, k=1)
    if len(first) > 600:
        pick = np.linspace(0, len(first) - 1, 600).astype(int)
        first, second = first[pick], second[pick]
    vectors = points[second] - points[first]
    lengths = np.hypot(vectors[:, 0], vectors[:, 1])
    ok = lengths > 2.0 * inlier_distance
    if not np.any(ok):
        return None
    first, vectors, lengths = first[ok], vectors[ok], lengths[ok]
    directions = vectors / lengths[:, None]
    aligned = np.abs(directions @ expected_direction) >= cos_limit
    if not np.any(aligned):
        return None
    first, directions = first[aligned], directions[aligned]
    normals = np.stack([-directions[:, 1], directions[:, 0]], axis=1)
    # Distance of every point to every candidate line: (candidates, points).
    offsets = points[None, :, :] - points[first][:, None, :]
    distance = np.abs(np.einsum("cpk,ck->cp", offsets, normals))
    support = ((distance <= inlier_distance) * weights[None, :]).sum(axis=1)
    best = int(np.argmax(support))
    return points[first[best]], directions[best]


def intersect(first: Line, second: Line) -> FloatArray | None:
    """Intersection of two lines; None when they are within 10 degrees of parallel."""
    matrix = np.column_stack([first.direction, -second.direction])
    if abs(float(np.linalg.det(matrix))) < math.sin(math.radians(10.0)):
        return None
    t = np.linalg.solve(matrix, second.point - first.point)
    return np.asarray(first.point + t[0] * first.direction, dtype=np.float64)
