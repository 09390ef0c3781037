"""Alembic environment: runs on the connection :mod:`imaging.store.migrate` passes in.

``config.attributes["connection"]`` is an open connection inside a write transaction (``BEGIN
IMMEDIATE`` on SQLite), so concurrent processes opening a new store migrate it once. Offline
(``--sql``) mode renders the SQL for ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from imaging.store.schema import metadata

config = context.config


def run() -> None:
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
            render_as_batch=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as connection:
            _run_online(connection)
        engine.dispose()
        return
    _run_online(connection)


def _run_online(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
