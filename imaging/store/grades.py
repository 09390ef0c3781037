"""Grade forms in and out of the store: ``grades import`` and ``grades export``.

Import groups the form rows by subject, visit and reader: one read each. A new read is created and
submitted; a read whose current version already holds exactly these values is left alone
(importing the same file twice changes nothing); a read with different values is corrected
(version n + 1, levels in the file replace those levels) only when a reason is given. Everything
happens in one transaction: if any group is refused, nothing is imported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from imaging.errors import GradeValueError
from imaging.protocol.grade_forms import GradeRow, sort_key
from imaging.protocol.model import Protocol
from imaging.store.cases import get_case
from imaging.store.reads import (
    ReadContent,
    correct,
    current_reads,
    latest_version,
    read_content,
    save_draft,
    start_read,
    submit,
)
from imaging.store.store import ReadStore
from imaging.store.vocabulary import ReadStatus


@dataclass
class ImportSummary:
    """What an import did, per (subject, visit, reader)."""

    created: list[tuple[str, str, str]] = field(default_factory=list)
    corrected: list[tuple[str, str, str, int]] = field(default_factory=list)
    unchanged: list[tuple[str, str, str]] = field(default_factory=list)

    def text(self) -> str:
        parts = [f"{len(self.created)} new reads", f"{len(self.corrected)} corrected"]
        parts.append(f"{len(self.unchanged)} unchanged")
        lines = [", ".join(parts)]
        lines += [
            f"  corrected {s} {v} reader {r}: now version {n}" for s, v, r, n in self.corrected
        ]
        return "\n".join(lines)


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
) -> ImportSummary:
    """Store checked form rows (from :func:`imaging.protocol.grade_forms.read_grade_csv`)."""
    groups: dict[tuple[str, str, str], list[GradeRow]] = defaultdict(list)
    for row in rows:
        groups[(row.subject, row.visit, row.reader)].append(row)
    summary = ImportSummary()
    problems: list[tuple[int | None, str]] = []
    with store.writing() as session:
        for (subject, visit, reader), group in sorted(groups.items()):
            levels = {row.level for row in group}
            grades = {(row.level, item): code for row in group for item, code in row.grades}
            notes = {row.level: row.comment for row in group if row.comment}
            case = get_case(session, subject, visit, actor=actor)
            latest = latest_version(session, case, reader)
            if latest is None:
                read = start_read(
                    session, case, reader, actor=actor, role=role, protocol_id=protocol.id,
                    source=source,
                )  # fmt: skip
                save_draft(session, read, ReadContent(grades, notes), protocol)
                submit(session, read, actor=actor)
                summary.created.append((subject, visit, reader))
                continue
            where = group[0].line
            if latest.status == ReadStatus.DRAFT:
                problems.append(
                    (where, f"{subject} {visit}: reader {reader} has a draft read open "
                            f"(version {latest.version}); submit or discard it first")
                )  # fmt: skip
                continue
            current = read_content(session, latest)
            wanted = current.replace_levels(levels, grades, notes)
            if wanted.grades == current.grades and wanted.notes == current.notes:
                summary.unchanged.append((subject, visit, reader))
                continue
            if latest.status == ReadStatus.LOCKED:
                problems.append(
                    (where, f"{subject} {visit}: reader {reader}'s read is locked; it cannot "
                            "be corrected")
                )  # fmt: skip
                continue
            if not reason:
                changed = sorted(
                    set(wanted.audit_values().items()) ^ set(current.audit_values().items())
                )
                fields = sorted({name for name, _ in changed})
                problems.append(
                    (where, f"{subject} {visit}: differs from reader {reader}'s submitted read "
                            f"(version {latest.version}) at {', '.join(fields)}; a correction "
                            "needs --reason")
                )  # fmt: skip
                continue
            new = correct(
                session, latest, wanted, protocol, reason=reason, actor=actor, source=source
            )
            summary.corrected.append((subject, visit, reader, new.version))
        if problems:
            raise GradeValueError(problems, path=path)
    return summary


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
