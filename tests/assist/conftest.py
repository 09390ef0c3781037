"""Phantoms shared by the assist tests: rendered once per session (a few seconds in all)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from imaging.anatomy import Corner, Film, Vertebra
from imaging.phantom import (
    MRSetup,
    PhantomSpec,
    RadiographSetup,
    RenderedMRSeries,
    RenderedRadiograph,
    render_mr_series,
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


def _films(seed: int) -> Films:
    rng = np.random.default_rng(seed)
    spec = PhantomSpec.random(rng)
    setup = RadiographSetup.random(rng)
    rendered = {film: render_radiograph(spec, film, setup, rng) for film in Film}
    return Films(spec, rendered[Film.NEUTRAL], rendered[Film.FLEXION], rendered[Film.EXTENSION])


@pytest.fixture(scope="session")
def seed1() -> Films:
    return _films(1)


@pytest.fixture(scope="session")
def seed5() -> Films:
    return _films(5)


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


@pytest.fixture(scope="session")
def mr_study() -> MRStudy:
    """A normal spine with every Pfirrmann grade and Modic types I, II and III placed."""
    spec = (
        PhantomSpec.normal()
        .with_disc("L1-L2", pfirrmann=1)
        .with_disc("L2-L3", pfirrmann=2, modic_caudal="III")
        .with_disc("L3-L4", pfirrmann=3, height_mm=9.0)
        .with_disc("L4-L5", pfirrmann=4, height_mm=7.0, modic_cranial="I", modic_caudal="I")
        .with_disc("L5-S1", pfirrmann=5, height_mm=4.5, angle_deg=8.0, modic_cranial="II",
                   modic_caudal="II")
    )  # fmt: skip
    t2 = render_mr_series(spec, "T2", MRSetup(), np.random.default_rng(21))
    t1 = render_mr_series(spec, "T1", MRSetup(), np.random.default_rng(22))
    return MRStudy(spec, t2, t1)
