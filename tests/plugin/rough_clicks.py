"""Rough clicks for the assisted-reading tests: the ground truth moved by up to 2 mm."""

from __future__ import annotations

import math

import numpy as np


def perturbed(
    point: tuple[float, float], spacing_mm: float, rng: np.random.Generator
) -> tuple[float, float]:
    """``point`` (row, col) moved 0.5-2 mm in a random direction, on a film of ``spacing_mm``."""
    distance = rng.uniform(0.5, 2.0) / spacing_mm
    angle = rng.uniform(0.0, 2 * math.pi)
    return (point[0] + distance * math.sin(angle), point[1] + distance * math.cos(angle))
