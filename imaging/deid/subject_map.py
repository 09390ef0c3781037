"""The subject map: which trial subject (and site) each patient of a de-identification run is.

A CSV file with the columns ``patient_id,subject_id`` and optionally ``site_id`` (UTF-8, header
first, read within the limits of :mod:`imaging.text_input`). ``patient_id`` is the value of
(0010,0020) *Patient ID* in the files as the site sent them; ``subject_id`` becomes (0012,0040)
*Clinical Trial Subject ID* (and the new Patient ID and Patient's Name); ``site_id`` becomes
(0012,0030) *Clinical Trial Site ID*. Every patient must be in the map: a subject id is never
guessed. Two patient ids may map to one subject (one person with two hospital numbers).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from imaging.errors import ProblemList, TextInputError, problem_listing
from imaging.text_input import csv_fieldnames, csv_rows, open_text

REQUIRED = ("patient_id", "subject_id")
OPTIONAL = ("site_id",)
MAX_ID = 64
"""Longest id kept: (0012,0040) and (0010,0020) are LO, 64 characters."""


@dataclass(frozen=True)
class Subject:
    """One patient's trial identity."""

    subject_id: str
    site_id: str | None = None


def read_subject_map(path: str | Path) -> dict[str, Subject]:
    """``{patient_id: Subject}`` from the CSV at ``path``; :class:`TextInputError` naming the file
    and the lines of every problem (missing column, empty id, an id over 64 characters or with a
    backslash or control character, a patient listed twice with different subjects)."""
    what = "subject map"
    with open_text(path, what) as stream:
        reader = csv.DictReader(stream)
        header = [name.strip() for name in csv_fieldnames(reader, path, what)]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise TextInputError(
                f"the header lacks the column(s) {', '.join(missing)} (it has: "
                f"{', '.join(header) or 'nothing'})",
                path=path,
                line=1,
                fix="Start the file with the line: patient_id,subject_id,site_id",
            )
        reader.fieldnames = header
        subjects: dict[str, Subject] = {}
        lines: dict[str, int] = {}
        problems = ProblemList()
        for cells in csv_rows(reader, path, what):
            line = reader.line_num
            values = {name: (cells.get(name) or "").strip() for name in (*REQUIRED, *OPTIONAL)}
            if not any(values.values()):
                continue
            bad = [f"{name} {reason}" for name, reason in _id_problems(values)]
            if bad:
                problems.add(line, "; ".join(bad))
                continue
            subject = Subject(values["subject_id"], values["site_id"] or None)
            patient = values["patient_id"]
            if patient in subjects and subjects[patient] != subject:
                problems.add(
                    line, f"patient {patient} is mapped again (first on line {lines[patient]})"
                )
                continue
            subjects[patient], lines[patient] = subject, line
    if problems:
        listing = problem_listing(
            (f"line {line}: {reason}" for line, reason in problems.kept), problems.count
        )
        raise TextInputError(
            f"{problems.count} problem(s):{listing}\n",
            path=path,
            fix="Fix these rows; every patient needs exactly one subject id.",
        )
    if not subjects:
        raise TextInputError(
            "no rows after the header", path=path, fix="List each patient_id with its subject_id."
        )
    return subjects


def _id_problems(values: Mapping[str, str]) -> list[tuple[str, str]]:
    problems = []
    for name, value in values.items():
        if not value:
            if name in REQUIRED:
                problems.append((name, "is empty"))
        elif len(value) > MAX_ID:
            problems.append((name, f"is {len(value)} characters, above {MAX_ID}"))
        elif "\\" in value or any(ord(char) < 32 for char in value):
            problems.append((name, "holds a backslash or a control character"))
    return problems
