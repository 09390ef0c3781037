"""Grade forms: the CSV that paper forms are typed into, checked against a protocol.

Columns: ``subject, visit, level, reader``, one column per grading item of the protocol (the DLBP
trial: ``pfirrmann, modic_cranial, modic_caudal`` and its reader-recorded findings) and
``comment``. A form may leave out item columns (a findings form, a Pfirrmann-only form) and the
comment column: what it has no column for it neither sets nor clears. One row per subject x
visit x level x reader; findings read once per case are on the row of level ``spine``. An empty
cell means "not graded"; a row must carry a grade or a comment. A grade at a level or a visit
where the protocol does not read the item is refused. Visits may be written as the visit id or
one of its time point ids, levels as ``L4-5`` or ``L4-L5``, grades as any accepted spelling
(``IV`` or ``4``); they are stored and exported in canonical form. Reading checks every row
and reports every bad one with its line number; it returns nothing unless all rows are good.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import pandas as pd

from imaging.errors import GradeValueError, ProblemList
from imaging.protocol.model import Protocol
from imaging.spreadsheet import SafeWriter
from imaging.text_input import csv_fieldnames, csv_rows, open_text

KEY_COLUMNS = ("subject", "visit", "level", "reader")


@dataclass(frozen=True)
class GradeRow:
    """One form row in canonical form. ``grades`` holds (item, code) for non-empty cells."""

    subject: str
    visit: str
    level: str
    reader: str
    grades: tuple[tuple[str, str], ...] = ()
    comment: str = ""
    line: int | None = None
    columns: frozenset[str] | None = field(default=None, compare=False)
    """The item and ``comment`` columns of the form the row came from (None: every column)."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.subject, self.visit, self.level, self.reader)

    def code(self, item: str) -> str | None:
        return dict(self.grades).get(item)

    def carries(self, column: str) -> bool:
        """Whether the row's form has ``column`` (an item name or ``comment``)."""
        return self.columns is None or column in self.columns


def columns(protocol: Protocol) -> list[str]:
    """The CSV header for ``protocol``."""
    return [*KEY_COLUMNS, *(i.name for i in protocol.items), "comment"]


def header_problems(header: Sequence[str], protocol: Protocol) -> list[str]:
    """What is wrong with a form's header: key columns missing, no item column, unknown columns."""
    expected = columns(protocol)
    problems = []
    missing = [c for c in KEY_COLUMNS if c not in header]
    if missing:
        problems.append(f"missing columns {missing}; expected {', '.join(expected)}")
    elif not any(item.name in header for item in protocol.items):
        problems.append(
            f"no grading item column; protocol {protocol.id} reads "
            + ", ".join(i.name for i in protocol.items)
        )
    unknown = [c for c in header if c not in expected]
    if unknown:
        problems.append(
            f"unknown columns {unknown}; protocol {protocol.id} reads {', '.join(expected)}"
        )
    return problems


def check_row(
    protocol: Protocol, cells: dict[str, str], line: int | None = None
) -> tuple[GradeRow | None, list[str]]:
    """Validate one row of cells; returns the row or the list of problems."""
    problems: list[str] = []
    values = {k: (v or "").strip() for k, v in cells.items()}
    for name in ("subject", "reader"):
        if not values.get(name):
            problems.append(f"{name} is empty")
    visit = level = ""
    try:
        visit = protocol.visit(values.get("visit", "")).id
    except ValueError as error:
        problems.append(str(error))
    try:
        level = protocol.level(values.get("level", ""))
    except ValueError as error:
        problems.append(str(error))
    grades: list[tuple[str, str]] = []
    for item in protocol.items:
        text = values.get(item.name, "")
        if not text:
            continue
        if level and level not in item.levels:
            problems.append(f"{item.name} {text!r}: {item.name} is not read at {level}")
            continue
        if visit and not item.read_at_visit(visit):
            problems.append(
                f"{item.name} {text!r}: {item.name} is read at {item.visits_text()}, not at {visit}"
            )
            continue
        try:
            grades.append((item.name, item.scale.grade(text).code))
        except ValueError as error:
            problems.append(f"{item.name}: {error}")
    comment = values.get("comment", "")
    if not problems and not grades and not comment:
        problems.append("no grade and no comment: give the grades, or say in comment why not")
    if problems:
        return None, problems
    row = GradeRow(
        subject=values["subject"],
        visit=visit,
        level=level,
        reader=values["reader"],
        grades=tuple(grades),
        comment=comment,
        line=line,
        columns=frozenset(c for c in cells if c in {*(i.name for i in protocol.items), "comment"}),
    )
    return row, []


