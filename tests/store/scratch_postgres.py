"""The scratch PostgreSQL database of the store tests: ``SPINE_ENDPOINTS_TEST_POSTGRES_URL``
(``bash scripts/test-postgres.sh start`` prints one), emptied before each test that uses it."""

from __future__ import annotations

import os

from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("SPINE_ENDPOINTS_TEST_POSTGRES_URL", "")


def empty_postgres(url: str) -> str:
    """Drop everything in the scratch PostgreSQL database ``url``; returns ``url``."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url
