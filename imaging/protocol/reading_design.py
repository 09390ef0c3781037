"""The reading design a protocol pre-specifies: reads per case, adjudication triggers, repeats.

Keys of ``[reading]`` beside ``levels`` and ``target`` (docs/protocol-format.md):

- ``reads_per_case``: 1 (one reader per case) or 2 (two independent readers, the core-lab
  design: shared/reference/spine-imaging.md section 6);
- ``[reading.adjudication]``: when the two reads of a case go to an adjudicator:
  ``eligibility_items`` (an item an eligibility rule reads, graded differently at the rule's
  levels), ``eligibility_verdict`` (the two reads alone give different subject verdicts),
  ``[[reading.adjudication.grades]]`` (items graded ``apart`` or more grades apart on an ordered
  scale, or differently at all) and ``[[reading.adjudication.measures]]`` (a measure differing by
  more than ``more_than`` in its ``unit``);
- ``[reading.repeats]``: intra-reader repeats, a ``fraction`` of each reader's cases read again
  ``after_days`` days after the first read was submitted, blinded to it;
- ``[reading.qualification]``: the cases a reader passes before getting trial cases
  (:mod:`imaging.protocol.qualification`).

:mod:`imaging.protocol.adjudication` evaluates the triggers and makes the endpoint of a case.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imaging.measures import MEASURES, known_measures_text

if TYPE_CHECKING:
    from imaging.protocol._toml import Table
    from imaging.protocol.model import GradingItem
    from imaging.protocol.qualification import Qualification

READS_PER_CASE = (1, 2)


@dataclass(frozen=True)
class GradeTrigger:
    """Adjudicate when ``items`` at ``levels`` differ between the two reads: by ``apart`` or more
    grades (position on an ordered scale), or, with ``apart`` None, by any different code."""

    items: tuple[str, ...]
    levels: tuple[str, ...]
    apart: int | None = None

    def text(self, item: str) -> str:
        """'pfirrmann differs by >= 1 grade' / 'modic_cranial differs'."""
        if self.apart is None:
            return f"{item} differs"
        return f"{item} differs by >= {self.apart} grade{'s' if self.apart > 1 else ''}"


@dataclass(frozen=True)
class MeasureTrigger:
    """Adjudicate when ``measure`` at ``levels`` on ``film`` differs by more than ``more_than``
    ``unit`` (the measure's own unit) between the two reads."""

    measure: str
    levels: tuple[str, ...]
    more_than: float
    unit: str
    film: str

    def text(self) -> str:
        return f"{self.measure} differs by > {self.more_than:g} {self.unit}"


@dataclass(frozen=True)
class Repeats:
    """Intra-reader repeats: ``fraction`` (0-1] of each reader's cases, read again ``after_days``
    days after the first read was submitted, without the first read in view."""

    fraction: float
    after_days: int

    def chosen(self, reader: str, reading_id: str) -> bool:
        """Whether ``reader`` re-reads the case ``reading_id``: a fixed pseudo-random draw per
        (reader, case) from SHA-256, so the choice is stable and unknown to the reader."""
        digest = hashlib.sha256(f"repeat\x00{reader}\x00{reading_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.fraction


@dataclass(frozen=True)
class ReadingDesign:
    """How a protocol's cases are read (see the module docstring); the default: one read."""

    reads_per_case: int = 1
    eligibility_items: bool = False
    eligibility_verdict: bool = False
    grades: tuple[GradeTrigger, ...] = ()
    measures: tuple[MeasureTrigger, ...] = ()
    repeats: Repeats | None = None
    qualification: Qualification | None = None

    @property
    def qualification_subjects(self) -> frozenset[str]:
        """The qualification set's subjects: never trial endpoints (empty without a set)."""
        return frozenset(self.qualification.subjects if self.qualification else ())

    @property
    def double(self) -> bool:
        """Two independent reads per case: the endpoint is made from both (or adjudicated)."""
        return self.reads_per_case > 1

    @property
    def adjudicates(self) -> bool:
        return bool(
            self.eligibility_items or self.eligibility_verdict or self.grades or self.measures
        )


LevelsOf = Callable[["Table", str], tuple[str, ...]]
"""Reads a ``levels`` key of a table: a list of levels, ``"all"`` or ``"target"``."""


def reading_design(
    reading: Table, items: tuple[GradingItem, ...], levels_of: LevelsOf
) -> ReadingDesign:
    """``reads_per_case``, ``[reading.adjudication]`` and ``[reading.repeats]`` of ``[reading]``;
    errors name the file, the line and the key."""
    reads = reading.whole("reads_per_case", 1)
    if reads not in READS_PER_CASE:
        raise reading.error(
            "reads_per_case",
            f"reads_per_case must be 1 or 2, got {reads}",
            "Write reads_per_case = 2 for two independent reads per case (core-lab double "
            "reading), 1 for one.",
        )
    design = ReadingDesign(reads_per_case=reads)
    table = reading.table("adjudication", None)
    if table is not None:
        if reads == 1:
            raise reading.error(
                "adjudication",
                "[reading.adjudication] needs two reads per case, but reads_per_case is 1",
                "Write reads_per_case = 2, or remove [reading.adjudication].",
            )
        named = {item.name: item for item in items}
        grades = tuple(_grade_trigger(t, named, levels_of) for t in table.tables("grades", []))
        measures = tuple(_measure_trigger(t, levels_of) for t in table.tables("measures", []))
        design = ReadingDesign(
            reads_per_case=reads,
            eligibility_items=table.flag("eligibility_items", False),
            eligibility_verdict=table.flag("eligibility_verdict", False),
            grades=grades,
            measures=measures,
        )
        table.done()
        if not design.adjudicates:
            raise reading.error(
                "adjudication",
                "[reading.adjudication] names no trigger",
                "Add eligibility_items = true, eligibility_verdict = true, "
                "[[reading.adjudication.grades]] or [[reading.adjudication.measures]].",
            )
    repeats = reading.table("repeats", None)
    if repeats is not None:
        design = _with_repeats(design, repeats)
    qualifying = reading.table("qualification", None)
    if qualifying is not None:
        from imaging.protocol.qualification import qualification

        found = qualification(qualifying, items, levels_of)
        design = dataclasses.replace(design, qualification=found)
    return design


def _grade_trigger(
    table: Table, items: dict[str, GradingItem], levels_of: LevelsOf
) -> GradeTrigger:
    names = table.texts("items")
    if not names:
        raise table.error("items", "items is empty", 'Write items = ["pfirrmann"].')
    for index, name in enumerate(names):
        if name not in items:
            raise table.source.error(
                (*table.key, "items", index),
                f"item {name!r} is not declared in [[items]]",
                f"Declared items: {', '.join(items)}.",
            )
    apart = table.whole("apart", None)
    if apart is not None:
        if apart < 1:
            raise table.error(
                "apart", f"apart must be 1 or more grades, got {apart}", "Write apart = 1."
            )
        nominal = [n for n in names if not items[n].scale.ordered]
        if nominal:
            raise table.error(
                "apart",
                f"item {nominal[0]!r} is graded on the nominal scale "
                f"{items[nominal[0]].scale.id!r}: its grades have no order to be apart in",
                "Remove apart: a nominal item triggers on any different grade.",
            )
    trigger = GradeTrigger(tuple(names), levels_of(table, "levels"), apart)
    table.done()
    return trigger


def _measure_trigger(table: Table, levels_of: LevelsOf) -> MeasureTrigger:
    name = table.text("measure")
    if name not in MEASURES:
        raise table.error("measure", f"unknown measure {name!r}", known_measures_text())
    measure = MEASURES[name]
    unit = table.text("unit")
    if unit != measure.unit:
        raise table.error(
            "unit",
            f"{name} is measured in {measure.unit!r}, not {unit!r}",
            f'Write unit = "{measure.unit}" and more_than in {measure.unit}.',
        )
    more_than = table.number("more_than")
    if more_than < 0:
        raise table.error("more_than", f"more_than must be 0 or more {unit}, got {more_than:g}", "")
    trigger = MeasureTrigger(
        name, levels_of(table, "levels"), more_than, unit, measure_film(table, name)
    )
    table.done()
    return trigger


def measure_film(table: Table, name: str) -> str:
    """The table's ``film`` of the measure ``name`` (default: the film it is decided on), refused
    when the measure is not measured on it."""
    films = MEASURES[name].films
    film = table.text("film", films[0])
    if film not in films:
        raise table.error(
            "film",
            f"{name} is not measured on the {film} film",
            f"Films of {name}: {', '.join(films)}.",
        )
    return str(film)


def _with_repeats(design: ReadingDesign, table: Table) -> ReadingDesign:
    fraction = table.number("fraction")
    if not (0.0 < fraction <= 1.0) or not math.isfinite(fraction):
        raise table.error(
            "fraction",
            f"fraction must be more than 0 and at most 1, got {fraction:g}",
            "Write e.g. fraction = 0.1 (one case in ten read again).",
        )
    days = table.whole("after_days")
    if days < 1:
        raise table.error(
            "after_days",
            f"after_days must be 1 or more, got {days}",
            "Write e.g. after_days = 28: long enough for the reader not to remember the case.",
        )
    table.done()
    return dataclasses.replace(design, repeats=Repeats(fraction, days))


__all__ = [
    "READS_PER_CASE",
    "GradeTrigger",
    "MeasureTrigger",
    "ReadingDesign",
    "Repeats",
    "reading_design",
]
