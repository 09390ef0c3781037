"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from imaging.store.schema import Landmark


@contextmanager
def _landmark_writes() -> Iterator[list[str]]:
    written: list[str] = []

    def deleted(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.split()[:3] == ["DELETE", "FROM", "landmarks"]:
            written.append("DELETE")

    def inserted(*_: Any) -> None:
        written.append("INSERT")

    event.listen(Engine, "before_cursor_execute", deleted)
    event.listen(Landmark, "after_insert", inserted)
    try:
        yield written
    finally:
        event.remove(Engine, "before_cursor_execute", deleted)
        event.remove(Landmark, "after_insert", inserted)


@pytest.fixture
def landmark_writes() -> Callable[[], AbstractContextManager[list[str]]]:
    """A context manager collecting, while inside, each DELETE statement on the store's
    ``landmarks`` table ('DELETE') and each landmark row inserted ('INSERT')."""
    return _landmark_writes
