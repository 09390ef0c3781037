"""Batch endpoints over a whole archive, per study (subject x visit), on any executor.

``run_batch(BatchOptions(archive, out, ...), executor)`` scans the archive, pairs images with
landmarks and grades, computes each study on a :class:`concurrent.futures.Executor` (in-process,
local processes or a dask.distributed cluster: :func:`open_executor`), streams each result to
``out/studies/`` and writes ``endpoints.csv``/``.parquet``, ``failures.csv``, ``eligibility.csv``
and ``provenance.json``. A rerun skips studies whose inputs are unchanged.
"""

from imaging.batch.executors import ExecutorChoice, InProcessExecutor, open_executor
from imaging.batch.model import Failure, FileDigest, StudyResult
from imaging.batch.progress import for_stream as progress_for_terminal
from imaging.batch.run import BatchOptions, BatchSummary, run_batch

__all__ = [
    "BatchOptions",
    "BatchSummary",
    "ExecutorChoice",
    "Failure",
    "FileDigest",
    "InProcessExecutor",
    "StudyResult",
    "open_executor",
    "progress_for_terminal",
    "run_batch",
]
