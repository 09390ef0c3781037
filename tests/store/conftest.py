"""Fixtures for the read store tests: a fresh SQLite store in a temporary folder, and the same
tests on PostgreSQL when ``SPINE_ENDPOINTS_TEST_POSTGRES_URL`` names a scratch database (it is
emptied; ``bash scripts/test-postgres.sh start`` prints one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from scratch_postgres import POSTGRES_URL, empty_postgres

from imaging.protocol import Protocol, load_protocol
from imaging.store import people as people_module
from imaging.store.cases import get_case
from imaging.store.people import add_person
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


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store_url(request: pytest.FixtureRequest, store_url: str) -> str:
    """An empty store on SQLite, then on PostgreSQL (skipped without a scratch database)."""
    if request.param == "sqlite":
        return store_url
    if not POSTGRES_URL:
        pytest.skip("set SPINE_ENDPOINTS_TEST_POSTGRES_URL to run")
    return empty_postgres(POSTGRES_URL)


@pytest.fixture
def login(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Become another operating-system user, as far as the store can tell."""

    def become(name: str) -> None:
        monkeypatch.setattr(people_module, "login_name", lambda: name)

    return become


@pytest.fixture
def staffed(store: ReadStore, login: Callable[[str], None]) -> ReadStore:
    """A store whose people are manager 'boss', readers 'ann' and 'bob', adjudicator 'ada'."""
    login("boss")
    with store.writing() as db:
        add_person(db, "boss", "Bo Manager", "manager", actor="boss")
        add_person(db, "ann", "Ann Reader", "reader", actor="boss")
        add_person(db, "bob", "Bob Reader", "reader", actor="boss")
        add_person(db, "ada", "Ada Adjudicator", "adjudicator", actor="boss")
        get_case(db, "S1", "baseline", actor="boss")
    return store
