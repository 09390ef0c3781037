"""Reader drift: inter-reader agreement per calendar month of submission.

A case belongs to the month (``YYYY-MM``, UTC) in which the later of its readers' reads was
submitted: the month the two reads became comparable. Each month's cases go through
:func:`imaging.agreement.agreement_table` on their own (the same statistics, never pooled across
levels); a month where no two readers read the same cases gives no rows. A falling ICC or kappa
of one reader against the others over the months is drift (reader monitoring, issue 16;
docs/agreement.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from imaging.agreement.tables import AGREEMENT_COLUMNS, agreement_table
from imaging.endpoints import EndpointRow
from imaging.errors import SpineEndpointsError
from imaging.protocol.model import Protocol

DRIFT_COLUMNS = ("month", *AGREEMENT_COLUMNS)
"""The agreement table's columns after the month (``YYYY-MM``) its cases were read in."""

ReadKey = tuple[str, str, str]  # (subject, visit, reader)


def drift_table(
    protocol: Protocol,
    rows: Iterable[EndpointRow],
    months: Mapping[ReadKey, str],
    readers: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Inter-reader agreement per month, as :data:`DRIFT_COLUMNS`, months in order.

    ``months``: (subject, visit, reader) -> the month that reader's read was submitted in; rows
    of a read without a month are left out."""
    by_case: dict[tuple[str, str], list[EndpointRow]] = defaultdict(list)
    for row in rows:
        if (row.subject, row.visit, row.reader) in months:
            by_case[(row.subject, row.visit)].append(row)
    by_month: dict[str, list[EndpointRow]] = defaultdict(list)
    for (subject, visit), case_rows in by_case.items():
        month = max(months[(subject, visit, row.reader)] for row in case_rows)
        by_month[month].extend(case_rows)
    tables = []
    for month in sorted(by_month):
        try:
            table = agreement_table(protocol, by_month[month], (), readers)
        except SpineEndpointsError:
            continue  # no two of the readers read the same cases this month
        tables.append(table.assign(month=month)[list(DRIFT_COLUMNS)])
    if not tables:
        raise SpineEndpointsError(
            "no calendar month in which two readers read the same cases",
            fix="Drift needs double-read cases with submitted reads of both readers.",
        )
    return pd.concat(tables, ignore_index=True)
