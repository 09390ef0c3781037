"""The append-only audit trail: record entries, query them, print them for people.

Entries are written in the same transaction as the change they describe, so a change and its
audit entry are committed together or not at all. Database triggers refuse UPDATE and DELETE on
``audit_log``. Draft autosaves are not audited; submitting a read records every value it holds,
and a correction records each changed value with its old value, new value and reason.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.store.schema import AuditEntry, utc_now

AUDIT_COLUMNS = (
    "at", "actor", "action", "entity", "entity_pk", "subject", "visit", "field", "old_value",
    "new_value", "reason",
)  # fmt: skip


def login_name() -> str:
    """The operating-system user running this process (its password-database entry, not
    ``$USER``), else ``getpass.getuser()`` where there is no password database."""
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "unknown"


def default_actor() -> str:
    """Who is acting: ``$SPINE_ENDPOINTS_ACTOR``, else the login name. In a store with people
    only the login may act (:func:`imaging.store.people.authorize` refuses another name)."""
    return os.environ.get("SPINE_ENDPOINTS_ACTOR") or login_name()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_pk: int | None = None,
    subject: str = "",
    visit: str = "",
    field: str = "",
    old_value: str | None = None,
    new_value: str | None = None,
    reason: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        at=utc_now(),
        actor=actor,
        action=action,
        entity=entity,
        entity_pk=entity_pk,
        subject_id=subject,
        visit_id=visit,
        field=field,
        old_value=old_value,
        new_value=new_value,
        reason=reason,
    )
    session.add(entry)
    return entry


def audit_entries(
    session: Session, subject: str | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """Entries in the order they were written, optionally for one subject."""
    query = select(AuditEntry).order_by(AuditEntry.id)
    if subject is not None:
        query = query.where(AuditEntry.subject_id == subject)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def audit_frame(entries: Iterable[AuditEntry]) -> pd.DataFrame:
    rows = [
        {
            "at": e.at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "actor": e.actor,
            "action": e.action,
            "entity": e.entity,
            "entity_pk": e.entity_pk,
            "subject": e.subject_id,
            "visit": e.visit_id,
            "field": e.field,
            "old_value": e.old_value,
            "new_value": e.new_value,
            "reason": e.reason,
        }
        for e in entries
    ]
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))


def format_trail(entries: Sequence[AuditEntry]) -> str:
    """One line per entry, readable: time, who, what, where, old -> new, reason."""
    lines = []
    for e in entries:
        when = e.at.strftime("%Y-%m-%d %H:%M:%S") + "Z"
        where = " ".join(p for p in (e.subject_id, e.visit_id) if p)
        what = f"{e.action} {e.entity}" + (f" #{e.entity_pk}" if e.entity_pk is not None else "")
        line = f"{when}  {e.actor:<12} {what:<22} {where:<22}"
        if e.field:
            line += f" {e.field}"
        if e.old_value is not None or e.new_value is not None:
            old = "-" if e.old_value is None else e.old_value
            new = "-" if e.new_value is None else e.new_value
            line += f": {old} -> {new}"
        if e.reason:
            line += f"  (reason: {e.reason})"
        lines.append(line.rstrip())
    return "\n".join(lines)
