"""mSASSS: corner scores -> segment totals and the total, new syndesmophytes between visits.

The modified Stoke Ankylosing Spondylitis Spine Score (Creemers MCW et al. Ann Rheum Dis
2005;64:127-129) scores 24 anterior vertebral corners on lateral films, lower C2 to upper T1 and
lower T12 to upper S1, each 0-3 (0 normal; 1 erosion, sclerosis or squaring; 2 syndesmophyte;
3 bridging syndesmophyte): total 0-72. A corner that cannot be scored is NaN. The rule for
those is the protocol's (``[msasss]``, docs/protocol-format.md); with the AS protocol's, after
Ramiro S et al. Ann Rheum Dis 2015;74:52-59: a segment missing at most ``max_missing`` corners
counts each missing one as the mean of its scorable corners (same visit and read), i.e. the
segment total is that mean x the segment's corners; more missing, the segment total and the
total are missing (NaN).

:func:`msasss_scores` is the vectorised arithmetic (any number of reads at once);
:func:`msasss_rows` turns one read's corner grades into endpoint rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from imaging.endpoints.rows import EndpointRow
from imaging.measures import LATERAL_FILMS

if TYPE_CHECKING:
    from imaging.protocol.msasss import MsasssSettings

TOTAL = "msasss_total"
"""The endpoint table's measure of the total (level ``spine``)."""
SEGMENT_MEASURES = {"cervical": "msasss_cervical", "lumbar": "msasss_lumbar"}
"""Segment -> the measure of its total (level ``spine``)."""
NEW_SYNDESMOPHYTES = "new_syndesmophytes"
"""Corners without a syndesmophyte at the reference visit with one later (level ``spine``)."""
SPINE = "spine"
"""The level of the per-read mSASSS rows (:data:`imaging.protocol.model.CASE_SITE`)."""


@dataclass(frozen=True)
class MsasssScores:
    """:func:`msasss_scores` for N reads and S segments.

    ``segment_totals`` (N, S) and ``total`` (N,): scores, NaN when missing. ``missing`` (N, S):
    corners not scored per segment. ``imputed`` (N, S): whether the segment's missing corners
    were given its mean (1 to ``max_missing`` of them).
    """

    segment_totals: NDArray[np.float64]
    total: NDArray[np.float64]
    missing: NDArray[np.int64]
    imputed: NDArray[np.bool_]


def msasss_scores(scores: ArrayLike, segment_of_site: ArrayLike, max_missing: int) -> MsasssScores:
    """Segment totals and totals of corner scores, the missing-corner rule applied.

    Parameters
    ----------
    scores : array_like, shape (N, K) or (K,)
        Corner scores 0-3 of N reads at K corners; NaN where a corner could not be scored.
    segment_of_site : array_like of int, shape (K,)
        The segment (0, 1, ...) of each corner: mSASSS has two of 12 corners each.
    max_missing : int
        Corners a segment may lack; each then counts as the mean of the segment's scorable
        corners. More missing (or none scorable): the segment total and the total are NaN.

    Examples
    --------
    >>> s = msasss_scores([[0, 1, 2, 3, np.nan, 0], [3, 3, 3, 3, 3, 3]], [0, 0, 0, 1, 1, 1], 1)
    >>> s.segment_totals.tolist(), s.total.tolist()
    ([[3.0, 4.5], [9.0, 9.0]], [7.5, 18.0])
    """
    values = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    segments = np.asarray(segment_of_site, dtype=np.int64)
    if values.shape[1] != segments.shape[0]:
        raise ValueError(
            f"{values.shape[1]} corner scores per read but {segments.shape[0]} segment labels"
        )
    members = segments[:, None] == np.arange(segments.max(initial=-1) + 1)[None, :]  # (K, S)
    scored = np.isfinite(values)
    counts = scored.astype(np.int64) @ members.astype(np.int64)  # (N, S)
    sums = np.where(scored, values, 0.0) @ members.astype(np.float64)
    sites = members.sum(axis=0)  # (S,)
    missing = sites[None, :] - counts
    usable = (missing <= max_missing) & (counts > 0)
    with np.errstate(invalid="ignore"):  # 0 / 0 where no corner of a segment is scored
        totals = np.where(usable, sums / counts * sites[None, :], np.nan)
    return MsasssScores(
        segment_totals=totals,
        total=totals.sum(axis=1),
        missing=missing,
        imputed=usable & (missing > 0),
    )


