"""Where a disc is on a mid-sagittal MR slice: its endplates, height, depth and centre.

From one click near a disc's centre and the spine's axis there (from the neighbouring clicks),
profiles along the axis are sampled across the disc at 1 mm intervals over its central 12 mm.
Each endplate shows as a dark line (cortex) between the disc and the marrow; the disc's boundary
is where the profile, going from the disc toward the line, has fallen half-way from the disc's
level to the line's minimum (the edge of a line at half depth). Robust lines through these
points are the two endplates; the disc height is their distance along the bisector's normal at
the disc centre. The dark lines are then followed outward until they fade (the corners), which
gives the disc's anteroposterior depth.

Frame: millimetres, ``(row * s_row, col * s_col)``; ``axis`` is a unit vector pointing caudally
across the disc, ``along`` the perpendicular unit vector along the disc.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imaging.assist.edges import FloatArray, ImageSampler, Line, fit_line

_PROFILE_REACH_MM = 14.0
_PROFILE_STEP_MM = 0.1
_CENTRAL_HALF_MM = 6.0
_FADE = 0.5


@dataclass(frozen=True)
class DiscGeometry:
    """One disc in the millimetre frame (see the module docstring)."""

    centre: FloatArray
    axis: FloatArray
    along: FloatArray
    cranial: Line
    caudal: Line
    height_mm: float
    depth_mm: float
    extent: tuple[float, float]
    """Anteroposterior limits of the endplates, mm along ``along`` from ``centre``."""

    def coordinates(self, points: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(position along the disc, position across it) of frame points, mm from the centre."""
        offset = points - self.centre
        return offset @ self.along, offset @ self.axis


def find_disc(sampler: ImageSampler, click: FloatArray, axis: FloatArray) -> DiscGeometry | str:
    """The disc around ``click`` (frame mm), or the reason it could not be found."""
    along = np.array([-axis[1], axis[0]])
    centre = click
    found: tuple[Line, Line] | None = None
    for _ in range(2):
        lines = _endplate_lines(sampler, centre, axis, along)
        if isinstance(lines, str):
            return lines
        found = lines
        centre, axis, along = _bisect(found, centre)
    assert found is not None
    cranial, caudal = found
    height = _gap(cranial, caudal, centre, axis)
    if not 0.5 < height < 2 * _PROFILE_REACH_MM:
        return f"the endplates found are {height:.1f} mm apart, not a disc"
    extent = _extent(sampler, centre, axis, along, cranial, caudal)
    middle = (extent[0] + extent[1]) / 2
    centre = centre + middle * along
    extent = (extent[0] - middle, extent[1] - middle)
    return DiscGeometry(centre, axis, along, cranial, caudal, height, extent[1] - extent[0], extent)


