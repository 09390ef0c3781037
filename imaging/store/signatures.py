"""Electronic signatures of read versions, as 21 CFR Part 11 describes them.

Submitting a read signs it: the signature shows the signer's printed name, the date and time
(UTC) and its meaning (§11.50: ``read completed``, ``adjudicated``, ``locked``), and is linked to
the version it signs (§11.70) by the SHA-256 of that version's canonical content
(:func:`canonical_content`): the read's identity (reading id, reader, role, version, reason,
protocol) and every row of its content (grades, comments, landmarks, films, suggestions,
measures), as sorted JSON in UTF-8. A correction is a new version with its own signature; the
old version and its signature stay, and :func:`verify` recomputes every hash (``spine-endpoints
verify``). Submitting an adjudication signs it the same way (:func:`sign_adjudication`, meaning
``adjudicated``), bound to the decision's canonical content (:func:`adjudication_content`): the
case, the adjudicator, the triggers, the two read versions decided between and every item's
read taken with its reason. Signatures are append-only (database triggers).
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
    Adjudication,
    AdjudicationChoice,
    AdjudicationSignature,
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
                     "meaning", "signer", "signer_name", "signed_at", "content_sha256",
                     "signs")  # fmt: skip
"""``repeat``: 0 for the reader's read of the case, 1 for their intra-reader repeat of it (its
versions are numbered on their own). ``signs``: ``read`` (a read version) or ``adjudication``
(a submitted adjudication: ``reader`` and ``read_version`` name the two reads decided between,
e.g. ``reader-1;reader-2`` and ``1;2``)."""
READ, ADJUDICATION = "read", "adjudication"
"""What a signature signs (column ``signs``)."""


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
        read_pk=read.id, **_signer(session, actor, meaning),
        content_sha256=content_hash(session, read),
    )  # fmt: skip
    _audited(session, signature, "read", read.id, read.case_pk, f"version {read.version}")
    return signature


def _signer(session: Session, actor: str, meaning: SignatureMeaning) -> dict[str, Any]:
    """The columns saying who signs, meaning what, when (:class:`~.schema.SignedBy`)."""
    return {"signer": actor, "signer_name": display_name(session, actor),
            "meaning": meaning.value, "signed_at": utc_now(), "canonical": CANONICAL}  # fmt: skip


def _audited(
    session: Session, signature: Signature | AdjudicationSignature, entity: str, entity_pk: int,
    case_pk: int, field: str,
) -> None:  # fmt: skip
    """Store ``signature`` and its ``signed`` audit entry about ``entity`` ``entity_pk``."""
    session.add(signature)
    session.flush()
    subject, visit = _case_names(session, case_pk)
    s = signature
    record(
        session, actor=s.signer, action="signed", entity=entity, entity_pk=entity_pk,
        subject=subject, visit=visit, field=field,
        new_value=f"{s.meaning} by {s.signer_name}, sha256 {s.content_sha256}",
    )  # fmt: skip


def _case_names(session: Session, case_pk: int) -> tuple[str, str]:
    """(subject, visit) for an audit entry: a reader's or adjudicator's own role never sees the
    subject, and the audit trigger fills it in (migrations 0010, 0012)."""
    case = case_of_pk(session, case_pk)
    subject = "" if blinded(session) else session.get_one(Subject, case.subject_pk).subject_id
    return subject, case.visit_id


def _read_ref(session: Session, read_pk: int) -> dict[str, Any]:
    read = session.get_one(Read, read_pk)
    return {"reader": read.reader, "role": read.role, "version": read.version,
            "repeat": read.repeat}  # fmt: skip


def adjudication_content(session: Session, adjudication: Adjudication) -> bytes:
    """The bytes a signature of ``adjudication`` hashes (format :data:`CANONICAL`): its case's
    reading id, the adjudicator, the triggers, the two read versions decided between and, per
    item, the read taken (reader, role, version) and the reason; no row keys or times."""
    choices = [
        {"kind": c.kind, "level": c.level, "item": c.item, "reason": c.reason,
         "read": _read_ref(session, c.read_pk)}
        for c in session.scalars(
            select(AdjudicationChoice).where(AdjudicationChoice.adjudication_pk == adjudication.id)
        )
    ]  # fmt: skip
    header = {
        "reading_id": case_of_pk(session, adjudication.case_pk).reading_id,
        "adjudicator": adjudication.adjudicator, "reasons": adjudication.reasons,
        "first_read": _read_ref(session, adjudication.first_read_pk),
        "second_read": _read_ref(session, adjudication.second_read_pk),
    }  # fmt: skip
    document = {
        "canonical": CANONICAL, "adjudication": header,
        "choices": sorted(choices, key=lambda c: json.dumps(c, sort_keys=True)),
    }  # fmt: skip
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def adjudication_hash(session: Session, adjudication: Adjudication) -> str:
    return hashlib.sha256(adjudication_content(session, adjudication)).hexdigest()


def sign_adjudication(
    session: Session, adjudication: Adjudication, *, actor: str
) -> AdjudicationSignature | None:
    """Sign a submitted ``adjudication`` as ``actor`` (meaning ``adjudicated``), bound to its
    content's hash; audited as ``signed``. As :func:`sign`: None on a store before 0007."""
    session.flush()
    if not secured(session):
        return None
    signature = AdjudicationSignature(
        adjudication_pk=adjudication.id, **_signer(session, actor, SignatureMeaning.ADJUDICATED),
        content_sha256=adjudication_hash(session, adjudication),
    )  # fmt: skip
    _audited(session, signature, "adjudication", adjudication.id, adjudication.case_pk,
             "adjudication")  # fmt: skip
    return signature


