"""Worker processes for the concurrency tests (importable by spawned children)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from imaging.protocol import load_protocol
from imaging.protocol.grade_forms import GradeRow
from imaging.store.cases import get_case
from imaging.store.corrections import correct
from imaging.store.grades import import_grade_rows
from imaging.store.reads import ReadContent, latest_version, save_draft, start_read, submit
from imaging.store.store import ReadStore

SHARED = ("SHARED", "baseline", "R0")


def grade_row(subject: str, pfirrmann: str, reader: str = "R1") -> GradeRow:
    return GradeRow(
        subject, "baseline", "L4-L5", reader,
        (("pfirrmann", pfirrmann), ("modic_cranial", "I"), ("modic_caudal", "0")),
    )  # fmt: skip


def writer(url: str, prefix: str, count: int, start: Any, times: Any) -> None:
    """Save ``count`` new reads and ``count`` corrections of the shared read, one per transaction.

    Puts (prefix, start, end) on ``times``: the wall-clock span of the writing.
    """
    protocol = load_protocol()
    with ReadStore(url) as store:
        start.wait(60)  # a barrier: both writers begin together
        began = time.time()
        for i in range(count):
            subject = f"{prefix}-{i:03d}"
            import_grade_rows(
                store,
                protocol,
                [grade_row(subject, str(1 + i % 5))],
                actor=prefix,
                register_unknown=True,
            )
            with store.writing() as session:
                case = get_case(session, *SHARED[:2], actor=prefix)
                latest = latest_version(session, case, SHARED[2])
                assert latest is not None
                content = ReadContent({("L4-L5", "pfirrmann"): str(1 + (latest.version % 5))})
                correct(session, latest, content, protocol, reason=f"{prefix} {i}", actor=prefix)
    times.put((prefix, began, time.time()))


def killed_mid_save(url: str, inside: Any) -> None:
    """Open a long write transaction that spills to the WAL, signal, and wait to be killed."""
    protocol = load_protocol()
    with ReadStore(url) as store, store.writing() as session:
        session.execute(text("PRAGMA cache_size = 2"))  # force uncommitted pages into the WAL
        for i in range(300):
            case = get_case(session, f"LOST-{i:03d}", "baseline", actor="doomed")
            read = start_read(session, case, "R9", actor="doomed")
            save_draft(session, read, ReadContent({("L4-L5", "pfirrmann"): "3"}), protocol)
            submit(session, read, actor="doomed")
        session.flush()
        inside.set()
        time.sleep(120)
