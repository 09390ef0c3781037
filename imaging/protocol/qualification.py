"""Reader qualification a protocol pre-specifies: ``[reading.qualification]``.

A reader reads the qualification set (cases with reference reads) before getting trial cases and
passes when their agreement with the reference reads is within every stated limit
(docs/protocol-format.md). Keys:

- ``id``: names the set in the store's results (``qualifications.qualification``);
- ``subjects``: the set's subjects, registered like trial subjects; their cases are offered to
  every reader not yet qualified, never to a qualified one, and are never trial endpoints;
- ``reference_reader``: whose reads of those cases are the reference;
- ``[[reading.qualification.limits]]``: a statistic of the agreement table (docs/agreement.md)
  between the reference and the reader, per level, with ``at_least`` (``icc``: the protocol's
  primary ICC; ``kappa``: the kappa weighted as the protocol pre-specifies for the item's scale;
  ``percent_exact``, ``percent_within_one``) or ``at_most`` (``sd_differences``, ``sem``,
  ``sdc``; ``bland_altman_bias``: its absolute value). ``pooled = true`` checks a grading item
  over all its levels at once (the table's ``all`` row).

Evaluating a reader against the limits: :mod:`imaging.agreement.qualification`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imaging.measures import MEASURES, MeasureKind, known_measures_text
from imaging.protocol.reading_design import measure_film

if TYPE_CHECKING:
    from imaging.protocol._toml import Table
    from imaging.protocol.model import GradingItem

AT_LEAST = ("icc", "kappa", "percent_exact", "percent_within_one")
AT_MOST = ("bland_altman_bias", "sd_differences", "sem", "sdc")
MEASURE_STATISTICS = ("icc", *AT_MOST)
GRADE_STATISTICS = ("kappa", "percent_exact", "percent_within_one")


@dataclass(frozen=True)
class QualificationLimit:
    """``statistic`` of ``name`` (a measure on ``film``, or a grading item: ``film`` empty) at
    each of ``levels`` (``("all",)`` when pooled) is at least / at most ``limit``."""

    name: str
    film: str
    levels: tuple[str, ...]
    statistic: str
    limit: float
    at_least: bool

    @property
    def grade(self) -> bool:
        return not self.film

    def text(self, level: str) -> str:
        """'pfirrmann L4-L5 kappa >= 0.6', 'disc_height_mean (neutral) L4-L5 |bias| <= 0.5 mm'."""
        where = self.name if self.grade else f"{self.name} ({self.film})"
        statistic = (
            "|bland_altman_bias|" if self.statistic == "bland_altman_bias" else self.statistic
        )
        unit = ""
        if not self.grade and self.statistic != "icc":
            unit = f" {MEASURES[self.name].unit}"
        elif self.statistic.startswith("percent"):
            unit = " %"
        sign = ">=" if self.at_least else "<="
        return f"{where} {level} {statistic} {sign} {self.limit:g}{unit}"


@dataclass(frozen=True)
class Qualification:
    """The qualification set and its pass limits (see the module docstring)."""

    id: str
    subjects: tuple[str, ...]
    reference_reader: str
    limits: tuple[QualificationLimit, ...]


LevelsOf = Callable[["Table", str], tuple[str, ...]]


def qualification(
    table: Table, items: tuple[GradingItem, ...], levels_of: LevelsOf
) -> Qualification:
    """``[reading.qualification]``; errors name the file, the line and the key."""
    subjects = tuple(table.texts("subjects"))
    if not subjects or len(set(subjects)) != len(subjects):
        raise table.error(
            "subjects",
            "subjects is empty" if not subjects else f"subjects lists a subject twice: {subjects}",
            'Write subjects = ["QUAL-01", "QUAL-02", ...]: the qualification cases\' subjects.',
        )
    named = {item.name: item for item in items}
    limits = tuple(_limit(t, named, levels_of) for t in table.tables("limits", []))
    if not limits:
        raise table.error(
            "limits",
            "[reading.qualification] names no limit: every reader would pass",
            "Add [[reading.qualification.limits]] with name, statistic and at_least or at_most.",
        )
    found = Qualification(
        id=table.text("id"),
        subjects=subjects,
        reference_reader=table.text("reference_reader"),
        limits=limits,
    )
    table.done()
    return found


def _limit(table: Table, items: dict[str, GradingItem], levels_of: LevelsOf) -> QualificationLimit:
    name = table.text("name")
    statistic = table.text("statistic")
    pooled = table.flag("pooled", False)
    film = ""
    allowed: tuple[str, ...]
    if name in items:
        allowed = GRADE_STATISTICS
        if statistic == "percent_within_one" and not items[name].scale.ordered:
            raise table.error(
                "statistic",
                f"item {name!r} is graded on the nominal scale {items[name].scale.id!r}: no "
                "grade is within one of another",
                'Write statistic = "percent_exact" or "kappa".',
            )
    elif name in MEASURES:
        measure = MEASURES[name]
        if measure.kind == MeasureKind.BODY or measure.flag:
            what = "a 1/0 flag" if measure.flag else "measured per vertebral body"
            raise table.error(
                "name",
                f"{name} is {what}: limits are on disc measures and grading items",
                "Name a disc measure (docs/measures.md) or a grading item.",
            )
        allowed = MEASURE_STATISTICS
        film = measure_film(table, name)
        if pooled:
            raise table.error("pooled", "a measure is never pooled across levels", "Remove it.")
    else:
        raise table.error(
            "name",
            f"{name!r} is neither a grading item of [[items]] nor a measure",
            f"Items: {', '.join(items) or 'none'}. {known_measures_text()}",
        )
    if statistic not in allowed:
        raise table.error(
            "statistic",
            f"unknown statistic {statistic!r} for {name}",
            f"Statistics for {name}: {', '.join(allowed)}.",
        )
    at_least = statistic in AT_LEAST
    key, other = ("at_least", "at_most") if at_least else ("at_most", "at_least")
    if table.has(other):
        raise table.error(
            other,
            f"{statistic} is limited from {'below' if at_least else 'above'}: write {key}",
            f"Write {key} = <number> and remove {other}.",
        )
    limit = table.number(key)
    if pooled and table.has("levels"):
        raise table.error("levels", "pooled = true checks all levels at once", "Remove levels.")
    if pooled and len(items[name].levels) < 2:
        raise table.error("pooled", f"{name} is read at one level only", "Remove pooled.")
    levels = ("all",) if pooled else levels_of(table, "levels")
    found = QualificationLimit(name, film, levels, statistic, limit, at_least)
    table.done()
    return found


__all__ = ["Qualification", "QualificationLimit", "qualification"]
