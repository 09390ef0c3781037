"""Run a batch: plan the studies, compute the changed ones on an executor, write the outputs.

The flow, each step streaming:

1. :func:`imaging.batch.plan.plan_batch` scans the archive and pairs images with landmarks and
   grades: one :class:`~imaging.batch.task.StudyTask` per subject x visit, plus failures for files
   that belong to no study (not DICOM, truncated, ...).
2. Studies whose recipe and files are unchanged since their stored result are skipped (unless
   ``force``); the others go to the executor, at most ``max_in_flight`` at a time, and each
   result is written to ``OUT/studies/`` as soon as it arrives.
3. The stored results are read back one study at a time, in subject and protocol-visit order, into
   ``endpoints.csv`` / ``endpoints.parquet`` and the corners they were measured from into
   ``corners.csv``; eligibility is evaluated per subject as its rows
   pass; ``failures.csv`` and ``provenance.json`` close the run. They are written into a staging
   folder and moved into ``OUT`` together (:mod:`imaging.batch.outdir`, which also locks ``OUT``
   against a second batch).

Nothing one study does stops the others: a study's failures are rows of the failures table, and a
task that raises (a bug, a worker killed) becomes a failure of that study, which is not stored and
so is recomputed on the next run. Ctrl-C or SIGTERM stops the whole run (:class:`BatchInterrupted`):
the studies stored so far are kept, and the same command resumes from them.
"""

from __future__ import annotations

import gc
import sys
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from imaging.batch import outdir, provenance
from imaging.batch.assisted import AssistOptions
from imaging.batch.eligibility import EligibilityWriter
from imaging.batch.executors import InProcessExecutor
from imaging.batch.model import (
    CORNERS_CSV,
    ELIGIBILITY_CSV,
    ENDPOINTS_CSV,
    FAILURES_CSV,
    PROVENANCE_JSON,
    Failure,
    FileDigest,
    StudyResult,
)
from imaging.batch.plan import plan_batch
from imaging.batch.progress import Progress, SilentProgress
from imaging.batch.results import ResultStore
from imaging.batch.sources import store_resolutions, write_store_signatures
from imaging.batch.tables import CornerWriter, EndpointWriter, write_failures
from imaging.batch.task import StudyTask, run_study
from imaging.protocol.adjudication import Resolution
from imaging.protocol.loader import load_protocol
from imaging.protocol.model import Protocol


@dataclass(frozen=True)
class BatchOptions:
    """What to compute and where to write it (the command line's arguments)."""

    archive: Path
    out: Path
    landmarks: Path | None = None
    store_url: str | None = None
    grades: Path | None = None
    protocol: Path | None = None
    force: bool = False
    refine: bool = False
    """Refine every read film's corners on its pixels before measuring (``--refine``)."""
    track: bool = False
    """Track unread flexion/extension films from the read ones (``--track``)."""

    @property
    def assist(self) -> AssistOptions:
        return AssistOptions(refine=self.refine, track=self.track)


