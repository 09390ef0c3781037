"""Phantoms and helpers shared by the assist tests (rendering is done once, by conftest)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imaging.anatomy import Corner, Film, Vertebra
from imaging.phantom import (
    PhantomSpec,
    RadiographSetup,
    RenderedMRSeries,
    RenderedRadiograph,
    render_radiograph,
)

Corners = dict[Vertebra, dict[Corner, tuple[float, float]]]


def jitter(corners: Corners, spacing: tuple[float, float], radius_mm: float, seed: int) -> Corners:
    """Every corner moved by up to ``radius_mm`` (uniform over a disc), reproducibly."""
    rng = np.random.default_rng(seed)
    out: Corners = {}
    for vertebra, points in corners.items():
        out[vertebra] = {}
        for corner, (row, col) in points.items():
            distance = radius_mm * math.sqrt(rng.uniform())
            angle = rng.uniform(0.0, 2.0 * math.pi)
            out[vertebra][corner] = (
                row + distance * math.cos(angle) / spacing[0],
                col + distance * math.sin(angle) / spacing[1],
            )
    return out


def distance_mm(
    a: tuple[float, float], b: tuple[float, float], spacing: tuple[float, float]
) -> float:
    return math.hypot((a[0] - b[0]) * spacing[0], (a[1] - b[1]) * spacing[1])


@dataclass(frozen=True)
class Films:
    """One random phantom's three lateral films (seeded), sharing one acquisition setup."""

    spec: PhantomSpec
    neutral: RenderedRadiograph
    flexion: RenderedRadiograph
    extension: RenderedRadiograph

    @property
    def spacing(self) -> tuple[float, float]:
        return self.neutral.pixel_spacing_mm


def films_of_seed(seed: int) -> Films:
    """Neutral, flexion and extension films of ``PhantomSpec.random`` for one seed."""
    rng = np.random.default_rng(seed)
    spec = PhantomSpec.random(rng)
    setup = RadiographSetup.random(rng)
    rendered = {film: render_radiograph(spec, film, setup, rng) for film in Film}
    return Films(spec, rendered[Film.NEUTRAL], rendered[Film.FLEXION], rendered[Film.EXTENSION])


@dataclass(frozen=True)
class MRStudy:
    spec: PhantomSpec
    t2: RenderedMRSeries
    t1: RenderedMRSeries

    @property
    def spacing(self) -> tuple[float, float]:
        return (self.t2.setup.pixel_spacing_mm, self.t2.setup.pixel_spacing_mm)

    def slices(self) -> tuple[np.ndarray, np.ndarray]:
        return self.t2.volume[self.t2.mid_slice], self.t1.volume[self.t1.mid_slice]