def new_syndesmophytes(
    before: ArrayLike, after: ArrayLike, syndesmophyte_scores: Sequence[float] = (2, 3)
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per read pair: corners without a syndesmophyte before (score 0 or 1) and with one after
    (2 or 3), and how many corners were scored at both visits (the others are not compared).

    ``before``, ``after``: shape (N, K) or (K,), NaN where not scored.

    >>> new_syndesmophytes([0, 1, 2, np.nan, 1], [2, 1, 3, 3, np.nan])
    (array([1]), array([3]))
    """
    first = np.atleast_2d(np.asarray(before, dtype=np.float64))
    later = np.atleast_2d(np.asarray(after, dtype=np.float64))
    compared = np.isfinite(first) & np.isfinite(later)
    marks = np.asarray(syndesmophyte_scores, dtype=np.float64)
    new = compared & ~np.isin(first, marks) & np.isin(later, marks)
    return new.sum(axis=1), compared.sum(axis=1)


def segment_labels(rule: MsasssSettings) -> NDArray[np.int64]:
    """The segment index (0 cervical, 1 lumbar) of each of ``rule.sites``."""
    return np.array([i for i, sites in enumerate(rule.segments.values()) for _ in sites])


def corner_scores(rule: MsasssSettings, scores: Mapping[str, float | None]) -> NDArray[np.float64]:
    """One read's scores by corner (``rule.sites`` order), NaN where not scored."""
    values = [scores.get(site) for site in rule.sites]
    return np.array([np.nan if v is None else float(v) for v in values])


def msasss_rows(rule: MsasssSettings, grades: Sequence[EndpointRow]) -> list[EndpointRow]:
    """One read's ``msasss_cervical``, ``msasss_lumbar`` and ``msasss_total`` rows from its
    corner grade rows (``measure`` = ``rule.item``); none when the read scored no corner.

    The note names the corners given a segment mean, or why a total is missing.
    """
    corners = [row for row in grades if row.measure == rule.item and row.level in rule.sites]
    if not corners:
        return []
    first = corners[0]
    by_site = {row.level: row.value for row in corners if row.value is not None}
    result = msasss_scores(
        corner_scores(rule, by_site), segment_labels(rule), rule.max_missing_per_segment
    )
    rows: list[EndpointRow] = []
    notes: list[str] = []
    for index, (name, sites) in enumerate(rule.segments.items()):
        absent = [site for site in sites if by_site.get(site) is None]
        total = float(result.segment_totals[0, index])
        if not absent:
            note = ""
        elif np.isfinite(total):
            mean = total / len(sites)
            note = (
                f"{len(absent)} {name} corners not scored ({', '.join(absent)}): each given "
                f"the {name} mean {mean:.2f} ({rule.missing_rule})"
            )
        else:
            note = (
                f"{len(absent)} of {len(sites)} {name} corners not scored ({', '.join(absent)}), "
                f"more than {rule.max_missing_per_segment}: no {name} total ({rule.missing_rule})"
            )
        notes.append(note)
        rows.append(_row(first, SEGMENT_MEASURES[name], total, note))
    total = float(result.total[0])
    rows.append(_row(first, TOTAL, total, "; ".join(n for n in notes if n)))
    return rows


def _row(like: EndpointRow, measure: str, value: float, note: str) -> EndpointRow:
    return EndpointRow(
        like.subject, like.visit, SPINE, measure, value if np.isfinite(value) else None, "1",
        film=LATERAL_FILMS, reader=like.reader, read_version=like.read_version,
        source_image=like.source_image, note=note, study_day=like.study_day,
        protocol=like.protocol, software_version=like.software_version,
    )  # fmt: skip


def syndesmophyte_row(
    rule: MsasssSettings,
    corners: Sequence[EndpointRow],
    baseline: Mapping[str, EndpointRow | None],
) -> EndpointRow:
    """One follow-up read's ``new_syndesmophytes`` row: its corner grade rows (``corners``)
    against the same reader's baseline corner rows by site (``baseline``); the note names the
    new ones (``C5-lower 1 -> 2``) and how many corners were compared."""
    first = corners[0]
    before_rows = {site: row for site, row in baseline.items() if row is not None}
    if not any(row.value is not None for row in before_rows.values()):
        return _row(first, NEW_SYNDESMOPHYTES, np.nan, "no baseline corner scores to compare")
    after = {row.level: row.value for row in corners}
    before = {site: row.value for site, row in before_rows.items()}
    every = (*corners, *before_rows.values())
    marks = sorted(
        {r.value for r in every if r.grade in rule.syndesmophyte and r.value is not None}
    )
    new, compared = new_syndesmophytes(
        corner_scores(rule, before), corner_scores(rule, after), marks
    )
    codes = {row.level: row.grade for row in corners}
    named = [
        f"{site} {before_rows[site].grade} -> {codes[site]}"
        for site in rule.sites
        if site in before_rows and site in codes
        and before_rows[site].grade not in rule.syndesmophyte
        and codes[site] in rule.syndesmophyte
    ]  # fmt: skip
    note = f"{int(compared[0])} of {len(rule.sites)} corners scored at both visits"
    if named:
        note += "; new: " + ", ".join(named)
    return _row(first, NEW_SYNDESMOPHYTES, float(new[0]), note)
