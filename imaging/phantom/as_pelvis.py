"""An anteroposterior pelvic film with sacroiliac joints of chosen modified New York grades.

Grades (van der Linden et al., Arthritis Rheum 1984;27:361): 0 normal (a clean joint space of
even width); 1 suspicious (a faint band of subchondral sclerosis, a blurred margin); 2 minimal
(small erosions and sclerosis on the iliac side, the width unchanged); 3 unequivocal (erosions on
both sides, marked sclerosis, a widened irregular joint, partial bony bridges); 4 total ankylosis
(the joint space filled with bone, a faint line left). Geometry is in patient mm, (row, col) with
rows caudal and columns towards the patient's left ((0020,0020) Patient Orientation ``L\\F``: the
patient's right on the image's left), so ``SIJ-left`` is the joint on the image's right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from imaging.anatomy import SACROILIAC_JOINTS
from imaging.phantom.as_spine import RenderedFilm
from imaging.phantom.radiograph import RadiographSetup, display_window, expose
from imaging.phantom.raster import Array, Grid, convex_sdf, coverage, ellipse_window, smooth_noise

NEW_YORK_GRADES = (0, 1, 2, 3, 4)
_BONE = 0.34
_FIELD_MM = (230.0, 300.0)
# Per grade: joint width (mm), erosions (iliac side, sacral side), erosion radius (mm),
# sclerosis density and depth (mm), bony bridges across the joint.
_GRADE_LOOK: dict[int, tuple[float, int, int, float, float, float, int]] = {
    0: (3.0, 0, 0, 0.0, 0.0, 0.0, 0),
    1: (3.0, 1, 0, 0.7, 0.07, 2.0, 0),
    2: (3.0, 4, 1, 1.3, 0.13, 3.5, 0),
    3: (5.0, 7, 4, 1.9, 0.22, 6.0, 2),
    4: (0.0, 0, 0, 0.0, 0.08, 2.0, 0),
}


@dataclass(frozen=True)
class RenderedPelvisFilm(RenderedFilm):
    """The pelvic film and each joint's centre and ends, (row, col) pixels."""

    joints_px: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    """``SIJ-left`` / ``SIJ-right`` -> ``centre``, ``upper``, ``lower``."""


def render_pelvis_film(
    grades: Mapping[str, int], setup: RadiographSetup, rng: np.random.Generator
) -> RenderedPelvisFilm:
    """Render the AP pelvis with ``grades`` per joint (``SIJ-left``, ``SIJ-right``: 0-4)."""
    if set(grades) != set(SACROILIAC_JOINTS):
        raise ValueError(f"give a grade for each of {', '.join(SACROILIAC_JOINTS)}, got {grades}")
    wrong = {j: g for j, g in grades.items() if g not in NEW_YORK_GRADES}
    if wrong:
        raise ValueError(f"modified New York grades are 0-4, got {wrong}")
    spacing = setup.patient_spacing_mm
    size = np.array([setup.rows - 1, setup.columns - 1]) * spacing
    if np.any(size < _FIELD_MM):
        raise ValueError(
            f"a pelvic film needs a {_FIELD_MM[0]:.0f} x {_FIELD_MM[1]:.0f} mm field, "
            f"{setup.rows}x{setup.columns} pixels give {size[0]:.0f} x {size[1]:.0f} mm"
        )
    grid = Grid(setup.rows, setup.columns, spacing, (float(-size[0] / 2), float(-size[1] / 2)))
    shape = (grid.rows, grid.columns)
    out = _soft_tissue(grid) + 0.03 * smooth_noise(rng, shape, 20.0)
    texture = 1.0 + 0.18 * smooth_noise(rng, shape, 1.5)
    bone = np.zeros(shape)
    sacrum = [(-75.0, -52.0), (-75.0, 52.0), (55.0, 16.0), (55.0, -16.0)]
    _fill(bone, grid, sacrum, _BONE, texture)
    joints: dict[str, dict[str, tuple[float, float]]] = {}
    for joint, side in (("SIJ-right", -1.0), ("SIJ-left", 1.0)):
        look = _GRADE_LOOK[grades[joint]]
        top, bottom = _on_sacral_edge(sacrum, side, -68.0), _on_sacral_edge(sacrum, side, 25.0)
        along = (bottom - top) / np.linalg.norm(bottom - top)
        outward = np.array([-along[1], along[0]])
        if outward[1] * side < 0:
            outward = -outward
        width = look[0]
        ilium = [
            tuple(top + outward * width - along * 12.0),
            (-105.0, side * 135.0),
            (10.0, side * 145.0),
            tuple(bottom + outward * width + along * 10.0),
        ]
        _fill(bone, grid, ilium, _BONE, texture)
        _femoral_head(bone, grid, side, texture)
        _joint_changes(bone, grid, top, bottom, outward, look, rng)
        middle = (top + bottom) / 2 + outward * width / 2
        joints[joint] = {
            "centre": grid.to_pixel(*middle),
            "upper": grid.to_pixel(*(top + outward * width / 2)),
            "lower": grid.to_pixel(*(bottom + outward * width / 2)),
        }
    out += bone
    pixels = expose(out, setup, setup.photons, rng)
    centre, window_width = display_window(pixels, joints)
    return RenderedPelvisFilm(pixels, setup, grid, centre, window_width, joints)


