"""SHA-256 of every geometry result, to show that a rewrite for speed changes no value, bit for bit.

Hashes the bytes of each result of ``bench_geometry.vectorised`` over the benchmark's 100,000
levels, then of hostile inputs: NaN, infinite, zero and -0 heights with excluded and explicit
reference levels, thresholds met exactly, per-level and missing angle thresholds, broadcast
shapes, collapsed discs, single-pair corners and per-level spacings. Run it in a checkout of each
commit (``git worktree add /tmp/before COMMIT``) and compare the last line::

    .venv/bin/python -m benchmarks.geometry_digest            # every result's digest, then all
    cd /tmp/before && /work/main/.venv/bin/python -m benchmarks.geometry_digest

Only the public geometry API is called, so the same script runs on older commits. Not a
benchmark (``python -m benchmarks`` does not run it); the digests hold for one platform's libm
(``atan2`` may differ in the last bit elsewhere).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from benchmarks.bench_geometry import CRITERIA, LEVELS, random_films, vectorised
from imaging.anatomy import LUMBAR_LEVELS, DiscLevel
from imaging.geometry import (
    HeightLossRule,
    disc_measures,
    height_loss_vs_adjacent,
    translation,
    vertebral_body_heights,
)
from imaging.geometry.instability import PRESETS, InstabilityCriteria, Threshold


def _hostile(rng: np.random.Generator) -> Iterator[tuple[str, NDArray[np.generic]]]:
    heights = rng.uniform(5, 15, (3000, 5))
    for value, share in ((np.nan, 0.2), (np.inf, 0.02), (0.0, 0.02), (-0.0, 0.02), (-np.inf, 0.01)):
        heights[rng.random(heights.shape) < share] = value
    rules = {
        "default": HeightLossRule(),
        "exclude": HeightLossRule.build(exclude=["L3-L4", "L5-S1"]),
        "explicit": HeightLossRule.build(
            reference_levels={"L4-L5": ["L1-L2", "L2-L3", "L3-L4"], "L1-L2": ["L5-S1"]}
        ),
    }
    for name, rule in rules.items():
        for layout, given in (("C", heights), ("F", np.asfortranarray(heights)), ("1", heights[0])):
            loss = height_loss_vs_adjacent(given, LUMBAR_LEVELS, rule)
            yield f"loss {name} {layout}", loss.loss_pct
            yield f"references {name} {layout}", loss.references
    for k in range(1, 5):
        yield (
            f"loss of {k} levels",
            height_loss_vs_adjacent(heights[:, :k], LUMBAR_LEVELS[:k]).loss_pct,
        )
    losses = np.concatenate([rng.normal(15, 10, 3000), [np.nan, np.inf, -np.inf, 20.0]])
    for inclusive in (True, False):
        for threshold in (20.0, None):
            rule = HeightLossRule(threshold_pct=threshold, inclusive=inclusive)
            yield f"loss flag {inclusive} {threshold}", rule.flag(losses)

    rom = [np.abs(rng.normal(0, scale, (4000, 5))) for scale in (15, 3, 15)]
    for values in rom:
        for value, share in ((np.nan, 0.1), (np.inf, 0.02), (15.0, 0.05), (3.0, 0.05)):
            values[rng.random(values.shape) < share] = value
    criteria = {
        **PRESETS,
        "limits": PRESETS["us-device-ide"].with_limits(max_angle_deg=20),
        "angle >=": InstabilityCriteria("a", "a", angle_deg=Threshold(15.0, strict=False)),
        "benchmark": CRITERIA,
    }
    six = [DiscLevel("T12-L1"), *LUMBAR_LEVELS]
    for name, rules_ in criteria.items():
        yield f"flags {name}", rules_.flags(LUMBAR_LEVELS, *rom)
        yield f"flags {name} broadcast", rules_.flags(LUMBAR_LEVELS, rom[0][0], rom[1], 2.0)
        yield f"flags {name} T12-L1", rules_.flags(six, *(np.tile(v, (1, 2))[:, :6] for v in rom))

    ua, up, la, lp = (rng.uniform(0, 100, (5000, 2)) for _ in range(4))
    ua[::11] = np.nan
    up[::13] = lp[::13]  # collapsed posterior disc
    la[::17] = lp[::17]  # zero-depth endplate
    for spacing in ((0.1, 0.2), rng.uniform(0.1, 0.2, (5000, 2))):
        for facing in (None, -1.0, np.sign(rng.normal(size=5000))):
            discs = disc_measures(ua, up, la, lp, spacing, facing=facing)
            yield "disc", np.stack([*vars(discs.heights).values(), discs.segmental_angle])
            yield "translation", np.stack(discs.translation)
        yield "body", np.stack(vertebral_body_heights(ua, up, la, lp, spacing))
        yield "single pair", np.stack(translation(up[7], la, lp, spacing))


def digests() -> Iterator[tuple[str, str]]:
    """(name, SHA-256 of the result's bytes, C order) of every result, in a fixed order."""
    flexion, extension = random_films(LEVELS)
    results = [(f"benchmark {key}", value) for key, value in vectorised(flexion, extension).items()]
    for name, value in [*results, *_hostile(np.random.default_rng(3))]:
        array = np.ascontiguousarray(value)
        yield (
            name,
            hashlib.sha256(f"{array.dtype}{array.shape}".encode() + array.tobytes()).hexdigest(),
        )


def main() -> int:
    everything = hashlib.sha256()
    for name, digest in digests():
        print(f"{digest[:16]}  {name}")
        everything.update(digest.encode())
    print(f"all results: {everything.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
