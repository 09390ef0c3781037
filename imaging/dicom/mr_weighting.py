"""An MR series' contrast weighting (T1, T2, PD, STIR) from its headers, and the series to grade.

Pfirrmann grades are read on the mid-sagittal T2 slice and Modic types on T1 and T2 (Pfirrmann et
al., Spine 2001;26:1873; Modic et al., Radiology 1988;166:193). The weighting is decided from
(0018,0080) *Repetition Time* and (0018,0081) *Echo Time* in ms (for an enhanced MR, the
*MR Timing and Related Parameters* and *MR Echo* functional groups, PS3.3 C.8.13.5), spin-echo
conventions (Bitar et al., RadioGraphics 2006;26:513): T1 with TR <= 800 ms and TE <= 30 ms, T2
with TR >= 1500 ms and TE >= 60 ms, proton density with TR >= 1500 ms and TE <= 30 ms. An
inversion recovery with a short (0018,0082) *Inversion Time* (<= 250 ms) is STIR. When the times
are missing or in between, the (0018,0024) *Sequence Name*, (0008,103E) *Series Description* and
(0018,1030) *Protocol Name* decide ("T2", "T1", "STIR", "PD" as words). When the times and the
text disagree the weighting is unknown, with the reason: never a T1 taken for a T2.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydicom.dataset import Dataset

T1_MAX_TR_MS, T1_MAX_TE_MS = 800.0, 30.0
"""A T1-weighted spin echo: short repetition and echo times."""
LONG_TR_MS, T2_MIN_TE_MS = 1500.0, 60.0
"""T2 (long TR, long TE) and proton density (long TR, short TE)."""
STIR_MAX_TI_MS = 250.0
"""Inversion times of a short-tau inversion recovery (fat suppressed) at 1-3 T."""


class Weighting(StrEnum):
    """The contrast an MR series was acquired with."""

    T1 = "T1"
    T2 = "T2"
    PD = "PD"
    STIR = "STIR"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class MrContrast:
    """What the headers say about one series' contrast: the weighting and why."""

    weighting: Weighting
    reason: str


_WORDS = (
    (Weighting.STIR, re.compile(r"\b(STIR|TIRM)\b", re.IGNORECASE)),
    (Weighting.T2, re.compile(r"\bT2(W|WI|_|\b)", re.IGNORECASE)),
    (Weighting.T1, re.compile(r"\bT1(W|WI|_|\b)", re.IGNORECASE)),
    (Weighting.PD, re.compile(r"\b(PD|PDW|proton density)\b", re.IGNORECASE)),
)


def weighting_from_times(
    repetition_ms: float | None, echo_ms: float | None, inversion_ms: float | None = None
) -> MrContrast | None:
    """The weighting that TR, TE (and TI) give, or None when they do not decide it."""
    if inversion_ms is not None and 0 < inversion_ms <= STIR_MAX_TI_MS:
        return MrContrast(Weighting.STIR, f"inversion time {inversion_ms:g} ms (STIR)")
    if repetition_ms is None or echo_ms is None or repetition_ms <= 0 or echo_ms <= 0:
        return None
    times = f"TR {repetition_ms:g} ms, TE {echo_ms:g} ms"
    if repetition_ms <= T1_MAX_TR_MS and echo_ms <= T1_MAX_TE_MS:
        return MrContrast(Weighting.T1, f"{times}: short TR and TE (T1)")
    if repetition_ms >= LONG_TR_MS and echo_ms >= T2_MIN_TE_MS:
        return MrContrast(Weighting.T2, f"{times}: long TR and TE (T2)")
    if repetition_ms >= LONG_TR_MS and echo_ms <= T1_MAX_TE_MS:
        return MrContrast(Weighting.PD, f"{times}: long TR, short TE (proton density)")
    return None


def weighting_from_text(*texts: str | None) -> MrContrast | None:
    """The weighting named in sequence name, description or protocol name, or None (none, or
    several different ones named)."""
    found = {
        weighting: text
        for text in texts
        if text
        for weighting, pattern in _WORDS
        if pattern.search(text)
    }
    if len(found) != 1:
        return None
    weighting, text = next(iter(found.items()))
    return MrContrast(weighting, f"named {weighting.value} in {text!r}")


def mr_contrast(
    repetition_ms: float | None,
    echo_ms: float | None,
    inversion_ms: float | None = None,
    texts: Sequence[str | None] = (),
) -> MrContrast:
    """The weighting from the times, else from the texts; unknown (with the reason) when neither
    decides or they disagree."""
    timed, named = (
        weighting_from_times(repetition_ms, echo_ms, inversion_ms),
        weighting_from_text(*texts),
    )
    if timed is not None and named is not None and timed.weighting is not named.weighting:
        return MrContrast(Weighting.UNKNOWN, f"{timed.reason} but {named.reason}: check the series")
    if timed is not None:
        return timed
    if named is not None:
        return named
    return MrContrast(
        Weighting.UNKNOWN, "no repetition and echo time deciding it and no weighting named"
    )


def mr_contrast_of(dataset: Dataset) -> MrContrast:
    """The weighting of the series ``dataset`` (a slice or an enhanced MR) belongs to."""
    timing = _functional(dataset, "MRTimingAndRelatedParametersSequence")
    echo = _functional(dataset, "MREchoSequence")
    modifier = _functional(dataset, "MRModifierSequence")
    return mr_contrast(
        _number(dataset, "RepetitionTime", timing),
        _number(dataset, "EchoTime", None) or _number(echo, "EffectiveEchoTime", None),
        _number(dataset, "InversionTime", None) or _number(modifier, "InversionTimes", None),
        [
            _text(dataset, "SequenceName") or _text(dataset, "PulseSequenceName"),
            _text(dataset, "SeriesDescription"),
            _text(dataset, "ProtocolName"),
        ],
    )


def series_to_grade(
    candidates: Sequence[tuple[Weighting | str, str]], wanted: Weighting | str = Weighting.T2
) -> int | None:
    """Of (weighting, plane) per series, the index of the ``wanted`` one to grade on: a sagittal
    series first, then any plane; None when no series has that weighting."""
    wanted = Weighting(wanted)
    matching = [i for i, (w, _) in enumerate(candidates) if Weighting(w) is wanted]
    sagittal = [i for i in matching if candidates[i][1] == "sagittal"]
    chosen = sagittal or matching
    return chosen[0] if chosen else None


def _functional(dataset: Dataset | None, keyword: str) -> Dataset | None:
    """The first item of ``keyword`` in the shared functional groups of an enhanced MR."""
    for groups in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        sequence = None if dataset is None else dataset.get(groups)
        inner = sequence[0].get(keyword) if sequence else None
        if inner:
            return inner[0]
    return None


def _number(dataset: Dataset | None, keyword: str, fallback: Dataset | None) -> float | None:
    for source in (dataset, fallback):
        if source is None:
            continue
        value = source.get(keyword)
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            value = value[0] if len(value) else None
        try:
            number = float(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            number = None
        if number is not None:
            return number
    return None


def _text(dataset: Dataset, keyword: str) -> str | None:
    value = dataset.get(keyword)
    return None if value in (None, "") else str(value).strip() or None