def parse_grade_csv(stream: TextIO, protocol: Protocol, path: str = "<grades>") -> list[GradeRow]:
    """Read and check every row; raises :class:`GradeValueError` listing the bad lines (the
    first 20, and how many more)."""
    reader = csv.DictReader(stream)
    header = [h.strip() for h in csv_fieldnames(reader, path, "grade form")]
    if not header:
        raise GradeValueError([(1, "the file is empty: expected a header line")], path=path)
    reader.fieldnames = header
    wrong = header_problems(header, protocol)
    if wrong:
        raise GradeValueError([(1, problem) for problem in wrong], path=path)

    rows: list[GradeRow] = []
    problems = ProblemList()
    seen: dict[tuple[str, str, str, str], int] = {}
    for cells in csv_rows(reader, path, "grade form"):
        line = reader.line_num
        if None in cells:
            problems.add(line, f"more cells than the {len(header)} columns of the header")
            continue
        if not any((v or "").strip() for v in cells.values()):
            continue
        row, row_problems = check_row(protocol, cells, line)
        problems.extend((line, p) for p in row_problems)
        if row is None:
            continue
        if row.key in seen:
            problems.add(
                line, f"{' '.join(row.key)} is graded twice (also on line {seen[row.key]})"
            )
            continue
        seen[row.key] = line
        rows.append(row)
    if problems:
        raise GradeValueError(problems, path=path)
    if not rows:
        raise GradeValueError([(None, "no grade rows after the header")], path=path)
    return rows


def read_grade_csv(path: str | Path, protocol: Protocol) -> list[GradeRow]:
    """Read a grade CSV file (UTF-8, with or without BOM) within the limits of
    :mod:`imaging.text_input`; see :func:`parse_grade_csv`."""
    with open_text(path, "grade form") as stream:
        return parse_grade_csv(stream, protocol, str(path))


def sort_key(protocol: Protocol) -> Callable[[GradeRow], tuple[str, int, int, str, str]]:
    """Order rows by subject, visit and level (protocol order), then reader."""

    def key(row: GradeRow) -> tuple[str, int, int, str, str]:
        return (
            row.subject,
            protocol.visit_index(row.visit),
            protocol.level_index(row.level),
            row.level,
            row.reader,
        )

    return key


def write_grade_csv(rows: Iterable[GradeRow], protocol: Protocol, out: TextIO | str | Path) -> None:
    """Write rows in canonical form, sorted by subject, visit, level (protocol order), reader."""
    ordered = sorted(rows, key=sort_key(protocol))
    header = columns(protocol)
    if isinstance(out, str | Path):
        with Path(out).open("w", encoding="utf-8", newline="") as stream:
            _write(stream, header, ordered)
    else:
        _write(out, header, ordered)


def _write(stream: TextIO, header: Sequence[str], rows: Sequence[GradeRow]) -> None:
    writer = SafeWriter(stream)
    writer.writerow(header)
    for row in rows:
        grades = dict(row.grades)
        writer.writerow(
            [row.subject, row.visit, row.level, row.reader]
            + [grades.get(name, "") for name in header[len(KEY_COLUMNS) : -1]]
            + [row.comment]
        )


def grade_csv_text(rows: Iterable[GradeRow], protocol: Protocol) -> str:
    buffer = io.StringIO()
    write_grade_csv(rows, protocol, buffer)
    return buffer.getvalue()


def long_grades(rows: Iterable[GradeRow], role: str = "primary") -> pd.DataFrame:
    """One row per graded value: ``subject, visit, level, item, code, reader, role, note`` (the
    grades table :func:`imaging.protocol.eligibility.evaluate_eligibility` takes; ``note`` is the
    row's comment)."""
    records = [
        {
            "subject": row.subject,
            "visit": row.visit,
            "level": row.level,
            "item": item,
            "code": code,
            "reader": row.reader,
            "role": role,
            "note": row.comment,
        }
        for row in rows
        for item, code in row.grades
    ]
    return pd.DataFrame(
        records, columns=["subject", "visit", "level", "item", "code", "reader", "role", "note"]
    )
