"""Disc and vertebral body measures from corner landmarks, vectorised over many levels.

Every function takes corners as arrays of shape ``(n, 2)`` (or ``(2,)`` for one level) holding
(row, col) pixel coordinates, and ``spacing``: (row, col) mm per pixel, shape ``(2,)`` or
``(n, 2)``. Points are first mapped to physical space, ``(row * spacing_row, col * spacing_col)``,
so distances are ``hypot(d_row * spacing_row, d_col * spacing_col)`` and angles are measured in
millimetre space when pixels are not square. Pass ``spacing=(1, 1)`` for an uncalibrated image:
lengths are then in pixels (never to be reported as mm) while angles, indexes and percentages are
the pixel grid's (identical to the millimetre ones for square pixels).

A missing corner is a row of NaN; every measure that needs it is NaN.

Orientation: ``facing`` is +1 when, with the head up, the patient faces right on the image
(anterior toward increasing col) and -1 when facing left. In (row, col) coordinates, with
``cross(a, b) = a_row * b_col - a_col * b_row``, ``facing = sign(cross(anterior, cranial))``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DiscHeights:
    """Disc heights of ``n`` levels, in the units of the spacing (mm, or pixels for (1, 1))."""

    anterior: FloatArray
    """Upper vertebra's anterior-inferior corner to lower vertebra's anterior-superior corner."""
    posterior: FloatArray
    """Upper vertebra's posterior-inferior corner to lower vertebra's posterior-superior corner."""
    mean: FloatArray
    """(anterior + posterior) / 2."""
    middle: FloatArray
    """Between the midpoints of the upper inferior and the lower superior endplates."""
    index: FloatArray
    """mean / mean(depth of the two endplates); dimensionless."""
    anterior_bisector: FloatArray
    """Anterior height measured perpendicular to the disc's bisector (the line halving the angle
    between the two endplates): unchanged by a slip along the disc (Frobin et al. 1997)."""
    posterior_bisector: FloatArray
    """Posterior height perpendicular to the bisector."""
    mean_bisector: FloatArray
    """(anterior_bisector + posterior_bisector) / 2."""
    index_bisector: FloatArray
    """mean_bisector / mean(depth of the two endplates); dimensionless."""


class Translation(NamedTuple):
    """Sagittal translation of ``n`` levels; positive when the upper vertebra lies anterior."""

    distance: FloatArray
    """Signed, in the units of the spacing."""
    pct_depth: FloatArray
    """Signed, as % of the lower vertebra's superior endplate depth."""


class BodyHeights(NamedTuple):
    """Vertebral body heights of ``n`` vertebrae, in the units of the spacing."""

    anterior: FloatArray
    posterior: FloatArray


class Vector(NamedTuple):
    """Row and col components as two contiguous arrays of shape ``(n,)``."""

    row: FloatArray
    col: FloatArray


def _pairs(points: ArrayLike, spacing: FloatArray) -> FloatArray:
    """``points`` as float64 of shape ``(n, 2)``; ValueError naming both shapes when ``points``
    or ``spacing`` (already an array) hold no (row, col) pairs."""
    array = np.asarray(points, dtype=np.float64)
    if array.shape[-1:] != (2,) or spacing.shape[-1:] != (2,):
        raise ValueError(
            f"points and spacing need (row, col) pairs in their last axis, got shapes "
            f"{array.shape} and {spacing.shape}"
        )
    return np.atleast_2d(array)


def physical(points: ArrayLike, spacing: ArrayLike = (1.0, 1.0)) -> Vector:
    """(row, col) pixels, shape ``(n, 2)`` or ``(2,)`` -> components in the units of ``spacing``."""
    scale = np.asarray(spacing, dtype=np.float64)
    array = _pairs(points, scale)
    scale = np.atleast_2d(scale)
    return Vector(array[:, 0] * scale[:, 0], array[:, 1] * scale[:, 1])


@dataclass(frozen=True)
class DiscMeasures:
    """Every measure of ``n`` discs from their four corners (see :func:`disc_measures`)."""

    heights: DiscHeights
    segmental_angle: FloatArray
    translation: Translation


BLOCK = 16_384
"""Levels measured per pass: the pass's working arrays stay in cache (3x faster at 100,000)."""


