"""Rigid 2-D registration of one image region onto another film: coarse search, then SimpleITK.

Points are in each image's millimetre frame: pixel (row, col) sits at ``(row * s_row,
col * s_col)``. A rigid transform maps a source point ``x`` to ``R(angle) (x - centre) + centre +
translation`` in the target frame, with ``R(a) = [[cos a, -sin a], [sin a, cos a]]`` acting on
(row, col) vectors: a positive angle turns counter-clockwise on the displayed image (rows down).

The coarse search compares edge maps (gradient magnitude on a 1 mm grid) by masked normalised
cross-correlation (FFT), over a grid of angles; the fine stage is SimpleITK's
``ImageRegistrationMethod`` with an ``Euler2DTransform``, the correlation metric restricted to
the source region's mask (sampled: :data:`FINE_SAMPLING`), and two resolution levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk  # noqa: N813 (the toolkit's own spelling)
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage
from scipy.fft import next_fast_len

FloatArray = NDArray[np.float64]
COARSE_MM = 1.0
"""Grid of the coarse search, mm per pixel."""
FINE_SAMPLING = 0.25
"""Share of the body region's pixels the fine stage's metric samples (SimpleITK's regular
sampling, a fixed seed: the same result every run). A quarter of a lumbar body's ~10,000 pixels
at 0.35 mm still fixes three parameters; the fine stage takes a third of the CPU time of all
pixels, and tracking's accuracy on the phantoms (``benchmarks/bench_assist.py``) is unchanged
within its targets. The correlation that grades a match is computed on every pixel."""
SAMPLING_SEED = 1


def rotation(angle_deg: float) -> FloatArray:
    """The (row, col) rotation matrix, counter-clockwise on the displayed image."""
    a = math.radians(angle_deg)
    return np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


@dataclass(frozen=True)
class Rigid:
    """``x -> R(angle_deg) (x - centre) + centre + translation`` in millimetre frames."""

    angle_deg: float
    centre: FloatArray
    translation: FloatArray

    def apply(self, points: ArrayLike) -> FloatArray:
        array = np.asarray(points, dtype=np.float64)
        moved = (array - self.centre) @ rotation(self.angle_deg).T + self.centre + self.translation
        return np.asarray(moved, dtype=np.float64)


class EdgeMap:
    """An image resampled to a coarse grid as gradient magnitude (edges, either polarity)."""

    def __init__(self, image: ArrayLike, spacing: tuple[float, float], grid_mm: float = COARSE_MM):
        values = np.asarray(image, dtype=np.float64)
        self.grid_mm = grid_mm
        factors = (spacing[0] / grid_mm, spacing[1] / grid_mm)
        sigma = (0.5 / factors[0], 0.5 / factors[1])
        smooth = ndimage.gaussian_filter(values, sigma)
        coarse = ndimage.zoom(smooth, factors, order=1, mode="nearest")
        self.values = ndimage.gaussian_gradient_magnitude(coarse, 1.0)
        self.shape = self.values.shape

    def sample(self, points: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
        """Values at millimetre points of any shape ``(..., 2)`` and whether each is inside."""
        grid = points / self.grid_mm
        flat = grid.reshape(-1, 2).T
        out = ndimage.map_coordinates(self.values, flat, order=1, mode="constant", cval=0.0)
        limit = np.array(self.shape, dtype=np.float64) - 1.0
        inside = np.all((grid >= 0.0) & (grid <= limit), axis=-1)
        return out.reshape(points.shape[:-1]), inside


class MaskedCorrelator:
    """Masked normalised cross-correlation of square templates against one image (FFT).

    The image is padded with zeros (no edges) by the template's half size, so a template may
    hang over the border; the FFTs of the image and its square are computed once.
    """

    def __init__(self, image: FloatArray, half: int):
        self.half = half
        padded = np.pad(image, half)
        size = 2 * half + 1
        # Any FFT size at least the full correlation's gives the same values: take sizes with
        # small prime factors (a prime size such as 97 or 109 is several times slower).
        self.shape = (
            next_fast_len(padded.shape[0] + size - 1),
            next_fast_len(padded.shape[1] + size - 1, real=True),
        )
        self.valid = (padded.shape[0] - size + 1, padded.shape[1] - size + 1)
        self._image = np.fft.rfft2(padded, self.shape)
        self._squares = np.fft.rfft2(padded**2, self.shape)

    def scores(self, template: FloatArray, mask: FloatArray) -> FloatArray:
        """NCC for every position of the template's centre on the (unpadded) image."""
        count = float(mask.sum())
        if count < 4:
            return np.full(self.valid, -1.0)
        zero_mean = (template - float((template * mask).sum()) / count) * mask
        energy = float((zero_mean**2).sum())
        if energy <= 0:
            return np.full(self.valid, -1.0)
        flipped = np.fft.rfft2(zero_mean[::-1, ::-1], self.shape)
        window = np.fft.rfft2(mask[::-1, ::-1], self.shape)
        size = template.shape[0]

        def valid(spectrum: NDArray[np.complex128]) -> FloatArray:
            full = np.fft.irfft2(spectrum, self.shape)
            return full[size - 1 : size - 1 + self.valid[0], size - 1 : size - 1 + self.valid[1]]

        numerator = valid(self._image * flipped)
        total = valid(self._image * window)
        squares = valid(self._squares * window)
        variance = np.clip(squares - total**2 / count, 0.0, None)
        floor = 1e-3 * max(float(np.max(variance)), 1e-12)
        return np.asarray(numerator / np.sqrt(energy * np.maximum(variance, floor)))


