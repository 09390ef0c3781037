"""Plan a batch: scan the archive, pair films with landmarks and grades, one task per study.

A study is a subject x visit. Its films are the usable radiographs the scan found for it (by
(0012,0040) *Clinical Trial Subject ID* and the visit the protocol assigns: time point id, else
study date) and every film a landmark set names (the landmark source decides its subject and
visit). Grades join by subject and visit. Files that belong to no study and cannot be used (not
DICOM, truncated, ...) become failures of the plan; so do bad grade rows, each on its own.
Documents next to the images (``.csv``, ``.json``, ``.md``, ...) are not images and are skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imaging.batch import provenance
from imaging.batch.measure import MeasureSettings
from imaging.batch.model import Failure
from imaging.batch.results import study_id
from imaging.batch.task import FilmRead, GradeEntry, Point, StudyTask
from imaging.calibration import CROSS_SECTIONAL_MODALITIES
from imaging.dicom.scan import ScanRecord, ScanStatus, scan
from imaging.errors import SpineEndpointsError
from imaging.landmark_files import LandmarkRecord, read_landmark_records
from imaging.landmark_files.images import locate_image
from imaging.protocol.grade_forms import check_row, columns
from imaging.protocol.model import Protocol
from imaging.protocol.visits import assign_visit

DOCUMENT_SUFFIXES = frozenset(
    {".csv", ".json", ".md", ".txt", ".toml", ".yaml", ".yml", ".html", ".pdf", ".parquet", ".py"}
)
"""Files with these suffixes that are not DICOM are documents, not damaged images."""


@dataclass(frozen=True)
class Plan:
    """The studies in output order (subject, then protocol visit), and the plan's own failures."""

    tasks: tuple[StudyTask, ...]
    failures: tuple[Failure, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)


def plan_batch(
    archive: Path,
    protocol: Protocol,
    landmarks: Path | None = None,
    grades: Path | None = None,
    store_url: str | None = None,
) -> Plan:
    """Scan ``archive`` and build the tasks; ``landmarks``/``grades`` default to the files
    ``landmarks.csv``/``grades.csv`` in the archive folder when present."""
    archive = Path(archive)
    if not archive.is_dir():
        raise SpineEndpointsError(
            "the archive is not a folder", path=archive, fix="Give the folder of DICOM files."
        )
    if store_url is not None:
        raise SpineEndpointsError(
            "reading landmarks and grades from a store is not available in this version",
            fix="Export the reads (`spine-endpoints grades export`, landmark CSV) and give "
            "--landmarks and --grades.",
        )
    landmarks = landmarks if landmarks is not None else _default(archive, "landmarks.csv")
    grades = grades if grades is not None else _default(archive, "grades.csv")
    failures: list[Failure] = []
    studies: dict[tuple[str, str], _Study] = defaultdict(_Study)

    records = [r for r in scan(archive) if not _is_document(r)]
    by_uid = {
        r.sop_instance_uid: r.path for r in records if r.sop_instance_uid and r.member is None
    }
    claimed = _add_landmarks(landmarks, protocol, by_uid, studies, failures)
    _add_radiographs(records, protocol, claimed, studies, failures)
    if grades is not None:
        _add_grades(grades, protocol, studies, failures)

    settings = MeasureSettings.from_protocol(protocol)
    order = {visit.id: i for i, visit in enumerate(protocol.visits)}
    tasks = [
        StudyTask(
            study_id=study_id(subject, visit),
            subject=subject,
            visit=visit,
            images=tuple(sorted(study.images.items())),
            reads=tuple(study.reads),
            grades=tuple(study.grades),
            settings=settings,
        )
        for (subject, visit), study in sorted(
            studies.items(), key=lambda item: (_natural(item[0][0]), order.get(item[0][1], 99))
        )
    ]
    inputs = {
        "archive": str(archive.resolve()),
        "landmarks": provenance.file_entry(landmarks),
        "grades": provenance.file_entry(grades),
        "store": provenance.redact_url(store_url) if store_url else None,
        "files_scanned": len(records),
    }
    return Plan(tuple(tasks), tuple(failures), inputs)


@dataclass
class _Study:
    images: dict[str, str] = field(default_factory=dict)
    reads: list[FilmRead] = field(default_factory=list)
    grades: list[GradeEntry] = field(default_factory=list)


def _default(archive: Path, name: str) -> Path | None:
    path = archive / name
    return path if path.is_file() else None


def _is_document(record: ScanRecord) -> bool:
    suffix = Path(record.member or record.path).suffix.lower()
    return record.status is ScanStatus.NOT_DICOM and suffix in DOCUMENT_SUFFIXES


def _visit_id(protocol: Protocol, name: str) -> str | None:
    try:
        return protocol.visit(name).id
    except ValueError:
        return None


