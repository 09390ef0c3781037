"""Reading TOML with errors that name the file, the line and the key path.

:mod:`tomllib` gives line numbers for syntax errors only. :class:`TomlSource` maps every key path
(``("visits", 3, "window_before")``) to the line that defines it by scanning the table headers and
``key = value`` lines, so a value that parses but is wrong is reported where the user wrote it.
:class:`Table` wraps one table with typed getters and refuses unknown keys (typos).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from imaging.errors import ProtocolError, TextInputError
from imaging.text_input import check_nesting, check_toml_nesting, read_text

KeyPath = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def format_key(key: KeyPath) -> str:
    """``("visits", 3, "day")`` -> ``visits[3].day`` (indexes from 0, as in the file order)."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def parse_key(text: str) -> KeyPath:
    """``visits[3].id`` -> ``("visits", 3, "id")``: the inverse of :func:`format_key`."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", text):
        parts.append(int(index) if index else name)
    return tuple(parts)


def _segments(dotted: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_\-]+|"[^"]*"|'[^']*'""", dotted)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def _line_map(text: str) -> dict[KeyPath, int]:
    """First line (1-based) of every table header and key, by resolved key path."""
    lines: dict[KeyPath, int] = {}
    array_index: dict[KeyPath, int] = {}
    table: KeyPath = ()
    in_string: str | None = None

    def resolve(names: list[str]) -> KeyPath:
        path: KeyPath = ()
        for name in names:
            path = (*path, name)
            if path in array_index:
                path = (*path, array_index[path])
        return path

    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER.match(line)
        if header:
            names = _segments(header.group(2))
            if header.group(1) == "[[":
                parent = resolve(names[:-1])
                array = (*parent, names[-1])
                array_index[array] = array_index.get(array, -1) + 1
                lines.setdefault(array, number)
                table = (*array, array_index[array])
            else:
                table = resolve(names)
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*table, *_segments(key.group(1))), number)
            rest = line[key.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
    return lines


@dataclass
class TomlSource:
    """One TOML file: its path, its parsed data and where each key is written."""

    path: Path
    data: dict[str, Any]
    text: str
    _lines: dict[KeyPath, int] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, path: str | Path, what: str = "protocol") -> TomlSource:
        """Parse ``path`` (read within the limits of :mod:`imaging.text_input`); a missing,
        special, oversized, too deeply nested or invalid file raises :class:`ProtocolError`."""
        path = Path(path)
        try:
            text = read_text(path, f"{what} file", "toml")
        except TextInputError as error:
            raise _protocol_error(error) from None
        return cls.parse(text, path, what)

    @classmethod
    def parse(cls, text: str, path: str | Path, what: str = "protocol") -> TomlSource:
        try:
            check_toml_nesting(text, path, f"{what} file")
            data = tomllib.loads(text)
            check_nesting(data, path, f"{what} file")
        except TextInputError as error:
            raise _protocol_error(error) from None
        except tomllib.TOMLDecodeError as error:
            line = getattr(error, "lineno", None)
            message = str(getattr(error, "msg", error))
            if line is None:
                found = re.search(r"\(at line (\d+)", str(error))
                line = int(found.group(1)) if found else None
                message = re.sub(r"\s*\(at line.*\)$", "", str(error))
            raise ProtocolError(
                f"not valid TOML: {message}",
                path=path,
                line=line,
                fix=f"Fix the {what} file's syntax (see docs/protocol-format.md).",
            ) from None
        return cls(Path(path), data, text, _line_map(text))

    def line_of(self, key: KeyPath) -> int | None:
        """The line defining ``key``, or of its nearest enclosing key when not written out."""
        for end in range(len(key), 0, -1):
            if key[:end] in self._lines:
                return self._lines[key[:end]]
        return None

    def error(self, key: KeyPath, message: str, fix: str = "") -> ProtocolError:
        return ProtocolError(
            message,
            path=self.path,
            line=self.line_of(key),
            key=format_key(key) or None,
            fix=fix,
        )

    def root(self) -> Table:
        return Table(self, self.data, ())


