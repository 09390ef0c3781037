"""Alembic, run from code: no ``alembic.ini`` needed.

:func:`upgrade_to_head` brings a database to the newest schema inside one write transaction, so two
processes opening a new store at once migrate it once. For a new revision, developers run::

    python -c "from imaging.store.migrate import revision; revision('add x', 'sqlite:///dev.db')"

which writes ``imaging/store/migrations/versions/<id>_add_x.py`` from the schema differences.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str = "") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> bool:
    """Migrate ``engine``'s database to the head revision; returns True when it changed.

    ``engine`` must open write transactions (``BEGIN IMMEDIATE`` on SQLite) so that concurrent
    openers serialise; the revision is checked again inside the transaction.
    """
    head = head_revision()
    if current_revision(engine) == head:
        return False
    config = alembic_config()
    with engine.begin() as connection:
        if MigrationContext.configure(connection).get_current_revision() == head:
            return False
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return True


def revision(message: str, url: str) -> None:
    """Autogenerate a new revision against the database at ``url`` (upgraded first)."""
    command.upgrade(alembic_config(url), "head")
    command.revision(alembic_config(url), message=message, autogenerate=True)
