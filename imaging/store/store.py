"""Opening the read store: a SQLite file by default, any SQLAlchemy URL (PostgreSQL) otherwise.

The URL comes from ``--store URL``, else the ``SPINE_ENDPOINTS_STORE`` environment variable, else
``sqlite:///spine-endpoints.db`` in the current folder. Opening applies the Alembic migrations.

SQLite runs in WAL mode (readers never block the writer) with ``synchronous=FULL`` (a committed
transaction survives a crash), foreign keys on and a busy timeout. Every write transaction starts
with ``BEGIN IMMEDIATE``, so two processes writing at once take turns instead of failing halfway;
a process killed mid-transaction leaves the last committed state (SQLite rolls the rest back on the
next open). On PostgreSQL, write transactions take a transaction-level advisory lock instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from imaging.errors import StoreError
from imaging.store.migrate import head_revision, upgrade_to_head

DEFAULT_STORE_URL = "sqlite:///spine-endpoints.db"
STORE_ENV_VAR = "SPINE_ENDPOINTS_STORE"
WRITE_LOCK_KEY = 0x5E1E_E4D0  # PostgreSQL advisory lock serialising writers
INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for "permission denied"


def store_url(url: str | None = None) -> str:
    """The store URL to use: ``url``, else ``$SPINE_ENDPOINTS_STORE``, else the default."""
    return url or os.environ.get(STORE_ENV_VAR) or DEFAULT_STORE_URL


def _sqlite_engine(url: URL, *, immediate: bool, busy_timeout_s: float) -> Engine:
    memory = url.database in (None, "", ":memory:")
    options: dict[str, Any] = {"connect_args": {"timeout": busy_timeout_s}}
    if memory:
        options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        if not memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class ReadStore:
    """A connection to the read store. Use :meth:`writing` and :meth:`reading` for transactions.

    >>> with ReadStore("sqlite:///trial.db") as store:                     # doctest: +SKIP
    ...     with store.writing() as session:
    ...         ...  # functions of imaging.store.reads / cases / grades take the session
    """

    def __init__(
        self, url: str | None = None, *, migrate: bool = True, busy_timeout_s: float = 60.0
    ) -> None:
        text_url = store_url(url)
        try:
            self.url = make_url(text_url)
        except ArgumentError:
            raise StoreError(
                f"{text_url!r} is not a database URL",
                fix="Give a SQLAlchemy URL such as sqlite:///trial.db or "
                "postgresql+psycopg://user@host/db.",
            ) from None
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            database = self.url.database
            if database and database != ":memory:":
                folder = Path(database).expanduser().resolve().parent
                if not folder.is_dir():
                    raise StoreError(
                        f"the folder {folder} of the store does not exist",
                        path=database,
                        fix="Create the folder or give another --store path.",
                    )
            self._writer = _sqlite_engine(self.url, immediate=True, busy_timeout_s=busy_timeout_s)
            self.one_connection = database in (None, "", ":memory:")
            """An in-memory database: one connection every thread shares (writes from two
            threads at once would interleave on it)."""
            if self.one_connection:
                self._reader = self._writer  # one in-memory database, one connection
            else:
                self._reader = _sqlite_engine(
                    self.url, immediate=False, busy_timeout_s=busy_timeout_s
                )
        else:
            self.one_connection = False
            try:
                self._writer = create_engine(self.url, pool_pre_ping=True)
            except (ArgumentError, ImportError) as error:
                raise StoreError(
                    f"cannot use store {self.url.render_as_string(hide_password=True)}: {error}",
                    fix="Install the database driver named in the URL (e.g. psycopg).",
                ) from None
            self._reader = self._writer
        if migrate:
            try:
                upgrade_to_head(self._writer)
            except OperationalError as error:
                self.close()
                raise StoreError(
                    f"cannot open the store {self.display_url}: {error.orig}",
                    fix="Check the URL, the file's permissions and that no other program "
                    "holds it locked.",
                ) from None
            except ProgrammingError as error:
                if getattr(error.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
                    raise
                self.close()
                raise StoreError(
                    f"cannot bring the store {self.display_url} to revision {head_revision()}: "
                    f"{error.orig}",
                    fix="The store's owner migrates it: run any spine-endpoints command once "
                    "with the owner's URL. A person's own database role cannot change the "
                    "schema (docs/store-security.md).",
                ) from None

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction: committed on exit, rolled back on an exception."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            if self.dialect == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction (a consistent snapshot on SQLite in WAL mode)."""
        with Session(self._reader, expire_on_commit=False) as session:
            yield session  # closing the session rolls the transaction back

    def close(self) -> None:
        self._writer.dispose()
        if self._reader is not self._writer:
            self._reader.dispose()

    def __enter__(self) -> ReadStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
