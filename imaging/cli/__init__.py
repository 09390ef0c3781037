"""The ``spine-endpoints`` console script: argument parsing only.

Each sub-command lives in its own module of this package and defines
``register(subparsers: argparse._SubParsersAction) -> None``, which adds its parser and sets
``func(args) -> int`` as the parser default. Modules are discovered, so adding a command touches
no other file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import select
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from imaging import __version__
from imaging.errors import SpineEndpointsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spine-endpoints",
        description="Imaging endpoints for spine clinical trials.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; returns the exit status.

    2 for an error the user can fix; 128 + the signal's number when Ctrl-C (130) or SIGTERM (143)
    stopped the command, with one line saying what was kept; 141 (128 + SIGPIPE), quietly, when
    the reader of standard output went away (``spine-endpoints audit | head``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    with _sigterm_interrupts() as received:
        try:
            status: int = args.func(args)
            sys.stdout.flush()  # inside the try: a closed pipe shows here, not at exit
        except SpineEndpointsError as error:
            print(f"spine-endpoints {args.command}: error: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt as stop:
            print(f"spine-endpoints {args.command}: {str(stop) or 'interrupted'}", file=sys.stderr)
            return 128 + (received[0] if received else signal.SIGINT)
        except BrokenPipeError:
            if not _stdout_closed():
                raise
            _silence_stdout()
            return 128 + signal.SIGPIPE
    return status


@contextmanager
def _sigterm_interrupts() -> Iterator[list[int]]:
    """SIGTERM stops a command as Ctrl-C does (a :class:`KeyboardInterrupt`, so that it cleans
    up), for the block; yields the list of the signals received that way."""
    received: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: signals are not ours to handle
        yield received
        return
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stdout_closed() -> bool:
    """True when standard output is a pipe whose reader has gone (a broken pipe elsewhere, a
    database socket or a worker's, is an error to show)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _silence_stdout() -> None:
    """Point standard output at /dev/null so that Python's final flush does not complain (the
    Python docs' recipe for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # standard output is not a file (captured by a caller): nothing will flush it


if __name__ == "__main__":
    sys.exit(main())