def _block(value: ArrayLike, count: int, start: int) -> FloatArray:
    """Rows ``start:start + BLOCK`` of a per-level array (``count`` long); scalars and arrays of
    another length (a single pair, broadcast to every level) as they are."""
    array = np.asarray(value)
    if array.ndim == 0 or len(array) != count:
        return array
    return array[start : start + BLOCK]


def _measure_in_blocks(
    corners: tuple[ArrayLike, ...],
    spacing: ArrayLike,
    rows: int,
    measure: Callable[[FloatArray, FloatArray, FloatArray | None], None],
    facing: ArrayLike | None = None,
) -> FloatArray:
    """``rows`` measures of each of ``n`` levels, shape ``(rows, n)``, ``BLOCK`` levels at a time.

    ``measure(points, out, facing)`` fills ``out``, shape ``(rows, m)``, for ``m`` levels from
    ``points``, shape ``(corners, m, 2)``: each corner's physical (row, col) pair (as
    :func:`physical`), and those levels' ``facing`` (None when not given). One array holds every
    result: no temporaries as long as all levels, no copy at the end.
    """
    scale = np.asarray(spacing, dtype=np.float64)
    arrays = [_pairs(corner, scale) for corner in corners]
    scale = np.atleast_2d(scale)
    count = np.broadcast_shapes(*(array.shape for array in (*arrays, scale)))[0]
    out = np.empty((rows, count))
    points = np.empty((len(arrays), min(count, BLOCK), 2))
    # One spacing for every level is repeated for a block: each product then runs over two
    # contiguous arrays of pairs (numpy's fast loop), not over a 2-wide broadcast.
    per_level = len(scale) == count
    repeated = scale if per_level else np.repeat(scale, min(count, BLOCK), axis=0)
    for start in range(0, count, BLOCK):
        size = min(BLOCK, count - start)
        level_scale = repeated[start : start + size] if per_level else repeated[:size]
        for index, array in enumerate(arrays):  # (row, col) pixels times (row, col) spacing
            np.multiply(_block(array, count, start), level_scale, out=points[index, :size])
        side = None if facing is None else _block(facing, count, start)
        measure(points[:, :size], out[:, start : start + size], side)
    return out


def _length(vectors: FloatArray, out: FloatArray) -> None:
    """``out = sqrt(row * row + col * col)`` of vectors of shape ``(..., 2, m)``."""
    squares = vectors * vectors
    np.add(squares[..., 0, :], squares[..., 1, :], out=out)
    np.sqrt(out, out=out)


def _cross(a: FloatArray, b: FloatArray, out: FloatArray) -> None:
    """``out = a_row * b_col - a_col * b_row`` of vectors of shape ``(..., 2, m)``."""
    np.multiply(a[..., 0, :], b[..., 1, :], out=out)
    out -= a[..., 1, :] * b[..., 0, :]


def _dot(a: FloatArray, b: FloatArray, out: FloatArray) -> None:
    """``out = a_row * b_row + a_col * b_col`` of vectors of shape ``(..., 2, m)``."""
    np.multiply(a[..., 0, :], b[..., 0, :], out=out)
    out += a[..., 1, :] * b[..., 1, :]


def disc_measures(
    upper_inferior_anterior: ArrayLike,
    upper_inferior_posterior: ArrayLike,
    lower_superior_anterior: ArrayLike,
    lower_superior_posterior: ArrayLike,
    spacing: ArrayLike = (1.0, 1.0),
    facing: ArrayLike | None = None,
) -> DiscMeasures:
    """Heights, index, segmental angle and translation of each disc in one pass.

    The same values as :func:`disc_heights`, :func:`segmental_angle` and :func:`translation`.
    """
    corners = (
        upper_inferior_anterior,
        upper_inferior_posterior,
        lower_superior_anterior,
        lower_superior_posterior,
    )
    side = None if facing is None else np.asarray(facing, dtype=np.float64)
    measured = _measure_in_blocks(corners, spacing, len(_DISC_ROWS), _disc_measures, side)
    row = {name: measured[index] for index, name in enumerate(_DISC_ROWS)}
    return DiscMeasures(
        DiscHeights(*(row[field.name] for field in fields(DiscHeights))),
        row["segmental_angle"],
        Translation(row["distance"], row["pct_depth"]),
    )


