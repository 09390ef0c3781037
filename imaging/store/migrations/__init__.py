"""Alembic migrations of the read store, applied programmatically by :mod:`imaging.store.migrate`."""