@dataclass(frozen=True)
class BatchSummary:
    """Counts and output paths of a finished batch."""

    out: Path
    studies: int
    computed: int
    skipped: int
    failures: int
    rows: int
    execution: str
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        """0 when everything was computed, 1 when the failures table has rows."""
        return 1 if self.failures else 0


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the batch: the studies finished so far are kept in
    ``OUT/studies/``, the tables were not written, and the same command resumes."""

    def __init__(self, out: Path, done: int, total: int | None) -> None:
        self.out, self.done, self.total = out, done, total
        where = f"after {done} of {total} studies" if total is not None else "while planning"
        tables = "the tables were not written"
        if (out / ENDPOINTS_CSV).exists():
            tables += " (those in the folder are the previous run's)"
        super().__init__(
            f"stopped {where}; finished studies are kept in {out / 'studies'} and {tables}. "
            "Run the same command again (same --out) to resume."
        )


@dataclass
class _Counts:
    studies: int | None = None
    computed: int = 0
    skipped: int = 0


def run_batch(
    options: BatchOptions,
    executor: Executor | None = None,
    *,
    max_in_flight: int = 1,
    execution: str = "in-process",
    progress: Progress | None = None,
    command: Sequence[str] | None = None,
) -> BatchSummary:
    """Run the batch of ``options`` on ``executor`` (in-process when None); see the module doc.

    The output folder is locked for the run (:func:`imaging.batch.outdir.locked`: a second
    batch into it is refused). Ctrl-C or SIGTERM (a :class:`KeyboardInterrupt`) stops the run:
    :class:`BatchInterrupted` is raised, the finished studies are kept and the tables of the
    previous run are left as they were.
    """
    started = provenance.now()
    out = Path(options.out)
    counts = _Counts()
    with outdir.locked(out, started, lambda text: print(text, file=sys.stderr, flush=True)):
        try:
            with _collections_spared():
                return _run(
                    options, executor, max_in_flight, execution, progress, command, started, counts
                )
        except KeyboardInterrupt as stop:
            done = counts.computed + counts.skipped
            raise BatchInterrupted(out, done, counts.studies) from stop


@contextmanager
def _collections_spared() -> Iterator[None]:
    """The objects alive when the batch starts (the modules: pydicom, pandas, pyarrow, numpy)
    left out of Python's full garbage collections during the batch (:func:`gc.freeze`): each
    walked them all, 0.35 of 0.57 CPU s of collections per 1,000 studies. Left as it is when
    the process froze objects of its own (the napari plugin does)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run(
    options: BatchOptions,
    executor: Executor | None,
    max_in_flight: int,
    execution: str,
    progress: Progress | None,
    command: Sequence[str] | None,
    started: str,
    counts: _Counts,
) -> BatchSummary:
    progress = progress or SilentProgress()
    executor = executor or InProcessExecutor()
    out = Path(options.out)
    store = ResultStore(out)
    protocol = load_protocol(options.protocol)
    plan = plan_batch(
        options.archive,
        protocol,
        options.landmarks,
        options.grades,
        options.store_url,
        options.assist,
    )

    resolutions = None  # the store's double-read cases: their endpoint is made of both reads
    if options.store_url is not None and protocol.reading_design.double:
        resolutions = store_resolutions(options.store_url, protocol)
    if options.store_url is not None:  # who signed which read version: shown by the report
        write_store_signatures(options.store_url, out)
    # The studies in output order; the tasks themselves are dropped as they finish.
    studies = [(task.study_id, task.subject, task.visit) for task in plan.tasks]
    plan_failures, inputs = plan.failures, plan.inputs
    counts.studies = len(studies)
    progress.start(len(studies), f"batch on {execution}")
    task_failures: list[Failure] = []
    try:
        pending: deque[tuple[StudyTask, str]] = deque()
        for planned in plan.tasks:
            recipe = planned.recipe_hash()
            if not options.force and store.is_current(planned.study_id, recipe, planned.files):
                counts.skipped += 1
                progress.advance(planned.label, "unchanged, skipped")
            else:
                pending.append((planned, recipe))
        del plan
        for task, recipe, outcome in _compute(executor, pending, max(1, max_in_flight)):
            if isinstance(outcome, StudyResult):
                store.save(outcome, recipe)
                counts.computed += 1
                progress.advance(task.label, _status_text(outcome))
            else:
                store.remove(task.study_id)
                task_failures.append(Failure("", task.subject, task.visit, f"error: {outcome}"))
                progress.advance(task.label, f"error: {outcome}")
    finally:
        progress.close()

    failures = [*plan_failures, *task_failures]
    with outdir.staged(out) as stage:
        summary = _write_outputs(
            stage, studies, protocol, store, failures, Path(options.archive), resolutions
        )
        record = provenance.build(
            started=started,
            finished=provenance.now(),
            command=command if command is not None else sys.argv,
            options={
                "force": options.force,
                "refine": options.refine,
                "track": options.track,
                "archive": str(Path(options.archive).resolve()),
                "out": str(out.resolve()),
            },
            execution=execution,
            protocol=protocol_record(protocol, options.protocol),
            inputs=inputs,
            images=summary["digests"],
            counts={
                "studies": len(studies),
                "computed": counts.computed,
                "skipped": counts.skipped,
                "failures": summary["failures"],
                "endpoint_rows": summary["rows"],
            },
        )
        provenance.write(record, stage / PROVENANCE_JSON)
    files = {name: out / path.name for name, path in summary["files"].items()}
    files["provenance"] = out / PROVENANCE_JSON
    return BatchSummary(
        out=out,
        studies=len(studies),
        computed=counts.computed,
        skipped=counts.skipped,
        failures=summary["failures"],
        rows=summary["rows"],
        execution=execution,
        files=files,
    )