def _protocol_error(error: TextInputError) -> ProtocolError:
    return ProtocolError(error.reason, path=error.path, line=error.line, fix=error.fix)


_MISSING: Any = object()


class Table:
    """A TOML table with typed getters; :meth:`done` refuses keys nobody asked for."""

    def __init__(self, source: TomlSource, data: dict[str, Any], key: KeyPath) -> None:
        self.source = source
        self.data = data
        self.key = key
        self._used: set[str] = set()

    def error(self, name: str | None, message: str, fix: str = "") -> ProtocolError:
        """An error at key ``name`` of this table (``name`` may be a path: ``rules[2].values``)."""
        key = self.key if name is None else (*self.key, *parse_key(name))
        return self.source.error(key, message, fix)

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, default: Any, kind: str) -> Any:
        self._used.add(name)
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            where = format_key(self.key) or "the top level"
            raise self.error(None, f"missing key '{name}' in {where}", f"Add {name} = <{kind}>.")
        return default

    def text(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default, "text")
        if value is not default and not isinstance(value, str):
            raise self.error(name, f"{name} must be text, got {value!r}", 'Quote it: "..."')
        if isinstance(value, str) and not value.strip() and default is _MISSING:
            raise self.error(name, f"{name} is empty", "Give a value.")
        return value.strip() if isinstance(value, str) else value

    def whole(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default, "whole number")
        if value is not default and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.error(name, f"{name} must be a whole number, got {value!r}")
        return value

    def number(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default, "number")
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, f"{name} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise self.error(name, f"{name} must be finite, got {value!r}")
        return float(value)

    def flag(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default, "true or false")
        if value is not default and not isinstance(value, bool):
            raise self.error(name, f"{name} must be true or false, got {value!r}")
        return value

    def array(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default, "list")
        if value is not default and not isinstance(value, list):
            raise self.error(name, f"{name} must be a list [...], got {value!r}")
        return value

    def texts(self, name: str, default: Any = _MISSING) -> Any:
        value = self.array(name, default)
        if value is default:
            return value
        for index, item in enumerate(value):
            if not isinstance(item, str | int) or isinstance(item, bool):
                raise self.source.error(
                    (*self.key, name, index),
                    f"{name} must list text or whole numbers, item {index} is {item!r}",
                )
        return [str(item).strip() for item in value]

    def table(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default, "table")
        if value is default:
            return value
        if not isinstance(value, dict):
            raise self.error(name, f"{name} must be a table, got {value!r}", f"Write [{name}].")
        return Table(self.source, value, (*self.key, name))

    def tables(self, name: str, default: Any = _MISSING) -> Any:
        """An array of tables (``[[name]]``)."""
        value = self._get(name, default, "array of tables")
        if value is default:
            return value
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(name, f"{name} must be an array of tables", f"Write [[{name}]].")
        return [Table(self.source, v, (*self.key, name, i)) for i, v in enumerate(value)]

    def raw(self, name: str, default: Any = None) -> Any:
        """The value as parsed, unchecked (marks the key used)."""
        self._used.add(name)
        return self.data.get(name, default)

    def items(self) -> Iterator[tuple[str, Any]]:
        """All key-value pairs (marks them used)."""
        self._used.update(self.data)
        yield from self.data.items()

    def done(self) -> None:
        """Refuse keys that were never read: they are typos or belong elsewhere."""
        unknown = [name for name in self.data if name not in self._used]
        if unknown:
            known = ", ".join(sorted(self._used))
            raise self.error(
                unknown[0],
                f"unknown key '{unknown[0]}'",
                f"Known keys here: {known}. Check the spelling (docs/protocol-format.md).",
            )


T = TypeVar("T")


def located(table: Table, build: Callable[[], T]) -> T:
    """Run ``build()``; a model error without a location gets the table's file and line."""
    try:
        return build()
    except ProtocolError as error:
        if error.path is not None:
            raise
        raise table.error(error.key, error.reason, error.fix) from None
