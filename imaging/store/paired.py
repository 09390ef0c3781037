"""Paired reading with time order concealed: a subject's films of all progression visits scored
together, in one sitting (shared/reference/spine-imaging.md sections 6 and 7).

A protocol whose ``[msasss]`` says ``paired_reading = true`` reads its score item (the mSASSS
corners) this way. A *paired case* is a subject's cases at the protocol's ``progression_visits``
that have images, under a paired id (:mod:`imaging.store.paired_groups`: no subject, no visit;
kept in a PostgreSQL store for readers' own roles). Its *sets* are those cases, shown as ``A``,
``B``, ... in an order of their own per reader (SHA-256 of reader, paired id and reading id):
neither the labels, their order, the reading ids nor the images
(:func:`~imaging.store.blinding.case_images`) say which visit came first, and no date is shown.

What the reader scores per set goes into the reader's read of that set's case, so each visit
keeps its scores with the same versions, audit trail and signatures as any read
(:mod:`imaging.store.workstation`): a new read is started (source ``paired P-...``); a draft is
saved over; a read already submitted (a screening read, say) becomes a new version with the
reason :data:`PAIRED_REASON`, only the paired item's sites replaced. On export the reads are
mapped back to their visits like any other (:func:`~imaging.store.worklist.unblinding_map`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from string import ascii_uppercase

from sqlalchemy.orm import Session

from imaging.errors import StoreError
from imaging.protocol.model import Protocol
from imaging.store.paired_groups import groups, settings
from imaging.store.reads import ReadContent, latest_version
from imaging.store.schema import Case, Read
from imaging.store.vocabulary import ReadStatus
from imaging.store.worklist import case_for_reading
from imaging.store.workstation import (
    CaseKey,
    save_read_draft,
    start_read_correction,
    stored_content,
    submit_read,
)

PAIRED_REASON = "paired reading: scored beside the subject's other visits, time order concealed"
"""The reason of a read version made by a paired sitting over an already submitted read."""


@dataclass(frozen=True)
class PairedSet:
    """One visit of a paired case as the reader sees it: a label (``A``) and the case's random
    reading id (for its images and read); never its visit or date."""

    label: str
    reading_id: str
    status: ReadStatus


@dataclass(frozen=True)
class PairedCase:
    """A subject's progression visits read together: ``sets`` in this reader's order, ``items``
    scored in the sitting, ``sites`` where, and where the reader's paired reading stands."""

    paired_id: str
    sets: tuple[PairedSet, ...]
    items: tuple[str, ...]
    sites: tuple[str, ...]

    @property
    def status(self) -> ReadStatus:
        """Submitted when every set's paired read is; a draft when any set has begun."""
        states = {s.status for s in self.sets}
        if states == {ReadStatus.SUBMITTED}:
            return ReadStatus.SUBMITTED
        return ReadStatus.TO_READ if states == {ReadStatus.TO_READ} else ReadStatus.DRAFT

    def set(self, label: str) -> PairedSet:
        for each in self.sets:
            if each.label == label:
                return each
        raise StoreError(
            f"paired case {self.paired_id} has no set {label!r}",
            fix=f"Sets: {', '.join(s.label for s in self.sets)}.",
        )


def _order(reader: str, key: str, reading_id: str = "") -> str:
    return hashlib.sha256(f"{reader}\x00{key}\x00{reading_id}".encode()).hexdigest()


def _set_status(session: Session, case: Case, reader: str, key: str) -> ReadStatus:
    read = latest_version(session, case, reader)
    if read is None or not _paired(read, key):
        return ReadStatus.TO_READ
    return ReadStatus(read.status)


def _paired(read: Read, key: str) -> bool:
    """Whether this read version was made by the paired sitting ``key``."""
    return read.source == f"paired {key}" or (read.reason or "") == f"{PAIRED_REASON} ({key})"


def _case(
    session: Session, protocol: Protocol, reader: str, key: str, cases: list[Case]
) -> PairedCase:
    item, _, sites = settings(protocol)
    ordered = sorted(cases, key=lambda c: _order(reader, key, c.reading_id))
    sets = tuple(
        PairedSet(label, case.reading_id, _set_status(session, case, reader, key))
        for label, case in zip(ascii_uppercase, ordered, strict=False)
    )
    return PairedCase(key, sets, (item,), sites)


