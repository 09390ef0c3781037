"""Suggested grades from MRI disc quantification, kept apart from the reader's grades.

The reader clicks one point per disc centre on the mid-sagittal T2 slice (:class:`DiscCentres`,
guided: "Click the centre of the L4-L5 disc"); :func:`suggest` runs
:func:`imaging.assist.quantify_mr_discs` on that slice and the same slice of T1 (off the GUI
thread) and maps each disc's suggested Pfirrmann grade and Modic types onto the protocol's
items. :class:`Suggestions` holds them, labelled as suggestions; a suggestion becomes the
reader's grade only through :meth:`Suggestions.use`, the reader's "use suggestion" click.

Coordinates are (row, col) pixels of the slice; ``slice_index`` is the series' slice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from imaging import __version__
from imaging.anatomy import DiscLevel
from imaging.assist import DiscQuantification, quantify_mr_discs
from imaging.assist.mr_grades import ModicSuggestion, PfirrmannSuggestion
from imaging.protocol.model import GradingItem
from imaging.protocol.scales import Grade
from napari_spine_endpoints._model.grading import GradeForm
from napari_spine_endpoints._model.observable import Observable
from napari_spine_endpoints._model.provenance import Point

SOFTWARE = f"spine-endpoints {__version__}"


@dataclass(frozen=True)
class ItemSuggestion:
    """A suggested grade for one (level, item) with the evidence shown to the reader."""

    level: str
    item: str
    code: str
    label: str
    evidence: tuple[str, ...]
    """The decision questions answered (Pfirrmann) or the marrow signal (Modic), one a line."""

    @property
    def evidence_text(self) -> str:
        return "\n".join(self.evidence)

    @property
    def title(self) -> str:
        return f"suggestion: {self.code} ({self.label})"


class DiscCentres:
    """The reader's disc-centre clicks on one slice of the T2 series, in protocol level order."""

    def __init__(self, levels: Iterable[DiscLevel]) -> None:
        self.levels: tuple[DiscLevel, ...] = tuple(levels)
        if not self.levels:
            raise ValueError("the protocol reads no disc level: nothing to click")
        self.centres: dict[DiscLevel, Point] = {}
        self.slice_index: int | None = None

    @property
    def current(self) -> DiscLevel | None:
        """The disc the next click marks."""
        return next((lv for lv in self.levels if lv not in self.centres), None)

    @property
    def prompt(self) -> str:
        current = self.current
        if current is None:
            return "Every disc centre is marked: Suggest, or clear to mark again"
        where = "" if self.slice_index is None else f" (slice {self.slice_index + 1})"
        return f"Click the centre of the {current.value} disc{where}"

    def place(self, row: float, col: float, slice_index: int) -> DiscLevel:
        """Mark the current disc's centre; every centre must be on one slice."""
        current = self.current
        if current is None:
            raise ValueError("every disc centre is already marked; clear them to start again")
        if self.slice_index is not None and slice_index != self.slice_index:
            raise ValueError(
                f"the disc centres are on slice {self.slice_index + 1}; mark {current.value} "
                f"there too (or clear them to use slice {slice_index + 1})"
            )
        self.slice_index = slice_index
        self.centres[current] = (float(row), float(col))
        return current

    def clear(self) -> None:
        self.centres.clear()
        self.slice_index = None


@dataclass(frozen=True)
class SuggestionRequest:
    """One quantification job: the T2 slice (and T1's, same grid, or None) and the clicks."""

    t2_slice: np.ndarray
    t1_slice: np.ndarray | None
    centres: Mapping[DiscLevel, Point]
    spacing_mm: tuple[float, float] | None


class SliceStack(Protocol):
    """A volume indexed (slice, row, col): a numpy array, or a lazily decoded dask array."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, index: int, /) -> Any: ...


def suggestion_request(
    t2_volume: SliceStack,
    t1_volume: SliceStack | None,
    centres: DiscCentres,
    spacing_mm: tuple[float, float] | None,
) -> SuggestionRequest:
    """Copy the clicked slice of each series (decoding no other); T1 is used only when it has
    T2's grid."""
    if centres.slice_index is None or not centres.centres:
        raise ValueError("mark at least one disc centre on the T2 series first")
    index = centres.slice_index
    t1 = None
    if t1_volume is not None and np.shape(t1_volume) == np.shape(t2_volume):
        t1 = np.array(t1_volume[index])
    return SuggestionRequest(np.array(t2_volume[index]), t1, dict(centres.centres), spacing_mm)


