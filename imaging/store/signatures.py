"""Electronic signatures of read versions, as 21 CFR Part 11 describes them.

Submitting a read signs it: the signature shows the signer's printed name, the date and time
(UTC) and its meaning (§11.50: ``read completed``, ``adjudicated``, ``locked``), and is linked to
the version it signs (§11.70) by the SHA-256 of that version's canonical content
(:func:`canonical_content`): the read's identity (reading id, reader, role, version, reason,
protocol) and every row of its content (grades, comments, landmarks, films, suggestions,
measures), as sorted JSON in UTF-8. A correction is a new version with its own signature; the
old version and its signature stay, and :func:`verify` recomputes every hash (``spine-endpoints
verify``). Signatures are append-only (database triggers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.store.audit import record
from imaging.store.people import display_name, secured
from imaging.store.reader_access import blinded, case_of_pk, reading_ids
from imaging.store.schema import (
    Case,
    GradeValue,
    Landmark,
    Measurement,
    Read,
    ReadFilm,
    ReadNote,
    Signature,
    Subject,
    SuggestedGrade,
    utc_now,
)

CANONICAL = "v1"
"""The version of :func:`canonical_content` a signature's hash was computed with."""
CONTENT_TABLES = (GradeValue, ReadNote, Landmark, SuggestedGrade, ReadFilm, Measurement)
_NOT_CONTENT = {"id", "read_pk", "case_pk", "computed_at"}
SIGNATURE_COLUMNS = ("subject", "visit", "reading_id", "reader", "read_version", "repeat",
                     "meaning", "signer", "signer_name", "signed_at", "content_sha256")  # fmt: skip
"""``repeat``: 0 for the reader's read of the case, 1 for their intra-reader repeat of it (its
versions are numbered on their own)."""


def signatures_path(table: Path) -> Path:
    """Where the signatures go beside an endpoint table: ``endpoints.csv`` ->
    ``endpoints.signatures.csv`` (``export``, ``batch --store``; the report reads it)."""
    return table.with_name(f"{table.stem}.signatures.csv")


class SignatureMeaning(StrEnum):
    """What a signature means (21 CFR 11.50(a)(3))."""

    READ_COMPLETED = "read completed"
    ADJUDICATED = "adjudicated"
    LOCKED = "locked"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def canonical_content(session: Session, read: Read) -> bytes:
    """The bytes a signature of ``read`` hashes (format :data:`CANONICAL`)."""
    case = case_of_pk(session, read.case_pk)
    superseded = None if read.supersedes_id is None else session.get_one(Read, read.supersedes_id)
    header = {
        "reading_id": case.reading_id, "reader": read.reader, "role": read.role,
        "version": read.version, "reason": read.reason, "protocol_id": read.protocol_id,
        "supersedes_version": None if superseded is None else superseded.version,
    }  # fmt: skip
    content: dict[str, list[dict[str, Any]]] = {}
    for model in CONTENT_TABLES:
        columns = [c for c in model.__table__.columns if c.name not in _NOT_CONTENT]
        rows = [
            {c.name: _plain(getattr(row, c.name)) for c in columns}
            for row in session.scalars(select(model).where(model.read_pk == read.id))
        ]
        content[model.__tablename__] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    document = {"canonical": CANONICAL, "read": header, "content": content}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(session: Session, read: Read) -> str:
    return hashlib.sha256(canonical_content(session, read)).hexdigest()


def sign(
    session: Session, read: Read, *, actor: str, meaning: SignatureMeaning | str
) -> Signature | None:
    """Sign ``read`` as ``actor`` with ``meaning``, bound to its content's hash; audited."""
    meaning = SignatureMeaning(meaning)
    session.flush()
    if not secured(session):
        return None
    signature = Signature(
        read_pk=read.id, signer=actor, signer_name=display_name(session, actor),
        meaning=meaning.value, signed_at=utc_now(), content_sha256=content_hash(session, read),
        canonical=CANONICAL,
    )  # fmt: skip
    session.add(signature)
    session.flush()
    case = case_of_pk(session, read.case_pk)
    # a reader's own role never sees the subject: the audit trigger fills it in (0010)
    subject = "" if blinded(session) else session.get_one(Subject, case.subject_pk).subject_id
    record(
        session, actor=actor, action="signed", entity="read", entity_pk=read.id,
        subject=subject, visit=case.visit_id, field=f"version {read.version}",
        new_value=f"{meaning.value} by {signature.signer_name}, sha256 {signature.content_sha256}",
    )  # fmt: skip
    return signature


@dataclass(frozen=True)
class SignatureCheck:
    """One signature recomputed: ``stored`` and ``computed`` SHA-256 differ when the content
    signed changed afterwards (or the signature was made with another canonical form)."""

    signature: Signature
    computed: str

    @property
    def matches(self) -> bool:
        return self.signature.content_sha256 == self.computed

    def text(self) -> str:
        s = self.signature
        what = f"signature {s.id} of read {s.read_pk} ({s.meaning}, {s.signer_name}, "
        what += f"{s.signed_at.isoformat(timespec='seconds')})"
        if self.matches:
            return f"{what}: ok"
        return f"{what}: MISMATCH: signed {s.content_sha256}, content now {self.computed}"


def verify(session: Session) -> list[SignatureCheck]:
    """Every signature with its content's hash recomputed now, oldest first."""
    checks = []
    for signature in session.scalars(select(Signature).order_by(Signature.id)):
        read = session.get_one(Read, signature.read_pk)
        computed = content_hash(session, read) if signature.canonical == CANONICAL else "?"
        checks.append(SignatureCheck(signature, computed))
    return checks


def signature_frame(session: Session) -> pd.DataFrame:
    """Every signature of every read version, one row each (columns :data:`SIGNATURE_COLUMNS`),
    for exports: the trial's record of who signed which version, when and meaning what. In a
    blinded session (a reader's own PostgreSQL role) the reader's own signatures, with subject
    and visit empty."""
    if blinded(session):
        ids = reading_ids(session)
        own = session.execute(
            select(Signature, Read.reader, Read.version, Read.repeat, Read.case_pk)
            .join(Read, Signature.read_pk == Read.id)
            .order_by(Read.case_pk, Read.reader, Read.repeat, Read.version, Signature.id)
        ).all()
        return _frame([(s, reader, version, repeat, ids[pk], "", "")
                       for s, reader, version, repeat, pk in own])  # fmt: skip
    rows = session.execute(
        select(Signature, Read.reader, Read.version, Read.repeat, Case.reading_id, Case.visit_id,
               Subject.subject_id)
        .join(Read, Signature.read_pk == Read.id)
        .join(Case, Read.case_pk == Case.id)
        .join(Subject, Case.subject_pk == Subject.id)
        .order_by(Subject.subject_id, Case.visit_id, Read.reader, Read.repeat, Read.version,
                  Signature.id)
    ).all()  # fmt: skip
    return _frame([tuple(row) for row in rows])


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    records = [
        {
            "subject": subject, "visit": visit, "reading_id": reading_id, "reader": reader,
            "read_version": version, "repeat": repeat, "meaning": s.meaning, "signer": s.signer,
            "signer_name": s.signer_name,
            "signed_at": s.signed_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "content_sha256": s.content_sha256,
        }
        for s, reader, version, repeat, reading_id, visit, subject in rows
    ]  # fmt: skip
    return pd.DataFrame(records, columns=list(SIGNATURE_COLUMNS))
