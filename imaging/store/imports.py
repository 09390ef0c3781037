"""Import formats into the store: one read per (subject, visit, reader), versioned and audited.

Grade forms (``grades import``, :mod:`imaging.store.grades`) and landmark files (``landmarks
import``, :mod:`imaging.store.landmark_import`) both arrive here. For each group of a file:

- no read yet: a new read is created and submitted (with its measures);
- the reader's current version already holds exactly these values: left alone (importing the
  same file twice changes nothing);
- values added, none changed or removed (e.g. the corners of a read whose grades came from a
  form): version n + 1, its reason saying so;
- values changed or removed: corrected (version n + 1) only when a reason is given;
- never when the read is locked or a draft is open;
- never for a subject or visit nobody registered (no case in the store): such a read would make a
  subject and case of its own that then appear in exports and eligibility. ``register_unknown``
  (``--register-unknown``) creates them instead;
- never with a subject, visit or reader the store cannot keep (:mod:`imaging.store.identifiers`);
- never a primary read beyond the protocol's ``reads_per_case`` (a third reader of a double-read
  case: an adjudicator's read is imported with ``role`` adjudicator), nor a new trial read by a
  reader not qualified on the protocol's qualification set (:mod:`imaging.store.qualification`).

Everything happens in one transaction: if any group is refused, nothing is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.errors import problem_listing
from imaging.protocol.model import Protocol
from imaging.store.cases import get_case, subject_by_id
from imaging.store.corrections import start_correction
from imaging.store.identifiers import value_message
from imaging.store.measures import submit_with_measures
from imaging.store.reader_access import blinded, case_for_import
from imaging.store.reads import ReadContent, latest_version, read_content, start_read
from imaging.store.schema import Case, Read, Subject
from imaging.store.triggered import refresh
from imaging.store.vocabulary import ReadStatus
from imaging.store.worklist import read_refusal


@dataclass
class ImportSummary:
    """What an import did, per (subject, visit, reader)."""

    created: list[tuple[str, str, str]] = field(default_factory=list)
    corrected: list[tuple[str, str, str, int]] = field(default_factory=list)
    unchanged: list[tuple[str, str, str]] = field(default_factory=list)
    completed: list[tuple[str, str, str, int]] = field(default_factory=list)
    """Reads given values they lacked, none changed (a new version, no reason needed)."""
    unregistered: list[tuple[str, str]] = field(default_factory=list)
    """(subject, visit) refused: nobody registered them (see ``register_unknown``)."""

    def text(self) -> str:
        parts = [f"{len(self.created)} new reads", f"{len(self.corrected)} corrected"]
        if self.completed:
            parts.append(f"{len(self.completed)} completed (values added, none changed)")
        parts.append(f"{len(self.unchanged)} unchanged")
        lines = [", ".join(parts)]
        lines += [
            f"  corrected {s} {v} reader {r}: now version {n}" for s, v, r, n in self.corrected
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class ReadImport:
    """One group of an imported file: who read what, and how the read's content becomes.

    ``content(current)`` gives the content wanted from the current one (empty for a new read);
    the store computes the measures of what is submitted.
    """

    subject: str
    visit: str
    reader: str
    content: Callable[[ReadContent], ReadContent]
    where: int | str | None = None
    """Where the group is in the file (a line), for the problem's message."""


