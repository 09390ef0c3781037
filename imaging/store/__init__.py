"""The read store: subjects, visits, images, reads with versions, measures and the audit trail.

Open it with :class:`ReadStore` (``--store URL``, ``$SPINE_ENDPOINTS_STORE`` or
``sqlite:///spine-endpoints.db``; Alembic migrations are applied on open) and work inside
``store.writing()`` / ``store.reading()`` transactions with the functions of
:mod:`~imaging.store.cases` (subjects, cases, images and visit assignment),
:mod:`~imaging.store.reads` (drafts, submit, lock; what a read holds in
:mod:`~imaging.store.read_content`, the reads that count in :mod:`~imaging.store.current_reads`),
:mod:`~imaging.store.corrections` (a submitted read's new version with a reason),
:mod:`~imaging.store.grades` (grade form import and export), :mod:`~imaging.store.worklist`
(blinded worklists), :mod:`~imaging.store.export` (the endpoint table) and
:mod:`~imaging.store.audit` (the trail). Image paths are kept relative to archive roots
(:mod:`~imaging.store.archive_roots`); a value a column cannot keep is refused before insert on
every database (:mod:`~imaging.store.identifiers`). No treatment allocation is ever stored.
"""

from imaging.store.store import DEFAULT_STORE_URL, STORE_ENV_VAR, ReadStore, store_url

__all__ = ["DEFAULT_STORE_URL", "STORE_ENV_VAR", "ReadStore", "store_url"]
