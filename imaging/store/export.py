"""The store's reads as the one endpoint table: what ``export``, ``eligibility`` and the report use.

:func:`stored_rows` is the endpoint of every case (:func:`imaging.store.adjudication.case_rows`):
the current version of its read when one reader read it (``origin`` ``single read``); for a case
read twice under a double-reading protocol, one row per item made of both reads and the submitted
adjudication (``agreeing reads``, ``adjudication``; docs/endpoint-table.md). Each read's rows come
from :func:`imaging.endpoints.endpoint_rows` (:mod:`imaging.store.read_rows`). Change from baseline
is added by :func:`imaging.endpoints.complete_rows`: per reader for single reads, per item for the
endpoint of double-read cases. :func:`reader_rows` keeps every reader's own rows (reader
agreement). Visits come from the unblinding map, so readers never see them while the export does.
Rows follow docs/endpoint-table.md.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from imaging.endpoints import EndpointRow, MeasureRules, complete_rows
from imaging.protocol.model import Protocol
from imaging.store.adjudication import case_rows
from imaging.store.current_reads import current_reads
from imaging.store.read_rows import read_rows, study_days


def stored_rows(
    session: Session, protocol: Protocol, subject: str | None = None
) -> list[EndpointRow]:
    """Every case's endpoint rows (adjudicated where it was), completed with change from
    baseline."""
    if not protocol.reading_design.double:
        return reader_rows(session, protocol, subject)
    return complete_rows(case_rows(session, protocol, subject), protocol, by_reader=False)


def reader_rows(
    session: Session,
    protocol: Protocol,
    subject: str | None = None,
    *,
    repeats: bool = False,
    qualification: bool = False,
) -> list[EndpointRow]:
    """Every current read's own rows (one set per reader of a case), completed with change from
    baseline per reader: the input of reader agreement. With ``repeats``: the readers'
    intra-reader repeats instead (:mod:`imaging.store.repeats`; never endpoints). The protocol's
    qualification set is left out, or, with ``qualification``, alone kept
    (:mod:`imaging.store.qualification`)."""
    rules = MeasureRules.from_protocol(protocol)
    days = study_days(session, protocol)
    in_set = protocol.reading_design.qualification_subjects
    rows: list[EndpointRow] = []
    for current in current_reads(session, subject, repeats=repeats):
        if (current.subject in in_set) != qualification:
            continue
        rows.extend(read_rows(session, current, protocol, rules, days.get(current.read.case_pk)))
    return complete_rows(rows, protocol)


def reader_roles(session: Session) -> dict[tuple[str, str, str], str]:
    """(subject, visit, reader) -> the role of the reader's current read (``adjudicator``...)."""
    return {(c.subject, c.visit, c.read.reader): c.read.role for c in current_reads(session)}


def reader_months(session: Session) -> dict[tuple[str, str, str], str]:
    """(subject, visit, reader) -> the calendar month (``YYYY-MM``, UTC) the reader's current
    read was submitted in: reader drift (:mod:`imaging.agreement.drift`)."""
    return {
        (c.subject, c.visit, c.read.reader): f"{c.read.submitted_at:%Y-%m}"
        for c in current_reads(session)
        if c.read.submitted_at is not None
    }