def import_reads(
    session: Session,
    protocol: Protocol,
    groups: Iterable[ReadImport],
    summary: ImportSummary,
    *,
    actor: str,
    reason: str | None = None,
    role: str = "primary",
    source: str = "",
    register_unknown: bool = False,
) -> list[tuple[int | str | None, str]]:
    """Store every group (see the module docstring); returns the refused ones' problems."""
    problems: list[tuple[int | str | None, str]] = []
    for group in groups:
        subject, visit, reader = group.subject, group.visit, group.reader
        unstorable = _unstorable(group)
        if unstorable:
            problems.append((group.where, unstorable))
            continue
        found = _case(session, subject, visit, actor, register_unknown)
        if isinstance(found, str):
            problems.append((group.where, found))
            summary.unregistered.append((subject, visit))
            continue
        case = found
        latest = latest_version(session, case, reader)
        if latest is None:
            refused = read_refusal(session, protocol, case, reader, role)
            if refused:
                problems.append((group.where, f"{subject} {visit}: {refused}"))
                continue
            read = start_read(
                session, case, reader, actor=actor, role=role, protocol_id=protocol.id,
                source=source,
            )  # fmt: skip
            _store(session, protocol, read, group, group.content(ReadContent()), actor)
            summary.created.append((subject, visit, reader))
            continue
        if latest.status == ReadStatus.DRAFT:
            problems.append(
                (group.where, f"{subject} {visit}: reader {reader} has a draft read open "
                              f"(version {latest.version}); submit or discard it first")
            )  # fmt: skip
            continue
        current = read_content(session, latest)
        wanted = group.content(current)
        if wanted.audit_values() == current.audit_values():
            summary.unchanged.append((subject, visit, reader))
            continue
        if latest.status == ReadStatus.LOCKED:
            problems.append(
                (group.where, f"{subject} {visit}: reader {reader}'s read is locked; it cannot "
                              "be corrected")
            )  # fmt: skip
            continue
        before, after = current.audit_values(), wanted.audit_values()
        changed = sorted(name for name, value in before.items() if after.get(name) != value)
        if changed and not reason:
            more = f" and {len(changed) - 6} more" if len(changed) > 6 else ""
            shown = ", ".join(changed[:6]) + more
            problems.append(
                (group.where, f"{subject} {visit}: differs from reader {reader}'s submitted "
                              f"read (version {latest.version}) at {shown}; a correction needs "
                              "--reason")
            )  # fmt: skip
            continue
        why = reason or f"values added by {source or 'an import'}; none changed"
        read = start_correction(session, latest, reason=why, actor=actor, source=source)
        _store(session, protocol, read, group, wanted, actor)
        done = summary.corrected if changed else summary.completed
        done.append((subject, visit, reader, read.version))
    if not problems and (summary.created or summary.corrected or summary.completed):
        refresh(session, protocol, actor=actor)  # a manager's import: the kept cases follow
    return problems


IMPORT_FIX = "Correct these and import again; nothing was imported."
UNREGISTERED_FIX = (
    "A subject or visit nobody registered is refused: register its images first "
    "(`spine-endpoints register`), correct the id, or import with --register-unknown to create "
    "the subject and case."
)


def refusal_fix(summary: ImportSummary) -> str:
    """The fix of an import's error: how to get its refused reads in."""
    return f"{IMPORT_FIX} {UNREGISTERED_FIX}" if summary.unregistered else IMPORT_FIX


def listed(problems: list[tuple[int | str | None, str]]) -> str:
    """The first problems as ``"<where>: <problem>"`` lines, then how many more
    (:func:`imaging.errors.problem_listing`)."""
    lines = (f"{where}: {text}" if where else text for where, text in problems)
    return problem_listing(lines, len(problems), noun="refused read")


def _unstorable(group: ReadImport) -> str | None:
    """Why the store cannot keep the group's subject, visit or reader, if it cannot."""
    for value, column in (
        (group.subject, Subject.subject_id),
        (group.visit, Case.visit_id),
        (group.reader, Read.reader),
    ):
        message = value_message(value, column)
        if message is not None:
            return message
    return None


def _case(
    session: Session, subject: str, visit: str, actor: str, register_unknown: bool
) -> Case | str:
    """The case of ``subject`` at ``visit``, or why no read can be imported for it. A reader's
    own PostgreSQL role looks it up through an audited function (it cannot read subjects and
    visits, nor register them: :mod:`imaging.store.reader_access`)."""
    if blinded(session):
        case = case_for_import(session, subject, visit)
        if case is not None:
            return case
        return (
            f"{subject} {visit}: no case of subject {subject!r} at visit {visit} is registered"
            + (" (a reader's database role registers nothing)" if register_unknown else "")
        )
    unregistered = None if register_unknown else _unregistered(session, subject, visit)
    return unregistered or get_case(session, subject, visit, actor=actor)


def _unregistered(session: Session, subject: str, visit: str) -> str | None:
    """Why no read can be imported for ``subject`` at ``visit`` without registering them."""
    known = subject_by_id(session, subject)
    if known is None:
        return f"{subject} {visit}: subject {subject!r} is not registered in the store"
    case = select(Case.id).where(Case.subject_pk == known.id, Case.visit_id == visit)
    if session.scalars(case).first() is None:
        return f"{subject} {visit}: subject {subject} has no registered images at visit {visit}"
    return None


def _store(
    session: Session,
    protocol: Protocol,
    read: Read,
    group: ReadImport,
    content: ReadContent,
    actor: str,
) -> None:
    submit_with_measures(session, read, content, protocol, actor=actor)
