"""Suggested Pfirrmann grade and Modic types from measured disc and marrow signal.

Suggestions only: the reader's grade is the endpoint. The Pfirrmann suggestion walks the scale's
own decision algorithm (``imaging/protocol/scales/pfirrmann.toml``: first "yes" sets the grade)
and answers each question from a measure, recording the measure with the answer. A Modic type is
suggested per endplate from the share of marrow pixels next to it whose T1 and T2 signal, relative
to the normal marrow of the vertebral body centres, is of type I (T1 hypo, T2 hyper), II (T1
hyper) or III (T1 and T2 hypo) (shared/reference/spine-imaging.md section 3).

The cut-offs in :class:`GradingThresholds` were set on the synthetic phantom
(:mod:`imaging.phantom`), whose signals follow the published descriptions; they have not been
validated against readers' grades on patient images and a protocol may replace them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from imaging.anatomy import Vertebra
from imaging.assist.edges import FloatArray
from imaging.protocol.scales import Scale

SUGGESTION_NOTE = "suggestion only: the reader's grade is the endpoint"


@dataclass(frozen=True)
class GradingThresholds:
    """Cut-offs of the suggestion rules (ratios are dimensionless)."""

    bright_ratio: float = 0.55
    """Nucleus / CSF T2 signal at or above which the disc is 'white' (near CSF)."""
    homogeneous_cv: float = 0.09
    """Noise-corrected coefficient of variation of the nucleus at or below which it is
    homogeneous."""
    band_depth: float = 0.08
    """A mid-plane at least this much darker than its flanks is a horizontal band."""
    distinction_contrast: float = 0.3
    """(nucleus - annulus) / (nucleus + annulus) at or above which the two are distinct."""
    collapsed_ratio: float = 0.55
    """Height / mean height of the adjacent measured discs at or below which it is collapsed."""
    collapsed_index: float = 0.17
    """Height / depth at or below which a disc is collapsed when it is the only one measured."""
    t1_hypo: float = 0.8
    t1_hyper: float = 1.2
    t2_hypo: float = 0.7
    t2_hyper: float = 1.3
    """Marrow signal relative to normal marrow that counts as hypo- or hyperintense."""
    modic_share: float = 0.3
    """Share of the endplate band's pixels of one type that suggests that type."""
    mixed_share: float = 0.15
    """Each of two types at least this share suggests the mixed type (I/II, II/III)."""


@dataclass(frozen=True)
class DecisionAnswer:
    """One question of the decision algorithm, its answer and the measure behind it."""

    question: str
    answer: bool
    evidence: str


@dataclass(frozen=True)
class PfirrmannSuggestion:
    """A suggested Pfirrmann grade with the decision questions asked, in order."""

    grade: str
    label: str
    answers: tuple[DecisionAnswer, ...]
    note: str = SUGGESTION_NOTE


@dataclass(frozen=True)
class PfirrmannEvidence:
    """The measures the Pfirrmann questions are answered from."""

    nucleus_csf_ratio: float
    nucleus_cv: float
    band_depth: float
    distinction: float
    height_ratio: float | None
    height_index: float