def _profiles(
    sampler: ImageSampler, centre: FloatArray, axis: FloatArray, along: FloatArray,
    offsets: FloatArray,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    t = np.arange(-_PROFILE_REACH_MM, _PROFILE_REACH_MM + 1e-9, _PROFILE_STEP_MM)
    points = (
        centre[None, None, :]
        + offsets[:, None, None] * along[None, None, :]
        + t[None, :, None] * axis[None, None, :]
    )
    values = sampler.values(points)
    values[~sampler.inside(points, margin_px=0.5)] = np.nan  # no mirrored anatomy at the border
    return t, values


def _endplate_lines(
    sampler: ImageSampler, centre: FloatArray, axis: FloatArray, along: FloatArray
) -> tuple[Line, Line] | str:
    offsets = np.arange(-_CENTRAL_HALF_MM, _CENTRAL_HALF_MM + 1e-9, 1.0)
    t, profiles = _profiles(sampler, centre, axis, along, offsets)
    upper: list[FloatArray] = []
    lower: list[FloatArray] = []
    for offset, profile in zip(offsets, profiles, strict=True):
        found = _boundaries(t, profile)
        if found is None:
            continue
        base = centre + offset * along
        upper.append(base + found[0] * axis)
        lower.append(base + found[1] * axis)
    if len(upper) < 4:
        return "no dark endplate lines on both sides of the click"
    lines = []
    for points in (np.array(upper), np.array(lower)):
        line = fit_line(points, np.ones(len(points)), along, 0.6, max_angle_deg=30.0)
        if line is None:
            return "the endplates near the click are not straight lines"
        lines.append(line)
    return lines[0], lines[1]


def _boundaries(t: FloatArray, profile: FloatArray) -> tuple[float, float] | None:
    """The centre of the dark endplate line above and below the disc centre (mm along t).

    The darkest point on each side, refined by a parabola fitted over +/-0.6 mm around it; a
    side whose darkest point is not darker than the disc centre has no endplate line.
    """
    inside = np.isfinite(profile)
    central = inside & (np.abs(t) <= 1.0)
    if not central.any():
        return None
    level = float(np.median(profile[central]))
    out: list[float] = []
    for side in (-1, 1):
        index = np.flatnonzero(inside & (side * t >= 0.5))
        if len(index) < 8:
            return None
        dip = index[int(np.argmin(profile[index]))]
        window = np.abs(t - t[dip]) <= 0.6
        if not np.all(inside[window]):
            return None
        if level - float(profile[dip]) <= 0:
            return None
        a, b, _ = np.polyfit(t[window] - t[dip], profile[window], 2)
        shift = -b / (2 * a) if a > 0 else 0.0
        out.append(float(t[dip] + np.clip(shift, -0.6, 0.6)))
    return out[0], out[1]


def _bisect(
    lines: tuple[Line, Line], near: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Centre (midway between the lines next to ``near``), caudal axis and along direction."""
    first, second = lines
    along = first.direction + second.direction
    along = along / np.hypot(*along)
    axis = np.array([along[1], -along[0]])
    if (second.point - first.point) @ axis < 0:
        axis = -axis
    a = meet(first, near, axis)
    b = meet(second, near, axis)
    centre = (a + b) / 2
    along = np.array([-axis[1], axis[0]])
    return centre, axis, along


def meet(line: Line, origin: FloatArray, direction: FloatArray) -> FloatArray:
    """Where the ray ``origin + s * direction`` meets ``line``."""
    matrix = np.column_stack([direction, -line.direction])
    s = np.linalg.solve(matrix, line.point - origin)[0]
    return np.asarray(origin + s * direction, dtype=np.float64)


def _gap(first: Line, second: Line, centre: FloatArray, axis: FloatArray) -> float:
    return float(np.hypot(*(meet(second, centre, axis) - meet(first, centre, axis))))


def _extent(
    sampler: ImageSampler,
    centre: FloatArray,
    axis: FloatArray,
    along: FloatArray,
    cranial: Line,
    caudal: Line,
) -> tuple[float, float]:
    """How far along the disc both dark endplate lines persist, each way from the centre."""
    offsets = np.arange(-40.0, 40.0 + 1e-9, 1.0)
    contrast = np.zeros((2, len(offsets)))
    for row, (line, outward) in enumerate(((cranial, -1.0), (caudal, 1.0))):
        bases = np.array([meet(line, centre + u * along, axis) for u in offsets])
        dip = np.min(
            [sampler.values(bases + outward * s * axis) for s in (-0.6, -0.3, 0.0, 0.3, 0.6)],
            axis=0,
        )
        # Deeper than any Modic band too, so that a dark band does not end the endplate.
        marrow = np.maximum(
            sampler.values(bases + outward * 3.0 * axis),
            sampler.values(bases + outward * 9.5 * axis),
        )
        contrast[row] = marrow - dip
    central = np.abs(offsets) <= _CENTRAL_HALF_MM
    reference = np.median(contrast[:, central], axis=1, keepdims=True)
    present = np.all(contrast >= _FADE * np.maximum(reference, 1e-9), axis=0)
    # A single faded sample (noise, a vessel) does not end the endplate; two in a row do.
    present[1:-1] |= present[:-2] & present[2:]
    middle = int(np.flatnonzero(offsets == 0.0)[0])
    low = high = middle
    while low - 1 >= 0 and present[low - 1]:
        low -= 1
    while high + 1 < len(offsets) and present[high + 1]:
        high += 1
    return float(offsets[low]) - 0.5, float(offsets[high]) + 0.5
