"""What the store can keep of a text value: one check, the same on SQLite and PostgreSQL.

The limits are the model's columns (:mod:`imaging.store.schema`): a ``String(n)`` column
(subject, visit, reader, UIDs, ...) keeps identifiers of at most ``n`` characters and no control
character (U+0000-U+001F, U+007F-U+009F); a ``Text`` column keeps any length but no NUL, which
PostgreSQL refuses. SQLite would store a longer or NUL-holding value where PostgreSQL raises a
``DataError``; this check runs first on both.

Entry points check the values they bring with :func:`check_value`, naming where the value comes
from (a file and DICOM tag, a CSV line); :func:`refuse_unstorable`, run by the ORM before every
insert and update, is the backstop for anything else (an ``--actor``, a protocol id) and names
the column.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapper

from imaging.errors import StoreError

SHOWN = 24
"""Characters of a refused value quoted in the message."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Unicode's control characters (category Cc)."""


def _column(column: Any) -> Any:
    """A table column from a mapped attribute (``Subject.subject_id``) or a column."""
    return column.property.columns[0] if hasattr(column, "property") else column


def label(column: Any) -> str:
    """What a column holds, for people: its ``info["label"]``, else ``table.column``."""
    column = _column(column)
    return str(column.info.get("label") or f"{column.table.name}.{column.name}")


def value_problem(value: str, column: Any) -> str | None:
    """Why ``column`` cannot keep ``value`` (``"is 80 characters; the store keeps at most
    64"``), or None when it can."""
    kind = _column(column).type
    if not isinstance(kind, String):
        return None
    if isinstance(kind, Text) or kind.length is None:
        at = value.find("\x00")
        return None if at < 0 else f"holds a NUL character (at character {at + 1})"
    if len(value) > kind.length:
        return f"is {len(value)} characters; the store keeps at most {kind.length}"
    control = _CONTROL.search(value)
    if control is not None:
        return (
            f"holds the control character U+{ord(control.group()):04X} (at character "
            f"{control.start() + 1}); identifiers are printable text"
        )
    return None


def shown(value: str) -> str:
    """The value quoted for a message, cut to :data:`SHOWN` characters (control characters
    escaped)."""
    return repr(value[:SHOWN]) + ("..." if len(value) > SHOWN else "")


def value_message(value: str, column: Any, what: str = "") -> str | None:
    """``"<what> <value> <problem>"`` when ``column`` cannot keep ``value``, else None;
    ``what`` defaults to the column's :func:`label`."""
    problem = value_problem(value, column)
    return None if problem is None else f"{what or label(column)} {shown(value)} {problem}"


FIX = "Shorten it, or remove the control character, and try again."


def check_value(
    value: str, column: Any, what: str = "", *, path: str | None = None, fix: str = FIX
) -> None:
    """Raise :class:`~imaging.errors.StoreError` (naming ``path``) when ``column`` cannot keep
    ``value``."""
    message = value_message(value, column, what)
    if message is not None:
        raise StoreError(message, path=path, fix=fix)


def check_subject_id(value: str, what: str = "") -> None:
    """:func:`check_value` for a subject id (the column of ``subjects.subject_id``)."""
    from imaging.store.schema import Subject  # the schema registers this module's ORM hook

    check_value(value, Subject.subject_id, what)


@cache
def _text_columns(mapper: Mapper[Any]) -> tuple[tuple[str, Any, int], ...]:
    """(attribute, column, length; 0 for Text) of a mapped class's text columns."""
    return tuple(
        (attribute.key, attribute.columns[0], attribute.columns[0].type.length or 0)
        for attribute in mapper.column_attrs
        if isinstance(attribute.columns[0].type, String)
    )


def refuse_unstorable(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    """ORM ``before_insert``/``before_update`` hook: refuse a row holding a value its column
    cannot keep, before the database sees it."""
    for key, column, length in _text_columns(mapper):
        value = getattr(target, key)
        if not isinstance(value, str):
            continue
        if (len(value) > length or _CONTROL.search(value)) if length else "\x00" in value:
            check_value(value, column)
