"""Ground truth of the AS phantom by the plain rules of the AS protocol (issue 20).

Written independently of :mod:`imaging.endpoints` on purpose, as :mod:`imaging.phantom.truth` is
for the lumbar measures: the endpoint code is tested against these numbers. mSASSS (Creemers et
al., Ann Rheum Dis 2005;64:127): 24 corners 0-3, total 0-72, in two segments of 12; a corner that
cannot be scored is given the mean of the scorable corners of its segment when the segment lacks
at most ``max_missing`` of them (Ramiro et al., Ann Rheum Dis 2015;74:52), otherwise the total is
missing. Modified New York (van der Linden et al. 1984): sacroiliitis grade >= 2 on both sides
or 3-4 on one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imaging.anatomy import MSASSS_SEGMENTS, MSASSS_SITES, msasss_sites

MAX_MISSING_PER_SEGMENT = 3
"""The AS protocol's ``[msasss] max_missing_per_segment``."""
SYNDESMOPHYTE = (2, 3)


def msasss_totals(
    scores: Mapping[str, int | None], max_missing: int = MAX_MISSING_PER_SEGMENT
) -> dict[str, Any]:
    """Segment totals and the total (None when a segment lacks more than ``max_missing``
    corners), with the corners imputed; ``scores``: site -> 0-3, None when not scorable."""
    out: dict[str, Any] = {"imputed": {}}
    total: float | None = 0.0
    for segment in MSASSS_SEGMENTS:
        sites = msasss_sites(segment)
        known = [scores[s] for s in sites if scores.get(s) is not None]
        missing = [s for s in sites if scores.get(s) is None]
        value: float | None
        if len(missing) > max_missing or not known:
            value = None
        else:
            mean = sum(v for v in known if v is not None) / len(known)
            out["imputed"].update({s: mean for s in missing})
            value = sum(v for v in known if v is not None) + mean * len(missing)
        out[f"{segment}_total"] = value
        total = None if value is None or total is None else total + value
    out["total"] = total
    return out


def new_syndesmophytes(
    first: Mapping[str, int | None], later: Mapping[str, int | None]
) -> dict[str, Any]:
    """Corners below 2 at the first visit and 2-3 at the later one; corners not scorable at
    either visit are not counted (listed)."""
    new = [
        s for s in MSASSS_SITES
        if first.get(s) is not None and later.get(s) is not None
        and first[s] not in SYNDESMOPHYTE and later[s] in SYNDESMOPHYTE
    ]  # fmt: skip
    unknown = [s for s in MSASSS_SITES if first.get(s) is None or later.get(s) is None]
    return {"count": len(new), "sites": new, "not_comparable": unknown}


def modified_new_york(grades: Mapping[str, int]) -> bool:
    """Definite radiographic sacroiliitis: grade >= 2 bilaterally or 3-4 unilaterally."""
    values = list(grades.values())
    return all(g >= 2 for g in values) or any(g >= 3 for g in values)


def complete_rigidity(
    scores: Mapping[str, int | None], max_missing: int = MAX_MISSING_PER_SEGMENT
) -> bool:
    """Bridged (3) at every scorable corner of both segments, each segment scorable (at most
    ``max_missing`` corners missing)."""
    if msasss_totals(scores, max_missing)["total"] is None:
        return False
    return all(scores.get(s) in (3, None) for s in MSASSS_SITES)
