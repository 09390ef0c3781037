"""The one endpoint table's row: every path (CLI, batch, store, workstation, report) writes it.

One row per subject x visit x level x measure x film x reader (x read version). Columns, in
order, are :data:`COLUMNS`; docs/endpoint-table.md describes each. Columns that do not apply stay
empty: ``grade`` and ``baseline_grade`` on measures, ``calibration`` and ``corners`` on grades.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import lru_cache
from operator import attrgetter
from typing import Any

from imaging.anatomy import DiscLevel, Film, Vertebra
from imaging.measures import MEASURES, PAIR_FILM
from imaging.natural_order import natural

COLUMNS: tuple[str, ...] = (
    "subject", "visit", "visit_day", "study_day", "level", "measure", "value", "unit", "grade",
    "baseline_value", "change_from_baseline", "baseline_grade", "calibration", "film", "corners",
    "reader", "read_version", "origin", "reference_levels", "source_image", "note", "protocol",
    "software_version",
)  # fmt: skip
"""The endpoint table's columns, in order (docs/endpoint-table.md)."""
NUMBER_COLUMNS = ("value", "baseline_value", "change_from_baseline")
"""Floating-point columns (empty when there is no value)."""
INTEGER_COLUMNS = ("visit_day", "study_day", "read_version")
"""Whole-number columns (empty when unknown)."""
GRADE_UNIT = "grade"
"""The ``unit`` of grade rows (``measure`` is then the grading item)."""
SINGLE_READ = "single read"
"""``origin``: the value is one read's (one reader per case, or the only read with a value)."""
AGREEING_READS = "agreeing reads"
"""``origin``: two reads that set off no adjudication trigger: the mean of their measures, the
grade both gave (:mod:`imaging.protocol.adjudication`)."""
ADJUDICATION = "adjudication"
"""``origin``: the read the adjudicator took for this item (a primary read or a third read)."""
ORIGINS = (SINGLE_READ, AGREEING_READS, ADJUDICATION)
"""Where a value comes from (the ``origin`` column; empty when there is no value to take)."""


@dataclass(frozen=True)
class EndpointRow:
    """One row of the endpoint table; ``value`` None when it cannot be given (see ``note``)."""

    subject: str
    visit: str
    level: str
    measure: str
    value: float | None
    unit: str
    grade: str = ""
    """The code on its scale for grade rows (Pfirrmann ``3``, Modic ``I/II``)."""
    calibration: str = ""
    film: str = ""
    corners: str = ""
    """How the corners were obtained: ``click``, ``refined``, ``tracked`` (``click/tracked``
    for a pair whose films differ)."""
    reader: str = ""
    read_version: int | None = None
    origin: str = SINGLE_READ
    """Where the value comes from: one of :data:`ORIGINS`, or empty when the reads left no
    value to take (awaiting adjudication, grades differing under the triggers)."""
    reference_levels: str = ""
    source_image: str = ""
    note: str = ""
    visit_day: int | None = None
    """The protocol's nominal day of the visit."""
    study_day: int | None = None
    """The actual day of the study: study date - day 0 (treatment date, else the subject's
    baseline study date)."""
    baseline_value: float | None = None
    change_from_baseline: float | None = None
    baseline_grade: str = ""
    protocol: str = ""
    software_version: str = ""

    def cells(self) -> tuple[Any, ...]:
        """The values in :data:`COLUMNS` order (pickles and serialises as plain values)."""
        cells: tuple[Any, ...] = _CELLS(self)
        return cells

    @classmethod
    def from_cells(cls, cells: Any) -> EndpointRow:
        """Back from :meth:`cells` (e.g. a JSON list)."""
        values = dict(zip(COLUMNS, cells, strict=True))
        for name in NUMBER_COLUMNS:
            values[name] = None if values[name] is None else float(values[name])
        for name in INTEGER_COLUMNS:
            values[name] = None if values[name] is None else int(values[name])
        return cls(**values)

    def but(self, **changes: Any) -> EndpointRow:
        """A copy with ``changes`` (field name -> value): :func:`dataclasses.replace` without its
        per-call introspection, for the hundreds of thousands of rows of a batch."""
        unknown = changes.keys() - _FIELDS
        if unknown:
            raise TypeError(f"EndpointRow has no field {sorted(unknown)[0]!r}")
        copy = object.__new__(EndpointRow)
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy

    def with_note(self, note: str) -> EndpointRow:
        """This row with ``note`` appended (``'; '``-joined)."""
        if not note:
            return self
        return self.but(note="; ".join(n for n in (self.note, note) if n))


assert {f.name for f in fields(EndpointRow)} == set(COLUMNS)
_CELLS = attrgetter(*COLUMNS)
_FIELDS = frozenset(COLUMNS)

_FILM_ORDER = {Film.NEUTRAL.value: 0, Film.FLEXION.value: 1, Film.EXTENSION.value: 2, PAIR_FILM: 3}
_MEASURE_ORDER = {name: i for i, name in enumerate(MEASURES)}


def row_sort_key(row: EndpointRow) -> tuple[object, ...]:
    """Subject, visit (baseline first, then by time), level (cranial to caudal, each vertebra
    before the disc below it), measure (registry order; grading items after, by name), film,
    reader, read version."""
    return (
        natural(row.subject),
        visit_sort_key(row.visit),
        *order_in_read(row),
        natural(row.reader),
        row.read_version or 0,
    )


def order_in_read(row: EndpointRow) -> tuple[object, ...]:
    """The part of :func:`row_sort_key` within one read: level, measure, film."""
    return (
        _level_position(row.level),
        _MEASURE_ORDER.get(row.measure, len(_MEASURE_ORDER)),
        _FILM_ORDER.get(row.film, 9),
    )


@lru_cache(maxsize=4096)
def visit_sort_key(visit: str) -> tuple[int, float, str]:
    """Baseline/screening first, then visits by their time ('1 week' < 'month 3'), then by name."""
    text = visit.strip().lower()
    if text in {"screening", "baseline", "bl", "day 0", "d0"}:
        return (0, 0.0 if text != "screening" else -1.0, text)
    match = _VISIT_TIME.search(text)
    if match:
        number = float(match.group("n1") or match.group("n2"))
        unit = (match.group("u1") or match.group("u2"))[0]
        return (1, number * _DAYS[unit], text)
    return (2, 0.0, text)


_VISIT_TIME = re.compile(
    r"(?:(?P<n1>\d+(?:\.\d+)?)\s*[-_ ]?\s*(?P<u1>days?|d|weeks?|wk|w|months?|mo|m|years?|yr|y)\b)"
    r"|(?:\b(?P<u2>days?|d|weeks?|wk|w|months?|mo|m|years?|yr|y)\s*[-_ ]?\s*(?P<n2>\d+(?:\.\d+)?))"
)
_DAYS = {"d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}


@lru_cache(maxsize=1024)
def _level_position(level: str) -> tuple[int, str]:
    try:
        return (2 * Vertebra(level).position, "")
    except ValueError:
        pass
    try:
        return (2 * DiscLevel(level).upper_vertebra.position + 1, "")
    except ValueError:
        return (1000, level)