def inside_polygon(points: FloatArray, polygon: FloatArray, margin: float) -> NDArray[np.bool_]:
    """Points within ``margin`` of a convex polygon (a mitred dilation), any leading shape."""
    centre = polygon.mean(axis=0)
    inside = np.ones(points.shape[:-1], dtype=bool)
    for i in range(len(polygon)):
        a, b = polygon[i], polygon[(i + 1) % len(polygon)]
        edge = (b - a) / np.hypot(*(b - a))
        normal = np.array([edge[1], -edge[0]])
        if normal @ (centre - a) > 0:
            normal = -normal
        inside &= (points - a) @ normal <= margin
    return inside


@dataclass(frozen=True)
class CoarseMatch:
    transform: Rigid
    score: float


def coarse_search(
    source: EdgeMap,
    target: EdgeMap,
    polygons: list[FloatArray],
    centre: FloatArray,
    margin: float,
    angles: FloatArray,
    window: tuple[FloatArray, FloatArray] | None = None,
) -> CoarseMatch:
    """Best rotation about ``centre`` and translation of the region inside ``polygons``.

    For each angle the region is resampled from the source edge map, rotated, and correlated
    with the target edge map; ``window`` ((low, high) target mm of the region's centre) limits
    where the centre may land. Both maps must share one grid.
    """
    grid_mm = target.grid_mm
    points = np.concatenate(polygons)
    radius = float(np.max(np.hypot(*(points - centre).T))) + margin + 2.0 * grid_mm
    half = math.ceil(radius / grid_mm)
    offsets = np.arange(-half, half + 1) * grid_mm
    grid = np.stack(np.meshgrid(offsets, offsets, indexing="ij"), axis=-1)
    target_values = target.values
    origin = np.zeros(2, dtype=int)
    if window is not None:
        low = np.floor(window[0] / grid_mm).astype(int) - half
        high = np.ceil(window[1] / grid_mm).astype(int) + half + 1
        low = np.clip(low, 0, np.array(target.shape))
        high = np.clip(high, 0, np.array(target.shape))
        target_values = target.values[low[0] : high[0], low[1] : high[1]]
        origin = low
    allowed = np.ones(target_values.shape, dtype=bool)
    if window is not None:
        rows = (np.arange(target_values.shape[0]) + origin[0]) * grid_mm
        cols = (np.arange(target_values.shape[1]) + origin[1]) * grid_mm
        allowed = ((rows >= window[0][0]) & (rows <= window[1][0]))[:, None] & (
            (cols >= window[0][1]) & (cols <= window[1][1])
        )[None, :]
    best = CoarseMatch(Rigid(0.0, centre, np.zeros(2)), -np.inf)
    if target_values.size == 0 or not allowed.any():
        return CoarseMatch(best.transform, -1.0)
    correlator = MaskedCorrelator(target_values, half)
    for angle in angles:
        # Template pixel at offset d (target orientation) shows source point centre + R^-1 d.
        source_points = centre + grid @ rotation(float(angle))
        mask = np.zeros(grid.shape[:2], dtype=bool)
        for polygon in polygons:
            mask |= inside_polygon(source_points, polygon, margin)
        template, inside = source.sample(source_points)
        mask &= inside  # only what the source film shows
        scores = np.where(allowed, correlator.scores(template, mask.astype(np.float64)), -np.inf)
        index = np.unravel_index(int(np.argmax(scores)), scores.shape)
        score = float(scores[index])
        if score > best.score:
            landed = (origin + np.array(index)) * grid_mm
            best = CoarseMatch(Rigid(float(angle), centre, landed - centre), score)
    return best


@dataclass(frozen=True)
class FineMatch:
    transform: Rigid
    correlation: float
    """Normalised correlation inside the mask at the result (1 is a perfect match)."""
    stop: str
    iterations: int


