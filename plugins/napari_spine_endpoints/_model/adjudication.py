"""The adjudicator's side-by-side view of a case's two reads, without Qt.

:func:`load_case` gives both reads of a triggered case (:class:`SideBySide`): the case's films,
blinded as a reader receives them (pixels, calibration, film: no path or name), each reader's
corners per film and the endplate lines they make (each reader in its own colour, see
:data:`READER_COLOURS`), the grades side by side and the triggers. :class:`AdjudicationDraft`
holds the adjudicator's choices, one read per item (a grade, or a film's corners) with a reason,
and submits them to the store in one transaction (:mod:`imaging.store.adjudication`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from imaging.protocol.adjudication import DecisionKey, decision_text, film_key, grade_key
from imaging.protocol.model import Protocol
from imaging.store.adjudication import choose, decision_for, submit_adjudication
from imaging.store.blinding import BlindedImage, case_images
from imaging.store.reads import read_content
from imaging.store.store import ReadStore
from imaging.store.triggered import empty_worklist_reason
from imaging.store.worklist import AdjudicationItem, adjudication_worklist

READER_COLOURS = ("#00bfff", "#ff8c00", "#7fff00")
"""First reader, second reader, the adjudicator's third read: sky blue, orange, green."""
ENDPLATES = (
    ("anterior_superior", "posterior_superior"),
    ("anterior_inferior", "posterior_inferior"),
)


@dataclass(frozen=True)
class ReaderFilm:
    """One reader's corners on one film: (n, 2) (row, col) pixels, their names, the endplate
    lines (m, 2, 2) and the film's pixel spacing (row, col) mm (None: uncalibrated)."""

    image: str
    points: np.ndarray
    names: tuple[str, ...]
    lines: np.ndarray
    spacing: tuple[float, float] | None


@dataclass(frozen=True)
class GradeRow:
    """One graded item side by side: the code per reader ('' when not graded)."""

    key: DecisionKey
    codes: tuple[str, ...]
    triggered: bool

    @property
    def differs(self) -> bool:
        return len(set(self.codes)) > 1


@dataclass(frozen=True)
class SideBySide:
    """Both reads of a case (a third read too when the adjudicator made one)."""

    reading_id: str
    readers: tuple[str, ...]
    reasons: tuple[str, ...]
    grades: tuple[GradeRow, ...]
    films: Mapping[str, Mapping[str, ReaderFilm]]
    """film -> reader -> corners."""
    triggered_films: frozenset[str]
    images: Mapping[str, BlindedImage] = field(default_factory=dict)
    """film -> the case's film, blinded as for a reader (:mod:`imaging.store.blinding`)."""

    def colour(self, reader: str) -> str:
        return READER_COLOURS[self.readers.index(reader)]

    def items(self) -> list[DecisionKey]:
        """What the adjudicator can decide: every grade, then every film."""
        return [row.key for row in self.grades] + [film_key(film) for film in self.films]


def worklist(url: str, protocol: Protocol, adjudicator: str) -> list[AdjudicationItem]:
    with ReadStore(url) as store, store.reading() as session:
        return adjudication_worklist(session, protocol, adjudicator)


def empty_reason(url: str) -> str:
    """Why the adjudicator's worklist is empty (e.g. no case kept for adjudication yet)."""
    with ReadStore(url) as store, store.reading() as session:
        return empty_worklist_reason(session)


def load_case(url: str, protocol: Protocol, reading_id: str) -> SideBySide:
    """Both reads of ``reading_id`` for the side-by-side view."""
    with ReadStore(url) as store, store.reading() as session:
        decided = decision_for(session, protocol, reading_id)
        reads = [c.read for c in decided.reads.primaries[:2]]
        if decided.reads.third is not None:
            reads.append(decided.reads.third.read)
        contents = [read_content(session, read) for read in reads]
        images = case_images(session, reading_id)
    shown = {image.film.value: image for image in images.films() if image.film is not None}
    readers = tuple(read.reader for read in reads)
    triggered = {key for trigger in decided.fired for key in trigger.decides}
    keys = sorted({k for content in contents for k in content.grades})
    grades = tuple(
        GradeRow(key, tuple(c.grades.get(k, "") for c in contents), key in triggered)
        for k in keys
        for key in (grade_key(*k),)
    )
    films: dict[str, dict[str, ReaderFilm]] = {}
    for reader, content in zip(readers, contents, strict=True):
        by_film: dict[str, list] = {}
        for point in content.landmarks.values():
            by_film.setdefault(point.film, []).append(point)
        for film, points in by_film.items():
            points.sort(key=lambda p: (p.vertebra, p.corner))
            at = {(p.vertebra, p.corner): (p.row, p.col) for p in points}
            lines = [
                (at[(v, a)], at[(v, b)])
                for v in sorted({p.vertebra for p in points})
                for a, b in ENDPLATES
                if (v, a) in at and (v, b) in at
            ]
            record = content.films.get(points[0].image)
            films.setdefault(film, {})[reader] = ReaderFilm(
                points[0].image,
                np.array([(p.row, p.col) for p in points], dtype=float).reshape(-1, 2),
                tuple(f"{p.vertebra} {p.corner}" for p in points),
                np.array(lines, dtype=float).reshape(-1, 2, 2),
                None if record is None else record.calibration.pixel_spacing,
            )
    triggered_films = frozenset(item for kind, _, item in triggered if kind == "film")
    reasons = tuple(t.reason for t in decided.fired)
    return SideBySide(reading_id, readers, reasons, grades, films, triggered_films, shown)


@dataclass
class AdjudicationDraft:
    """The adjudicator's choices on one case: item -> (reader, reason)."""

    case: SideBySide
    adjudicator: str
    choices: dict[DecisionKey, tuple[str, str]] = field(default_factory=dict)

    def take(self, key: DecisionKey, reader: str, reason: str) -> None:
        """Take ``reader``'s read for ``key``; refused without a reason."""
        if reader not in self.case.readers:
            raise ValueError(f"{reader} has no read of this case")
        if not reason.strip():
            raise ValueError(f"taking {reader}'s read for {decision_text(key)} needs a reason")
        self.choices[key] = (reader, reason.strip())

    def missing(self) -> list[str]:
        """Triggered items not decided yet."""
        needed = [row.key for row in self.case.grades if row.triggered]
        needed += [film_key(f) for f in sorted(self.case.triggered_films)]
        return [decision_text(k) for k in needed if k not in self.choices]

    def submit(self, url: str, protocol: Protocol) -> list[str]:
        """Store every choice and submit the adjudication, in one transaction."""
        with ReadStore(url) as store, store.writing() as session:
            for key, (reader, reason) in self.choices.items():
                choose(
                    session, protocol, self.case.reading_id, self.adjudicator, key, reader, reason
                )
            return submit_adjudication(session, protocol, self.case.reading_id, self.adjudicator)
