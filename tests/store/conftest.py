"""Fixtures for the read store tests: a fresh SQLite store in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imaging.protocol import Protocol, load_protocol
from imaging.store.store import ReadStore


@pytest.fixture
def protocol() -> Protocol:
    return load_protocol()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'reads.db'}"


@pytest.fixture
def store(store_url: str) -> Iterator[ReadStore]:
    with ReadStore(store_url) as opened:
        yield opened
