"""Is a tracked vertebra the same body? Its shape on the two films (rigid-body check).

Flexion-extension analysis treats each vertebral body as a rigid body: between two films of
one subject it moves and turns but keeps its shape, up to one magnification change between the
films (Frobin et al., Clin Biomech 1996;11:457-465 and 1997;12 Suppl 1:S1-S63, DCRA;
spine-imaging.md section 4). Registration alone cannot tell: another subject's bodies, a few
per cent larger or smaller, still correlate well. So each matched vertebra is measured on both
films by the same method, corner refinement (:func:`imaging.assist.refine_corners`, from the
source corners on the source film and from the mapped corners on the target film), and its four
edges compared (anterior and posterior heights, superior and inferior depths, mm):

- the magnification ratio of the films is the median target/source ratio of all edges; beyond
  ``max_magnification_change`` the target film is not this spine at this calibration;
- after scaling by that ratio, a vertebra with an edge differing by more than
  ``vertebra_tolerance_mm`` is not the same body (a poor match, with both sizes);
- over at least ``min_vertebrae`` measured vertebrae, an RMS edge difference above
  ``film_rms_mm`` says the bodies are not this spine's: another subject's film, or another
  part of the spine.

Only corners refined with confidence on both films are measured; a vertebra without its four is
not checked (:attr:`BodyShapes.note` says how many were). The tolerances are about three times
the refinement's edge-length error on phantoms (corner 95th percentile 0.25 mm).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from imaging.anatomy import Corner, Vertebra
from imaging.assist.corners import Point
from imaging.assist.reference import ReferenceFilm
from imaging.assist.refine import refine_corners
from imaging.assist.registration import FloatArray

_EDGES = (
    ("anterior height", Corner.ANTERIOR_SUPERIOR, Corner.ANTERIOR_INFERIOR),
    ("posterior height", Corner.POSTERIOR_SUPERIOR, Corner.POSTERIOR_INFERIOR),
    ("superior depth", Corner.ANTERIOR_SUPERIOR, Corner.POSTERIOR_SUPERIOR),
    ("inferior depth", Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR),
)

Corners = Mapping[Vertebra, Mapping[Corner, Point]]


@dataclass(frozen=True)
class ShapeLimits:
    """The thresholds of the shape check (see the module docstring)."""

    vertebra_tolerance_mm: float = 1.0
    film_rms_mm: float = 0.5
    min_vertebrae: int = 3
    max_magnification_change: float = 0.1


@dataclass(frozen=True)
class BodyShapes:
    """The outcome: per vertebra why it is not the same body, the film's reason, a note."""

    vertebrae: dict[Vertebra, str] = field(default_factory=dict)
    film: str = ""
    note: str = ""


def compare_bodies(
    source: FloatArray | ReferenceFilm,
    source_corners: Corners,
    source_spacing: tuple[float, float],
    target: FloatArray,
    target_corners: Corners,
    target_spacing: tuple[float, float],
    *,
    bone_bright: bool = True,
    limits: ShapeLimits = ShapeLimits(),
) -> BodyShapes:
    """Compare each vertebra's body on the source film with the one it was matched to.

    ``source_corners`` / ``target_corners``: the corners on each film (pixels), the target's
    mapped by the tracking; only vertebrae in both with four corners are compared. A
    :class:`ReferenceFilm` source (with its own spacing) measures the same corners once for
    every target film it is compared with.
    """
    names = [
        v for v in target_corners if len(target_corners[v]) == 4 and len(source_corners[v]) == 4
    ]
    if not names:
        return BodyShapes(note="body shapes not compared: no vertebra with four corners")
    reference = (
        source if isinstance(source, ReferenceFilm) else ReferenceFilm(source, source_spacing)
    )
    read = {v: source_corners[v] for v in names}
    key = ("body edges", bone_bright, tuple((v, c, *p) for v in names for c, p in read[v].items()))
    before = reference.once(
        key, lambda: _edges(reference.image, read, reference.spacing, bone_bright)
    )
    after = _edges(target, {v: target_corners[v] for v in names}, target_spacing, bone_bright)
    measured = [v for v in names if v in before and v in after]
    if not measured:
        return BodyShapes(note="body shapes not compared: no body measured on both films")
    ratios = np.concatenate([after[v] / before[v] for v in measured])
    scale = float(np.median(ratios))
    out: dict[Vertebra, str] = {}
    residuals: list[FloatArray] = []
    for vertebra in measured:
        difference = after[vertebra] - scale * before[vertebra]
        residuals.append(difference)
        worst = int(np.argmax(np.abs(difference)))
        if abs(difference[worst]) > limits.vertebra_tolerance_mm:
            out[vertebra] = (
                f"its body's {_EDGES[worst][0]} is {after[vertebra][worst]:.1f} mm on the target "
                f"film, {scale * before[vertebra][worst]:.1f} mm expected from the read film "
                f"(x{scale:.3f} magnification): not the same vertebra (a body keeps its shape)"
            )
    rms = float(np.sqrt(np.mean(np.concatenate(residuals) ** 2)))
    note = (
        f"body shapes of {len(measured)} vertebrae compared: edges differ by {rms:.2f} mm "
        f"RMS after x{scale:.3f} magnification"
    )
    film = ""
    if abs(scale - 1.0) > limits.max_magnification_change:
        film = (
            f"the vertebral bodies are x{scale:.2f} their size on the read film, more than a "
            f"magnification change between two films of one session "
            f"({limits.max_magnification_change:.0%})"
        )
    elif len(measured) >= limits.min_vertebrae and rms > limits.film_rms_mm:
        film = (
            f"the vertebral bodies differ in shape from the read film's by {rms:.1f} mm RMS "
            f"over {len(measured)} vertebrae after the magnification difference "
            f"(x{scale:.3f}); one subject's bodies keep their shape between films"
        )
    return BodyShapes(out, film, note)


def _edges(
    image: FloatArray,
    corners: Corners,
    spacing: tuple[float, float],
    bone_bright: bool,
) -> dict[Vertebra, FloatArray]:
    """The four edge lengths (mm) of every vertebra whose four corners refined with confidence."""
    result = refine_corners(image, corners, spacing, bone_bright=bone_bright)
    scale = np.array(spacing)
    out: dict[Vertebra, FloatArray] = {}
    for vertebra in corners:
        found = [result.corners.get((vertebra, c)) for c in Corner if c in corners[vertebra]]
        if len(found) != 4 or not all(r is not None and r.accepted for r in found):
            continue
        at = {r.corner: np.array(r.used) * scale for r in found if r is not None}
        out[vertebra] = np.array([math.dist(at[a], at[b]) for _, a, b in _EDGES])
    return out
