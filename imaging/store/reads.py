"""Reads: one reader's grades, comments and landmarks for one case, with versions and audit.

Life of a read: :func:`start_read` (a draft, version 1) -> :func:`save_draft` (any number of
times; autosave) -> :func:`submit`. A submitted read is immutable: :func:`correct` (or
:func:`start_correction` then save and submit) makes version n + 1, which supersedes version n and
must give a reason (it starts as a copy: grades, suggestions, comments, landmarks and the
measures stored with the read); :func:`lock` freezes a submitted read for good. Submitting and
locking sign the version (:mod:`imaging.store.signatures`); who may start, correct or lock whose
read is :func:`imaging.store.people.authorize`'s, and a visit a manager locked refuses new reads
and corrections (:mod:`imaging.store.locks`).

Each landmark records where its position came from (:class:`LandmarkPoint`: the click, the
refined position offered, which was used); suggested grades (:class:`GradeSuggestion`) are kept
beside the reader's grades and are never endpoints. Every function takes the
session of a :meth:`~imaging.store.store.ReadStore.writing` transaction and records its audit
entries in it. Triggers in the database refuse changes to submitted reads too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from imaging.calibration import Calibration, CalibrationSource
from imaging.errors import ReadImmutableError, StoreError
from imaging.protocol.model import Protocol
from imaging.store.audit import record
from imaging.store.cases import case_names
from imaging.store.locks import refuse_if_locked
from imaging.store.people import MAY_CORRECT_OTHERS, PersonRole, authorize
from imaging.store.reader_access import (
    blinded,
    case_label,
    case_of_pk,
    case_visit,
    reading_ids,
)
from imaging.store.schema import (
    Case,
    GradeValue,
    Landmark,
    Measurement,
    Read,
    ReadFilm,
    ReadNote,
    Subject,
    SuggestedGrade,
    utc_now,
)
from imaging.store.signatures import SignatureMeaning, sign
from imaging.store.vocabulary import LandmarkUse, ReaderRole, ReadStatus

ROLES = tuple(role.value for role in ReaderRole)


REFINEMENT_STATUSES = ("refined", "low_confidence", "beyond_radius", "no_edges")
"""What corner refinement made of a click (:class:`imaging.assist.RefinementStatus` values)."""
_SAME_PX = 1e-6


@dataclass(frozen=True)
class LandmarkPoint:
    """A corner in (row, col) pixels of ``image`` (path or SOP Instance UID) on ``film``.

    ``row``/``col`` is the position measured with and ``used`` says which it is. ``click_*`` is
    the reader's click (filled from the position when ``used`` is ``click``; None only for
    tracked corners); ``refined_*``, ``confidence`` (0-1) and ``refinement_status`` record the
    last refinement offered for this corner, whether used or not. Raises
    :class:`~imaging.errors.StoreError` for a combination that cannot be true (e.g. ``refined``
    without a refined position, or a ``click`` elsewhere than the position).
    """

    film: str
    image: str
    vertebra: str
    corner: str
    row: float
    col: float
    click_row: float | None = None
    click_col: float | None = None
    used: LandmarkUse | str = LandmarkUse.CLICK
    refined_row: float | None = None
    refined_col: float | None = None
    confidence: float | None = None
    refinement_status: str | None = None

    def __post_init__(self) -> None:
        where = f"landmark {self.film} {self.vertebra} {self.corner}"
        try:
            used = LandmarkUse(self.used)
        except ValueError:
            raise StoreError(
                f"{where}: 'used' is {self.used!r}",
                fix=f"Use one of {', '.join(u.value for u in LandmarkUse)}.",
            ) from None
        object.__setattr__(self, "used", used)
        if not (math.isfinite(self.row) and math.isfinite(self.col)):
            raise StoreError(f"{where}: position ({self.row}, {self.col}) is not finite")
        for name in ("click", "refined"):
            pair = (getattr(self, f"{name}_row"), getattr(self, f"{name}_col"))
            if (pair[0] is None) != (pair[1] is None):
                raise StoreError(f"{where}: {name}_row and {name}_col go together")
        if used is LandmarkUse.CLICK:
            if self.click_row is None:
                object.__setattr__(self, "click_row", self.row)
                object.__setattr__(self, "click_col", self.col)
            elif not self._at(self.click_row, self.click_col):
                raise StoreError(
                    f"{where}: 'used' is 'click' but the position is not the click",
                    fix="A corner placed by hand after a proposal is 'moved'.",
                )
        if used is LandmarkUse.REFINED and (
            self.refined_row is None or not self._at(self.refined_row, self.refined_col)
        ):
            raise StoreError(
                f"{where}: 'used' is 'refined' but the position is not the refined position"
            )
        if self.confidence is not None and not 0.0 <= self.confidence <= 1.0:
            raise StoreError(f"{where}: confidence {self.confidence} is not between 0 and 1")
        if self.refinement_status is not None and (
            self.refinement_status not in REFINEMENT_STATUSES
        ):
            raise StoreError(
                f"{where}: unknown refinement status {self.refinement_status!r}",
                fix=f"Statuses: {', '.join(REFINEMENT_STATUSES)}.",
            )

    def _at(self, row: float | None, col: float | None) -> bool:
        assert row is not None and col is not None
        return abs(row - self.row) <= _SAME_PX and abs(col - self.col) <= _SAME_PX

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.image, self.vertebra, self.corner)

    @property
    def click(self) -> tuple[float, float] | None:
        return None if self.click_row is None else (self.click_row, self.click_col or 0.0)

    @property
    def refined(self) -> tuple[float, float] | None:
        return None if self.refined_row is None else (self.refined_row, self.refined_col or 0.0)

    def text(self) -> str:
        """The audit trail's value: the position, and for software-assisted corners how."""
        text = f"({self.row:.3f}, {self.col:.3f})"
        if self.used is LandmarkUse.CLICK:
            return text
        text += f" {LandmarkUse(self.used).value}"
        if self.click_row is not None and self.click_col is not None:
            text += f", click ({self.click_row:.3f}, {self.click_col:.3f})"
        if self.confidence is not None:
            text += f", refinement confidence {self.confidence:.2f}"
        return text


