"""The read store's tables (SQLAlchemy 2 declarative). Alembic migrations create and evolve them.

* ``subjects`` - trial subjects, with the treatment date when known (never the allocation).
* ``visits`` - one row per subject x protocol visit: a *case* to read, with its opaque
  ``reading_id`` for blinded reading.
* ``images`` - DICOM instances: UIDs, path (relative to its ``archive_roots`` row), SHA-256 of the
  file, study date and time point id, and how the visit was assigned (or why it was not).
* ``reads`` - one reader's reading of one case: role, status (draft, submitted, locked), version,
  the read it supersedes and the reason for the correction.
* ``grades``, ``read_notes`` (a comment per level), ``landmarks`` - a read's content; each
  landmark keeps the reader's click, the refined position software offered and which was used.
* ``read_films`` - the films a read's corners were placed on, with their calibration.
* ``grade_suggestions`` - grades software suggested to the reader (never an endpoint: only
  ``grades`` are), with the evidence shown.
* ``measurements`` - computed measures, with calibration and software version.
* ``audit_log`` - append-only: who, when, what, old value, new value, reason.
* ``adjudications``, ``adjudication_choices`` - an adjudicator's decision on a double-read case:
  the read taken per grade or film, with the reason.
* ``people`` (login, printed name, role), ``signatures`` (of read versions, with the SHA-256 of
  the content signed), ``adjudication_signatures`` (of submitted adjudications), ``visit_locks``
  and ``relabels`` (append-only): identity, Part 11 signing, a manager's lock and audited
  relabelling (docs/store-security.md).

Submitted and locked reads, their content and the audit log are protected twice: by the code in
:mod:`imaging.store.reads` and by database triggers (created by the migrations). A text value a
column cannot keep (too long for its ``String(n)``, a control character, a NUL) is refused before
insert or update on every database (:mod:`imaging.store.identifiers`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from imaging.store.identifiers import refuse_unstorable

READ_STATUSES = ("draft", "submitted", "locked")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone: UTC is implied)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware (UTC)")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Subject(Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64), unique=True, info={"label": "subject id"})
    treatment_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class Case(Base):
    """A subject at one protocol visit (table ``visits``): the unit a reader reads."""

    __tablename__ = "visits"
    __table_args__ = (UniqueConstraint("subject_pk", "visit_id", name="uq_visits_subject_visit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    visit_id: Mapped[str] = mapped_column(String(64), info={"label": "visit"})
    reading_id: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class ArchiveRoot(Base):
    """A folder images were registered from (absolute); their paths are kept relative to it, so
    the store finds them from any working folder and after the archive moves (change ``path``)."""

    __tablename__ = "archive_roots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True, info={"label": "archive root"})
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class Image(Base):
    """A DICOM instance; ``path`` is relative to its archive root (``root_pk``), or as registered
    (absolute, or relative to the folder ``register`` ran in) when it has none (stores before
    revision 0006)."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sop_instance_uid: Mapped[str] = mapped_column(String(64), unique=True)
    series_instance_uid: Mapped[str] = mapped_column(String(64), default="")
    study_instance_uid: Mapped[str] = mapped_column(String(64), default="", index=True)
    subject_pk: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    case_pk: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    root_pk: Mapped[int | None] = mapped_column(ForeignKey("archive_roots.id"), index=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    modality: Mapped[str] = mapped_column(String(16), default="")
    film: Mapped[str] = mapped_column(String(16), default="")
    study_date: Mapped[dt.date | None] = mapped_column(Date)
    time_point_id: Mapped[str] = mapped_column(String(64), default="")
    assignment_status: Mapped[str] = mapped_column(String(32))
    assignment_reason: Mapped[str] = mapped_column(Text, default="")
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class Read(Base):
    """One reader's reading of one case (or a repeat of it). Versions > 1 correct the read they
    supersede."""

    __tablename__ = "reads"
    __table_args__ = (
        UniqueConstraint(
            "case_pk", "reader", "repeat", "version", name="uq_reads_case_reader_repeat_version"
        ),
        CheckConstraint("repeat >= 0", name="repeat_not_negative"),
        CheckConstraint("status IN ('draft', 'submitted', 'locked')", name="status_known"),
        CheckConstraint(
            "(version = 1 AND supersedes_id IS NULL) OR (version > 1 AND supersedes_id IS NOT "
            "NULL AND reason IS NOT NULL AND length(trim(reason)) > 0)",
            name="correction_has_reason",
        ),
        CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name="submitted_has_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    reader: Mapped[str] = mapped_column(String(64), info={"label": "reader"})
    role: Mapped[str] = mapped_column(String(32), default="primary")
    version: Mapped[int] = mapped_column(Integer, default=1)
    repeat: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """0: the reader's read of the case; 1, 2...: the same reader's intra-reader repeats of it
    (never an endpoint; :mod:`imaging.store.repeats`)."""
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("reads.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    reason: Mapped[str | None] = mapped_column(Text)
    protocol_id: Mapped[str] = mapped_column(String(64), default="", info={"label": "protocol id"})
    source: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class GradeValue(Base):
    __tablename__ = "grades"
    __table_args__ = (
        UniqueConstraint("read_pk", "level", "item", name="uq_grades_read_level_item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_pk: Mapped[int] = mapped_column(ForeignKey("reads.id"), index=True)
    level: Mapped[str] = mapped_column(String(32))
    item: Mapped[str] = mapped_column(String(64))
    scale: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))


class ReadNote(Base):
    __tablename__ = "read_notes"
    __table_args__ = (UniqueConstraint("read_pk", "level", name="uq_read_notes_read_level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_pk: Mapped[int] = mapped_column(ForeignKey("reads.id"), index=True)
    level: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)


class Landmark(Base):
    """A corner in (row, col) pixels of one image, and where the position came from.

    ``row``/``col`` is the position measured with; ``used`` says which it is: the reader's
    ``click`` (kept in ``click_row``/``click_col``), the ``refined`` position that corner
    refinement offered (``refined_row``/``refined_col``, with the refinement's ``confidence``
    0-1 and ``refinement_status``), a position ``tracked`` from another film, or one the reader
    ``moved`` by hand after a refinement or tracking. The click is NULL only for corners that
    came from tracking.
    """

    __tablename__ = "landmarks"
    __table_args__ = (
        UniqueConstraint(
            "read_pk", "image", "vertebra", "corner", name="uq_landmarks_read_image_corner"
        ),
        CheckConstraint("used IN ('click', 'refined', 'tracked', 'moved')", name="used_known"),
        CheckConstraint("used <> 'click' OR click_row IS NOT NULL", name="click_has_position"),
        CheckConstraint(
            "used <> 'refined' OR refined_row IS NOT NULL", name="refined_has_position"
        ),
        CheckConstraint(
            "(click_row IS NULL) = (click_col IS NULL) AND "
            "(refined_row IS NULL) = (refined_col IS NULL)",
            name="points_complete",
        ),
        CheckConstraint(
            "confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="confidence_range"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_pk: Mapped[int] = mapped_column(ForeignKey("reads.id"), index=True)
    film: Mapped[str] = mapped_column(String(16))
    image: Mapped[str] = mapped_column(Text)
    vertebra: Mapped[str] = mapped_column(String(8))
    corner: Mapped[str] = mapped_column(String(32))
    row: Mapped[float] = mapped_column(Float)
    col: Mapped[float] = mapped_column(Float)
    click_row: Mapped[float | None] = mapped_column(Float)
    click_col: Mapped[float | None] = mapped_column(Float)
    used: Mapped[str] = mapped_column(String(16), default="click")
    refined_row: Mapped[float | None] = mapped_column(Float)
    refined_col: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    refinement_status: Mapped[str | None] = mapped_column(String(32))


class SuggestedGrade(Base):
    """A grade software suggested (e.g. from MRI disc quantification), with its evidence.

    Kept apart from ``grades``: only the reader's grade is an endpoint. A suggestion may exist
    where the reader gave another grade or none.
    """

    __tablename__ = "grade_suggestions"
    __table_args__ = (
        UniqueConstraint("read_pk", "level", "item", name="uq_grade_suggestions_read_level_item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_pk: Mapped[int] = mapped_column(ForeignKey("reads.id"), index=True)
    level: Mapped[str] = mapped_column(String(32))
    item: Mapped[str] = mapped_column(String(64))
    scale: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(Text, default="")
    software_version: Mapped[str] = mapped_column(String(32), default="")


class ReadFilm(Base):
    """A film a read's corners were placed on, with the calibration and orientation they are
    measured with: what the store needs to compute the read's measures itself."""

    __tablename__ = "read_films"
    __table_args__ = (UniqueConstraint("read_pk", "image", name="uq_read_films_read_image"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_pk: Mapped[int] = mapped_column(ForeignKey("reads.id"), index=True)
    film: Mapped[str] = mapped_column(String(16))
    image: Mapped[str] = mapped_column(Text)
    spacing_row: Mapped[float | None] = mapped_column(Float)
    spacing_col: Mapped[float | None] = mapped_column(Float)
    calibration: Mapped[str] = mapped_column(String(32))
    calibration_detail: Mapped[str] = mapped_column(Text, default="")
    user_supplied: Mapped[bool] = mapped_column(Boolean, default=False)
    anterior_row: Mapped[float | None] = mapped_column(Float)
    anterior_col: Mapped[float | None] = mapped_column(Float)


class Measurement(Base):
    """A computed measure (a row of the endpoint table of :mod:`imaging.endpoints`)."""

    __tablename__ = "measurements"
    __table_args__ = (Index("ix_measurements_case_reader", "case_pk", "reader"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("visits.id"))
    read_pk: Mapped[int | None] = mapped_column(ForeignKey("reads.id"))
    level: Mapped[str] = mapped_column(String(32))
    measure: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16), default="")
    calibration: Mapped[str] = mapped_column(String(32), default="")
    film: Mapped[str] = mapped_column(String(32), default="")
    corners: Mapped[str] = mapped_column(String(32), default="")
    reader: Mapped[str] = mapped_column(String(64), default="")
    reference_levels: Mapped[str] = mapped_column(String(64), default="")
    source_image: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    software_version: Mapped[str] = mapped_column(String(32), default="")
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class Adjudication(Base):
    """An adjudicator's decision on a case whose two reads set off adjudication triggers
    (:mod:`imaging.store.adjudication`): made on two given read versions (``reasons``: the
    triggers then), a draft until submitted. A reader's later correction makes it stale."""

    __tablename__ = "adjudications"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted')", name="status_known"),
        UniqueConstraint(
            "case_pk", "first_read_pk", "second_read_pk", name="uq_adjudications_case_reads"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    adjudicator: Mapped[str] = mapped_column(String(64), info={"label": "adjudicator"})
    first_read_pk: Mapped[int] = mapped_column(ForeignKey("reads.id"))
    second_read_pk: Mapped[int] = mapped_column(ForeignKey("reads.id"))
    reasons: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AdjudicationChoice(Base):
    """The read an adjudication takes for one item: a grade (``kind`` ``grade``, level, item) or
    a film's corners (``kind`` ``film``, ``item`` the film), with the reason."""

    __tablename__ = "adjudication_choices"
    __table_args__ = (
        UniqueConstraint(
            "adjudication_pk", "kind", "level", "item", name="uq_adjudication_choices_item"
        ),
        CheckConstraint("kind IN ('grade', 'film')", name="kind_known"),
        CheckConstraint("length(trim(reason)) > 0", name="has_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    adjudication_pk: Mapped[int] = mapped_column(ForeignKey("adjudications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(32), default="")
    item: Mapped[str] = mapped_column(String(64))
    read_pk: Mapped[int] = mapped_column(ForeignKey("reads.id"))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class AuditEntry(Base):
    """Append-only trail. ``entity``/``entity_pk`` name the row; ``field`` what changed in it."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(
        String(64), info={"label": "actor (--actor, $SPINE_ENDPOINTS_ACTOR or the login name)"}
    )
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_pk: Mapped[int | None] = mapped_column(Integer)
    subject_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    visit_id: Mapped[str] = mapped_column(String(64), default="")
    field: Mapped[str] = mapped_column(String(128), default="")
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")


PERSON_ROLES = ("reader", "adjudicator", "manager")
SIGNATURE_MEANINGS = ("read completed", "adjudicated", "locked")


class Person(Base):
    """Someone who may act on the store (:mod:`imaging.store.people`): ``login`` is the
    operating-system user on SQLite and the database role on PostgreSQL; ``name`` is the printed
    name a signature shows (21 CFR 11.50)."""

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("role IN ('reader', 'adjudicator', 'manager')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(63), unique=True, info={"label": "login"})
    name: Mapped[str] = mapped_column(String(128), info={"label": "name"})
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


class SignedBy:
    """The columns of every signature (21 CFR 11.50, 11.70): the signer's login and printed name,
    the meaning, the date and time, and the SHA-256 of the canonical content signed (and the
    canonical form's version)."""

    signer: Mapped[str] = mapped_column(String(63))
    signer_name: Mapped[str] = mapped_column(String(128))
    meaning: Mapped[str] = mapped_column(String(32))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    content_sha256: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[str] = mapped_column(String(16))


class Signature(SignedBy, Base):
    """An electronic signature of one read version (21 CFR 11.50, 11.70): who (login and printed
    name), when, what it means, and the SHA-256 of the version's canonical content
    (:mod:`imaging.store.signatures`). Append-only."""

    __tablename__ = "signatures"
    __table_args__ = (
        CheckConstraint(
            "meaning IN ('read completed', 'adjudicated', 'locked')", name="meaning_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_pk: Mapped[int] = mapped_column(ForeignKey("reads.id"), index=True)


class AdjudicationSignature(SignedBy, Base):
    """An electronic signature of a submitted adjudication (21 CFR 11.50, 11.70), as
    :class:`Signature` is of a read version: who, when, meaning ``adjudicated`` and the SHA-256 of
    the decision's canonical content (:func:`imaging.store.signatures.adjudication_content`).
    Append-only."""

    __tablename__ = "adjudication_signatures"
    __table_args__ = (CheckConstraint("meaning = 'adjudicated'", name="meaning_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    adjudication_pk: Mapped[int] = mapped_column(ForeignKey("adjudications.id"), index=True)


class VisitLock(Base):
    """A manager locking (``locked`` true) or unlocking a visit's reads, with the reason; the
    newest row of a case is its state (:mod:`imaging.store.locks`). Append-only."""

    __tablename__ = "visit_locks"
    __table_args__ = (CheckConstraint("length(trim(reason)) > 0", name="has_reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_pk: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    locked: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(63))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    reason: Mapped[str] = mapped_column(Text)


class Relabel(Base):
    """A relabelling of a subject, visit or image a read refers to (:mod:`imaging.store.relabel`):
    the database triggers let the one change it names through. Append-only."""

    __tablename__ = "relabels"
    __table_args__ = (CheckConstraint("length(trim(reason)) > 0", name="has_reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)
    actor: Mapped[str] = mapped_column(String(63))
    entity: Mapped[str] = mapped_column(String(32))
    entity_pk: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class Qualification(Base):
    """A reader's result on the protocol's qualification set (:mod:`imaging.store.qualification`):
    passed or not, the comparisons as text, who checked and when. Append-only; the newest row of
    a reader and set is the reader's standing."""

    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reader: Mapped[str] = mapped_column(String(64), index=True)
    qualification: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str] = mapped_column(Text)
    checked_by: Mapped[str] = mapped_column(String(64))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utc_now)


metadata = Base.metadata
for _event in ("before_insert", "before_update"):
    event.listen(Base, _event, refuse_unstorable, propagate=True)
