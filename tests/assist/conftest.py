"""Phantoms shared by the assist tests: rendered once per session (a few seconds in all)."""

from __future__ import annotations

import numpy as np
import pytest
from assist_phantoms import Films, MRStudy, films_of_seed

from imaging.phantom import MRSetup, PhantomSpec, render_mr_series


@pytest.fixture(scope="session")
def seed1() -> Films:
    return films_of_seed(1)


@pytest.fixture(scope="session")
def seed5() -> Films:
    return films_of_seed(5)


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
