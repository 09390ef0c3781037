"""Bounded text input: every text file the tool reads (landmark files, grade forms, protocol and
scale TOML, JSON) is opened and parsed here, within limits.

A hostile or careless file must end in an error naming the file, the line and the fix, never in
a hang, a traceback or a MemoryError:

- only regular files are read: a device (``/dev/zero``), a FIFO or a socket is refused by name
  before it is opened for reading (and checked again on the opened descriptor, which is opened
  non-blocking so a FIFO swapped in meanwhile cannot hang);
- the size is checked before reading (:data:`MAX_BYTES`, per format) and the file is read
  through a byte cap, so a file growing while read still stops at the limit plus one byte;
- a CSV cell is at most :func:`csv.field_size_limit` characters (128 KiB): a longer one (usually
  an unclosed quote swallowing the rest of the file) is refused with the line it starts on;
- JSON and TOML nest at most :data:`MAX_NESTING` levels (arrays, objects, tables, dotted keys):
  TOML is scanned before parsing (:mod:`tomllib` recurses once per level), JSON is parsed
  (the C parser stops at Python's recursion limit) and its depth checked after, without
  recursion.

Errors are :class:`~imaging.errors.TextInputError` (``"<file>: line <n>: <what>. <fix>"``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TextIO, TypeVar

from imaging.errors import TextInputError

MiB = 1 << 20
MAX_BYTES = {"csv": 1024 * MiB, "json": 64 * MiB, "toml": 1 * MiB}
"""Largest file read, by format, in bytes. CSV is streamed row by row (a million landmark rows
are about 90 MB); JSON and TOML are parsed whole in memory."""
MAX_NESTING = 64
"""Deepest nesting of arrays, objects and tables in JSON and TOML (real files nest under 10)."""

_SPLIT_FIX = "Split the file, or use CSV (read row by row) for large landmark files."
_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


@contextmanager
def open_binary(path: str | Path, what: str, limit: int) -> Iterator[BinaryIO]:
    """``path`` open for reading, at most ``limit`` bytes (``what``: ``"landmark file"``).

    Refuses a missing file, anything but a regular file, and a file larger than ``limit``; the
    stream raises :class:`TextInputError` once more than ``limit`` bytes have been read.
    """
    source = Path(path)
    try:
        mode = source.stat().st_mode
    except FileNotFoundError:
        raise TextInputError(
            f"{what} not found", path=source, fix="Check the path and the current folder."
        ) from None
    except OSError as error:
        raise _unreadable(source, what, error) from None
    if not stat.S_ISREG(mode):
        raise _not_regular(source, what, mode)
    try:
        descriptor = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise _unreadable(source, what, error) from None
    with os.fdopen(descriptor, "rb", buffering=0) as raw:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):  # replaced between the two looks
            raise _not_regular(source, what, status.st_mode)
        if status.st_size > limit:
            raise _too_large(source, what, limit, status.st_size)
        with io.BufferedReader(_Capped(raw, limit, source, what)) as stream:
            yield stream


@contextmanager
def open_text(path: str | Path, what: str, limit: int = MAX_BYTES["csv"]) -> Iterator[TextIO]:
    """``path`` as UTF-8 text (a byte-order mark skipped, newlines kept for :mod:`csv`), bounded
    as :func:`open_binary`; text that is not UTF-8 raises :class:`TextInputError`."""
    with open_binary(path, what, limit) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            yield text
        except UnicodeDecodeError as error:
            raise _not_utf8(Path(path), what, error) from None
        finally:
            text.detach()


def read_text(path: str | Path, what: str, kind: str) -> str:
    """The whole file as UTF-8 text, at most ``MAX_BYTES[kind]`` bytes (``kind``: ``"json"``,
    ``"toml"``); a byte-order mark is dropped."""
    limit = MAX_BYTES[kind]
    with open_binary(path, what, limit) as stream:
        data = b"".join(iter(lambda: stream.read(MiB), b""))  # the cap stops at limit + 1
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise _not_utf8(Path(path), what, error, line) from None


Row = TypeVar("Row")


def csv_rows(reader: Iterable[Row], path: str | Path, what: str) -> Iterator[Row]:
    """The rows of a :func:`csv.reader` or :class:`csv.DictReader` over a file, with a cell over
    :func:`csv.field_size_limit` (or any other CSV error) refused naming the line it starts on."""
    rows = iter(reader)
    line = _line_num(reader)  # a DictReader has read its header already
    while True:
        start = line + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            raise _csv_error(Path(path), what, start, _line_num(reader), error) from None
        line = _line_num(reader)
        yield row


def csv_fieldnames(reader: csv.DictReader[str], path: str | Path, what: str) -> list[str]:
    """The header of a :class:`csv.DictReader`, its CSV errors refused as :func:`csv_rows`'."""
    try:
        return list(reader.fieldnames or [])
    except csv.Error as error:
        raise _csv_error(Path(path), what, 1, reader.line_num, error) from None


def _line_num(reader: object) -> int:
    return int(getattr(reader, "line_num", 0))


def _csv_error(source: Path, what: str, start: int, now: int, error: csv.Error) -> TextInputError:
    limit = csv.field_size_limit()
    if "field larger than field limit" in str(error):
        through = f" (through line {now})" if now > start else ""
        return TextInputError(
            f"a cell is longer than {limit:,} characters{through}, the limit of a {what} cell",
            path=source,
            line=start,
            fix="Cells are short values: look for a quote that is never closed, which makes the "
            "rest of the file one cell.",
        )
    return TextInputError(
        f"not valid CSV ({error})", path=source, line=start, fix=f"Save the {what} as CSV."
    )