@dataclass(frozen=True)
class GradeSuggestion:
    """A grade suggested by software for one (level, item), with the evidence shown to the
    reader. Never an endpoint: stored beside the reader's grade, not as one."""

    code: str
    evidence: str = ""
    software_version: str = ""


@dataclass(frozen=True)
class FilmRecord:
    """A film a read's corners were placed on (``image``: path or SOP Instance UID), with the
    calibration and the anterior direction (row, col) they are measured with."""

    film: str
    image: str
    calibration: Calibration
    anterior_direction: tuple[float, float] | None = None

    def text(self) -> str:
        """The audit trail's value: '<image>: magnification-corrected 0.16 x 0.16 mm'; a
        calibration the reader supplied says how ('... (user-supplied: marker of 50 mm ...)')."""
        spacing = self.calibration.pixel_spacing
        size = f" {spacing[0]:g} x {spacing[1]:g} mm" if spacing else ""
        how = f" ({self.calibration.detail})" if self.calibration.user_supplied else ""
        return f"{self.image}: {self.calibration.source.value}{size}{how}"


@dataclass(frozen=True)
class ReadContent:
    """What a read holds: grades by (level, item), a comment per level, landmarks by key, and
    suggested grades by (level, item)."""

    grades: Mapping[tuple[str, str], str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    landmarks: Mapping[tuple[str, str, str], LandmarkPoint] = field(default_factory=dict)
    suggestions: Mapping[tuple[str, str], GradeSuggestion] = field(default_factory=dict)
    films: Mapping[str, FilmRecord] = field(default_factory=dict)
    """Image -> the film its corners were placed on, with its calibration."""

    def replace_levels(
        self,
        levels: set[str],
        grades: Mapping[tuple[str, str], str],
        notes: Mapping[str, str],
    ) -> ReadContent:
        """This content with everything at ``levels`` replaced by ``grades`` and ``notes``."""
        kept = {k: v for k, v in self.grades.items() if k[0] not in levels}
        kept_notes = {k: v for k, v in self.notes.items() if k not in levels}
        return replace(self, grades={**kept, **grades}, notes={**kept_notes, **notes})

    def audit_values(self) -> dict[str, str]:
        """Every value as (field name -> text), the unit of the audit trail."""
        values = {f"{level} {item}": code for (level, item), code in self.grades.items()}
        values.update({f"{level} comment": text for level, text in self.notes.items()})
        values.update(
            {f"{p.film} {p.vertebra} {p.corner}": p.text() for p in self.landmarks.values()}
        )
        values.update(
            {f"{level} {item} suggestion": s.code for (level, item), s in self.suggestions.items()}
        )
        values.update({f"{f.film} film": f.text() for f in self.films.values()})
        return values


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


def _audit(session: Session, read: Read, actor: str, action: str, **kwargs: str | None) -> None:
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
    _audit(session, read, actor, "started", field=field_name, new_value=ReadStatus.DRAFT)
    return read


def read_content(session: Session, read: Read) -> ReadContent:
    grades = {
        (g.level, g.item): g.code
        for g in session.scalars(select(GradeValue).where(GradeValue.read_pk == read.id))
    }
    notes = {
        n.level: n.text
        for n in session.scalars(select(ReadNote).where(ReadNote.read_pk == read.id))
    }
    landmarks = {}
    for mark in session.scalars(select(Landmark).where(Landmark.read_pk == read.id)):
        point = LandmarkPoint(
            mark.film, mark.image, mark.vertebra, mark.corner, mark.row, mark.col,
            mark.click_row, mark.click_col, mark.used, mark.refined_row, mark.refined_col,
            mark.confidence, mark.refinement_status,
        )  # fmt: skip
        landmarks[point.key] = point
    suggestions = {
        (s.level, s.item): GradeSuggestion(s.code, s.evidence, s.software_version)
        for s in session.scalars(select(SuggestedGrade).where(SuggestedGrade.read_pk == read.id))
    }
    films = {
        f.image: FilmRecord(
            f.film, f.image,
            Calibration(
                None if f.spacing_row is None or f.spacing_col is None
                else (f.spacing_row, f.spacing_col),
                CalibrationSource(f.calibration), f.calibration_detail, f.user_supplied,
            ),
            None if f.anterior_row is None or f.anterior_col is None
            else (f.anterior_row, f.anterior_col),
        )
        for f in session.scalars(select(ReadFilm).where(ReadFilm.read_pk == read.id))
    }  # fmt: skip
    return ReadContent(grades, notes, landmarks, suggestions, films)


def _landmark_row(read_pk: int, p: LandmarkPoint) -> Landmark:
    return Landmark(
        read_pk=read_pk, film=p.film, image=p.image, vertebra=p.vertebra, corner=p.corner,
        row=p.row, col=p.col, click_row=p.click_row, click_col=p.click_col,
        used=LandmarkUse(p.used).value, refined_row=p.refined_row, refined_col=p.refined_col,
        confidence=p.confidence, refinement_status=p.refinement_status,
    )  # fmt: skip


def _film_row(read_pk: int, f: FilmRecord) -> ReadFilm:
    spacing, anterior = f.calibration.pixel_spacing, f.anterior_direction
    return ReadFilm(
        read_pk=read_pk, film=f.film, image=f.image,
        spacing_row=None if spacing is None else spacing[0],
        spacing_col=None if spacing is None else spacing[1],
        calibration=f.calibration.source.value, calibration_detail=f.calibration.detail,
        user_supplied=f.calibration.user_supplied,
        anterior_row=None if anterior is None else anterior[0],
        anterior_col=None if anterior is None else anterior[1],
    )  # fmt: skip


def _suggestion_row(
    read_pk: int, level: str, item: str, scale: str, suggestion: GradeSuggestion
) -> SuggestedGrade:
    return SuggestedGrade(
        read_pk=read_pk, level=level, item=item, scale=scale, code=suggestion.code,
        evidence=suggestion.evidence, software_version=suggestion.software_version,
    )  # fmt: skip


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
            session.add(_suggestion_row(read.id, level, item, scale, suggestion))
    if ReadFilm in rewrite:
        for film in content.films.values():
            session.add(_film_row(read.id, film))
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
            session.add(_landmark_row(read.id, point))
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
            _audit(
                session, read, actor, action, field=name, old_value=old.get(name),
                new_value=new.get(name), reason=reason,
            )  # fmt: skip
    read.status = ReadStatus.SUBMITTED
    read.submitted_at = utc_now()
    session.flush()
    _audit(
        session, read, actor, "submitted", field=f"version {read.version}",
        old_value=ReadStatus.DRAFT, new_value=ReadStatus.SUBMITTED, reason=reason,
    )  # fmt: skip
    meaning = SignatureMeaning.READ_COMPLETED
    if read.role == ReaderRole.ADJUDICATOR:
        meaning = SignatureMeaning.ADJUDICATED
    sign(session, read, actor=actor, meaning=meaning)


def start_correction(
    session: Session, read: Read, *, reason: str, actor: str, source: str = ""
) -> Read:
    """A draft version n + 1 holding a copy of submitted version n, with the reason."""
    if not reason or not reason.strip():
        raise StoreError(
            "a correction needs a reason",
            fix="Say why the submitted read is corrected (e.g. 'adjudication').",
        )
    if read.status == ReadStatus.DRAFT:
        raise StoreError(f"read {read.id} is a draft: edit it, no correction is needed")
    if read.status == ReadStatus.LOCKED:
        raise ReadImmutableError(
            f"read {read.id} (reader {read.reader}, version {read.version}) is locked",
            fix="Locked reads are final; they cannot be corrected.",
        )
    case = case_of_pk(session, read.case_pk)
    authorize(session, actor, f"correct read {read.id}", reader=read.reader,
              others=MAY_CORRECT_OTHERS)  # fmt: skip
    refuse_if_locked(session, case, f"correct read {read.id}")
    latest = latest_version(session, case, read.reader, repeat=read.repeat)
    assert latest is not None
    if latest.id != read.id:
        raise StoreError(
            f"read {read.id} (version {read.version}) is already superseded by version "
            f"{latest.version} ({latest.status})",
            fix="Correct the latest version.",
        )
    correction = Read(
        case_pk=read.case_pk, reader=read.reader, role=read.role, version=read.version + 1,
        repeat=read.repeat,
        supersedes_id=read.id, status=ReadStatus.DRAFT, reason=reason.strip(),
        protocol_id=read.protocol_id, source=source or read.source, started_at=utc_now(),
    )  # fmt: skip
    session.add(correction)
    session.flush()
    content = read_content(session, read)
    for (level, item), code in content.grades.items():
        scale = session.scalars(
            select(GradeValue.scale).where(
                GradeValue.read_pk == read.id, GradeValue.level == level, GradeValue.item == item
            )
        ).one()
        session.add(GradeValue(read_pk=correction.id, level=level, item=item, code=code,
                               scale=scale))  # fmt: skip
    for level, text in content.notes.items():
        session.add(ReadNote(read_pk=correction.id, level=level, text=text))
    for p in content.landmarks.values():
        session.add(_landmark_row(correction.id, p))
    for film in content.films.values():
        session.add(_film_row(correction.id, film))
    for suggested in session.scalars(
        select(SuggestedGrade).where(SuggestedGrade.read_pk == read.id)
    ):
        session.add(
            _suggestion_row(
                correction.id, suggested.level, suggested.item, suggested.scale,
                GradeSuggestion(suggested.code, suggested.evidence, suggested.software_version),
            )
        )  # fmt: skip
    for measured in session.scalars(select(Measurement).where(Measurement.read_pk == read.id)):
        session.add(
            Measurement(
                case_pk=measured.case_pk, read_pk=correction.id, level=measured.level,
                measure=measured.measure, value=measured.value, unit=measured.unit,
                calibration=measured.calibration, film=measured.film, corners=measured.corners,
                reader=measured.reader,
                reference_levels=measured.reference_levels, source_image=measured.source_image,
                note=measured.note, software_version=measured.software_version,
                computed_at=measured.computed_at,
            )
        )  # fmt: skip
    session.flush()
    _audit(
        session, correction, actor, "started", field=f"version {correction.version}",
        old_value=f"version {read.version}", new_value=ReadStatus.DRAFT,
        reason=correction.reason or "",
    )  # fmt: skip
    return correction


def correct(
    session: Session,
    read: Read,
    content: ReadContent,
    protocol: Protocol,
    *,
    reason: str,
    actor: str,
    source: str = "",
) -> Read:
    """Submit ``content`` as version n + 1 of ``read``, with ``reason``; returns the new read."""
    correction = start_correction(session, read, reason=reason, actor=actor, source=source)
    save_draft(session, correction, content, protocol)
    submit(session, correction, actor=actor)
    return correction


def lock(session: Session, read: Read, *, actor: str, reason: str = "") -> None:
    """Submitted -> locked: final, no further corrections."""
    if read.status != ReadStatus.SUBMITTED:
        raise StoreError(f"only a submitted read can be locked; read {read.id} is {read.status}")
    authorize(session, actor, f"lock read {read.id}", roles=(PersonRole.MANAGER,))
    read.status = ReadStatus.LOCKED
    read.locked_at = utc_now()
    session.flush()
    _audit(
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
    _audit(
        session, read, actor, "discarded", field=f"version {read.version}",
        old_value=ReadStatus.DRAFT,
    )  # fmt: skip
    session.delete(read)
    session.flush()


@dataclass(frozen=True)
class CurrentRead:
    """The newest submitted or locked version of one reader's read of one case."""

    read: Read
    subject: str
    visit: str
    reading_id: str


def current_reads(
    session: Session, subject: str | None = None, *, repeats: bool = False
) -> list[CurrentRead]:
    """Per case and reader, the newest submitted or locked version (drafts never count) of the
    reader's read; with ``repeats``, of each of the reader's intra-reader repeats instead (never
    an endpoint: :mod:`imaging.store.repeats`). In a blinded session (an own PostgreSQL role) the
    reads its row-level security shows, with no subject or visit."""
    kept = Read.repeat > 0 if repeats else Read.repeat == 0
    newest = (
        select(Read.case_pk, Read.reader, Read.repeat, func.max(Read.version).label("version"))
        .where(Read.status.in_([s.value for s in ReadStatus if s.done]), kept)
        .group_by(Read.case_pk, Read.reader, Read.repeat)
        .subquery()
    )
    is_newest = (
        (Read.case_pk == newest.c.case_pk)
        & (Read.reader == newest.c.reader)
        & (Read.repeat == newest.c.repeat)
        & (Read.version == newest.c.version)
    )
    if blinded(session):  # a reader's or adjudicator's own role: no subject or visit
        if subject is not None:
            raise StoreError(f"subject {subject}: your own database role cannot read subjects")
        ids = reading_ids(session)
        ordered = select(Read).join(newest, is_newest).order_by(Read.case_pk, Read.reader)
        return [CurrentRead(r, "", "", ids[r.case_pk]) for r in session.scalars(ordered)]
    query = (
        select(Read, Subject.subject_id, Case.visit_id, Case.reading_id)
        .join(newest, is_newest)
        .join(Case, Read.case_pk == Case.id)
        .join(Subject, Case.subject_pk == Subject.id)
        .order_by(Subject.subject_id, Case.visit_id, Read.reader, Read.repeat)
    )
    if subject is not None:
        query = query.where(Subject.subject_id == subject)
    return [CurrentRead(r, s, v, rid) for r, s, v, rid in session.execute(query).all()]