_DEGREES_PER_RADIAN = 180.0 / np.pi
"""np.degrees' own factor, the same values: one vectorised product instead of a call a value."""

_DISC_ROWS = (
    "middle",
    "anterior",
    "posterior",
    "mean",
    "index",
    "anterior_bisector",
    "posterior_bisector",
    "mean_bisector",
    "index_bisector",
    "segmental_angle",
    "distance",
    "pct_depth",
)
"""The rows :func:`_disc_measures` fills: the three corner-to-corner lengths first."""


def _disc_measures(pairs: FloatArray, out: FloatArray, facing: FloatArray | None) -> None:
    """Fills ``out`` (rows :data:`_DISC_ROWS`) from ``pairs``, shape ``(4, m, 2)``: the physical
    (row, col) of each disc's upper anterior, upper posterior, lower anterior and lower posterior
    corner; ``facing``: the film's orientation (None: from each disc's own corners)."""
    points = np.ascontiguousarray(pairs.transpose(0, 2, 1))  # (4, 2, m): rows, then cols
    anterior, posterior, mean, index = out[1:5]  # out[0] (middle) is filled with the lengths
    anterior_bisector, posterior_bisector, mean_bisector, index_bisector = out[5:9]
    angle, distance, pct_depth = out[9:]
    # The upper endplate's midpoint minus the lower one's, the anterior and posterior height
    # vectors, and the endplates (posterior -> anterior); the first three lengths are results.
    vectors = np.empty((5, *points.shape[1:]))
    centre, front, back, upper, lower = vectors
    np.subtract(points[:2], points[2:], out=vectors[1:3])
    np.subtract(points[0::2], points[1::2], out=vectors[3:])
    np.add(front, back, out=centre)
    centre *= 0.5
    _length(vectors[:3], out=out[:3])
    depths = np.empty((2, points.shape[2]))
    _length(vectors[3:], out=depths)
    upper_depth, lower_depth = depths
    np.add(anterior, posterior, out=mean)
    mean *= 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = upper_depth + lower_depth
        depth *= 0.5
        np.divide(mean, depth, out=index)
        np.copyto(index, np.nan, where=~(depth > 0))
        # The bisector runs along the sum of the two endplates' unit vectors (both posterior ->
        # anterior); a height across it is |height vector x bisector| / |bisector|.
        units = vectors[3:] / depths[:, None, :]
        along = np.add(units[0], units[1], out=units[0])
        along_length = np.empty_like(depth)
        _length(along, out=along_length)
        heights_across = out[5:7]
        _cross(vectors[1:3], along, out=heights_across)
        np.abs(heights_across, out=heights_across)
        heights_across /= along_length
        np.add(anterior_bisector, posterior_bisector, out=mean_bisector)
        mean_bisector *= 0.5
        np.divide(mean_bisector, depth, out=index_bisector)
        if facing is None:
            side = np.empty_like(depth)
            _cross(lower, centre, out=side)
            np.sign(side, out=side)
            side[side == 0] = np.nan
        else:
            side = facing
        # back . lower (the translation) and upper . lower (the angle's cosine), in one call;
        # the second lands in pct_depth's row until the angle is measured.
        _dot(vectors[2:4], lower, out=out[10:])
        _cross(lower, upper, out=angle)
        np.multiply(side, angle, out=angle)
        np.arctan2(angle, pct_depth, out=angle)
        angle *= _DEGREES_PER_RADIAN
        _translation(lower_depth, distance, pct_depth)


def disc_heights(
    upper_inferior_anterior: ArrayLike,
    upper_inferior_posterior: ArrayLike,
    lower_superior_anterior: ArrayLike,
    lower_superior_posterior: ArrayLike,
    spacing: ArrayLike = (1.0, 1.0),
) -> DiscHeights:
    """Anterior, posterior, mean and middle disc heights and the disc height index, corner to
    corner and perpendicular to the disc's bisector."""
    return disc_measures(
        upper_inferior_anterior,
        upper_inferior_posterior,
        lower_superior_anterior,
        lower_superior_posterior,
        spacing,
        facing=1.0,
    ).heights


