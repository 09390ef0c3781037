"""What a read holds, and its rows in the store: grades, comments, landmarks, suggestions, films.

:class:`ReadContent` is one read version's content, the unit :mod:`imaging.store.reads` saves,
submits and signs. Each landmark records where its position came from (:class:`LandmarkPoint`:
the click, the refined position offered, which was used); suggested grades
(:class:`GradeSuggestion`) are kept beside the reader's grades and are never endpoints; a
:class:`FilmRecord` keeps the calibration a film's corners are measured with.
:func:`read_content` reads a version back; :func:`landmark_row`, :func:`film_row` and
:func:`suggestion_row` are the rows one is stored as.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.calibration import Calibration, CalibrationSource
from imaging.errors import StoreError
from imaging.store.schema import GradeValue, Landmark, Read, ReadFilm, ReadNote, SuggestedGrade
from imaging.store.vocabulary import LandmarkUse

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


def read_content(session: Session, read: Read) -> ReadContent:
    """The content ``read`` (one version) holds, as stored."""
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


def landmark_row(read_pk: int, p: LandmarkPoint) -> Landmark:
    return Landmark(
        read_pk=read_pk, film=p.film, image=p.image, vertebra=p.vertebra, corner=p.corner,
        row=p.row, col=p.col, click_row=p.click_row, click_col=p.click_col,
        used=LandmarkUse(p.used).value, refined_row=p.refined_row, refined_col=p.refined_col,
        confidence=p.confidence, refinement_status=p.refinement_status,
    )  # fmt: skip


def film_row(read_pk: int, f: FilmRecord) -> ReadFilm:
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


def suggestion_row(
    read_pk: int, level: str, item: str, scale: str, suggestion: GradeSuggestion
) -> SuggestedGrade:
    return SuggestedGrade(
        read_pk=read_pk, level=level, item=item, scale=scale, code=suggestion.code,
        evidence=suggestion.evidence, software_version=suggestion.software_version,
    )  # fmt: skip
