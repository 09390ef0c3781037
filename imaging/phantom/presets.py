"""Ready-made phantoms and single studies: what ``spine-endpoints phantom`` renders.

Presets: ``normal`` (the average healthy spine), ``random`` (:meth:`PhantomSpec.random`),
``degenerated`` (L4-L5 with 30% height loss, Pfirrmann 4, Modic I) and ``unstable`` (L4-L5 with a
4.5 mm translation range of motion).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np

from imaging.anatomy import DiscLevel, Film
from imaging.phantom.spec import PhantomSpec, SegmentMotion
from imaging.phantom.study import FilmOptions, SeriesOptions, StudySpec
from imaging.phantom.truth import reference_levels
from imaging.phantom.writer import TrialContext

PRESETS = ("normal", "random", "degenerated", "unstable")


def height_for_loss(spec: PhantomSpec, level: DiscLevel | str, loss_pct: float) -> float:
    """The mean disc height at ``level`` that gives ``loss_pct`` against its reference levels.

    References follow the ground truth's rule (nearest cranial and caudal landmarked levels,
    L5-S1 cranial only), using the spec's own mean heights.
    """
    level = DiscLevel(level)
    references = reference_levels(level, list(spec.landmarked_levels))
    reference = sum(spec.discs[r].height_mm for r in references) / len(references)
    return (1.0 - loss_pct / 100.0) * reference


def degenerated(
    spec: PhantomSpec,
    level: DiscLevel | str = "L4-L5",
    loss_pct: float = 30.0,
    pfirrmann: int = 4,
    modic: str = "I",
    angle_deg: float = 8.0,
) -> PhantomSpec:
    """``spec`` with one disc degenerated: lower, darker on T2, Modic change at both endplates."""
    return spec.with_disc(
        level,
        height_mm=height_for_loss(spec, level, loss_pct),
        angle_deg=angle_deg,
        pfirrmann=pfirrmann,
        modic_cranial=modic,
        modic_caudal=modic,
        motion=SegmentMotion(-2.5, 2.5, 0.5, -0.4),
    )


def unstable(
    spec: PhantomSpec, level: DiscLevel | str = "L4-L5", translation_rom_mm: float = 4.5
) -> PhantomSpec:
    """``spec`` with one segment sliding ``translation_rom_mm`` between flexion and extension."""
    forward = 0.58 * translation_rom_mm
    return spec.with_disc(
        level,
        motion=SegmentMotion(-6.5, 5.0, forward, forward - translation_rom_mm),
    )


def preset_spec(name: str, rng: np.random.Generator) -> PhantomSpec:
    """The named preset; ``random`` draws from ``rng``."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {name!r}")
    if name == "random":
        return PhantomSpec.random(rng)
    spec = PhantomSpec.normal()
    if name == "degenerated":
        return degenerated(spec)
    if name == "unstable":
        return unstable(spec)
    return spec


def single_study(
    *,
    seed: int,
    subject: str = "PHANTOM-001",
    visit: str = "baseline",
    preset: str = "random",
    films: Sequence[Film | str] = tuple(Film),
    sequences: Sequence[str] = ("T2", "T1"),
    transfer_syntax: str = "explicit",
    monochrome1: bool = False,
    spacing: str = "imager",
    study_date: datetime.date = datetime.date(2025, 1, 13),
    time_point_id: str | None = "BASELINE",
    time_point_description: str | None = None,
) -> StudySpec:
    """One study of one preset phantom, every image stored the same way."""
    context = TrialContext(
        subject_id=subject,
        visit=visit,
        study_date=study_date,
        seed=seed,
        time_point_id=time_point_id,
        time_point_description=time_point_description,
    )
    phantom = preset_spec(preset, np.random.default_rng(np.random.SeedSequence([seed, 0])))
    photometric = "MONOCHROME1" if monochrome1 else "MONOCHROME2"
    return StudySpec(
        context=context,
        phantom=phantom,
        films=tuple(FilmOptions(Film(f), transfer_syntax, photometric, spacing) for f in films),
        series=tuple(SeriesOptions(s, transfer_syntax) for s in sequences),
    )
