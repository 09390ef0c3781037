"""Where the reads come from: landmark and grade files, or the read store.

Both give the same records: :class:`LandmarkSet` (one reader's corners on one film) and
:class:`GradeRecord` (one grade). Landmark and grade files are read row by row: a bad grade row
is a failure naming its line, and the other rows are used; a bad landmark row fails its film
(the set carries the problem, and its other corners are not measured: a film with a corner
missing would silently lose levels), and every other film is measured. From the store, only the
current version of each submitted or locked read counts (drafts never do).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from imaging.anatomy import Film
from imaging.batch.model import ENDPOINTS_CSV, Failure, Point
from imaging.errors import TextInputError
from imaging.landmark_files import RowProblem, iter_landmark_records
from imaging.protocol.adjudication import Resolution
from imaging.protocol.grade_forms import check_row, header_problems
from imaging.protocol.model import Protocol
from imaging.text_input import csv_fieldnames, csv_rows, open_text


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
    problems: tuple[str, ...] = ()
    """Bad rows of this film (``"line 12 (...): ... Fix."``); a set with problems is not
    measured. ``film`` is then as written (maybe not a film name) and ``points`` the good rows."""
    read_version: int | None = None
    """The stored read's version (None for a landmark file)."""


@dataclass(frozen=True)
class GradeRecord:
    """One grade code of ``item`` at ``level`` (canonical spellings, protocol visit id)."""

    subject: str
    visit: str
    level: str
    item: str
    code: str
    reader: str
    read_version: int | None = None
    """The stored read's version (None for a grade file)."""
    note: str = ""
    """The reader's comment on the level."""


def landmark_sets_from_file(path: Path) -> list[LandmarkSet]:
    """Every landmark set of a landmark file, in the order of their first row.

    Bad rows do not stop the reading: each is a problem of its film (subject, visit, film and
    reader as written), and a film whose every row is bad is a set without points. Raises
    :class:`LandmarkError` only for a file that cannot be read as a whole (missing, no header,
    missing columns, invalid JSON, no placed corner).
    """
    groups: dict[tuple[str, str, str, str, str], tuple[str, list[Point]]] = {}
    problems: dict[tuple[str, str, str, str], list[RowProblem]] = defaultdict(list)
    for item in iter_landmark_records(path):
        if isinstance(item, RowProblem):
            subject, visit, film, reader = item.film_key
            problems[(subject, visit, _film_name(film), reader)].append(item)
            continue
        key = (item.subject, item.visit, item.film.value, item.reader, item.image)
        group = groups.get(key)
        if group is None:
            group = groups[key] = (item.where, [])
        group[1].append((item.vertebra.value, item.corner.value, item.row, item.col, item.where))
    origin = str(path)
    sets = [
        LandmarkSet(
            subject,
            visit,
            film,
            reader,
            image,
            tuple(points),
            where,
            origin,
            _texts(problems.get((subject, visit, film, reader), ())),
        )
        for (subject, visit, film, reader, image), (where, points) in groups.items()
    ]
    films = {key[:4] for key in groups}
    for (subject, visit, film, reader), bad in problems.items():
        if (subject, visit, film, reader) not in films:
            sets.append(
                LandmarkSet(
                    subject,
                    visit,
                    film,
                    reader,
                    bad[0].image,
                    (),
                    bad[0].where,
                    origin,
                    _texts(bad),
                )
            )
    return sets


def _film_name(text: str) -> str:
    """A film as the records spell it (``Flexion`` -> ``flexion``); other text as written."""
    try:
        return Film(text).value
    except ValueError:
        return text


def _texts(problems: Iterable[RowProblem]) -> tuple[str, ...]:
    return tuple(
        f"{p.reason.rstrip('.')}; its film is not measured. {p.fix}".rstrip(". ") for p in problems
    )


def grades_from_file(path: Path, protocol: Protocol, failures: list[Failure]) -> list[GradeRecord]:
    """Every good grade of a grade form CSV; each bad row (or a bad file) becomes a failure."""
    grades: list[GradeRecord] = []
    try:
        with open_text(path, "grade form") as stream:
            reader = csv.DictReader(stream)
            header = [name.strip() for name in csv_fieldnames(reader, path, "grade form")]
            wrong = header_problems(header, protocol)
            if wrong:
                failures.append(Failure(str(path), "", "", "grades: " + "; ".join(wrong)))
                return []
            reader.fieldnames = header
            seen: dict[tuple[str, ...], int] = {}
            for raw in csv_rows(reader, path, "grade form"):
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
                    GradeRecord(
                        row.subject,
                        row.visit,
                        row.level,
                        item,
                        code,
                        row.reader,
                        note=row.comment,
                    )
                    for item, code in row.grades
                )
    except TextInputError as error:  # not readable as a whole: none of its grades is used
        failures.append(Failure(str(path), "", "", f"grades: {error}"))
        return []
    return grades


def from_store(
    url: str, leave_out: frozenset[str] = frozenset()
) -> tuple[list[LandmarkSet], list[GradeRecord], dict[str, dt.date]]:
    """The current reads of a store: their landmark sets and grades, and the subjects'
    treatment dates (day 0) where recorded; subjects in ``leave_out`` (the protocol's
    qualification set) left out."""
    from imaging.store import ReadStore
    from imaging.store.cases import treatment_dates
    from imaging.store.reads import current_reads, read_content

    sets: list[LandmarkSet] = []
    grades: list[GradeRecord] = []
    with ReadStore(url) as store, store.reading() as session:
        origin = store.display_url
        for current in current_reads(session):
            if current.subject in leave_out:
                continue
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
                        read_version=read.version,
                    )
                )
            grades.extend(
                GradeRecord(
                    current.subject,
                    current.visit,
                    level,
                    item,
                    code,
                    read.reader,
                    read.version,
                    content.notes.get(level, ""),
                )
                for (level, item), code in sorted(content.grades.items())
            )
        treated = treatment_dates(session)
    return sets, grades, treated


def write_store_signatures(url: str, folder: Path) -> int:
    """Every read signature of the store (:func:`imaging.store.signatures.signature_frame`)
    beside the batch's endpoint table, where the report shows them; returns how many."""
    from imaging.endpoints.table import write_frame
    from imaging.store import ReadStore
    from imaging.store.signatures import signature_frame, signatures_path

    with ReadStore(url) as store, store.reading() as session:
        frame = signature_frame(session)
    write_frame(frame, signatures_path(folder / ENDPOINTS_CSV))
    return len(frame)


def store_resolutions(url: str, protocol: Protocol) -> dict[tuple[str, str], Resolution]:
    """(subject, visit) -> how the store's double-read case makes its endpoint (its readers,
    triggers and submitted adjudication); empty unless the protocol reads each case twice."""
    if not protocol.reading_design.double:
        return {}
    from imaging.store import ReadStore
    from imaging.store.adjudication import resolutions

    with ReadStore(url) as store, store.reading() as session:
        return resolutions(session, protocol)
