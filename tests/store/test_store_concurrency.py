"""Two writer processes lose nothing; a writer killed mid-save leaves the last committed state."""

from __future__ import annotations

import multiprocessing
import os
import signal
from pathlib import Path

import store_workers
from sqlalchemy import func, select, text

from imaging.protocol import Protocol
from imaging.protocol.grade_forms import grade_csv_text
from imaging.store.audit import audit_entries
from imaging.store.cases import get_case
from imaging.store.grades import export_grade_rows, import_grade_rows
from imaging.store.reads import versions
from imaging.store.schema import AuditEntry, Read, Subject
from imaging.store.store import ReadStore

COUNT = 15


def test_two_writer_processes_lose_nothing(store_url: str, protocol: Protocol) -> None:
    with ReadStore(store_url) as store:
        import_grade_rows(store, protocol, [store_workers.grade_row("SHARED", "4", "R0")],
                          actor="setup", register_unknown=True)  # fmt: skip
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    times = context.Queue()
    workers = [
        context.Process(target=store_workers.writer, args=(store_url, name, COUNT, start, times))
        for name in ("A", "B")
    ]
    for worker in workers:
        worker.start()
    spans = dict((name, (began, ended)) for name, began, ended in (times.get(timeout=120)
                                                                   for _ in workers))  # fmt: skip
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    # The two writers were at work at the same time (SQLite made them take turns).
    assert spans["A"][0] < spans["B"][1] and spans["B"][0] < spans["A"][1]

    with ReadStore(store_url) as store, store.reading() as session:
        subjects = set(session.scalars(select(Subject.subject_id)))
        expected = {f"{p}-{i:03d}" for p in "AB" for i in range(COUNT)} | {"SHARED"}
        assert subjects == expected
        case = get_case(session, "SHARED", "baseline", actor="t", create=False)
        chain = versions(session, case, "R0")
        assert [r.version for r in chain] == list(range(1, 2 * COUNT + 2))
        assert all(r.status == "submitted" for r in chain)
        assert [r.supersedes_id for r in chain[1:]] == [r.id for r in chain[:-1]]
        reasons = sorted(str(r.reason) for r in chain[1:])
        assert reasons == sorted(f"{p} {i}" for p in "AB" for i in range(COUNT))
        submitted = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "submitted")
        )
        assert submitted == session.scalar(select(func.count()).select_from(Read))
        assert submitted == 1 + 4 * COUNT
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_a_writer_killed_mid_save_leaves_the_last_committed_state(
    tmp_path: Path, store_url: str, protocol: Protocol
) -> None:
    rows = [store_workers.grade_row(f"KEPT-{i}", str(1 + i)) for i in range(3)]
    with ReadStore(store_url) as store:
        import_grade_rows(store, protocol, rows, actor="setup", register_unknown=True)
        before = grade_csv_text(export_grade_rows(store, protocol), protocol)
        with store.reading() as session:
            audit_before = len(audit_entries(session))

    context = multiprocessing.get_context("spawn")
    inside = context.Event()
    doomed = context.Process(target=store_workers.killed_mid_save, args=(store_url, inside))
    doomed.start()
    assert inside.wait(120), "the writer never reached the middle of its transaction"
    wal = Path(str(tmp_path / "reads.db") + "-wal")
    assert wal.stat().st_size > 0  # uncommitted pages were written
    assert doomed.pid is not None
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.join(30)
    assert doomed.exitcode == -signal.SIGKILL

    with ReadStore(store_url) as store:
        assert grade_csv_text(export_grade_rows(store, protocol), protocol) == before
        with store.reading() as session:
            assert len(audit_entries(session)) == audit_before
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(Subject)
                    .where(Subject.subject_id.like("LOST%"))
                )
                == 0
            )
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        import_grade_rows(
            store,
            protocol,
            [store_workers.grade_row("AFTER", "2")],
            actor="t",
            register_unknown=True,
        )
        assert "AFTER,baseline,L4-L5,R1,2,I,0," in grade_csv_text(
            export_grade_rows(store, protocol), protocol
        )
