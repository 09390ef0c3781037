"""Where per-study work runs: in-process, local processes or a dask.distributed cluster.

Everything the batch needs is the :class:`concurrent.futures.Executor` interface, so any executor
works. :func:`open_executor` builds the three the command line offers and says how many tasks to
keep in flight (bounded, so that results stream to disk and memory stays flat).
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from imaging.errors import SpineEndpointsError

_P = ParamSpec("_P")
_T = TypeVar("_T")


class InProcessExecutor(Executor):
    """Runs each call at submission, in the calling thread: no pickling, plain tracebacks.

    An exception the call raises is handed over through its future; an interrupt (Ctrl-C,
    :class:`KeyboardInterrupt`) or :class:`SystemExit` is not a result and propagates at once.
    """

    def __init__(self) -> None:
        self._shut_down = False

    def submit(self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
        if self._shut_down:
            raise RuntimeError("cannot schedule new work after shutdown")
        future: Future[_T] = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # handed to the caller through the future, not lost
            future.set_exception(error)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shut_down = True


@dataclass(frozen=True)
class ExecutorChoice:
    """An open executor, a description for logs and provenance, and how many tasks to queue."""

    executor: Executor
    description: str
    max_in_flight: int


class SchedulerError(SpineEndpointsError):
    """The dask scheduler given with --scheduler cannot be reached."""


@contextmanager
def open_executor(
    jobs: int | None = None, scheduler: str | None = None
) -> Iterator[ExecutorChoice]:
    """Open the executor for ``jobs`` local processes, a dask ``scheduler`` address, or neither.

    ``jobs`` of None or 1 runs in-process. Local processes start with the ``forkserver`` method,
    so threads of the parent (progress bar, dask) are never forked. The executor is shut down on
    exit: after the running tasks finish when the block ends normally; at once when it ends by
    an exception or an interrupt (queued tasks cancelled, local worker processes terminated, the
    cluster's tasks cancelled).
    """
    if jobs is not None and scheduler is not None:
        raise SpineEndpointsError(
            "--jobs and --scheduler both given", fix="Choose local processes or a dask cluster."
        )
    if scheduler is not None:
        with _dask_executor(scheduler) as choice:
            yield choice
        return
    if jobs is None or jobs == 1:
        executor: Executor = InProcessExecutor()
        choice = ExecutorChoice(executor, "in-process", 1)
    else:
        if jobs < 1:
            raise SpineEndpointsError(
                f"--jobs must be 1 or more, got {jobs}", fix="Give the number of processes."
            )
        _check_socket_folder(jobs)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["imaging.batch.task"])
        executor = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
        choice = ExecutorChoice(executor, f"{jobs} local processes", 2 * jobs)
    try:
        yield choice
    except BaseException:
        _stop_now(executor)
        raise
    executor.shutdown(wait=True, cancel_futures=True)


SOCKET_PATH_MAX = 107
"""Bytes of a Unix socket's path (``sun_path`` is 108 with its NUL on Linux, 104 on macOS)."""


def _check_socket_folder(jobs: int) -> None:
    """Refuse a temporary folder too long for the worker processes' socket: the forkserver
    listens on ``<temporary folder>/pymp-XXXXXXXX/listener-XXXXXXXX`` (CPython's
    ``multiprocessing``), and a longer path fails at the first study with a bare OSError."""
    folder = tempfile.gettempdir()
    length = len(os.fsencode(Path(folder) / ("pymp-" + 8 * "x") / ("listener-" + 8 * "x")))
    if length > SOCKET_PATH_MAX:
        raise SpineEndpointsError(
            f"--jobs {jobs}: the temporary folder {folder} is too long a path for the worker "
            f"processes' socket ({length} bytes with its file name; at most {SOCKET_PATH_MAX})",
            fix="Set TMPDIR to a shorter folder (e.g. /tmp), or run with --jobs 1.",
        )


def _stop_now(executor: Executor) -> None:
    """Cancel what is queued and end the running work without waiting for it."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:  # ProcessPoolExecutor.terminate_workers() from Python 3.14
        process.terminate()
    for process in processes:
        process.join()


@contextmanager
def _dask_executor(address: str) -> Iterator[ExecutorChoice]:
    from distributed import Client

    try:
        client = Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise SchedulerError(
            f"cannot connect to the dask scheduler at {address} ({error})",
            fix="Start the scheduler (`dask scheduler`) and workers, or check the address.",
        ) from error
    try:
        threads = sum(client.nthreads().values()) or os.cpu_count() or 1
        executor = client.get_executor(pure=False)
        try:
            yield ExecutorChoice(
                executor, f"dask cluster at {address} ({threads} threads)", 2 * threads
            )
        except BaseException:
            executor.shutdown(wait=False)  # cancels the cluster's tasks of this batch
            raise
        executor.shutdown(wait=True)
    finally:
        client.close()


def describe(executor: Executor) -> str:
    """A short name of any executor, for provenance when the caller passed their own."""
    name: Any = type(executor).__name__
    workers = getattr(executor, "_max_workers", None)
    return f"{name} ({workers} workers)" if workers else str(name)