def _add_landmarks(
    path: Path | None,
    protocol: Protocol,
    by_uid: dict[str, str],
    studies: dict[tuple[str, str], _Study],
    failures: list[Failure],
) -> set[str]:
    """Add every landmark set to its study; returns the image paths they name."""
    if path is None:
        return set()
    try:
        records = read_landmark_records(path)
    except SpineEndpointsError as error:
        failures.append(Failure(str(path), "", "", f"landmarks: {error}"))
        return set()
    groups: dict[tuple[str, str, str, str, str], list[LandmarkRecord]] = defaultdict(list)
    for record in records:
        key = (record.subject, record.visit, record.film.value, record.reader, record.image)
        groups[key].append(record)
    claimed: set[str] = set()
    for (subject, visit_name, film, reader, image), group in groups.items():
        visit = _visit_id(protocol, visit_name)
        if visit is None:
            failures.append(
                Failure(
                    image,
                    subject,
                    visit_name,
                    f"landmarks: {group[0].where} of {path}: visit {visit_name!r} is not a visit "
                    f"of protocol {protocol.id} ({', '.join(v.id for v in protocol.visits)})",
                )
            )
            continue
        found, tried = locate_image(image, path)
        resolved = str(found.resolve()) if found is not None else by_uid.get(image, "")
        if resolved:
            claimed.add(resolved)
        points: tuple[Point, ...] = tuple(
            (r.vertebra.value, r.corner.value, r.row, r.col, r.where) for r in group
        )
        studies[(subject, visit)].reads.append(
            FilmRead(image, resolved, film, reader, points, str(path), "; ".join(tried))
        )
        if resolved:
            studies[(subject, visit)].images.setdefault(resolved, film)
    return claimed


def _add_radiographs(
    records: list[ScanRecord],
    protocol: Protocol,
    claimed: set[str],
    studies: dict[tuple[str, str], _Study],
    failures: list[Failure],
) -> None:
    """Usable radiographs go to their study; unusable files not named by landmarks fail here."""
    baselines = _baseline_dates(records, protocol)
    for record in records:
        path = record.path if record.member is not None else str(Path(record.path).resolve())
        if path in claimed:
            continue  # its landmark set placed it; a damaged file fails when its study opens it
        subject = record.subject or ""
        if not record.status.usable:
            failures.append(
                Failure(
                    record.location,
                    subject,
                    record.visit or "",
                    f"{record.status}: {record.reason}",
                )
            )
            continue
        if (record.modality or "") in CROSS_SECTIONAL_MODALITIES:
            continue  # MR/CT series are graded by readers; grades come from the grade source
        if record.member is not None:
            failures.append(
                Failure(
                    record.location,
                    subject,
                    record.visit or "",
                    "unsupported: radiographs inside a zip or tar archive are not measured; "
                    "extract the archive and run the batch on the folder",
                )
            )
            continue
        if not subject:
            failures.append(
                Failure(
                    path, "", "", "no subject: neither Clinical Trial Subject ID nor Patient ID"
                )
            )
            continue
        assignment = assign_visit(
            protocol,
            time_point_id=record.visit,
            study_date=_date(record.study_date),
            baseline_date=baselines.get(subject),
        )
        if assignment.visit is None:
            failures.append(
                Failure(path, subject, record.visit or "", f"visit: {assignment.reason}")
            )
            continue
        studies[(subject, assignment.visit.id)].images.setdefault(path, record.film or "")


def _baseline_dates(records: Iterable[ScanRecord], protocol: Protocol) -> dict[str, dt.date]:
    """Per subject: the date of its baseline study (by time point id), else its earliest study."""
    named: dict[str, dt.date] = {}
    earliest: dict[str, dt.date] = {}
    for record in records:
        date = _date(record.study_date)
        if not record.subject or date is None:
            continue
        if record.visit and _visit_id(protocol, record.visit) == protocol.baseline_visit:
            named[record.subject] = min(date, named.get(record.subject, date))
        earliest[record.subject] = min(date, earliest.get(record.subject, date))
    return earliest | named


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _add_grades(
    path: Path, protocol: Protocol, studies: dict[tuple[str, str], _Study], failures: list[Failure]
) -> None:
    """Each good row joins its study; each bad row is a failure naming its line (the rest go on)."""
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
                return
            reader.fieldnames = header
            seen: dict[tuple[str, ...], int] = {}
            for cells in reader:
                line = reader.line_num
                if not any((v or "").strip() for v in cells.values() if isinstance(v, str)):
                    continue
                cells = {k: v for k, v in cells.items() if isinstance(k, str)}
                row, problems = check_row(protocol, cells, line)
                if row is not None and row.key in seen:
                    problems = [f"graded twice (also on line {seen[row.key]})"]
                    row = None
                if row is None:
                    failures.append(
                        Failure(
                            str(path),
                            (cells.get("subject") or "").strip(),
                            (cells.get("visit") or "").strip(),
                            f"grades: line {line}: {'; '.join(problems)}",
                        )
                    )
                    continue
                seen[row.key] = line
                for item, code in row.grades:
                    score = protocol.item(item).scale.grade(code).score
                    studies[(row.subject, row.visit)].grades.append(
                        GradeEntry(row.level, item, code, row.reader, score)
                    )
    except (OSError, UnicodeDecodeError) as error:
        failures.append(Failure(str(path), "", "", f"grades: cannot read the file ({error})"))


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )


__all__ = ["Plan", "plan_batch"]