def _on_sacral_edge(sacrum: list[tuple[float, float]], side: float, row: float) -> Array:
    """The point of the sacrum's lateral edge on ``side`` (-1 right, +1 left) at ``row`` mm."""
    (r0, c0), (r1, c1) = (sacrum[1], sacrum[2]) if side > 0 else (sacrum[0], sacrum[3])
    return np.array([row, c0 + (c1 - c0) * (row - r0) / (r1 - r0)])


def _soft_tissue(grid: Grid) -> Array:
    """The trunk seen from the front: path length through an elliptical body, wider than deep."""
    cols = grid.origin_mm[1] + np.arange(grid.columns) * grid.spacing_mm
    path = 0.9 * np.clip(1.0 - (cols / 170.0) ** 4, 0.0, 1.0) ** 0.25
    return np.broadcast_to(path, (grid.rows, grid.columns)).copy()


def _fill(
    out: Array, grid: Grid, polygon: list[tuple[float, float]], density: float, texture: Array
) -> None:
    window = grid.window(np.array(polygon), 3.0)
    if window is None:
        return
    block, rr, cc = window
    sdf = convex_sdf(rr, cc, polygon)
    inside = coverage(sdf, grid.spacing_mm)
    rim = inside - coverage(sdf + 1.2, grid.spacing_mm)
    out[block] = np.maximum(out[block], density * inside * texture[block] + 0.25 * rim)


def _femoral_head(out: Array, grid: Grid, side: float, texture: Array) -> None:
    window = ellipse_window(grid, (85.0, side * 95.0), (24.0, 24.0), 3.0)
    if window is not None:
        block, sdf = window
        out[block] = np.maximum(out[block], _BONE * coverage(sdf, grid.spacing_mm) * texture[block])


def _joint_changes(
    bone: Array,
    grid: Grid,
    top: NDArray[np.float64],
    bottom: NDArray[np.float64],
    outward: NDArray[np.float64],
    look: tuple[float, int, int, float, float, float, int],
    rng: np.random.Generator,
) -> None:
    """Sclerosis beside the joint, erosions into its margins, bony bridges, or ankylosis."""
    width, iliac, sacral, radius, sclerosis, depth, bridges = look
    ends = np.array([top, bottom, top + outward * (width + depth), bottom - outward * depth])
    window = grid.window(ends, depth + 4.0)
    if window is None:
        return
    block, rr, cc = window
    along = bottom - top
    length = float(np.linalg.norm(along))
    t = ((rr - top[0]) * along[0] + (cc - top[1]) * along[1]) / length
    across = (rr - top[0]) * outward[0] + (cc - top[1]) * outward[1]  # 0 sacral edge, width iliac
    on_joint = np.clip(t / 4.0, 0, 1) * np.clip((length - t) / 4.0, 0, 1)
    if width == 0.0:  # ankylosis: bone across, a faint remnant line
        bone[block] += sclerosis * on_joint * np.exp(-((across / 1.2) ** 2))
        return
    beside = np.clip(
        1.0 - np.minimum(np.abs(across), np.abs(across - width)) / max(depth, 1e-6), 0, 1
    )
    outside_gap = (across < 0) | (across > width)
    bone[block] += sclerosis * on_joint * beside * outside_gap
    spots = [(s, float(rng.uniform(0.1, 0.9))) for s in ["iliac"] * iliac + ["sacral"] * sacral]
    for where, fraction in spots:
        offset = width + 0.4 * radius if where == "iliac" else -0.4 * radius
        centre = top + along * fraction + outward * offset
        hole = np.hypot(rr - centre[0], cc - centre[1]) - radius
        bone[block] *= 1.0 - coverage(hole, grid.spacing_mm)
    for index in range(bridges):
        fraction = 0.3 + 0.4 * index
        centre = top + along * fraction + outward * width / 2
        span = np.hypot(rr - centre[0], cc - centre[1]) - max(width / 2 + 0.8, 2.0)
        bone[block] = np.maximum(bone[block], _BONE * coverage(span, grid.spacing_mm))