def suggest(
    request: SuggestionRequest, items: Iterable[GradingItem]
) -> tuple[dict[str, DiscQuantification], list[ItemSuggestion]]:
    """Quantify the clicked discs; the suggestion for every item the protocol grades there."""
    found = quantify_mr_discs(request.t2_slice, request.t1_slice, request.centres,
                              request.spacing_mm)  # fmt: skip
    wanted = tuple(items)
    suggestions = []
    for level, disc in found.items():
        for item in wanted:
            if level.value in item.levels:
                suggestion = _for_item(level.value, item, disc)
                if suggestion is not None:
                    suggestions.append(suggestion)
    return {level.value: disc for level, disc in found.items()}, suggestions


def _for_item(level: str, item: GradingItem, disc: DiscQuantification) -> ItemSuggestion | None:
    """Pfirrmann for a ``pfirrmann`` scale item, Modic per endplate for ``modic`` items."""
    if item.scale.id == "pfirrmann" and disc.pfirrmann is not None:
        return _pfirrmann(level, item.name, disc, disc.pfirrmann)
    if item.scale.id == "modic":
        modic = disc.modic_cranial if item.name.endswith("_cranial") else None
        modic = disc.modic_caudal if item.name.endswith("_caudal") else modic
        if modic is not None:
            return _modic(level, item.name, modic)
    return None


def _pfirrmann(
    level: str, item: str, disc: DiscQuantification, suggested: PfirrmannSuggestion
) -> ItemSuggestion:
    lines = [
        f"{a.question} {'YES' if a.answer else 'no'} - {a.evidence}" for a in suggested.answers
    ]
    if disc.height_mm is not None:
        lines.append(f"MRI disc height {disc.height_mm:.1f} mm")
    lines.append(suggested.note)
    return ItemSuggestion(level, item, suggested.grade, suggested.label, tuple(lines))


def _modic(level: str, item: str, suggested: ModicSuggestion) -> ItemSuggestion:
    where = f"{suggested.vertebra.value} {suggested.endplate} endplate"
    lines = (f"{where}: {suggested.evidence}", suggested.note)
    return ItemSuggestion(level, item, suggested.modic_type, suggested.label, lines)


class Suggestions(Observable):
    """The read's suggested grades by (level, item), and the disc measures behind them."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], ItemSuggestion] = {}
        self.discs: dict[str, DiscQuantification] = {}
        super().__init__()

    def show(
        self, discs: Mapping[str, DiscQuantification], suggestions: Iterable[ItemSuggestion]
    ) -> None:
        """Replace the suggestions of the quantified levels by a new quantification's."""
        self.discs.update(discs)
        levels = set(discs)
        self.values = {k: v for k, v in self.values.items() if k[0] not in levels}
        self.values.update({(s.level, s.item): s for s in suggestions})
        self._changed()

    def at(self, level: str) -> list[ItemSuggestion]:
        return [s for (lv, _), s in self.values.items() if lv == level]

    def use(self, level: str, item: str, form: GradeForm) -> Grade:
        """The reader adopts the suggestion: it becomes the reader's grade (the only way)."""
        suggestion = self.values.get((level, item))
        if suggestion is None:
            raise ValueError(f"no suggestion for {item} at {level}")
        form.set_grade(level, item, suggestion.code)
        grade = form.grade(level, item)
        assert grade is not None
        return grade

    def to_draft(self) -> list[dict[str, Any]]:
        return [
            {"level": s.level, "item": s.item, "code": s.code, "label": s.label,
             "evidence": list(s.evidence)}
            for s in self.values.values()
        ]  # fmt: skip

    def load(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Bring back saved suggestions (a reopened draft); the disc measures are not kept."""
        self.values = {}
        for e in entries:
            suggestion = ItemSuggestion(
                str(e["level"]), str(e["item"]), str(e["code"]), str(e.get("label", e["code"])),
                tuple(str(x) for x in e.get("evidence", ())),
            )  # fmt: skip
            self.values[(suggestion.level, suggestion.item)] = suggestion
        self._changed()
