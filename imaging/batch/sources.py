"""Where the reads come from: landmark and grade files, or the read store.

Both give the same records: :class:`LandmarkSet` (one reader's corners on one film) and
:class:`GradeRecord` (one grade). Grade files are read row by row: a bad row is a failure naming
its line, and the other rows are used. From the store, only the current version of each
submitted or locked read counts (drafts never do).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from imaging.batch.model import Failure, Point
from imaging.landmark_files import LandmarkRecord, read_landmark_records
from imaging.protocol.grade_forms import check_row, columns
from imaging.protocol.model import Protocol


@dataclass(frozen=True)
class LandmarkSet:
    """One reader's corners on one film; ``image`` is a path or a SOPInstanceUID as given."""

    subject: str
    visit: str
    film: str
    reader: str
    image: str
    points: tuple[Point, ...]
    where: str
    """Where the set was read, for messages: ``"line 2"``, ``"store read 7 (version 2)"``."""
    origin: str
    """The landmark file, or the store's URL (password hidden)."""


@dataclass(frozen=True)
class GradeRecord:
    """One grade code of ``item`` at ``level`` (canonical spellings, protocol visit id)."""

    subject: str
    visit: str
    level: str
    item: str
    code: str
    reader: str


def landmark_sets_from_file(path: Path) -> list[LandmarkSet]:
    """Every landmark set of a landmark file (raises :class:`LandmarkError` for a bad file)."""
    groups: dict[tuple[str, str, str, str, str], list[LandmarkRecord]] = defaultdict(list)
    for record in read_landmark_records(path):
        key = (record.subject, record.visit, record.film.value, record.reader, record.image)
        groups[key].append(record)
    return [
        LandmarkSet(
            subject,
            visit,
            film,
            reader,
            image,
            tuple((r.vertebra.value, r.corner.value, r.row, r.col, r.where) for r in records),
            records[0].where,
            str(path),
        )
        for (subject, visit, film, reader, image), records in groups.items()
    ]


def grades_from_file(path: Path, protocol: Protocol, failures: list[Failure]) -> list[GradeRecord]:
    """Every good grade of a grade form CSV; each bad row (or a bad file) becomes a failure."""
    grades: list[GradeRecord] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.DictReader(stream)
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [c for c in columns(protocol) if c not in header and c != "comment"]
            if missing:
                failures.append(
                    Failure(
                        str(path),
                        "",
                        "",
                        f"grades: missing columns {', '.join(missing)}; expected "
                        f"{', '.join(columns(protocol))}",
                    )
                )
                return []
            reader.fieldnames = header
            seen: dict[tuple[str, ...], int] = {}
            for raw in reader:
                cells = {k: (v or "") for k, v in raw.items() if isinstance(k, str)}
                if not any(v.strip() for v in cells.values()):
                    continue
                line = reader.line_num
                row, problems = check_row(protocol, cells, line)
                if row is not None and row.key in seen:
                    problems = [f"graded twice (also on line {seen[row.key]})"]
                    row = None
                if row is None:
                    failures.append(
                        Failure(
                            str(path),
                            cells.get("subject", "").strip(),
                            cells.get("visit", "").strip(),
                            f"grades: line {line}: {'; '.join(problems)}",
                        )
                    )
                    continue
                seen[row.key] = line
                grades.extend(
                    GradeRecord(row.subject, row.visit, row.level, item, code, row.reader)
                    for item, code in row.grades
                )
    except (OSError, UnicodeDecodeError) as error:
        failures.append(Failure(str(path), "", "", f"grades: cannot read the file ({error})"))
    return grades


def from_store(url: str) -> tuple[list[LandmarkSet], list[GradeRecord]]:
    """The current reads of a store: their landmark sets and grades."""
    from imaging.store import ReadStore
    from imaging.store.reads import current_reads, read_content

    sets: list[LandmarkSet] = []
    grades: list[GradeRecord] = []
    with ReadStore(url) as store, store.reading() as session:
        origin = store.display_url
        for current in current_reads(session):
            read = current.read
            content = read_content(session, read)
            where = f"store read {read.id} (version {read.version})"
            films: dict[tuple[str, str], list[Point]] = defaultdict(list)
            for point in content.landmarks.values():
                films[(point.film, point.image)].append(
                    (point.vertebra, point.corner, point.row, point.col, where)
                )
            for (film, image), points in sorted(films.items()):
                sets.append(
                    LandmarkSet(
                        current.subject,
                        current.visit,
                        film,
                        read.reader,
                        image,
                        tuple(sorted(points)),
                        where,
                        origin,
                    )
                )
            grades.extend(
                GradeRecord(current.subject, current.visit, level, item, code, read.reader)
                for (level, item), code in sorted(content.grades.items())
            )
    return sets, grades
