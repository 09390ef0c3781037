"""What real vertebral corners do to the two fitted lines: curved (concave) endplates, double
contours, rounded corners. Geometry in the millimetre frame of :mod:`imaging.assist.edges`.

- :func:`bend`: how far the endplate edge points bend into the bone: the far ones deeper than
  the near ones, or the middle ones below the chord of the ends (a line fitted to a concave
  endplate leans into it and meets the wall in the disc).
- :func:`second_contour`: a second edge parallel to the fitted one, of comparable strength,
  0.9-3.2 mm away: the two rims of an endplate seen by an oblique beam. The corner is read at the
  middle of the two (:data:`imaging.anatomy.ROUNDED_CORNER_MM` documents the definition).
- :func:`outline_depth`: how far inside the lines' intersection the bone outline lies, along
  the corner's bisector; beyond ``ROUNDED_CORNER_MM`` the corner is the outline point.
"""

from __future__ import annotations

import numpy as np

from imaging.assist.edges import FloatArray, ImageSampler, Line

_RESOLUTION_FRACTION = 4.0
"""Profile samples per pixel."""


def bend(
    points: FloatArray, along: FloatArray, origin: FloatArray, line: Line, into_bone: FloatArray
) -> tuple[float, float]:
    """How far (frame units) the endplate edge ``points`` bend away from ``line`` into the bone
    (toward ``into_bone``): (step, sagitta); NaNs with fewer than six points.

    - step: the far third (far from ``origin`` along ``along``) deeper than the near third;
    - sagitta: the middle third deeper than the mean of the outer two thirds, measured from the
      straight line through all points: a line fitted to a hollow endplate leans into it, and a
      flat rim then a dip shows as a hump in its residuals.
    """
    if len(points) < 6:
        return float("nan"), float("nan")
    station = (points - origin) @ along
    order = np.argsort(station)
    third = max(len(points) // 3, 2)
    normal = np.array([-line.direction[1], line.direction[0]])
    normal = normal if normal @ into_bone >= 0 else -normal
    offset = (points[order] - line.point) @ normal
    step = float(np.median(offset[-third:]) - np.median(offset[:third]))
    ordered = station[order]
    residual = offset - np.polyval(np.polyfit(ordered, offset, 1), ordered)
    outer = np.concatenate([residual[:third], residual[-third:]])
    sagitta = float(residual[third:-third].mean() - outer.mean())
    return step, sagitta


def _profiles(
    sampler: ImageSampler, line: Line, into_bone: FloatArray, stations: FloatArray, half: float
) -> tuple[FloatArray, FloatArray]:
    """Mean signed intensity across the line at ``stations`` (offsets, mean profile)."""
    resolution = min(sampler.spacing) / _RESOLUTION_FRACTION
    offsets = np.arange(-half, half + resolution / 2, resolution)
    origins = line.point[None, :] + stations[:, None] * line.direction[None, :]
    grid = origins[:, None, :] + offsets[None, :, None] * into_bone[None, None, :]
    inside = sampler.inside(grid.reshape(-1, 2), margin_px=2.0).reshape(grid.shape[:2]).all(axis=1)
    if not inside.any():
        return offsets, np.zeros_like(offsets)
    return offsets, sampler.values(grid[inside]).mean(axis=0)


def second_contour(
    sampler: ImageSampler, line: Line, into_bone: FloatArray, stations: FloatArray
) -> float | None:
    """Offset (frame units, positive into the bone) of a second edge parallel to ``line`` with
    at least 55% of its rise, 0.9-3.2 mm away; None when the edge is single."""
    offsets, profile = _profiles(sampler, line, into_bone, stations, 5.0)
    resolution = offsets[1] - offsets[0]
    derivative = np.gradient(profile, resolution)
    main_zone = np.abs(offsets) <= 0.6
    main = float(derivative[main_zone].max()) if main_zone.any() else 0.0
    if main <= 0:
        return None
    peaks = (derivative[1:-1] >= derivative[:-2]) & (derivative[1:-1] >= derivative[2:])
    index = np.flatnonzero(peaks) + 1
    distance = np.abs(offsets[index])
    strong = index[(distance >= 0.9) & (distance <= 3.2) & (derivative[index] >= 0.55 * main)]
    if len(strong) == 0:
        return None
    best = strong[int(np.argmax(derivative[strong]))]
    return float(offsets[best])


def outline_depth(
    sampler: ImageSampler, corner: FloatArray, along_first: FloatArray, along_second: FloatArray
) -> tuple[float, FloatArray] | None:
    """Distance (frame units) from the lines' intersection ``corner`` to the bone outline along
    the corner's bisector, positive when the outline lies inside (the corner is rounded), and
    that outline point (for a round corner, the outline point nearest the intersection).

    ``along_first`` and ``along_second`` run from the corner along the two edges. The outline is
    the steepest rise of the signed intensity on the bisector within 5 mm (the caller's edges
    were fitted, so a bone corner is there); None when the profile leaves the image.
    """
    bisector = along_first + along_second
    length = float(np.hypot(*bisector))
    if length < 1e-6:
        return None
    bisector = bisector / length
    resolution = min(sampler.spacing) / _RESOLUTION_FRACTION
    steps = np.arange(-1.5, 5.0 + resolution / 2, resolution)
    across = np.array([-bisector[1], bisector[0]])
    fan = np.linspace(-0.6, 0.6, 5)  # parallel profiles, averaged against noise and texture
    points = (
        corner[None, None, :]
        + steps[None, :, None] * bisector[None, None, :]
        + fan[:, None, None] * across[None, None, :]
    )
    if not sampler.inside(points.reshape(-1, 2), margin_px=2.0).all():
        return None
    profile = sampler.values(points).mean(axis=0)
    derivative = np.gradient(profile, resolution)
    best = int(np.argmax(derivative[1:-1])) + 1
    if steps[best] > 0 and _in_bone(sampler, corner, along_first, along_second):
        return 0.0, corner  # the intersection is covered by bone (an osteophyte)
    left, middle, right = derivative[best - 1], derivative[best], derivative[best + 1]
    curvature = left - 2.0 * middle + right
    shift = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    depth = float(steps[best] + np.clip(shift, -0.5, 0.5) * resolution)
    return depth, corner + depth * bisector


def _in_bone(
    sampler: ImageSampler, corner: FloatArray, along_first: FloatArray, along_second: FloatArray
) -> bool:
    """Whether the intersection is brighter than halfway between the soft tissue outside the
    two edges and the bone inside them (sampled 4-8 mm from the corner, 2 mm off each edge)."""
    stations = np.linspace(4.0, 8.0, 5)
    outside, inside = [], []
    for along, other in ((along_first, along_second), (along_second, along_first)):
        away = np.array([-along[1], along[0]])
        if away @ other > 0:
            away = -away
        line = corner[None, :] + stations[:, None] * along[None, :]
        outside.append(sampler.values(line + 2.0 * away))
        inside.append(sampler.values(line - 2.0 * away))
    dark, bright = float(np.mean(outside)), float(np.mean(inside))
    cross = np.array([[0.0, 0.0], [0.3, 0.0], [-0.3, 0.0], [0.0, 0.3], [0.0, -0.3]])
    at_corner = float(np.mean(sampler.values(corner[None, :] + cross)))
    return at_corner > 0.5 * (dark + bright)
