"""Eligibility per subject while the endpoint table streams past: ``eligibility.csv``.

Rows arrive study by study, subjects contiguous. The rows of the protocol's eligibility visit that
its rules read (measures, and grades as rows with a ``grade`` code) are kept for at most
:data:`SUBJECTS_PER_TABLE` finished subjects; then one table of them is made and split into
grades and measures once, and :func:`imaging.protocol.eligibility.evaluate_subject` rules on each
of its subjects (it takes each subject's rows out of the table). The table has one row per
subject x rule (columns of :func:`imaging.protocol.eligibility.eligibility_table`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from imaging.atomic import replace_atomically
from imaging.batch.model import ENDPOINT_COLUMNS
from imaging.protocol.eligibility import (
    ELIGIBILITY_COLUMNS,
    SubjectEligibility,
    eligibility_table,
    evaluate_subject,
    split_grades,
)
from imaging.protocol.model import (
    AnyOfRule,
    FindingRule,
    GradeRule,
    InstabilityRule,
    MeasureRule,
    Protocol,
    RigidityRule,
)
from imaging.spreadsheet import write_frame_csv


class EligibilityWriter:
    """Collect one subject's eligibility-visit rows at a time; write all verdicts on close."""

    def __init__(self, path: Path, protocol: Protocol) -> None:
        self.path = path
        self.protocol = protocol
        self.measures = rule_measures(protocol)
        self._subjects: list[str] = []
        self._rows: list[list[Any]] = []
        self._results: list[SubjectEligibility] = []

    def add(self, subject: str, visit: str, rows: Iterable[Sequence[Any]]) -> None:
        """Offer one study's endpoint rows (any visit; only what the rules read is kept: the
        rows of other visits are not even iterated)."""
        if not self._subjects or subject != self._subjects[-1]:
            if len(self._subjects) == SUBJECTS_PER_TABLE:
                self._flush()
            self._subjects.append(subject)
        if visit == self.protocol.eligibility_visit:
            self._rows.extend(list(row) for row in rows if row[_MEASURE] in self.measures)

    def close(self) -> int:
        """Evaluate the last subjects and write the table; returns the number of subjects."""
        self._flush()
        table = eligibility_table(self._results)
        replace_atomically(
            self.path,
            lambda temporary: write_frame_csv(table, temporary, columns=list(ELIGIBILITY_COLUMNS)),
        )
        return int(table["subject"].nunique()) if len(table) else 0

    def _flush(self) -> None:
        """Rule on the subjects held, in the order they came."""
        if self._subjects and self.protocol.rules:
            rows = pd.DataFrame.from_records(self._rows, columns=list(ENDPOINT_COLUMNS))
            grades, measures = split_grades(rows)
            self._results.extend(
                evaluate_subject(self.protocol, subject, grades, measures)
                for subject in self._subjects
            )
        self._subjects, self._rows = [], []


def rule_measures(protocol: Protocol) -> frozenset[str]:
    """The measures and grading items the protocol's rules read."""
    names: set[str] = set()
    for rule in protocol.rules:
        for part in rule.rules if isinstance(rule, AnyOfRule) else (rule,):
            if isinstance(part, GradeRule | FindingRule | RigidityRule):
                names.update(part.items)
            elif isinstance(part, MeasureRule):
                names.add(part.measure)
            elif isinstance(part, InstabilityRule):
                names.update((part.translation_measure, part.angle_measure))
    return frozenset(names)


_MEASURE = ENDPOINT_COLUMNS.index("measure")
SUBJECTS_PER_TABLE = 32
"""Subjects ruled on from one table: the pandas work of making and splitting a table (about 10 ms
whatever its size) is shared by them, and what is held stays bounded (their eligibility-visit
rows the rules read)."""
