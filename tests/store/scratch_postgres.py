"""The scratch PostgreSQL database of the store tests: ``SPINE_ENDPOINTS_TEST_POSTGRES_URL``
(``bash scripts/test-postgres.sh start`` prints one), emptied before each test that uses it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from imaging.store.people import add_person, create_db_role, identity
from imaging.store.store import ReadStore

POSTGRES_URL = os.environ.get("SPINE_ENDPOINTS_TEST_POSTGRES_URL", "")


def empty_postgres(url: str) -> str:
    """Drop everything in the scratch PostgreSQL database ``url``; returns ``url``."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@contextmanager
def reader_roles(owner: ReadStore, count: int = 2) -> Iterator[tuple[str, ...]]:
    """``count`` reader roles with random names, registered as people by ``owner`` (who
    becomes the store's manager), and dropped afterwards: roles belong to the server."""
    tag = secrets.token_hex(3)
    logins = tuple(f"reader_{chr(ord('a') + n)}_{tag}" for n in range(count))
    with owner.writing() as db:
        me = identity(db)
        add_person(db, me, "Store Owner", "manager", actor=me)
        for login in logins:
            add_person(db, login, login.title(), "reader", actor=me)
            create_db_role(db, login, actor=me)
    try:
        yield logins
    finally:
        with owner.writing() as db:
            for login in logins:
                db.execute(text(f"REASSIGN OWNED BY {login} TO CURRENT_USER"))
                db.execute(text(f"DROP OWNED BY {login}"))
                db.execute(text(f"DROP ROLE {login}"))
