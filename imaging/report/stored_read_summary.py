"""A stored read as a :class:`~imaging.report.read_summary.ReadSummary` (``spine-endpoints
read-summary``): its content, its films loaded from the archive, its measures computed from its
corners, films' calibrations and grades (:func:`imaging.store.measures.content_rows`, as at
submit), and the signature of the version."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from imaging import __version__
from imaging.dicom.radiograph import load_radiograph
from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.report.read_summary import (
    ReadSummary,
    SummaryFilm,
    SummaryGrade,
    grade_meaning,
    signature_line,
)
from imaging.store.case_images import case_images, image_for
from imaging.store.cases import get_case
from imaging.store.measures import content_rows
from imaging.store.reads import read_content, versions
from imaging.store.signatures import READ, signature_frame


def stored_read_summary(
    session: Session,
    subject: str,
    visit: str,
    reader: str,
    protocol: Protocol,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> ReadSummary:
    """The summary of ``reader``'s read of ``subject`` at ``visit`` (its latest version unless
    ``version``). Raises :class:`StoreError` naming what is missing, and the loader's errors for
    a film that cannot be read."""
    case = get_case(session, subject, visit, actor=reader, create=False)
    reads = [r for r in versions(session, case, reader) if r.repeat == 0]
    chosen = [r for r in reads if version is None or r.version == version]
    if not chosen:
        have = ", ".join(str(r.version) for r in reads) or "none"
        raise StoreError(
            f"reader {reader} has no read{'' if version is None else f' version {version}'} of "
            f"{subject} {visit} (versions: {have})",
            fix="Check the reader id and the version (spine-endpoints audit --subject).",
        )
    read = chosen[-1]
    content = read_content(session, read)
    images = case_images(session, subject, visit)
    films = []
    for name, record in content.films.items():
        stored = image_for(images, name)
        if stored is None:
            raise StoreError(
                f"the {record.film} film of the read ({name}) is not registered to {subject} "
                f"{visit}",
                fix="Register the study (spine-endpoints register) or move the archive root.",
            )
        radiograph = load_radiograph(stored.file)
        corners: dict[str, dict[str, tuple[float, float]]] = {}
        for point in content.landmarks.values():
            if point.image == name:
                corners.setdefault(point.vertebra, {})[point.corner] = (point.row, point.col)
        films.append(
            SummaryFilm(
                record.film, radiograph.pixels, corners, record.calibration,
                radiograph.inverted_for_display,
            )
        )  # fmt: skip
    rows = content_rows(subject, visit, reader, read.version, content, protocol) or []
    grades = [
        SummaryGrade(level, item, code, grade_meaning(protocol, item, code))
        for (level, item), code in sorted(content.grades.items())
    ]
    frame = signature_frame(session)
    signed = frame[
        (frame["subject"] == subject) & (frame["visit"] == visit) & (frame["signs"] == READ)
        & (frame["reader"] == reader) & (frame["read_version"] == read.version)
    ]  # fmt: skip
    when = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    return ReadSummary(
        case=f"{subject} {visit}", reader=reader, date=when, version=read.version,
        status=str(read.status), protocol=protocol.id, software_version=__version__,
        films=tuple(films), rows=tuple(r for r in rows if not r.grade), grades=tuple(grades),
        notes=dict(content.notes),
        signature="; ".join(signature_line(row) for row in signed.to_dict("records")),
    )  # fmt: skip
