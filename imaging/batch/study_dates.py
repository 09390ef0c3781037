"""When each study of a batch was: each subject's baseline date and each study's day.

A radiograph without a (0012,0050) *Clinical Trial Time Point ID* gets its visit from its
(0008,0020) *Study Date*, counted from the subject's treatment date or baseline study
(:func:`imaging.protocol.visits.assign_visit`); the endpoint table's study day counts from the
same day 0 (:func:`imaging.protocol.visits.exact_study_day`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from imaging.dicom.scan import ScanRecord, scan_file
from imaging.protocol.model import Protocol
from imaging.protocol.visits import exact_study_day


def study_date(record: ScanRecord) -> dt.date | None:
    """The (0008,0020) *Study Date* of a scanned file; None without one."""
    return dt.date.fromisoformat(record.study_date) if record.study_date else None


def is_baseline_visit(protocol: Protocol, name: str) -> bool:
    """``name`` (a visit id or time point id) names the protocol's baseline visit."""
    return protocol.visit_id(name) == protocol.baseline_visit


def baseline_dates(records: Iterable[ScanRecord], protocol: Protocol) -> dict[str, dt.date]:
    """Per subject: the date of its baseline study (by time point id), else its earliest study."""
    named: dict[str, dt.date] = {}
    earliest: dict[str, dt.date] = {}
    for record in records:
        date = study_date(record)
        if not record.subject or date is None:
            continue
        if record.visit and is_baseline_visit(protocol, record.visit):
            named[record.subject] = min(date, named.get(record.subject, date))
        earliest[record.subject] = min(date, earliest.get(record.subject, date))
    return earliest | named


def study_days(
    images: Mapping[tuple[str, str], Iterable[str]],
    records: Iterable[ScanRecord],
    protocol: Protocol,
    treatment_dates: Mapping[str, dt.date],
) -> dict[tuple[str, str], int]:
    """(subject, visit) -> the study's day: its earliest image's Study Date against day 0 (the
    treatment date, else the subject's baseline study date), as the store's export counts it
    (:func:`imaging.protocol.visits.exact_study_day`: unknown without a treatment date when the
    protocol says baseline imaging precedes treatment by an interval). ``images`` are each
    study's image paths; those not among the scanned ``records`` (films only the landmarks name)
    have their header read here."""
    dates = {r.path: study_date(r) for r in records if r.member is None}
    found: dict[tuple[str, str], dt.date] = {}
    for key, paths in images.items():
        if protocol.baseline_to_treatment_days is not None and key[0] not in treatment_dates:
            continue  # day 0 is unknown: no header needs reading for a day nobody can give
        for path in paths:
            if path not in dates:
                dates[path] = study_date(scan_file(path))
            date = dates[path]
            if date is not None:
                found[key] = min(date, found.get(key, date))
    baseline = {s: d for (s, v), d in found.items() if v == protocol.baseline_visit}
    days: dict[tuple[str, str], int] = {}
    for (subject, visit), date in found.items():
        day = exact_study_day(
            date,
            protocol,
            treatment_date=treatment_dates.get(subject),
            baseline_date=baseline.get(subject),
        )
        if day is not None:
            days[(subject, visit)] = day
    return days
