"""The scratch PostgreSQL database of the store tests: ``SPINE_ENDPOINTS_TEST_POSTGRES_URL``
(``bash scripts/test-postgres.sh start`` prints one), emptied before each test that uses it.
Under pytest-xdist (``make test`` runs ``-n 2``) each worker gets its own database beside it,
``<database>_<worker>`` (created once, by the URL's user), so workers never empty each other's."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from imaging.protocol import Protocol
from imaging.store.cases import ImageRecord, register_images
from imaging.store.people import add_person, create_db_role, identity
from imaging.store.store import ReadStore


def _worker_database(url: str) -> str:
    """``url`` itself, or under an xdist worker (``PYTEST_XDIST_WORKER``, e.g. ``gw0``) the URL
    of that worker's own database on the same server, created when missing."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    server = make_url(url)
    own = server.set(database=f"{server.database}_{worker}")
    engine = create_engine(server, isolation_level="AUTOCOMMIT")  # CREATE DATABASE needs it
    with engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    return own.render_as_string(hide_password=False)


POSTGRES_URL = _worker_database(os.environ.get("SPINE_ENDPOINTS_TEST_POSTGRES_URL", ""))
SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"


def empty_postgres(url: str) -> str:
    """Drop everything in the scratch PostgreSQL database ``url``; returns ``url``."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@contextmanager
def registered(
    protocol: Protocol, films: tuple[str, ...], root: Path = SAMPLES
) -> Iterator[ReadStore]:
    """The emptied scratch store, opened by its owner, with the sample ``films`` (paths under
    ``root``, sample_dicom/ by default) registered under ``protocol``."""
    with ReadStore(empty_postgres(POSTGRES_URL)) as store:
        records = [ImageRecord.from_file(root / film, root=root) for film in films]
        with store.writing() as db:
            register_images(db, protocol, records, actor="owner")
        yield store


def role_url(owner: ReadStore, role: str) -> str:
    """The owner's URL with ``role`` as the user: that person's own connection."""
    return owner.url.set(username=role).render_as_string(hide_password=False)


@contextmanager
def reader_roles(
    owner: ReadStore, count: int = 2, *, adjudicators: int = 0
) -> Iterator[tuple[str, ...]]:
    """``count`` reader roles, then ``adjudicators`` adjudicator roles, with random names,
    registered as people by ``owner`` (who becomes the store's manager), and dropped
    afterwards: roles belong to the server."""
    tag = secrets.token_hex(3)
    people = [(f"reader_{chr(ord('a') + n)}_{tag}", "reader") for n in range(count)]
    people += [(f"adjudicator_{n + 1}_{tag}", "adjudicator") for n in range(adjudicators)]
    logins = tuple(login for login, _ in people)
    with owner.writing() as db:
        me = identity(db)
        add_person(db, me, "Store Owner", "manager", actor=me)
        for login, role in people:
            add_person(db, login, login.title(), role, actor=me)
            create_db_role(db, login, actor=me)
    try:
        yield logins
    finally:
        with owner.writing() as db:
            for login in logins:
                db.execute(text(f"REASSIGN OWNED BY {login} TO CURRENT_USER"))
                db.execute(text(f"DROP OWNED BY {login}"))
                db.execute(text(f"DROP ROLE {login}"))
