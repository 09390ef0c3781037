"""Disc height loss against adjacent discs, with the reference levels reported.

``loss % = 100 * (1 - h / mean(h of the reference discs))`` where ``h`` is the mean disc height
(shared/reference/spine-imaging.md section 4). By default the reference discs of a level are the
nearest cranial and the nearest caudal levels that are measured and not excluded; L5-S1 has no
caudal disc, so it uses the cranial one only. A rule can instead name the reference levels of a
level explicitly; those of them that are measured and not excluded are used (an excluded disc is
never a reference, named or not). No published standard fixes this rule
(disc height increases craniocaudally in only 36-55% of normal spines), so it is configuration.

Vectorised over films: heights have shape ``(films, levels)`` with the levels in anatomical
order and NaN where a level is not measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from imaging.anatomy import DiscLevel

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class HeightLossRule:
    """Which discs a level is compared with, and when the loss is flagged.

    ``exclude``: levels never used as references (e.g. known degenerated discs).
    ``reference_levels``: explicit references per level, replacing the nearest-neighbour rule for
    that level. ``threshold_pct`` and ``inclusive``: the flag is raised when the loss is
    ``>= threshold_pct`` (``inclusive=True``, as the DLBP trial's ">=20%") or ``> threshold_pct``;
    without a threshold (None: the protocol sets none) the flag is unknown (NaN).
    """

    exclude: frozenset[DiscLevel] = frozenset()
    reference_levels: Mapping[DiscLevel, tuple[DiscLevel, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    threshold_pct: float | None = None
    inclusive: bool = True
    height: str = "disc_height_mean"
    """The disc height compared (a measure of :data:`imaging.measures.MEASURES`, e.g.
    ``disc_height_mean_bisector``, which a slip does not change)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclude", frozenset(DiscLevel(v) for v in self.exclude))
        explicit: dict[DiscLevel, tuple[DiscLevel, ...]] = {}
        for level, references in self.reference_levels.items():
            key = DiscLevel(level)
            refs = tuple(DiscLevel(r) for r in references)
            if key in refs:
                raise ValueError(f"disc level {key} cannot be its own reference level")
            explicit[key] = refs
        object.__setattr__(self, "reference_levels", MappingProxyType(explicit))
        if self.threshold_pct is not None and not np.isfinite(self.threshold_pct):
            raise ValueError(f"threshold_pct must be a finite number, got {self.threshold_pct!r}")

    @classmethod
    def build(
        cls,
        *,
        exclude: Iterable[DiscLevel | str] = (),
        reference_levels: Mapping[DiscLevel | str, Iterable[DiscLevel | str]] | None = None,
        threshold_pct: float | None = None,
        inclusive: bool = True,
        height: str = "disc_height_mean",
    ) -> HeightLossRule:
        """Build from strings such as ``"L4-5"``; raises ValueError for unknown levels."""
        explicit = {
            DiscLevel(level): tuple(DiscLevel(r) for r in refs)
            for level, refs in (reference_levels or {}).items()
        }
        return cls(
            frozenset(DiscLevel(v) for v in exclude),
            MappingProxyType(explicit),
            None if threshold_pct is None else float(threshold_pct),
            inclusive,
            height,
        )

    def flag(self, loss_pct: ArrayLike) -> FloatArray:
        """1.0 where the loss meets the threshold, 0.0 where not, NaN where unknown."""
        loss = np.asarray(loss_pct, dtype=np.float64)
        if self.threshold_pct is None:
            return np.full(loss.shape, np.nan)
        with np.errstate(invalid="ignore"):
            hit = loss >= self.threshold_pct if self.inclusive else loss > self.threshold_pct
        flags = np.asarray(hit, dtype=np.float64)
        np.copyto(flags, np.nan, where=~np.isfinite(loss))
        return flags

    def describe(self) -> str:
        """E.g. 'height loss >= 20%'."""
        if self.threshold_pct is None:
            return "no height-loss threshold (the protocol sets no height_loss_pct)"
        return f"height loss {'>=' if self.inclusive else '>'} {self.threshold_pct:g}%"


@dataclass(frozen=True)
class HeightLoss:
    """Height loss per film and level, with the reference discs used."""

    loss_pct: FloatArray
    """Shape (films, levels); NaN where the level or all of its references are not measured."""
    usable: BoolArray
    """Shape (films, levels): measured and not excluded, so a level that may be a reference."""
    explicit: Mapping[int, BoolArray] = field(default_factory=lambda: MappingProxyType({}))
    """Level position -> (films, levels) mask of its explicit references (replacing the
    nearest-neighbour ones)."""

    @property
    def cranial(self) -> NDArray[np.intp]:
        """Shape (films, levels): position of the cranial reference (the nearest usable level
        cranial of each), -1 for none."""
        marked = np.where(self.usable, np.arange(self.usable.shape[1]), -1)
        cranial = np.full(marked.shape, -1, dtype=np.intp)
        cranial[:, 1:] = np.maximum.accumulate(marked[:, :-1], axis=1)
        return cranial

    @property
    def caudal(self) -> NDArray[np.intp]:
        """Shape (films, levels): position of the caudal reference (the nearest usable level
        caudal of each), ``levels`` for none."""
        count = self.usable.shape[1]
        marked = np.where(self.usable, np.arange(count), count)
        caudal = np.full(marked.shape, count, dtype=np.intp)
        caudal[:, :-1] = np.minimum.accumulate(marked[:, :0:-1], axis=1)[:, ::-1]
        return caudal

    @property
    def references(self) -> BoolArray:
        """Shape (films, levels, levels): ``references[f, i, j]`` when j is a reference of i."""
        position = np.arange(self.loss_pct.shape[1])
        mask = (position == self.cranial[:, :, None]) | (position == self.caudal[:, :, None])
        for i, explicit in self.explicit.items():
            mask[:, i, :] = explicit
        return mask


def height_loss_vs_adjacent(
    mean_heights: ArrayLike, levels: Sequence[DiscLevel], rule: HeightLossRule | None = None
) -> HeightLoss:
    """Height loss of every level of every film against its reference discs.

    ``mean_heights``: shape ``(films, len(levels))`` (or ``(len(levels),)`` for one film), mean
    disc heights in any unit (the loss is a ratio), NaN when not measured. ``levels`` in
    anatomical order, cranial to caudal, adjacent levels next to each other.
    """
    rule = rule or HeightLossRule()
    heights = np.atleast_2d(np.asarray(mean_heights, dtype=np.float64))
    count = len(levels)
    if heights.shape[1] != count:
        raise ValueError(f"mean_heights has {heights.shape[1]} levels, expected {count}")
    order = [level.lower_vertebra.position for level in levels]
    if order != sorted(order) or len(set(order)) != count:
        raise ValueError("levels must be in anatomical order, cranial to caudal, each once")

    # Level-major copies, shape (levels, films): each step below reads one level's films as one
    # contiguous row (a (films, 5) column is numpy's slowest strided, 5-wide case).
    by_level = np.ascontiguousarray(heights.T)
    usable = np.isfinite(by_level)
    for i, level in enumerate(levels):
        if level in rule.exclude:
            usable[i] = False
    # Per level, the heights of the nearest usable level strictly cranial and strictly caudal
    # summed (0 for none; a usable height is finite), and how many there are: a loop over the
    # few levels, vectorised over films, carrying each side's nearest height and whether any.
    totals = np.zeros(by_level.shape)
    counts = np.zeros(by_level.shape)
    nearest = np.zeros(by_level.shape[1])
    seen = np.zeros(by_level.shape[1], dtype=bool)
    for i in range(1, count):
        nearest = np.where(usable[i - 1], by_level[i - 1], nearest)
        seen = seen | usable[i - 1]
        totals[i] = nearest
        counts[i] = seen
    nearest = np.zeros(by_level.shape[1])  # none caudal of the last level
    seen = np.zeros(by_level.shape[1], dtype=bool)
    for j in range(count - 1, 0, -1):
        totals[j] += nearest
        counts[j] += seen
        nearest = np.where(usable[j], by_level[j], nearest)
        seen = seen | usable[j]
    totals[:1] += nearest
    counts[:1] += seen

    index_of = {level: i for i, level in enumerate(levels)}
    explicit: dict[int, BoolArray] = {}
    for level, references in rule.reference_levels.items():
        if level not in index_of:
            continue
        mask = np.zeros(heights.shape, dtype=bool)
        for reference in references:
            if reference in index_of:
                mask[:, index_of[reference]] = usable[index_of[reference]]
        i = index_of[level]
        explicit[i] = mask
        totals[i] = np.where(mask, heights, 0.0).sum(axis=1)  # masked heights are finite
        counts[i] = mask.sum(axis=1)

    # 100 * (1 - h * counts / totals), in place; the last step writes (films, levels) order.
    unmeasured = counts == 0
    ratio = counts
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio *= by_level
        ratio /= totals
    np.subtract(1.0, ratio, out=ratio)
    ratio[unmeasured] = np.nan
    loss = np.empty(heights.shape)
    np.multiply(100.0, ratio, out=loss.T)
    return HeightLoss(loss, usable.T, MappingProxyType(explicit))


def reference_names(references: ArrayLike, levels: Sequence[DiscLevel]) -> str:
    """``"L3-L4;L5-S1"`` from one row of :attr:`HeightLoss.references` (shape ``(levels,)``)."""
    mask = np.asarray(references, dtype=bool)
    return ";".join(level.value for level, used in zip(levels, mask, strict=True) if used)
