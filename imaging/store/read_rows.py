"""One stored read's endpoint rows, and the study days of the store's cases.

A read's grades go through :func:`imaging.endpoints.endpoint_rows` (the reader's comment on a
level is the grade rows' ``note``); its measures are those stored with it when it was submitted,
computed by the same function from its corners and each film's calibration, with the software
version that computed them (:mod:`imaging.store.measures`). ``study_day`` is the case's study
date against the subject's day 0 (:func:`imaging.protocol.visits.exact_study_day`).
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from imaging.endpoints import EndpointRow, Grade, MeasureRules, StudyRead, endpoint_rows
from imaging.protocol.model import Protocol
from imaging.protocol.visits import exact_study_day
from imaging.store.current_reads import CurrentRead
from imaging.store.measures import grade_score
from imaging.store.read_content import read_content
from imaging.store.reader_access import blinded
from imaging.store.schema import Case, Image, Measurement, Subject


def read_rows(
    session: Session,
    current: CurrentRead,
    protocol: Protocol,
    rules: MeasureRules,
    day: int | None = None,
) -> list[EndpointRow]:
    """One read's rows: its grades through :func:`endpoint_rows`, and its stored measures."""
    read = current.read
    content = read_content(session, read)
    grades = tuple(
        Grade(level, item, code, grade_score(protocol, item, code), content.notes.get(level, ""))
        for (level, item), code in sorted(content.grades.items())
    )
    study = StudyRead(
        current.subject, current.visit, read.reader, read.version, grades=grades, study_day=day
    )
    rows = endpoint_rows(study, rules)
    measured = session.scalars(
        select(Measurement).where(Measurement.read_pk == read.id).order_by(Measurement.id)
    )
    rows.extend(
        EndpointRow(
            current.subject,
            current.visit,
            m.level,
            m.measure,
            _finite(m.value),
            m.unit,
            calibration=m.calibration,
            film=m.film,
            corners=m.corners,
            reader=read.reader,
            read_version=read.version,
            reference_levels=m.reference_levels,
            source_image=m.source_image,
            note=m.note,
            study_day=day,
            protocol=rules.protocol,
            software_version=m.software_version,
        )
        for m in measured
    )
    return rows


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def study_days(session: Session, protocol: Protocol) -> dict[int, int]:
    """Case id -> study day of its earliest dated image (treatment date, else baseline date);
    none in a blinded session (an own PostgreSQL role never learns an image's date)."""
    if blinded(session):
        return {}
    dated = (
        select(Case.id, Case.visit_id, Subject.treatment_date, func.min(Image.study_date))
        .join(Image, Image.case_pk == Case.id)
        .join(Subject, Case.subject_pk == Subject.id)
        .where(Image.study_date.is_not(None))
        .group_by(Case.id, Case.visit_id, Subject.treatment_date, Case.subject_pk)
        .add_columns(Case.subject_pk)
    )
    cases = session.execute(dated).all()
    baseline: dict[int, dt.date] = {
        subject_pk: date
        for _, visit, _, date, subject_pk in cases
        if visit == protocol.baseline_visit
    }
    days: dict[int, int] = {}
    for case_pk, _, treatment, date, subject_pk in cases:
        day = exact_study_day(
            date, protocol, treatment_date=treatment, baseline_date=baseline.get(subject_pk)
        )
        if day is not None:
            days[case_pk] = day
    return days