def segmental_angle(
    upper_inferior_anterior: ArrayLike,
    upper_inferior_posterior: ArrayLike,
    lower_superior_anterior: ArrayLike,
    lower_superior_posterior: ArrayLike,
    spacing: ArrayLike = (1.0, 1.0),
    facing: ArrayLike | None = None,
) -> FloatArray:
    """Angle in degrees between the two endplates of each disc, positive when it opens anteriorly.

    Both endplate lines run posterior -> anterior; the angle turns the lower superior endplate onto
    the upper inferior endplate, positive toward cranial (lordosis), in (-180, 180]. ``facing`` (+1
    or -1, scalar or per level) is the film's orientation; when None it is taken from each disc's
    own corners: the upper endplate's midpoint is cranial of the lower endplate, so the sign of
    ``cross(lower endplate posterior->anterior, lower midpoint->upper midpoint)`` is the facing
    (NaN for a collapsed disc, its upper midpoint on the lower endplate line).
    """
    return disc_measures(
        upper_inferior_anterior,
        upper_inferior_posterior,
        lower_superior_anterior,
        lower_superior_posterior,
        spacing,
        facing,
    ).segmental_angle


def translation(
    upper_inferior_posterior: ArrayLike,
    lower_superior_anterior: ArrayLike,
    lower_superior_posterior: ArrayLike,
    spacing: ArrayLike = (1.0, 1.0),
) -> Translation:
    """Offset of the upper posterior-inferior corner from the lower posterior-superior corner.

    Projected on the lower superior endplate (posterior -> anterior), so positive means the upper
    vertebra lies anterior (forward); also as % of that endplate's depth.
    """
    corners = (upper_inferior_posterior, lower_superior_anterior, lower_superior_posterior)
    distance, pct_depth, _ = _measure_in_blocks(corners, spacing, 3, _translation_measures)
    return Translation(distance, pct_depth)


def _translation_measures(points: FloatArray, out: FloatArray, facing: FloatArray | None) -> None:
    """Fills ``out`` (distance, % depth, endplate depth) from ``points``, shape ``(3, m, 2)``: the
    upper posterior, lower anterior and lower posterior corner; ``facing`` is not used."""
    # lower posterior -> upper posterior, lower anterior; shape (2, m) each
    back, lower = (points[:2] - points[2]).transpose(0, 2, 1)
    _length(lower, out=out[2])
    _dot(back, lower, out=out[0])
    with np.errstate(invalid="ignore"):  # a zero-depth endplate: 0 / 0, never x / 0
        _translation(out[2], out[0], out[1])


def _translation(lower_depth: FloatArray, distance: FloatArray, pct_depth: FloatArray) -> None:
    """``distance``, holding ``back . lower`` (lower posterior-superior -> upper
    posterior-inferior corner, dotted with the lower endplate posterior -> anterior, of length
    ``lower_depth``), becomes that projection's length; ``pct_depth`` its % of the depth. A
    zero-depth endplate gives 0 / 0 = NaN (call under ``np.errstate(invalid="ignore")``)."""
    distance /= lower_depth
    np.multiply(distance, 100.0, out=pct_depth)
    pct_depth /= lower_depth


def vertebral_body_heights(
    anterior_superior: ArrayLike,
    posterior_superior: ArrayLike,
    anterior_inferior: ArrayLike,
    posterior_inferior: ArrayLike,
    spacing: ArrayLike = (1.0, 1.0),
) -> BodyHeights:
    """Anterior (superior to inferior anterior corner) and posterior body heights."""
    corners = (anterior_superior, posterior_superior, anterior_inferior, posterior_inferior)
    anterior, posterior = _measure_in_blocks(corners, spacing, 2, _body_heights)
    return BodyHeights(anterior, posterior)


def _body_heights(points: FloatArray, out: FloatArray, facing: FloatArray | None) -> None:
    """Fills ``out`` (anterior, posterior height) from ``points``, shape ``(4, m, 2)``: the
    anterior and posterior superior corners, then the inferior ones; ``facing`` is not used."""
    _length((points[:2] - points[2:]).transpose(0, 2, 1), out=out)


def range_of_motion(flexion: ArrayLike, extension: ArrayLike) -> FloatArray:
    """|flexion - extension|, elementwise (angular or translation ROM)."""
    return np.abs(np.asarray(flexion, dtype=np.float64) - np.asarray(extension, dtype=np.float64))