def load_json(text: str, path: str | Path, what: str) -> Any:
    """Parse JSON text read by :func:`read_text`; invalid or too deeply nested JSON raises
    :class:`TextInputError` naming the line."""
    source = Path(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TextInputError(
            f"not valid JSON ({error.msg})",
            path=source,
            line=error.lineno,
            fix="Fix the JSON syntax at that line.",
        ) from None
    except RecursionError:
        raise _too_deep(source, what, text, _JSON_TOKENS) from None
    if nesting_depth(data) > MAX_NESTING:
        raise _too_deep(source, what, text, _JSON_TOKENS)
    return data


def check_toml_nesting(text: str, path: str | Path, what: str) -> None:
    """Refuse TOML nested deeper than :data:`MAX_NESTING` before :mod:`tomllib` (which recurses
    once per level) or a key-path map sees it: brackets and braces (arrays, inline tables)
    outside strings and comments, and the parts of a dotted key or table header (``[a.b.c]``,
    ``a.b.c = 1``), naming the line."""
    line = _deepest_line(text, _TOML_TOKENS)
    if line is None:
        line = next(
            (
                number
                for number, written in enumerate(text.splitlines(), start=1)
                if _dotted_parts(written) > MAX_NESTING
            ),
            None,
        )
    if line is not None:
        raise _nested(Path(path), what, line)


def check_nesting(data: Any, path: str | Path, what: str) -> None:
    """Refuse parsed data nested deeper than :data:`MAX_NESTING` (a last check after parsing,
    where the line is no longer known)."""
    if nesting_depth(data) > MAX_NESTING:
        raise _nested(Path(path), what, None)


def _dotted_parts(line: str) -> int:
    """How many parts the table header or keys on a TOML line have (``[a.b.c]``: 3)."""
    header = _HEADER.match(line)
    keys = header.group(1) if header else _QUOTED.sub("", line).split("=", 1)[0]
    return _QUOTED.sub("", keys).count(".") + 1 if header or "=" in line else 0


def nesting_depth(data: Any) -> int:
    """How deeply lists and dicts nest in parsed data (a scalar: 0), without recursion; stops
    counting past :data:`MAX_NESTING`."""
    depth = 0
    level: list[Any] = [data] if isinstance(data, _CONTAINERS) else []
    while level and depth <= MAX_NESTING:  # one nesting level at a time, breadth first
        depth += 1
        nested: list[Any] = []
        for value in level:
            children = value.values() if isinstance(value, dict) else value
            nested += [child for child in children if isinstance(child, _CONTAINERS)]
        level = nested
    return depth


_CONTAINERS = (dict, list)


_OPENERS, _CLOSERS = frozenset("[{"), frozenset("]}")
_HEADER = re.compile(r"^\s*\[\[?([^\]\n]*)")
_QUOTED = re.compile(r""""(?:[^"\\\n]|\\.)*"|'[^'\n]*'""")
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}\n]')
_TOML_TOKENS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}\n]'
)


def _deepest_line(text: str, tokens: re.Pattern[str]) -> int | None:
    """The line where brackets and braces outside strings and comments first nest deeper than
    :data:`MAX_NESTING`, else None."""
    depth, line = 0, 1
    for match in tokens.finditer(text):
        token = match.group()
        if token in _OPENERS:
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif token in _CLOSERS:
            depth = max(depth - 1, 0)
        else:
            line += token.count("\n")
    return None


class _Capped(io.RawIOBase):
    """A raw binary stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, raw: io.FileIO, limit: int, source: Path, what: str) -> None:
        self._raw, self._left, self._limit = raw, limit + 1, limit
        self._source, self._what = source, what

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        self._left = self._limit + 1 - position
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._left <= 0:
            raise _too_large(self._source, self._what, self._limit, None)
        count = self._raw.readinto(view[: min(len(view), self._left)]) or 0
        self._left -= count
        if self._left <= 0:
            raise _too_large(self._source, self._what, self._limit, None)
        return count


def _unreadable(source: Path, what: str, error: OSError) -> TextInputError:
    return TextInputError(
        f"cannot read the {what} ({error.strerror})", path=source, fix=f"Give a readable {what}."
    )


def _not_regular(source: Path, what: str, mode: int) -> TextInputError:
    return TextInputError(
        f"{_kind(mode)}, not a regular file: it is not read as a {what}",
        path=source,
        fix=f"Give the path of the {what} itself.",
    )


def _too_large(source: Path, what: str, limit: int, size: int | None) -> TextInputError:
    found = f"{size:,} bytes" if size is not None else "still growing past it"
    return TextInputError(
        f"the {what} is larger than the limit of {limit:,} bytes ({found})",
        path=source,
        fix=_SPLIT_FIX if limit >= MAX_BYTES["json"] else f"A {what} is small: check the path.",
    )


def _not_utf8(
    source: Path, what: str, error: UnicodeDecodeError, line: int | None = None
) -> TextInputError:
    return TextInputError(
        f"the {what} is not UTF-8 text ({error.reason})",
        path=source,
        line=line,
        fix="Save it as UTF-8 (in a spreadsheet: CSV UTF-8).",
    )


def _too_deep(source: Path, what: str, text: str, tokens: re.Pattern[str]) -> TextInputError:
    return _nested(source, what, _deepest_line(text, tokens))


def _nested(source: Path, what: str, line: int | None) -> TextInputError:
    return TextInputError(
        f"nested more than {MAX_NESTING} levels deep, the limit of a {what}",
        path=source,
        line=line,
        fix="Real files nest a few levels: check that the file is what it claims to be.",
    )


__all__ = [
    "MAX_BYTES",
    "MAX_NESTING",
    "check_nesting",
    "check_toml_nesting",
    "csv_fieldnames",
    "csv_rows",
    "load_json",
    "nesting_depth",
    "open_binary",
    "open_text",
    "read_text",
]
