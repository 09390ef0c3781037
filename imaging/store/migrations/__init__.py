"""Alembic migrations of the read store, applied from code by :mod:`imaging.store.migrate`."""