def _sitk_image(
    values: FloatArray, spacing: tuple[float, float], origin_px: FloatArray
) -> sitk.Image:
    image = sitk.GetImageFromArray(values.astype(np.float32))
    image.SetSpacing((spacing[1], spacing[0]))  # SimpleITK is (x, y) = (col, row)
    image.SetOrigin((origin_px[1] * spacing[1], origin_px[0] * spacing[0]))
    return image


def fine_registration(
    source: FloatArray,
    source_spacing: tuple[float, float],
    target: FloatArray,
    target_spacing: tuple[float, float],
    polygons: list[FloatArray],
    margin: float,
    start: Rigid,
    reach_mm: float = 12.0,
) -> FineMatch:
    """Refine ``start`` with SimpleITK: Euler2D, correlation inside the mask (a regular sample
    of :data:`FINE_SAMPLING` of its pixels), 2 levels."""
    points = np.concatenate(polygons)
    low_mm = points.min(axis=0) - margin - 3.0
    high_mm = points.max(axis=0) + margin + 3.0
    s_low = np.clip(np.floor(low_mm / source_spacing), 0, np.array(source.shape) - 1).astype(int)
    s_high = np.clip(np.ceil(high_mm / source_spacing) + 1, 1, np.array(source.shape)).astype(int)
    fixed_values = source[s_low[0] : s_high[0], s_low[1] : s_high[1]]
    rows, cols = np.indices(fixed_values.shape)
    frame = np.stack(
        [(rows + s_low[0]) * source_spacing[0], (cols + s_low[1]) * source_spacing[1]], -1
    )
    mask = np.zeros(fixed_values.shape, dtype=bool)
    for polygon in polygons:
        mask |= inside_polygon(frame, polygon, margin)

    landed = start.apply(points)
    t_low = np.floor((landed.min(axis=0) - margin - reach_mm) / target_spacing)
    t_high = np.ceil((landed.max(axis=0) + margin + reach_mm) / target_spacing) + 1
    t_low = np.clip(t_low, 0, np.array(target.shape) - 1).astype(int)
    t_high = np.clip(t_high, 1, np.array(target.shape)).astype(int)
    moving_values = target[t_low[0] : t_high[0], t_low[1] : t_high[1]]
    if min(moving_values.shape) < 8 or min(fixed_values.shape) < 8 or mask.sum() < 16:
        return FineMatch(start, -1.0, "region outside the image", 0)

    fixed = _sitk_image(fixed_values, source_spacing, s_low.astype(np.float64))
    moving = _sitk_image(moving_values, target_spacing, t_low.astype(np.float64))
    mask_image = sitk.GetImageFromArray(mask.astype(np.uint8))
    mask_image.CopyInformation(fixed)

    # SimpleITK maps fixed (source) points to moving (target) points, in (x, y) = (col, row);
    # a counter-clockwise turn on the display is a negative Euler angle there.
    transform = sitk.Euler2DTransform()
    transform.SetCenter((float(start.centre[1]), float(start.centre[0])))
    transform.SetAngle(-math.radians(start.angle_deg))
    transform.SetTranslation((float(start.translation[1]), float(start.translation[0])))

    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsCorrelation()
    method.SetMetricFixedMask(mask_image)
    method.SetMetricSamplingStrategy(method.REGULAR)
    method.SetMetricSamplingPercentage(FINE_SAMPLING, SAMPLING_SEED)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=0.5,
        minStep=1e-3,
        numberOfIterations=300,
        relaxationFactor=0.6,
        gradientMagnitudeTolerance=1e-8,
    )
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetShrinkFactorsPerLevel([2, 1])
    method.SetSmoothingSigmasPerLevel([0.5, 0.0])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    method.SetInitialTransform(transform, inPlace=True)
    try:
        method.Execute(fixed, moving)
    except RuntimeError as error:  # e.g. the region left the target image
        return FineMatch(start, -1.0, f"registration failed: {error}".splitlines()[0], 0)
    angle = -math.degrees(transform.GetAngle())
    shift = transform.GetTranslation()
    result = Rigid(angle, start.centre, np.array([shift[1], shift[0]]))
    resampled = sitk.GetArrayFromImage(sitk.Resample(moving, fixed, transform, sitk.sitkLinear))
    correlation = _correlation(fixed_values[mask], resampled[mask])
    return FineMatch(
        result,
        correlation,
        method.GetOptimizerStopConditionDescription(),
        int(method.GetOptimizerIteration()),
    )


def _correlation(first: FloatArray, second: FloatArray) -> float:
    a = first - first.mean()
    b = second - second.mean()
    denominator = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    return float((a * b).sum()) / denominator if denominator > 0 else 0.0
