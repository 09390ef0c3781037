"""The store's current reads out as Measurement Reports, and reports back in as reads.

Export: for each current read (:func:`imaging.store.reads.current_reads`), its endpoint rows as
the store gives them (:func:`imaging.store.export.reader_rows`: grades through
:func:`imaging.endpoints.endpoint_rows`, the measures stored with the read; nothing is
recomputed), its corners with the registered image each lies on, and its signature
(:func:`imaging.store.signatures.signature_frame`): VERIFIED only for a signed version. A read
whose corners lie on an image the store has not registered is not written, with the reason.

Import: each report becomes a read of the same reader through
:func:`imaging.store.imports.import_reads` (versioned, audited, all or nothing): its grades, its
corners on the registered images (found by SOP Instance UID) and each film's calibration and
orientation from the image header (:func:`imaging.landmark_files.images.film_header`). The store
computes the measures again from the corners; a report whose measures then differ from those
it carries (another calibration, e.g. ``--mm-per-pixel``) is refused, nothing imported.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydicom.dataset import Dataset
from sqlalchemy.orm import Session

from imaging import __version__
from imaging.atomic import replace_atomically
from imaging.dicom import read_header
from imaging.errors import SpineEndpointsError
from imaging.landmark_files.images import film_header
from imaging.protocol.model import Protocol
from imaging.sr import StructuredReportError
from imaging.sr.build import ReportCorner, ReportInput, Signed, measurement_report
from imaging.sr.parse import ParsedReport, read_report
from imaging.store.case_images import StoredImage, case_images, image_for, images_by_uid
from imaging.store.export import reader_rows
from imaging.store.imports import ImportSummary, ReadImport, import_reads, listed, refusal_fix
from imaging.store.people import display_name
from imaging.store.reads import (
    CurrentRead,
    FilmRecord,
    LandmarkPoint,
    ReadContent,
    current_reads,
    read_content,
)
from imaging.store.signatures import READ, signature_frame
from imaging.store.store import ReadStore

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
TOLERANCE = 1e-4
ABSOLUTE_TOLERANCE = 1e-3
"""Relative, and absolute in the measure's unit (mm, deg, %): SR corners are 32-bit floats
(SCOORD, PS3.3 C.18.6), so measures computed again from imported corners differ in about the 6th
digit (a height loss near 0 % by about 1e-4); another calibration differs by far more."""


@dataclass
class ExportSummary:
    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Reads not written, each with the reason."""

    def text(self) -> str:
        lines = [f"{len(self.written)} report(s) written"]
        lines += [f"  not written: {reason}" for reason in self.skipped]
        return "\n".join(lines)


def _file_name(current: CurrentRead) -> Path:
    parts = (current.subject, current.visit, f"{current.read.reader}_v{current.read.version}.dcm")
    return Path(*(_UNSAFE.sub("_", part) for part in parts))


def _signed(session: Session) -> dict[tuple[str, str, str, int], Signed]:
    found = {}
    for row in signature_frame(session).to_dict("records"):
        if row["signs"] != READ:  # an adjudication's signature: no read version of its own
            continue
        at = dt.datetime.fromisoformat(str(row["signed_at"]).replace("Z", "+00:00"))
        key = (str(row["subject"]), str(row["visit"]), str(row["reader"]),
               int(str(row["read_version"])))  # fmt: skip
        found[key] = Signed(str(row["signer_name"]), at.astimezone(dt.UTC))
    return found


def _report(
    session: Session, current: CurrentRead, rows: Sequence, signed: Signed | None
) -> ReportInput | str:
    """The read's report input, or why it cannot be written."""
    read, where = current.read, f"{current.subject} {current.visit} reader {current.read.reader}"
    content = read_content(session, read)
    images = case_images(session, current.subject, current.visit)
    corners, used_images = [], {}
    for point in content.landmarks.values():
        image = image_for(images, point.image)
        if image is None:
            return (
                f"{where}: the corners' image {point.image} is not a registered image of the visit"
            )
        used_images[image.sop_instance_uid] = image
        corners.append(
            ReportCorner(point.film, image.sop_instance_uid, point.vertebra, point.corner,
                         point.row, point.col, str(point.used))
        )  # fmt: skip
    evidence_images = list(used_images.values()) or images
    if not evidence_images:
        return f"{where}: no registered image of the visit to refer to; register its images"
    names: dict[str, str] = {}
    for image in evidence_images:
        names.update(dict.fromkeys(image.names(), image.sop_instance_uid))
    evidence = {image.sop_instance_uid: read_header(image.file) for image in evidence_images}
    return ReportInput(
        current.subject, current.visit, read.reader, display_name(session, read.reader),
        read.version, rows, sorted(corners, key=lambda c: (c.film, c.vertebra, c.corner)),
        evidence, names, __version__, signed,
    )  # fmt: skip


