"""The batch output folder stays whole: one batch at a time, tables moved in together.

- :func:`locked` holds ``OUT/.batch.lock`` (``fcntl.flock``, which the kernel releases when the
  process dies, however it dies) for the whole run. A second batch into the same folder is
  refused, naming the first (pid, host, start time). The file names its holder; one left by a
  batch that was killed on this machine is taken over with a note, one naming another machine
  is refused (its lock may not be visible from here) until a person deletes it.
- :func:`staged` gives a private folder ``OUT/.incoming-<pid>/`` to write a run's tables into;
  they are moved into ``OUT`` together at the end, with Ctrl-C and SIGTERM held for those few
  renames, so ``OUT`` has all the tables of one run or all of the previous one, never a mix. A
  run stopped earlier leaves the previous tables and no temporary file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from imaging.errors import SpineEndpointsError

LOCK_NAME = ".batch.lock"
_STAGE_PREFIX = ".incoming-"


class OutputLockedError(SpineEndpointsError):
    """Another batch is writing to the same output folder."""


@contextmanager
def locked(out: Path, started: str, note: Callable[[str], None]) -> Iterator[None]:
    """Hold the batch lock of ``out`` (created if needed) while the block runs.

    Raises :class:`OutputLockedError` when another process holds it. ``started`` (ISO 8601) is
    written into the lock for the message another batch would show; ``note`` receives the
    message when a lock left by a killed batch is taken over. Leftovers of a stopped run
    (staging folders, temporary study files) are removed once the lock is held.
    """
    import fcntl

    _make_folder(out)
    path = out / LOCK_NAME
    while True:
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise SpineEndpointsError(
                f"cannot open the batch lock ({error.strerror or error})",
                path=path,
                fix="Choose an --out directory you can write to.",
            ) from error
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            os.close(handle)
            raise OutputLockedError(
                f"another batch ({_describe(holder)}) is writing to this folder",
                path=out,
                fix="Wait for it to finish, or choose another --out.",
            ) from None
        if _same_file(handle, path):
            break
        os.close(handle)  # the holder removed the file as we opened it: lock the new one
    previous = _holder(handle)
    if previous.get("host", socket.gethostname()) != socket.gethostname():
        # Another machine's lock may not be visible here (a network file system without
        # locking): only a person can tell that batch is gone.
        os.close(handle)
        raise OutputLockedError(
            f"the batch lock names a batch on another machine ({_describe(previous)})",
            path=out,
            fix=f"If no batch runs there any more, delete {out / LOCK_NAME}; otherwise wait "
            "for it, or choose another --out.",
        )
    try:
        if previous:
            note(
                f"{out}: taking over the lock of a batch that did not finish "
                f"({_describe(previous)}, no longer running); its completed studies are kept"
            )
        mine = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
        os.ftruncate(handle, 0)
        os.pwrite(handle, json.dumps(mine).encode(), 0)
        _remove_leftovers(out)
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(handle)


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A private folder in ``out`` to write a run's outputs into; on a normal exit every file in
    it is moved into ``out`` (signals held), otherwise it is removed with what it holds."""
    stage = out / f"{_STAGE_PREFIX}{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    _make_folder(stage)
    try:
        yield stage
        with _signals_held():
            for item in sorted(stage.iterdir()):
                item.replace(out / item.name)
            stage.rmdir()
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Defer SIGINT and SIGTERM until the block ends (the main thread only: elsewhere Python
    delivers neither); a signal that came meanwhile is raised again afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {number: signal.signal(number, hold) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if received:
            signal.raise_signal(received[0])


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SpineEndpointsError(
            f"cannot create the output folder ({error.strerror or error})",
            path=folder,
            fix="Choose an --out directory you can write to.",
        ) from error


def _remove_leftovers(out: Path) -> None:
    """Staging folders and temporary study files of runs that were killed (the lock is held)."""
    for stage in out.glob(f"{_STAGE_PREFIX}*"):
        shutil.rmtree(stage, ignore_errors=True)
    for temporary in (out / "studies").glob(".*.tmp"):
        temporary.unlink(missing_ok=True)


def _holder(handle: int) -> dict[str, Any]:
    """What the lock file says about its holder (empty when it says nothing readable)."""
    try:
        text = os.pread(handle, 4096, 0).decode("utf-8")
        holder = json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {"pid": "?"}
    return holder if isinstance(holder, dict) else {"pid": "?"}


def _describe(holder: dict[str, Any]) -> str:
    host = holder.get("host")
    where = f" on {host}" if host and host != socket.gethostname() else ""
    return f"pid {holder.get('pid', '?')}{where}, started {holder.get('started', '?')}"


def _same_file(handle: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(handle), path.stat())
    except FileNotFoundError:
        return False