def _compute(
    executor: Executor, pending: deque[tuple[StudyTask, str]], max_in_flight: int
) -> Iterator[tuple[StudyTask, str, StudyResult | str]]:
    """Submit tasks keeping at most ``max_in_flight`` running; yield each outcome as it comes.

    Tasks are taken off ``pending`` as they are submitted. The outcome is the result, or a
    one-line description of the exception the task raised.
    """
    in_flight: dict[Future[StudyResult], tuple[StudyTask, str]] = {}

    def fill() -> None:
        while len(in_flight) < max_in_flight and pending:
            task, recipe = pending.popleft()
            in_flight[executor.submit(run_study, task)] = (task, recipe)

    fill()
    while in_flight:
        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        for future in done:
            task, recipe = in_flight.pop(future)
            error = future.exception()
            if error is not None and not isinstance(error, Exception):
                raise error  # an interrupt in a worker (Ctrl-C reaches them too) stops the batch
            if error is None:
                yield task, recipe, future.result()
            else:  # a bug or a lost worker: this study fails, the batch goes on
                yield task, recipe, f"{type(error).__name__}: {error}"
        fill()


def _status_text(result: StudyResult) -> str:
    if result.status == "ok":
        return f"ok, {len(result.rows)} rows"
    return f"{result.status}, {len(result.rows)} rows, {len(result.failures)} failure(s)"


def _write_outputs(
    folder: Path,
    studies: list[tuple[str, str, str]],
    protocol: Protocol,
    store: ResultStore,
    failures: list[Failure],
    archive: Path,
    resolutions: Mapping[tuple[str, str], Resolution] | None = None,
) -> dict[str, Any]:
    """Stream the stored results, in ``studies`` order, into the output tables in ``folder``."""
    digests: list[FileDigest] = []
    eligibility = EligibilityWriter(folder / ELIGIBILITY_CSV, protocol)
    corners_path = folder / CORNERS_CSV
    with (
        EndpointWriter(folder, protocol, resolutions) as writer,
        corners_path.open("w", encoding="utf-8", newline="") as stream,
    ):
        corners = CornerWriter(stream)
        for study, subject, visit in studies:
            record = store.load(study)
            if record is None:
                continue
            rows = writer.add_study(store.rows(record))
            corners.add_study(subject, visit, store.corners(record))
            eligibility.add(subject, visit, (row.cells() for row in rows))
            failures.extend(store.failures(record))
            digests.extend(store.digests(record))
    eligibility.close()
    count = write_failures((_relative(f, archive) for f in failures), folder / FAILURES_CSV)
    return {
        "failures": count,
        "rows": writer.rows_written,
        "digests": digests,
        "files": {
            "endpoints_csv": writer.csv_path,
            "endpoints_parquet": writer.parquet_path,
            "corners": corners_path,
            "failures": folder / FAILURES_CSV,
            "eligibility": folder / ELIGIBILITY_CSV,
        },
    }


def _relative(failure: Failure, archive: Path) -> Failure:
    """The failure with its file relative to the archive folder when it lies inside it."""
    if not failure.file:
        return failure
    path = Path(failure.file)
    try:  # the folder resolved, not the file: a dangling or looping link has no target
        relative = (path.parent.resolve() / path.name).relative_to(archive.resolve())
    except ValueError:
        return failure
    return replace(failure, file=relative.as_posix())


def protocol_record(protocol: Protocol, path: Path | None) -> dict[str, Any]:
    """The protocol as the provenance and the report need it."""
    source = provenance.file_entry(protocol.source) if protocol.source else None
    return {
        "id": protocol.id,
        "name": protocol.name,
        "file": source if source else (str(path) if path else None),
        "visits": [visit.id for visit in protocol.visits],
        "visit_labels": {visit.id: visit.label for visit in protocol.visits},
        "baseline_visit": protocol.baseline_visit,
        "target_level": protocol.target_level,
        "thresholds": dict(protocol.thresholds),
    }
