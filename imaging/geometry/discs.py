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

from dataclasses import dataclass
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


def physical(points: ArrayLike, spacing: ArrayLike) -> FloatArray:
    """(row, col) pixels -> (row, col) in the units of ``spacing``; shape ``(n, 2)``."""
    array = np.asarray(points, dtype=np.float64)
    scale = np.asarray(spacing, dtype=np.float64)
    if array.shape[-1:] != (2,) or scale.shape[-1:] != (2,):
        raise ValueError(
            f"points and spacing need (row, col) pairs in their last axis, got shapes "
            f"{array.shape} and {scale.shape}"
        )
    return np.atleast_2d(array * scale)


def _length(vector: FloatArray) -> FloatArray:
    return np.hypot(vector[:, 0], vector[:, 1])


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    return a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]


def _dot(a: FloatArray, b: FloatArray) -> FloatArray:
    return a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1]


def disc_heights(
    upper_inferior_anterior: ArrayLike,
    upper_inferior_posterior: ArrayLike,
    lower_superior_anterior: ArrayLike,
    lower_superior_posterior: ArrayLike,
    spacing: ArrayLike = (1.0, 1.0),
) -> DiscHeights:
    """Anterior, posterior, mean and middle disc heights and the disc height index."""
    ua = physical(upper_inferior_anterior, spacing)
    up = physical(upper_inferior_posterior, spacing)
    la = physical(lower_superior_anterior, spacing)
    lp = physical(lower_superior_posterior, spacing)
    anterior = _length(ua - la)
    posterior = _length(up - lp)
    mean = (anterior + posterior) / 2.0
    middle = _length((ua + up) / 2.0 - (la + lp) / 2.0)
    depth = (_length(ua - up) + _length(la - lp)) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        index = np.where(depth > 0, mean / depth, np.nan)
    return DiscHeights(anterior, posterior, mean, middle, index)


def facing_from_disc(
    upper_inferior_anterior: ArrayLike,
    upper_inferior_posterior: ArrayLike,
    lower_superior_anterior: ArrayLike,
    lower_superior_posterior: ArrayLike,
) -> FloatArray:
    """Facing (+1 / -1, NaN when undecidable) of each level from its own four corners.

    The upper endplate's midpoint is cranial of the lower endplate, so the sign of
    ``cross(lower endplate posterior->anterior, lower midpoint->upper midpoint)`` is the facing.
    A collapsed disc (upper midpoint on the lower endplate line) gives NaN.
    """
    ua = physical(upper_inferior_anterior, (1.0, 1.0))
    up = physical(upper_inferior_posterior, (1.0, 1.0))
    la = physical(lower_superior_anterior, (1.0, 1.0))
    lp = physical(lower_superior_posterior, (1.0, 1.0))
    side = np.sign(_cross(la - lp, (ua + up) / 2.0 - (la + lp) / 2.0))
    return np.where(side == 0, np.nan, side)


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
    own corners (:func:`facing_from_disc`).
    """
    ua = physical(upper_inferior_anterior, spacing)
    up = physical(upper_inferior_posterior, spacing)
    la = physical(lower_superior_anterior, spacing)
    lp = physical(lower_superior_posterior, spacing)
    if facing is None:
        side = facing_from_disc(
            upper_inferior_anterior,
            upper_inferior_posterior,
            lower_superior_anterior,
            lower_superior_posterior,
        )
    else:
        side = np.asarray(facing, dtype=np.float64)
    upper = ua - up
    lower = la - lp
    return np.degrees(np.arctan2(side * _cross(lower, upper), _dot(lower, upper)))


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
    up = physical(upper_inferior_posterior, spacing)
    la = physical(lower_superior_anterior, spacing)
    lp = physical(lower_superior_posterior, spacing)
    endplate = la - lp
    depth = _length(endplate)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.where(depth > 0, _dot(up - lp, endplate) / depth, np.nan)
        pct = np.where(depth > 0, 100.0 * distance / depth, np.nan)
    return Translation(distance, pct)


def vertebral_body_heights(
    anterior_superior: ArrayLike,
    posterior_superior: ArrayLike,
    anterior_inferior: ArrayLike,
    posterior_inferior: ArrayLike,
    spacing: ArrayLike = (1.0, 1.0),
) -> BodyHeights:
    """Anterior (superior to inferior anterior corner) and posterior body heights."""
    sa = physical(anterior_superior, spacing)
    sp = physical(posterior_superior, spacing)
    ia = physical(anterior_inferior, spacing)
    ip = physical(posterior_inferior, spacing)
    return BodyHeights(_length(sa - ia), _length(sp - ip))


def range_of_motion(flexion: ArrayLike, extension: ArrayLike) -> FloatArray:
    """|flexion - extension|, elementwise (angular or translation ROM)."""
    return np.abs(np.asarray(flexion, dtype=np.float64) - np.asarray(extension, dtype=np.float64))
