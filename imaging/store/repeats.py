"""Intra-reader repeat reads (``[reading.repeats]``): a reader reads a case again, blind to the
first read, once the protocol's interval has passed.

A repeat is a read with ``repeat`` 1 beside the reader's read of the case (``repeat`` 0); it has
its own versions, signatures and audit entries, starts empty (never a copy of the first read:
the reader does not see their earlier corners or grades) and is never an endpoint: export,
eligibility, ``batch --store`` and the report read ``repeat`` 0 reads only
(:func:`imaging.store.reads.current_reads`). Reader agreement takes repeats as the intra-reader
comparison (:func:`imaging.store.export.reader_rows` with ``repeats``). Which cases and when:
:func:`imaging.store.worklist.repeats_due`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.reads import start_read
from imaging.store.schema import Case, Read
from imaging.store.worklist import repeats_due

REPEAT = 1
"""The repeat number of an intra-reader repeat (one repeat per drawn case)."""


def start_repeat(
    session: Session,
    protocol: Protocol,
    case: Case,
    reader: str,
    *,
    actor: str,
    now: dt.datetime | None = None,
) -> Read:
    """An empty draft of ``reader``'s repeat of ``case``; refused unless the protocol has
    ``[reading.repeats]`` and the case is due for this reader (drawn, interval passed)."""
    repeats = protocol.reading_design.repeats
    if repeats is None:
        raise StoreError(
            f"protocol {protocol.id!r} has no intra-reader repeats",
            fix="Declare [reading.repeats] fraction and after_days in the protocol.",
        )
    if case.reading_id not in repeats_due(session, protocol, reader, now=now):
        raise StoreError(
            f"reading id {case.reading_id} is not due for a repeat read by {reader}: it is "
            f"drawn for {repeats.fraction:g} of a reader's cases and due {repeats.after_days} "
            "days after their first read was submitted",
            fix="Take the reading ids on the reader's worklist marked as repeats.",
        )
    return start_read(session, case, reader, actor=actor, protocol_id=protocol.id, repeat=REPEAT)