def suggest_pfirrmann(
    evidence: PfirrmannEvidence, scale: Scale, thresholds: GradingThresholds
) -> PfirrmannSuggestion:
    """Answer the scale's questions in order until the first yes (or the last question)."""
    if scale.id != "pfirrmann" or len(scale.decision) != 4:
        raise ValueError(
            f"suggestions follow the four-question Pfirrmann (2001) algorithm; scale "
            f"{scale.id!r} asks {len(scale.decision)} questions"
        )
    t = thresholds
    white = evidence.nucleus_csf_ratio >= t.bright_ratio
    banded = evidence.band_depth >= t.band_depth
    homogeneous = evidence.nucleus_cv <= t.homogeneous_cv and not banded
    ratio_text = f"nucleus/CSF T2 {evidence.nucleus_csf_ratio:.2f} (white >= {t.bright_ratio:g})"
    structure = (
        f"nucleus variation {evidence.nucleus_cv:.3f} (homogeneous <= {t.homogeneous_cv:g}), "
        f"mid-plane band {evidence.band_depth:.2f} (band >= {t.band_depth:g})"
    )
    if evidence.height_ratio is not None:
        collapsed = evidence.height_ratio <= t.collapsed_ratio
        height_text = (
            f"height {evidence.height_ratio:.2f} x the adjacent discs' mean "
            f"(collapsed <= {t.collapsed_ratio:g})"
        )
    else:
        collapsed = evidence.height_index <= t.collapsed_index
        height_text = (
            f"height / depth {evidence.height_index:.2f} (collapsed <= {t.collapsed_index:g}; "
            "no other disc measured)"
        )
    answers = [
        (white and homogeneous, f"{ratio_text}; {structure}"),
        (white and not homogeneous, f"{ratio_text}; {structure}"),
        (
            evidence.distinction >= t.distinction_contrast,
            f"nucleus/annulus contrast {evidence.distinction:.2f} "
            f"(kept, though unclear, >= {t.distinction_contrast:g}; lost below)",
        ),
        (collapsed, height_text),
    ]
    asked: list[DecisionAnswer] = []
    for step, (answer, text) in zip(scale.decision, answers, strict=True):
        asked.append(DecisionAnswer(step.question, bool(answer), text))
        if answer:
            break
    grade = scale.decide([a.answer for a in asked])
    return PfirrmannSuggestion(grade.code, grade.label, tuple(asked))


@dataclass(frozen=True)
class ModicSuggestion:
    """A suggested Modic type for one endplate, with the marrow signal it rests on.

    ``endplate`` is ``"cranial"`` (inferior endplate of the upper vertebra) or ``"caudal"``;
    ratios are the band's median over the normal marrow's; ``shares`` the share of band pixels
    of type I, II and III.
    """

    endplate: str
    vertebra: Vertebra
    modic_type: str
    label: str
    t1_ratio: float
    t2_ratio: float
    shares: Mapping[str, float]
    evidence: str
    note: str = SUGGESTION_NOTE


def suggest_modic(
    endplate: str,
    vertebra: Vertebra,
    band_t2: FloatArray,
    band_t1: FloatArray,
    marrow_t2: float,
    marrow_t1: float,
    scale: Scale,
    thresholds: GradingThresholds,
) -> ModicSuggestion:
    """Classify the band's pixels against normal marrow and suggest a (possibly mixed) type."""
    t = thresholds
    r1 = band_t1 / marrow_t1
    r2 = band_t2 / marrow_t2
    kinds = {
        "I": (r1 < t.t1_hypo) & (r2 > t.t2_hyper),
        "II": (r1 > t.t1_hyper) & (r2 >= t.t2_hypo),
        "III": (r1 < t.t1_hypo) & (r2 < t.t2_hypo),
    }
    count = max(len(r1), 1)
    shares = {kind: float(mask.sum()) / count for kind, mask in kinds.items()}
    code = "0"
    pairs: tuple[tuple[str, str], ...] = (("I", "II"), ("II", "III"))
    mixed = [
        pair
        for pair in pairs
        if shares[pair[0]] >= t.mixed_share and shares[pair[1]] >= t.mixed_share
    ]
    if mixed:
        strongest = max(mixed, key=lambda pair: shares[pair[0]] + shares[pair[1]])
        code = f"{strongest[0]}/{strongest[1]}"
    else:
        top = max(shares, key=lambda k: shares[k])
        if shares[top] >= t.modic_share:
            code = top
    grade = scale.grade(code)
    t1_ratio = float(np.median(r1)) if len(r1) else math.nan
    t2_ratio = float(np.median(r2)) if len(r2) else math.nan
    evidence = (
        f"marrow next to the endplate vs normal marrow: T1 {t1_ratio:.2f}, T2 {t2_ratio:.2f}; "
        f"pixels like type I {shares['I']:.0%}, II {shares['II']:.0%}, III {shares['III']:.0%} "
        f"(a type from {t.modic_share:.0%}, mixed when two reach {t.mixed_share:.0%})"
    )
    return ModicSuggestion(
        endplate,
        vertebra,
        grade.code,
        grade.label,
        t1_ratio,
        t2_ratio,
        MappingProxyType(shares),
        evidence,
    )
