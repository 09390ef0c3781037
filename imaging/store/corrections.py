"""Corrections: a submitted read's version n + 1, with a reason (21 CFR 11.10(e)).

:func:`start_correction` makes a draft that starts as a copy of version n (grades, suggestions,
comments, landmarks, films and the measures stored with the read); it is saved and submitted
like any draft (:mod:`imaging.store.reads`), and submitting audits each changed value with its
old value, new value and the reason, and signs the new version. :func:`correct` does all three.
Who may correct whose read is :func:`imaging.store.people.authorize`'s; a locked read or visit
refuses corrections.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.errors import ReadImmutableError, StoreError
from imaging.protocol.model import Protocol
from imaging.store.locks import refuse_if_locked
from imaging.store.people import MAY_CORRECT_OTHERS, authorize
from imaging.store.read_content import (
    GradeSuggestion,
    ReadContent,
    film_row,
    landmark_row,
    read_content,
    suggestion_row,
)
from imaging.store.reader_access import case_of_pk
from imaging.store.reads import audit_read, latest_version, save_draft, submit
from imaging.store.schema import GradeValue, Measurement, Read, ReadNote, SuggestedGrade, utc_now
from imaging.store.vocabulary import ReadStatus


def start_correction(
    session: Session, read: Read, *, reason: str, actor: str, source: str = ""
) -> Read:
    """A draft version n + 1 holding a copy of submitted version n, with the reason."""
    if not reason or not reason.strip():
        raise StoreError(
            "a correction needs a reason",
            fix="Say why the submitted read is corrected (e.g. 'adjudication').",
        )
    if read.status == ReadStatus.DRAFT:
        raise StoreError(f"read {read.id} is a draft: edit it, no correction is needed")
    if read.status == ReadStatus.LOCKED:
        raise ReadImmutableError(
            f"read {read.id} (reader {read.reader}, version {read.version}) is locked",
            fix="Locked reads are final; they cannot be corrected.",
        )
    case = case_of_pk(session, read.case_pk)
    authorize(session, actor, f"correct read {read.id}", reader=read.reader,
              others=MAY_CORRECT_OTHERS)  # fmt: skip
    refuse_if_locked(session, case, f"correct read {read.id}")
    latest = latest_version(session, case, read.reader, repeat=read.repeat)
    assert latest is not None
    if latest.id != read.id:
        raise StoreError(
            f"read {read.id} (version {read.version}) is already superseded by version "
            f"{latest.version} ({latest.status})",
            fix="Correct the latest version.",
        )
    correction = Read(
        case_pk=read.case_pk, reader=read.reader, role=read.role, version=read.version + 1,
        repeat=read.repeat,
        supersedes_id=read.id, status=ReadStatus.DRAFT, reason=reason.strip(),
        protocol_id=read.protocol_id, source=source or read.source, started_at=utc_now(),
    )  # fmt: skip
    session.add(correction)
    session.flush()
    content = read_content(session, read)
    for (level, item), code in content.grades.items():
        scale = session.scalars(
            select(GradeValue.scale).where(
                GradeValue.read_pk == read.id, GradeValue.level == level, GradeValue.item == item
            )
        ).one()
        session.add(GradeValue(read_pk=correction.id, level=level, item=item, code=code,
                               scale=scale))  # fmt: skip
    for level, text in content.notes.items():
        session.add(ReadNote(read_pk=correction.id, level=level, text=text))
    for p in content.landmarks.values():
        session.add(landmark_row(correction.id, p))
    for film in content.films.values():
        session.add(film_row(correction.id, film))
    for suggested in session.scalars(
        select(SuggestedGrade).where(SuggestedGrade.read_pk == read.id)
    ):
        session.add(
            suggestion_row(
                correction.id, suggested.level, suggested.item, suggested.scale,
                GradeSuggestion(suggested.code, suggested.evidence, suggested.software_version),
            )
        )  # fmt: skip
    for measured in session.scalars(select(Measurement).where(Measurement.read_pk == read.id)):
        session.add(
            Measurement(
                case_pk=measured.case_pk, read_pk=correction.id, level=measured.level,
                measure=measured.measure, value=measured.value, unit=measured.unit,
                calibration=measured.calibration, film=measured.film, corners=measured.corners,
                reader=measured.reader,
                reference_levels=measured.reference_levels, source_image=measured.source_image,
                note=measured.note, software_version=measured.software_version,
                computed_at=measured.computed_at,
            )
        )  # fmt: skip
    session.flush()
    audit_read(
        session, correction, actor, "started", field=f"version {correction.version}",
        old_value=f"version {read.version}", new_value=ReadStatus.DRAFT,
        reason=correction.reason or "",
    )  # fmt: skip
    return correction


def correct(
    session: Session,
    read: Read,
    content: ReadContent,
    protocol: Protocol,
    *,
    reason: str,
    actor: str,
    source: str = "",
) -> Read:
    """Submit ``content`` as version n + 1 of ``read``, with ``reason``; returns the new read."""
    correction = start_correction(session, read, reason=reason, actor=actor, source=source)
    save_draft(session, correction, content, protocol)
    submit(session, correction, actor=actor)
    return correction
