"""A reader against the protocol's qualification set (``[reading.qualification]``,
:mod:`imaging.protocol.qualification`): the agreement table (:func:`agreement_table`, the same
statistics as ``spine-endpoints agreement``) of the reference reads and the reader's reads of the
set, checked limit by limit and level by level. A statistic the reads cannot give (fewer than two
cases at a level, a kappa undefined because every code is the same) fails its limit with that
reason: a reader never passes on a limit nobody could check.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from imaging.agreement.tables import agreement_table
from imaging.endpoints import EndpointRow
from imaging.errors import SpineEndpointsError
from imaging.protocol.model import Protocol
from imaging.protocol.qualification import Qualification, QualificationLimit


@dataclass(frozen=True)
class LimitCheck:
    """One limit at one level: the limit's text, the reader's value, and whether it holds."""

    limit: str
    estimate: float
    passed: bool
    note: str = ""

    def text(self) -> str:
        value = f"{self.estimate:.3g}" if math.isfinite(self.estimate) else "no value"
        note = f" ({self.note})" if self.note else ""
        return f"{'pass' if self.passed else 'FAIL'}: {self.limit}: {value}{note}"


@dataclass(frozen=True)
class QualificationResult:
    """A reader's result on the set: passed when every check holds."""

    reader: str
    qualification: str
    cases: int
    checks: tuple[LimitCheck, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def summary(self) -> str:
        """What is stored and printed: the verdict, the cases compared, one line per check."""
        verdict = "passed" if self.passed else "not passed"
        head = (
            f"{self.reader} {verdict} qualification {self.qualification} "
            f"({self.cases} cases against the reference reads)"
        )
        return "\n".join([head, *(f"  {check.text()}" for check in self.checks)])


def evaluate_reader(
    protocol: Protocol, rows: Iterable[EndpointRow], reader: str
) -> QualificationResult:
    """Check ``reader``'s rows of the set against the reference reader's (``rows``: every reader's
    endpoint rows; other subjects and readers are left out). Refused, naming the cases, when the
    reader has not read every case the reference read."""
    found = protocol.reading_design.qualification
    if found is None:
        raise SpineEndpointsError(
            f"protocol {protocol.id!r} names no qualification set",
            fix="Declare [reading.qualification] in the protocol (docs/protocol-format.md).",
        )
    if reader == found.reference_reader:
        raise SpineEndpointsError(
            f"{reader} is the reference reader of qualification {found.id}",
            fix="Evaluate the readers who read the set against the reference.",
        )
    subjects = set(found.subjects)
    kept = [
        r for r in rows if r.subject in subjects and r.reader in (reader, found.reference_reader)
    ]
    reference = {(r.subject, r.visit) for r in kept if r.reader == found.reference_reader}
    if not reference:
        raise SpineEndpointsError(
            f"no reference reads of qualification {found.id}: no submitted read by "
            f"{found.reference_reader} of {', '.join(found.subjects)}",
            fix=f"Import the reference reads with reader {found.reference_reader} "
            "(spine-endpoints qualification reference, docs/protocol-format.md).",
        )
    read = {(r.subject, r.visit) for r in kept if r.reader == reader}
    missing = sorted(reference - read)
    if missing:
        listed = ", ".join(f"{s} {v}" for s, v in missing)
        raise SpineEndpointsError(
            f"{reader} has not submitted reads of {len(missing)} of the {len(reference)} "
            f"qualification cases: {listed}",
            fix="The reader reads every case of the set (their worklist offers them) first.",
        )
    table = agreement_table(protocol, kept, readers=[found.reference_reader, reader])
    checks = tuple(_checks(protocol, found, table))
    return QualificationResult(reader, found.id, len(reference), checks)


def _checks(protocol: Protocol, found: Qualification, table: pd.DataFrame) -> Iterable[LimitCheck]:
    inter = table[table["comparison"] == "inter-reader"]
    for limit in found.limits:
        for level in limit.levels:
            yield _check(protocol, limit, level, inter)


def _check(
    protocol: Protocol, limit: QualificationLimit, level: str, table: pd.DataFrame
) -> LimitCheck:
    kind = "grade" if limit.grade else "measure"
    mine = table[
        (table["kind"] == kind)
        & (table["name"] == limit.name)
        & (table["film"] == limit.film)
        & (table["level"] == level)
    ]
    if limit.statistic == "icc":
        mine = mine[mine["statistic"] == protocol.agreement.primary_icc]
    elif limit.statistic == "kappa":
        mine = mine[mine["statistic"].str.startswith("kappa")]
    else:
        mine = mine[mine["statistic"] == limit.statistic]
    text = limit.text(level)
    if mine.empty:
        return LimitCheck(text, math.nan, False, "not evaluable: fewer than 2 cases both read")
    row = mine.iloc[0]
    estimate = float(row["estimate"])
    if not math.isfinite(estimate):
        return LimitCheck(text, estimate, False, f"not evaluable: {row['method']}")
    value = abs(estimate) if limit.statistic == "bland_altman_bias" else estimate
    passed = value >= limit.limit if limit.at_least else value <= limit.limit
    return LimitCheck(text, estimate, passed, f"{row['statistic']}, {row['n_pairs']} cases")


__all__ = ["LimitCheck", "QualificationResult", "evaluate_reader"]