@dataclass(frozen=True)
class SignatureCheck:
    """One signature recomputed: ``stored`` and ``computed`` SHA-256 differ when the content
    signed changed afterwards (or the signature was made with another canonical form)."""

    signature: Signature | AdjudicationSignature
    computed: str

    @property
    def matches(self) -> bool:
        return self.signature.content_sha256 == self.computed

    def text(self) -> str:
        s = self.signature
        if isinstance(s, AdjudicationSignature):
            what = f"adjudication signature {s.id} of adjudication {s.adjudication_pk} ("
        else:
            what = f"signature {s.id} of read {s.read_pk} ("
        what += f"{s.meaning}, {s.signer_name}, {s.signed_at.isoformat(timespec='seconds')})"
        if self.matches:
            return f"{what}: ok"
        return f"{what}: MISMATCH: signed {s.content_sha256}, content now {self.computed}"


def verify(session: Session) -> list[SignatureCheck]:
    """Every signature with its content's hash recomputed now, oldest first: the read versions',
    then the adjudications'."""
    checks = []
    for signature in session.scalars(select(Signature).order_by(Signature.id)):
        read = session.get_one(Read, signature.read_pk)
        computed = content_hash(session, read) if signature.canonical == CANONICAL else "?"
        checks.append(SignatureCheck(signature, computed))
    query = select(AdjudicationSignature).order_by(AdjudicationSignature.id)
    for adjudicated in session.scalars(query):
        decision = session.get_one(Adjudication, adjudicated.adjudication_pk)
        computed = "?"
        if adjudicated.canonical == CANONICAL:
            computed = adjudication_hash(session, decision)
        checks.append(SignatureCheck(adjudicated, computed))
    return checks


def signature_frame(session: Session) -> pd.DataFrame:
    """Every signature of every read version and adjudication, one row each (columns
    :data:`SIGNATURE_COLUMNS`), for exports: the trial's record of who signed what, when and
    meaning what. In a blinded session (a reader's or adjudicator's own PostgreSQL role) the
    signatures its row-level security shows, with subject and visit empty."""
    adjudicated = _adjudication_rows(session)
    if blinded(session):
        ids = reading_ids(session)
        own = session.execute(
            select(Signature, Read.reader, Read.version, Read.repeat, Read.case_pk)
            .join(Read, Signature.read_pk == Read.id)
            .order_by(Read.case_pk, Read.reader, Read.repeat, Read.version, Signature.id)
        ).all()
        rows = [(s, reader, version, repeat, ids[pk], "", "", READ)
                for s, reader, version, repeat, pk in own]  # fmt: skip
        return _frame(rows + [(*row[:5], "", "", ADJUDICATION) for row in adjudicated])
    found = session.execute(
        select(Signature, Read.reader, Read.version, Read.repeat, Case.reading_id, Case.visit_id,
               Subject.subject_id)
        .join(Read, Signature.read_pk == Read.id)
        .join(Case, Read.case_pk == Case.id)
        .join(Subject, Case.subject_pk == Subject.id)
        .order_by(Subject.subject_id, Case.visit_id, Read.reader, Read.repeat, Read.version,
                  Signature.id)
    ).all()  # fmt: skip
    rows = [(*row, READ) for row in found] + [(*row, ADJUDICATION) for row in adjudicated]
    return _frame(sorted(rows, key=lambda r: (r[6], r[5])))  # by subject and visit, stable


def _adjudication_rows(session: Session) -> list[tuple[Any, ...]]:
    """(signature, readers, versions, 0, reading id, visit, subject) per adjudication signature;
    visit and subject empty in a blinded session."""
    rows = []
    query = select(AdjudicationSignature).order_by(AdjudicationSignature.id)
    for signature in session.scalars(query):
        decision = session.get_one(Adjudication, signature.adjudication_pk)
        decided = [session.get_one(Read, pk)
                   for pk in (decision.first_read_pk, decision.second_read_pk)]  # fmt: skip
        subject, visit = ("", "") if blinded(session) else _case_names(session, decision.case_pk)
        rows.append((
            signature, ";".join(r.reader for r in decided),
            ";".join(str(r.version) for r in decided), 0,
            case_of_pk(session, decision.case_pk).reading_id, visit, subject,
        ))  # fmt: skip
    return rows


def _frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    records = [
        {
            "subject": subject, "visit": visit, "reading_id": reading_id, "reader": reader,
            "read_version": version, "repeat": repeat, "meaning": s.meaning, "signer": s.signer,
            "signer_name": s.signer_name,
            "signed_at": s.signed_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "content_sha256": s.content_sha256, "signs": signs,
        }
        for s, reader, version, repeat, reading_id, visit, subject, signs in rows
    ]  # fmt: skip
    return pd.DataFrame(records, columns=list(SIGNATURE_COLUMNS))