def export_reports(
    store: ReadStore,
    protocol: Protocol,
    out: Path,
    *,
    subject: str | None = None,
    visit: str | None = None,
) -> ExportSummary:
    """Write every current read (of ``subject``, at ``visit``) under ``out`` as
    ``SUBJECT/VISIT/READER_vVERSION.dcm``."""
    summary = ExportSummary()
    with store.reading() as session:
        rows = reader_rows(session, protocol, subject)
        signatures = _signed(session)
        for current in current_reads(session, subject):
            if visit is not None and current.visit != visit:
                continue
            key = (current.subject, current.visit, current.read.reader)
            mine = [r for r in rows if (r.subject, r.visit, r.reader) == key]
            signed = signatures.get((*key, current.read.version))
            try:
                made = _report(session, current, mine, signed)
            except SpineEndpointsError as error:
                made = f"{key[0]} {key[1]} reader {key[2]}: {error}"
            if isinstance(made, str):
                summary.skipped.append(made)
                continue
            document = measurement_report(made, protocol)
            path = out / _file_name(current)
            path.parent.mkdir(parents=True, exist_ok=True)
            _save(path, document)
            summary.written.append(path)
    return summary


def _save(path: Path, document: Dataset) -> None:
    def write(temporary: Path) -> None:
        document.save_as(temporary, enforce_file_format=True)

    replace_atomically(path, write)


def report_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, and every ``*.dcm`` under the folders named, sorted."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.dcm")) if path.is_dir() else [path]
    return files


def _content(
    report: ParsedReport, images: dict[str, StoredImage]
) -> Callable[[ReadContent], ReadContent]:
    films: dict[str, FilmRecord] = {}
    points: dict[tuple[str, str, str], LandmarkPoint] = {}
    for c in report.corners:
        image = images[c.image_uid]
        if image.path not in films:
            header = film_header(Path(image.file))
            films[image.path] = FilmRecord(
                c.film, image.path, header.calibration, header.anterior_direction
            )
        refined = (c.row, c.col) if c.used == "refined" else (None, None)
        point = LandmarkPoint(
            c.film, image.path, c.vertebra, c.corner, c.row, c.col, used=c.used,
            refined_row=refined[0], refined_col=refined[1],
        )  # fmt: skip
        points[point.key] = point
    grades = dict(report.grades)
    return lambda current: replace(current, grades=grades, landmarks=points, films=films)


def _where(report: ParsedReport, images: dict[str, StoredImage]) -> tuple[str, str] | str:
    """(subject, visit) of the report from its images in the store, or why it has none."""
    uids = {c.image_uid for c in report.corners} | set(report.evidence)
    known = [images[u] for u in sorted(uids) if u in images]
    missing = sorted(u for u in {c.image_uid for c in report.corners} if u not in images)
    if missing or not known:
        listed_uids = ", ".join(missing[:3]) or "no image at all"
        return f"refers to images the store has not registered ({listed_uids}); register them"
    subjects = {image.subject for image in known}
    if len(subjects) > 1:
        return f"refers to images of several subjects ({', '.join(sorted(subjects))})"
    visits = {image.visit for image in known if image.visit is not None}
    if visits and report.visit not in visits:
        return (f"its time point {report.visit!r} is not the visit its images are registered "
                f"to ({', '.join(sorted(visits))})")  # fmt: skip
    return known[0].subject, report.visit


def _differences(report: ParsedReport, subject: str, rows: Sequence) -> list[str]:
    stored = {(r.level, r.measure, r.film): r.value for r in rows if r.reader == report.reader and
              r.subject == subject and r.visit == report.visit}  # fmt: skip
    found = []
    for m in report.measures:
        value = stored.get((m.level, m.measure, m.film))
        if value is None or not math.isclose(value, m.value, rel_tol=TOLERANCE,
                                             abs_tol=ABSOLUTE_TOLERANCE):  # fmt: skip
            found.append(f"{m.level} {m.measure} {m.film}: report {m.value:g}, store {value}")
    return found


def import_reports(
    store: ReadStore,
    protocol: Protocol,
    paths: Sequence[Path],
    *,
    actor: str,
    reason: str | None = None,
) -> ImportSummary:
    """Store each report as a read of its reader (see the module docstring); raises
    :class:`~imaging.sr.StructuredReportError` listing the refused reports, nothing stored."""
    reports = [read_report(path) for path in report_files(paths)]
    if not reports:
        raise StructuredReportError("no report found", path=", ".join(map(str, paths)))
    summary = ImportSummary()
    with store.writing() as session:
        uids = {u for r in reports for u in (*r.evidence, *(c.image_uid for c in r.corners))}
        images = images_by_uid(session, uids)
        problems: list[tuple[int | str | None, str]] = []
        groups, subjects = [], {}
        for report in reports:
            where = _where(report, images)
            if isinstance(where, str):
                problems.append((str(report.path), where))
                continue
            subjects[report.path] = where[0]
            groups.append(ReadImport(*where, report.reader, _content(report, images),
                                     where=str(report.path)))  # fmt: skip
        problems += import_reads(
            session, protocol, groups, summary, actor=actor, reason=reason,
            source="sr import",
        )  # fmt: skip
        if not problems:
            rows = reader_rows(session, protocol)
            for report in reports:
                differ = _differences(report, subjects[report.path], rows)
                if differ:
                    problems.append(
                        (str(report.path), "its measures differ from those the store computes "
                         f"from its corners and the image headers' calibration: {differ[0]}"
                         f"{f' and {len(differ) - 1} more' if len(differ) > 1 else ''}")
                    )  # fmt: skip
        if problems:
            raise StructuredReportError(
                f"{len(problems)} report(s) refused:{listed(problems)}", fix=refusal_fix(summary)
            )
    return summary
