"""Reads: one reader's grades, comments and landmarks for one case, with versions and audit.

Life of a read: :func:`start_read` (a draft, version 1) -> :func:`save_draft` (any number of
times; autosave) -> :func:`submit`. A submitted read is immutable: a correction
(:mod:`imaging.store.corrections`) makes version n + 1, which supersedes version n and must give
a reason; :func:`lock` freezes a submitted read for good. Submitting and locking sign the
version (:mod:`imaging.store.signatures`); who may start, correct or lock whose read is
:func:`imaging.store.people.authorize`'s, and a visit a manager locked refuses new reads and
corrections (:mod:`imaging.store.locks`). What a read holds is
:mod:`imaging.store.read_content`'s; the reads that count, :mod:`imaging.store.current_reads`'s
(both importable from here too).

Every function takes the session of a :meth:`~imaging.store.store.ReadStore.writing`
transaction and records its audit entries in it. Triggers in the database refuse changes to
submitted reads too.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from imaging.errors import ReadImmutableError, StoreError
from imaging.protocol.model import Protocol
from imaging.store.audit import record
from imaging.store.cases import case_names
from imaging.store.current_reads import CurrentRead, current_reads
from imaging.store.locks import refuse_if_locked
from imaging.store.people import PersonRole, authorize
from imaging.store.read_content import (
    REFINEMENT_STATUSES,
    FilmRecord,
    GradeSuggestion,
    LandmarkPoint,
    ReadContent,
    film_row,
    landmark_row,
    read_content,
    suggestion_row,
)
from imaging.store.reader_access import blinded, case_label, case_of_pk, case_visit
from imaging.store.schema import (
    Case,
    GradeValue,
    Landmark,
    Measurement,
    Read,
    ReadFilm,
    ReadNote,
    SuggestedGrade,
    utc_now,
)
from imaging.store.signatures import SignatureMeaning, sign
from imaging.store.vocabulary import LandmarkUse, ReaderRole, ReadStatus

__all__ = [  # what is importable from here (the content and current reads live beside)
    "REFINEMENT_STATUSES", "ROLES", "CurrentRead", "FilmRecord", "GradeSuggestion",
    "LandmarkPoint", "LandmarkUse", "ReadContent", "current_reads", "discard_draft",
    "latest_version", "lock", "read_content", "save_draft", "start_read", "submit", "versions",
]  # fmt: skip

ROLES = tuple(role.value for role in ReaderRole)


def _names(session: Session, read: Read) -> tuple[str, str]:
    """(subject, visit) of a read's case, looked up once per session; in a blinded session
    (a reader's own PostgreSQL role) the subject is '' (:mod:`imaging.store.reader_access`)."""
    cache: dict[int, tuple[str, str]] = session.info.setdefault("spine_case_names", {})
    if read.case_pk not in cache:
        case = case_of_pk(session, read.case_pk)
        if blinded(session):  # the subject stays out of sight; the audit trigger fills it in
            cache[read.case_pk] = ("", case_visit(session, case))
        else:
            cache[read.case_pk] = case_names(session, case)
    return cache[read.case_pk]


def audit_read(session: Session, read: Read, actor: str, action: str, **kwargs: str | None) -> None:
    """An audit entry about ``read`` naming its case's subject and visit (blank subject in a
    blinded session: the database fills it in)."""
    subject, visit = _names(session, read)
    record(
        session, actor=actor, action=action, entity="read", entity_pk=read.id, subject=subject,
        visit=visit, **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def versions(session: Session, case: Case, reader: str | None = None) -> list[Read]:
    """Every version of every read of a case (or of one reader), oldest first."""
    query = select(Read).where(Read.case_pk == case.id)
    if reader is not None:
        query = query.where(Read.reader == reader)
    return list(session.scalars(query.order_by(Read.reader, Read.version)))


def latest_version(session: Session, case: Case, reader: str, *, repeat: int = 0) -> Read | None:
    """The reader's newest version of their read of ``case`` (``repeat`` > 0: of that intra-reader
    repeat, :mod:`imaging.store.repeats`)."""
    query = (
        select(Read)
        .where(Read.case_pk == case.id, Read.reader == reader, Read.repeat == repeat)
        .order_by(Read.version.desc())
    )
    return session.scalars(query).first()


def start_read(
    session: Session,
    case: Case,
    reader: str,
    *,
    actor: str,
    role: ReaderRole | str = ReaderRole.PRIMARY,
    protocol_id: str = "",
    source: str = "",
    repeat: int = 0,
) -> Read:
    """A new draft (version 1); refused when the reader already has a read of this case (or,
    with ``repeat``, that repeat of it: :func:`imaging.store.repeats.start_repeat`)."""
    try:
        role = ReaderRole(role).value
    except ValueError:
        raise StoreError(
            f"unknown reader role {role!r}", fix=f"Roles: {', '.join(ROLES)}."
        ) from None
    if not reader.strip():
        raise StoreError("a read needs a reader id")
    authorize(session, actor, f"start a read of reading id {case.reading_id}", reader=reader)
    refuse_if_locked(session, case, f"start reader {reader}'s read")
    existing = latest_version(session, case, reader, repeat=repeat)
    if existing is not None:
        what = f"repeat {repeat} of a read" if repeat else "a read"
        raise StoreError(
            f"reader {reader} already has {what} of {case_label(session, case)} (version "
            f"{existing.version}, {existing.status})",
            fix="Continue the draft, or correct the submitted read with a reason.",
        )
    read = Read(
        case_pk=case.id, reader=reader, role=role, version=1, repeat=repeat,
        status=ReadStatus.DRAFT,
        protocol_id=protocol_id, source=source, started_at=utc_now(),
    )  # fmt: skip
    session.add(read)
    session.flush()
    field_name = f"repeat {repeat} version 1" if repeat else "version 1"
    audit_read(session, read, actor, "started", field=field_name, new_value=ReadStatus.DRAFT)
    return read


def _check_content(protocol: Protocol, content: ReadContent, visit: str) -> None:
    suggested = {key: s.code for key, s in content.suggestions.items()}
    for kind, values in (("", content.grades), ("suggested ", suggested)):
        for (level, item_name), code in values.items():
            item = protocol.item(item_name)
            refusal = protocol.grade_refusal(item_name, level, visit)
            if refusal is not None:
                raise StoreError(f"{level} {kind}{refusal}")
            if code not in item.scale.codes:
                raise StoreError(
                    f"{level} {kind}{item_name}: {code!r} is not a grade of {item.scale.name}; "
                    f"valid: {item.scale.valid_text()}"
                )
    for level in content.notes:
        protocol.level(level)


def _require_draft(session: Session, read: Read) -> None:
    if read.status != ReadStatus.DRAFT:
        where = case_label(session, case_of_pk(session, read.case_pk))
        raise ReadImmutableError(
            f"read {read.id} ({where}, reader {read.reader}, version {read.version}) "
            f"is {read.status}",
            fix="A submitted read is never changed: correct it (a new version with a reason).",
        )


def save_draft(session: Session, read: Read, content: ReadContent, protocol: Protocol) -> None:
    """Make a draft hold ``content`` (autosave; not audited until submitted).

    Only what differs from the stored draft is written: after one click, one landmark row is
    inserted (rewriting every row of a three-film read took about 11 ms a save, comparing
    first about 3 ms); a table whose content changed in any other way is rewritten.
    """
    _require_draft(session, read)
    _check_content(protocol, content, _names(session, read)[1])
    stored = read_content(session, read)
    rewrite = [
        table
        for table, old, new in (
            (GradeValue, stored.grades, content.grades),
            (ReadNote, stored.notes, content.notes),
            (SuggestedGrade, stored.suggestions, content.suggestions),
            (ReadFilm, stored.films, content.films),
        )
        if old != new
    ]
    for table in rewrite:
        session.execute(delete(table).where(table.read_pk == read.id))
    if GradeValue in rewrite:
        for (level, item), code in content.grades.items():
            session.add(
                GradeValue(read_pk=read.id, level=level, item=item, code=code,
                           scale=protocol.item(item).scale.id)
            )  # fmt: skip
    if ReadNote in rewrite:
        for level, text in content.notes.items():
            session.add(ReadNote(read_pk=read.id, level=level, text=text))
    if SuggestedGrade in rewrite:
        for (level, item), suggestion in content.suggestions.items():
            scale = protocol.item(item).scale.id
            session.add(suggestion_row(read.id, level, item, scale, suggestion))
    if ReadFilm in rewrite:
        for film in content.films.values():
            session.add(film_row(read.id, film))
    wanted = {p.key: p for p in content.landmarks.values()}  # keyed by the image as stored
    for key, point in stored.landmarks.items():  # moved or removed corners
        if wanted.get(key) != point:
            image, vertebra, corner = key
            session.execute(
                delete(Landmark).where(
                    Landmark.read_pk == read.id, Landmark.image == image,
                    Landmark.vertebra == vertebra, Landmark.corner == corner,
                )
            )  # fmt: skip
    for key, point in wanted.items():  # new or moved corners
        if stored.landmarks.get(key) != point:
            session.add(landmark_row(read.id, point))
    session.flush()


def submit(session: Session, read: Read, *, actor: str) -> None:
    """Draft -> submitted. Audits every value (against the superseded version for corrections)."""
    _require_draft(session, read)
    new = read_content(session, read).audit_values()
    old: dict[str, str] = {}
    if read.supersedes_id is not None:
        previous = session.get(Read, read.supersedes_id)
        assert previous is not None
        old = read_content(session, previous).audit_values()
    action = "corrected" if read.supersedes_id is not None else "set"
    reason = read.reason or ""
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            audit_read(
                session, read, actor, action, field=name, old_value=old.get(name),
                new_value=new.get(name), reason=reason,
            )  # fmt: skip
    read.status = ReadStatus.SUBMITTED
    read.submitted_at = utc_now()
    session.flush()
    audit_read(
        session, read, actor, "submitted", field=f"version {read.version}",
        old_value=ReadStatus.DRAFT, new_value=ReadStatus.SUBMITTED, reason=reason,
    )  # fmt: skip
    meaning = SignatureMeaning.READ_COMPLETED
    if read.role == ReaderRole.ADJUDICATOR:
        meaning = SignatureMeaning.ADJUDICATED
    sign(session, read, actor=actor, meaning=meaning)


def lock(session: Session, read: Read, *, actor: str, reason: str = "") -> None:
    """Submitted -> locked: final, no further corrections."""
    if read.status != ReadStatus.SUBMITTED:
        raise StoreError(f"only a submitted read can be locked; read {read.id} is {read.status}")
    authorize(session, actor, f"lock read {read.id}", roles=(PersonRole.MANAGER,))
    read.status = ReadStatus.LOCKED
    read.locked_at = utc_now()
    session.flush()
    audit_read(
        session, read, actor, "locked", field=f"version {read.version}",
        old_value=ReadStatus.SUBMITTED, new_value=ReadStatus.LOCKED, reason=reason,
    )  # fmt: skip
    sign(session, read, actor=actor, meaning=SignatureMeaning.LOCKED)


def discard_draft(session: Session, read: Read, *, actor: str) -> None:
    """Delete a draft (its content and measures too); audited."""
    _require_draft(session, read)
    authorize(session, actor, f"discard read {read.id}", reader=read.reader)
    for table in (GradeValue, ReadNote, Landmark, SuggestedGrade, ReadFilm, Measurement):
        session.execute(delete(table).where(table.read_pk == read.id))
    audit_read(
        session, read, actor, "discarded", field=f"version {read.version}",
        old_value=ReadStatus.DRAFT,
    )  # fmt: skip
    session.delete(read)
    session.flush()
