"""Change from baseline, the visit's nominal day and the protocol: the one place they are added.

``change_from_baseline`` = ``value`` - the same (level, measure, film, reader) of the subject at
the protocol's baseline visit (without the reader for the one endpoint row per item of double-read
cases); ``baseline_value`` and ``baseline_grade`` are that row's value and
grade. Baseline rows change by 0; a row without a baseline counterpart has an empty change.
A protocol with ``[msasss]`` also gets, per read of a study, the mSASSS segment totals and total
from its corner grades and, after baseline, the count of new syndesmophytes
(:mod:`imaging.endpoints.msasss`): added here, so every path that completes rows has them.
:class:`ChangeFromBaseline` works as rows stream past (the batch: one subject's baseline held at
a time); :func:`complete_rows` orders a whole table and runs it (export, ``heights``, ``rom``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from imaging.endpoints.msasss import NEW_SYNDESMOPHYTES, TOTAL, msasss_rows, syndesmophyte_row
from imaging.endpoints.rows import EndpointRow, natural, row_sort_key
from imaging.errors import SpineEndpointsError

if TYPE_CHECKING:
    from imaging.protocol.model import Protocol

BASELINE_KEY = ("level", "measure", "film", "reader")
"""What a row is compared with at baseline (within one subject)."""


class ChangeFromBaseline:
    """Complete rows arriving study by study: subjects contiguous, each subject's baseline visit
    before its other visits (the protocol's visit order)."""

    def __init__(self, protocol: Protocol, *, by_reader: bool = True) -> None:
        self.by_reader = by_reader
        self.baseline_visit = protocol.baseline_visit
        self.protocol_id = protocol.id
        self.visit_days = {visit.id: visit.day for visit in protocol.visits}
        self.msasss = protocol.msasss
        self._subject: str | None = None
        self._baseline: dict[tuple[str, ...], EndpointRow] = {}

    def add(self, rows: Sequence[EndpointRow]) -> list[EndpointRow]:
        """One study's rows (one subject and visit), completed."""
        if not rows:
            return []
        subject, visit = rows[0].subject, rows[0].visit
        if subject != self._subject:
            self._subject, self._baseline = subject, {}
        rows = self._with_spine_scores(rows, visit == self.baseline_visit)
        if visit == self.baseline_visit:
            for row in rows:
                key = self._key(row)
                if key in self._baseline:
                    raise SpineEndpointsError(
                        f"two baseline values for {subject} {', '.join(key)}",
                        fix="Each subject, level, measure, film and reader has one baseline "
                        "value: keep one read per reader.",
                    )
                self._baseline[key] = row
        return [self._complete(row) for row in rows]

    def _complete(self, row: EndpointRow) -> EndpointRow:
        base = self._baseline.get(self._key(row))
        change = None
        if base is not None and row.value is not None and base.value is not None:
            change = row.value - base.value
        return row.but(
            visit_day=self.visit_days.get(row.visit, row.visit_day),
            protocol=row.protocol or self.protocol_id,
            baseline_value=None if base is None else base.value,
            change_from_baseline=change,
            baseline_grade="" if base is None else base.grade,
        )

    def _with_spine_scores(
        self, rows: Sequence[EndpointRow], at_baseline: bool
    ) -> Sequence[EndpointRow]:
        """``rows`` with each read's mSASSS rows and, after baseline, its new syndesmophytes
        (unchanged without ``[msasss]``, or when the rows already have them)."""
        rule = self.msasss
        if rule is None or any(r.measure in (TOTAL, NEW_SYNDESMOPHYTES) for r in rows):
            return rows
        reads: dict[tuple[str, int | None], list[EndpointRow]] = {}
        for row in rows:
            if row.measure == rule.item:
                reads.setdefault((row.reader, row.read_version), []).append(row)
        if not reads:
            return rows
        added: list[EndpointRow] = []
        for corners in reads.values():
            added.extend(msasss_rows(rule, corners))
            if not at_baseline:
                like = corners[0]
                before = {
                    site: self._baseline.get(self._key(like.but(level=site))) for site in rule.sites
                }
                added.append(syndesmophyte_row(rule, corners, before))
        return sorted([*rows, *added], key=row_sort_key)

    def _key(self, row: EndpointRow) -> tuple[str, ...]:
        key = (row.level, row.measure, row.film, row.reader)
        return key if self.by_reader else key[:-1]


def complete_rows(
    rows: Iterable[EndpointRow], protocol: Protocol, *, by_reader: bool = True
) -> list[EndpointRow]:
    """Rows of any number of studies, completed and in table order (subject, protocol visit,
    level, measure, film, reader). ``by_reader`` False: one row per item and study (the
    endpoint of double-read cases), compared with baseline whoever read it."""
    order = {visit.id: i for i, visit in enumerate(protocol.visits)}

    def study(row: EndpointRow) -> tuple[object, ...]:
        return (natural(row.subject), order.get(row.visit, len(order)), row.visit)

    ordered = sorted(rows, key=lambda row: (study(row), row_sort_key(row)))
    change = ChangeFromBaseline(protocol, by_reader=by_reader)
    completed: list[EndpointRow] = []
    for _, group in groupby(ordered, key=study):
        completed.extend(change.add(list(group)))
    return completed