def paired_worklist(session: Session, protocol: Protocol, reader: str) -> list[PairedCase]:
    """The reader's paired cases (subjects with images at two or more progression visits), in
    the reader's own order."""
    if not reader.strip():
        raise StoreError("a worklist needs a reader id")
    found = groups(session, protocol)
    keys = sorted((k for k, c in found.items() if len(c) >= 2), key=lambda k: _order(reader, k))
    return [_case(session, protocol, reader, key, found[key]) for key in keys]


def paired_case(session: Session, protocol: Protocol, reader: str, key: str) -> PairedCase:
    """One paired case by its paired id, sets in the reader's order."""
    cases = groups(session, protocol).get(key)
    if cases is None:
        raise StoreError(
            f"no paired case {key!r}",
            fix="Open a paired case from the reader's paired worklist (paired_worklist).",
        )
    return _case(session, protocol, reader, key, cases)


def paired_content(
    session: Session, protocol: Protocol, reader: str, key: str
) -> dict[str, ReadContent]:
    """Set label -> what the reader's read of that set holds at the paired sites (images named
    by their tokens): the draft to resume; empty content for a set not begun in this sitting."""
    case = paired_case(session, protocol, reader, key)
    result = {}
    for each in case.sets:
        stored = stored_content(session, CaseKey(each.reading_id, reader))
        if stored is None or each.status is ReadStatus.TO_READ:
            result[each.label] = ReadContent()
            continue
        result[each.label] = _only(stored, case)
    return result


def _only(content: ReadContent, case: PairedCase) -> ReadContent:
    sites = set(case.sites)
    return replace(
        content,
        grades={k: v for k, v in content.grades.items() if k[0] in sites and k[1] in case.items},
        notes={k: v for k, v in content.notes.items() if k in sites},
        suggestions={},
    )


def save_paired(
    session: Session,
    protocol: Protocol,
    reader: str,
    key: str,
    contents: Mapping[str, ReadContent],
    *,
    submit: bool = False,
) -> PairedCase:
    """Store what the reader scored per set (label -> content: the paired item at its sites, the
    comments there, and the films' corners if any) into the reader's read of each set's case;
    ``submit`` submits them all (call inside one transaction: all of it or none).

    Grades of other items or at other sites are refused: the sitting scores only the paired
    item, so that no visit-specific item gives the time order away.
    """
    case = paired_case(session, protocol, reader, key)
    unknown = sorted(set(contents) - {s.label for s in case.sets})
    if unknown:
        raise StoreError(
            f"paired case {key} has no set {', '.join(unknown)}",
            fix=f"Sets: {', '.join(s.label for s in case.sets)}.",
        )
    sites = set(case.sites)
    for label, content in contents.items():
        stray = sorted(
            f"{lv} {it}" for lv, it in content.grades if lv not in sites or it not in case.items
        )
        if stray:
            raise StoreError(
                f"paired case {key} set {label}: {', '.join(stray[:5])} are not scored in a "
                f"paired sitting (only {', '.join(case.items)} at the [msasss] corners)",
                fix="Grade the visit's other items in its own case.",
            )
    for each in case.sets:
        if each.label not in contents:
            continue
        casekey = CaseKey(each.reading_id, reader)
        latest = latest_version(session, case_for_reading(session, each.reading_id), reader)
        if latest is not None and latest.status != ReadStatus.DRAFT:
            start_read_correction(
                session, casekey, f"{PAIRED_REASON} ({key})", source=f"paired {key}"
            )
        before = stored_content(session, casekey) or ReadContent()
        given = contents[each.label]
        merged = before.replace_levels(sites, dict(given.grades), dict(given.notes))
        merged = replace(
            merged,
            landmarks={**before.landmarks, **given.landmarks},
            films={**before.films, **given.films},
        )
        store = submit_read if submit else save_read_draft
        store(session, casekey, merged, protocol, source=f"paired {key}")
    return paired_case(session, protocol, reader, key)
