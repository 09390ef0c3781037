"""The endpoint table's ``corners`` column: how the corners a value was measured from were
obtained. The one vocabulary (docs/endpoint-table.md); the batch, the store and the workstation
label their films with :func:`corners_label`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

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
