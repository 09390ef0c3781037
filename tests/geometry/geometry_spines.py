"""Synthetic lumbar spines with known geometry, for the geometry tests and the benchmark.

A spine is built in its own frame (x anterior, y cranial, mm): rectangular vertebral bodies of
``depth`` x ``body_height``, each disc turning the next vertebra by ``angle`` degrees (lordosis
positive: the disc opens anteriorly), ``posterior_height`` mm behind and shifted by
``translation`` mm (upper vertebra forward). The frame is then placed on an image: facing right
(+1) or left (-1) with the head up, rotated by ``rotation_deg``, shifted by ``offset`` mm, and
divided by ``spacing`` (row, col mm per pixel) to give (row, col) pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from imaging.anatomy import Corner, Vertebra

SPINE = (Vertebra.L1, Vertebra.L2, Vertebra.L3, Vertebra.L4, Vertebra.L5, Vertebra.S1)
Corners = dict[Vertebra, dict[Corner, tuple[float, float]]]


def _per_disc(value: float | Sequence[float], count: int) -> list[float]:
    if isinstance(value, int | float):
        return [float(value)] * count
    values = [float(v) for v in value]
    assert len(values) == count, f"expected {count} values, got {len(values)}"
    return values


def spine_corners(
    *,
    vertebrae: Sequence[Vertebra] = SPINE,
    depth: float = 40.0,
    body_height: float = 28.0,
    posterior_height: float | Sequence[float] = 9.0,
    angle: float | Sequence[float] = 0.0,
    translation: float | Sequence[float] = 0.0,
    start_tilt_deg: float = 0.0,
    facing: int = 1,
    rotation_deg: float = 0.0,
    offset: tuple[float, float] = (50.0, 60.0),
    spacing: tuple[float, float] = (1.0, 1.0),
) -> Corners:
    """(row, col) pixel corners of a synthetic spine (see the module docstring)."""
    discs = len(vertebrae) - 1
    heights = _per_disc(posterior_height, discs)
    angles = _per_disc(angle, discs)
    shifts = _per_disc(translation, discs)
    phi = math.radians(start_tilt_deg)
    frame: dict[Vertebra, dict[Corner, tuple[float, float]]] = {}
    posterior_superior = (0.0, 0.0)
    for i, vertebra in enumerate(vertebrae):
        u = (math.cos(phi), math.sin(phi))
        n = (-math.sin(phi), math.cos(phi))
        ps = posterior_superior
        pi = (ps[0] - body_height * n[0], ps[1] - body_height * n[1])
        corners = {
            Corner.POSTERIOR_SUPERIOR: ps,
            Corner.ANTERIOR_SUPERIOR: (ps[0] + depth * u[0], ps[1] + depth * u[1]),
            Corner.POSTERIOR_INFERIOR: pi,
            Corner.ANTERIOR_INFERIOR: (pi[0] + depth * u[0], pi[1] + depth * u[1]),
        }
        frame[vertebra] = {c: p for c, p in corners.items() if c in vertebra.corners}
        if i == discs:
            break
        phi -= math.radians(angles[i])
        u = (math.cos(phi), math.sin(phi))
        n = (-math.sin(phi), math.cos(phi))
        posterior_superior = (
            pi[0] - heights[i] * n[0] - shifts[i] * u[0],
            pi[1] - heights[i] * n[1] - shifts[i] * u[1],
        )
    return place(frame, facing, rotation_deg, offset, spacing)


def place(
    frame: Corners,
    facing: int,
    rotation_deg: float,
    offset: tuple[float, float],
    spacing: tuple[float, float],
) -> Corners:
    """Spine-frame mm -> image pixels: anterior toward +col (facing 1) or -col, cranial up."""
    theta = math.radians(rotation_deg)
    cos, sin = math.cos(theta), math.sin(theta)

    def rotate(v: tuple[float, float]) -> tuple[float, float]:
        return (cos * v[0] - sin * v[1], sin * v[0] + cos * v[1])

    anterior = rotate((0.0, float(facing)))
    cranial = rotate((-1.0, 0.0))
    out: Corners = {}
    for vertebra, corners in frame.items():
        out[vertebra] = {}
        for corner, (x, y) in corners.items():
            row = offset[0] + x * anterior[0] + y * cranial[0]
            col = offset[1] + x * anterior[1] + y * cranial[1]
            out[vertebra][corner] = (row / spacing[0], col / spacing[1])
    return out
