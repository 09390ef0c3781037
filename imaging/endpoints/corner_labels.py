"""The endpoint table's ``corners`` column: how the corners a value was measured from were
obtained. The one vocabulary (docs/endpoint-table.md); the batch, the store and the workstation
label their films with :func:`corners_label` and name the corners that kept their click with
:func:`kept_click_note`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from imaging.anatomy import Corner, Vertebra

CLICK, REFINED, TRACKED = "click", "refined", "tracked"
"""How a film's corners were obtained: as the reader placed them, refined, tracked."""
MOVED = "moved"
"""A corner placed by hand after software offered another position: the reader's click."""


def corners_label(uses: Iterable[str]) -> str:
    """One film's label from how each of its corners was obtained.

    All alike: that word (``click``, ``refined``, ``tracked``). Mixed: the counts, software
    first, e.g. ``refined 18/22, click 4``; never ``refined`` for a film whose corners all kept
    the click. ``moved`` counts as ``click``; no corners at all is ``click``.
    """
    counts = Counter(CLICK if str(use) == MOVED else str(use) for use in uses)
    unknown = set(counts) - {CLICK, REFINED, TRACKED}
    if unknown:
        raise ValueError(
            f"unknown corner use {sorted(unknown)[0]!r}; expected click, refined, tracked"
        )
    total = sum(counts.values())
    if len(counts) <= 1:
        return next(iter(counts), CLICK)
    parts = [f"{kind} {counts[kind]}/{total}" for kind in (TRACKED, REFINED) if counts[kind]]
    return ", ".join([*parts, f"{CLICK} {counts[CLICK]}"] if counts[CLICK] else parts)


def pair_label(flexion: str, extension: str) -> str:
    """The label of a flexion-extension value: the films' label, or both (``click/tracked``)."""
    return flexion if flexion == extension else f"{flexion}/{extension}"


def kept_click_note(film: str, corners: Iterable[tuple[str, str, str | None]]) -> str:
    """The note of a film whose refinement left corners at their click: which, and why.

    ``corners``: (corner, use, refinement status or None when never refined) of each corner,
    e.g. ``("L5 anterior_superior", "click", "low_confidence")``. A corner refinement was tried
    on that is still the click is named, cranial first, with its status (``refined``: a
    confident point the reader did not take). E.g. ``flexion: 1 of 22 corners kept the click:
    L5 anterior_superior (low_confidence)``; empty when none kept it.
    """
    tried = [(corner, use, status) for corner, use, status in corners if status]
    kept = [
        f"{corner} ({status if status != REFINED else 'refined point not taken'})"
        for corner, use, status in tried
        if use == CLICK
    ]
    if not kept:
        return ""
    kept.sort(key=_anatomical)
    return f"{film}: {len(kept)} of {len(tried)} corners kept the click: {', '.join(kept)}"


def _anatomical(named: str) -> tuple[int, int]:
    """Cranial first, then the corners' order: every path names kept corners alike."""
    vertebra, corner = named.split(" ")[:2]
    return Vertebra(vertebra).position, list(Corner).index(Corner(corner))
