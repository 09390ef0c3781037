"""Progress of a batch: a rich progress bar on a terminal, plain log lines otherwise.

The batch calls :meth:`Progress.start` once, :meth:`Progress.advance` after each study (computed
or skipped) and :meth:`Progress.close` at the end. Log lines go to a stream (standard error by
default) so that standard output stays free for the summary.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.progress import TaskID


class Progress(Protocol):
    def start(self, total: int, description: str) -> None: ...

    def advance(self, label: str, status: str) -> None: ...

    def close(self) -> None: ...


class SilentProgress:
    """Reports nothing (library use, tests)."""

    def start(self, total: int, description: str) -> None:
        return None

    def advance(self, label: str, status: str) -> None:
        return None

    def close(self) -> None:
        return None


class LogProgress:
    """One line per study: ``[  3/40] S002 month_6: ok (1.2 s elapsed)``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = 0
        self.done = 0
        self.started = time.perf_counter()

    def start(self, total: int, description: str) -> None:
        self.total, self.done, self.started = total, 0, time.perf_counter()
        print(f"{description}: {total} studies", file=self.stream, flush=True)

    def advance(self, label: str, status: str) -> None:
        self.done += 1
        width = len(str(self.total))
        elapsed = time.perf_counter() - self.started
        print(
            f"[{self.done:>{width}}/{self.total}] {label}: {status} ({elapsed:.1f} s elapsed)",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        return None


class RichProgress:
    """A rich progress bar with counts, rate and time remaining."""

    def __init__(self, stream: TextIO | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        console = Console(file=stream if stream is not None else sys.stderr)
        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[last]}"),
            console=console,
        )
        self._task: TaskID | None = None

    def start(self, total: int, description: str) -> None:
        self._bar.start()
        self._task = self._bar.add_task(description, total=total, last="")

    def advance(self, label: str, status: str) -> None:
        if self._task is not None:
            self._bar.update(self._task, advance=1, last=f"{label}: {status}")

    def close(self) -> None:
        self._bar.stop()


def for_stream(stream: TextIO | None = None) -> Progress:
    """A progress bar when ``stream`` (standard error by default) is a terminal, else log lines."""
    target = stream if stream is not None else sys.stderr
    if target.isatty():
        return RichProgress(target)
    return LogProgress(target)
