"""Grade forms in and out of the store: ``grades import`` and ``grades export``.

Import groups the form rows by subject, visit and reader: one read each, stored as
:mod:`imaging.store.imports` stores every import format (new, unchanged, or corrected with a
reason; all or nothing). A correction replaces, at the levels in the file, the items the file has
columns for and (with a ``comment`` column) the comments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from imaging.errors import GradeValueError
from imaging.protocol.grade_forms import GradeRow, sort_key
from imaging.protocol.model import Protocol
from imaging.store.current_reads import current_reads
from imaging.store.identifiers import value_message
from imaging.store.imports import ImportSummary, ReadImport, import_reads, refusal_fix
from imaging.store.read_content import ReadContent, read_content
from imaging.store.schema import ReadNote
from imaging.store.store import ReadStore


def import_grade_rows(
    store: ReadStore,
    protocol: Protocol,
    rows: list[GradeRow],
    *,
    actor: str,
    reason: str | None = None,
    role: str = "primary",
    source: str = "",
    path: str | None = None,
    register_unknown: bool = False,
) -> ImportSummary:
    """Store checked form rows (from :func:`imaging.protocol.grade_forms.read_grade_csv`); the
    levels in the file replace those levels of a corrected read, its measures are kept. Rows of
    a subject or visit nobody registered are refused unless ``register_unknown``."""
    groups: dict[tuple[str, str, str], list[GradeRow]] = defaultdict(list)
    problems: list[tuple[int | str | None, str]] = []
    refused: set[tuple[str, str, str]] = set()
    for row in rows:
        key = (row.subject, row.visit, row.reader)
        comment = value_message(row.comment, ReadNote.text, "comment")
        if comment is not None:
            problems.append((row.line, comment))
            refused.add(key)
        groups[key].append(row)
    imports = [
        ReadImport(subject, visit, reader, _replacing(group, protocol), where=group[0].line)
        for (subject, visit, reader), group in sorted(groups.items())
        if (subject, visit, reader) not in refused
    ]
    summary = ImportSummary()
    with store.writing() as session:
        problems += import_reads(
            session, protocol, imports, summary, actor=actor, reason=reason, role=role,
            source=source, register_unknown=register_unknown,
        )  # fmt: skip
        if problems:
            raise GradeValueError(
                [(line if isinstance(line, int) else None, text) for line, text in problems],
                path=path,
                fix=refusal_fix(summary),
            )
    return summary


def _replacing(group: list[GradeRow], protocol: Protocol) -> Callable[[ReadContent], ReadContent]:
    """At the form's levels, the items it has columns for and its comments replace the read's."""
    levels = {row.level for row in group}
    items = {i.name for i in protocol.items if any(row.carries(i.name) for row in group)}
    note_levels = {row.level for row in group if row.carries("comment")}
    grades = {(row.level, item): code for row in group for item, code in row.grades}
    notes = {row.level: row.comment for row in group if row.comment}

    def replaced(current: ReadContent) -> ReadContent:
        kept = {
            (level, item): code
            for (level, item), code in current.grades.items()
            if level not in levels or item not in items
        }
        kept_notes = {lv: text for lv, text in current.notes.items() if lv not in note_levels}
        return replace(current, grades={**kept, **grades}, notes={**kept_notes, **notes})

    return replaced


def export_grade_rows(store: ReadStore, protocol: Protocol) -> list[GradeRow]:
    """The current version of every read as form rows: one per subject x visit x level x reader."""
    rows: list[GradeRow] = []
    item_order = [i.name for i in protocol.items]
    with store.reading() as session:
        for current in current_reads(session):
            content = read_content(session, current.read)
            levels = {level for level, _ in content.grades} | set(content.notes)
            for level in levels:
                grades = tuple(
                    (item, content.grades[(level, item)])
                    for item in item_order
                    if (level, item) in content.grades
                )
                rows.append(
                    GradeRow(
                        subject=current.subject,
                        visit=current.visit,
                        level=level,
                        reader=current.read.reader,
                        grades=grades,
                        comment=content.notes.get(level, ""),
                    )
                )
    return sorted(rows, key=sort_key(protocol))
