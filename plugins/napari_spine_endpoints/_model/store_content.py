"""A read in progress <-> what the store keeps of a read (:class:`imaging.store.reads.ReadContent`).

The store holds grades per (level, item), one note per level, the placed corners with where each
came from (click, refined position, which was used, refinement confidence and status) and the
suggested grades with their evidence (beside the grades, never as grades). Two things
a reader records have no column of their own, so they are written into the level's note as
bracketed, machine-readable clauses after the free comment, and read back from it:

* ``[not graded: <reason>]`` - why grades at this level are missing;
* ``[skipped <film> <vertebra> <corner>: <reason>]`` - a corner that could not be placed, in the
  note of the disc it borders (an inferior corner: the disc below its vertebra; a superior one:
  the disc above).

Example: ``annular fissure [skipped flexion L5 posterior_inferior: overlapped by iliac crest]``.
"""

from __future__ import annotations

import re

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.errors import SpineEndpointsError
from imaging.store.reads import FilmRecord, GradeSuggestion, LandmarkPoint, ReadContent
from imaging.store.vocabulary import LandmarkUse
from napari_spine_endpoints._model.grading import GradeForm
from napari_spine_endpoints._model.placement import CornerLabel
from napari_spine_endpoints._model.provenance import CornerRecord
from napari_spine_endpoints._model.session import DRAFT_FORMAT, ReadingSession
from napari_spine_endpoints._model.suggestions import SOFTWARE

_CLAUSE = re.compile(r"\s*\[(not graded|skipped (\w+) (\w+) (\w+)): ([^\]]*)\]")


def level_of_corner(label: CornerLabel, levels: tuple[str, ...]) -> str:
    """The read level whose note records a skipped corner (the disc the corner borders)."""
    vertebra = label.vertebra
    inferior = label.corner in (Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR)
    candidates = [lv for lv in levels if _is_disc(lv)]
    bordering = [
        lv
        for lv in candidates
        if (DiscLevel(lv).upper_vertebra if inferior else DiscLevel(lv).lower_vertebra) is vertebra
    ]
    touching = [
        lv
        for lv in candidates
        if vertebra in (DiscLevel(lv).upper_vertebra, DiscLevel(lv).lower_vertebra)
    ]
    chosen = bordering or touching or list(levels)
    return chosen[0]


def form_notes(form: GradeForm) -> dict[str, list[str]]:
    """A grade form's notes per level: the comment, then ``[not graded: <reason>]``."""
    notes: dict[str, list[str]] = {}
    for level, comment in form.comments.items():
        notes.setdefault(level, []).append(_clean(comment))
    for level, reason in form.reasons.items():
        notes.setdefault(level, []).append(f"[not graded: {_clean(reason)}]")
    return notes


def to_read_content(session: ReadingSession) -> ReadContent:
    """What the store saves of the session: grades, notes (with the clauses) and corners."""
    levels = session.protocol.levels
    grades: dict[tuple[str, str], str] = {}
    notes: dict[str, list[str]] = {}
    form = session.grades
    if form is not None:
        grades = dict(form.values)
        notes = form_notes(form)
    landmarks: dict[tuple[str, str, str], LandmarkPoint] = {}
    for film, placement in session.placements.items():
        image = session.films[film].source_image
        for label, (row, col) in placement.positions.items():
            point = _landmark(film.value, image, label, (row, col), placement.records[label])
            landmarks[point.key] = point
        for label, reason in placement.skipped.items():
            clause = (
                f"[skipped {film.value} {label.vertebra.value} {label.corner.value}: "
                f"{_clean(reason)}]"
            )
            notes.setdefault(level_of_corner(label, levels), []).append(clause)
    joined = {level: " ".join(parts) for level, parts in notes.items()}
    suggestions = {
        key: GradeSuggestion(s.code, s.evidence_text, SOFTWARE)
        for key, s in session.suggestions.values.items()
    }
    films = {
        info.source_image: FilmRecord(
            film.value, info.source_image, info.calibration, info.anterior_direction
        )
        for film, info in session.films.items()
        if (session.placements.get(film) is not None and session.placements[film].positions)
        or film in session.user_calibrations  # a drawn calibration is kept before any corner
    }
    return ReadContent(grades, joined, landmarks, suggestions, films)


def _landmark(
    film: str, image: str, label: CornerLabel, position: tuple[float, float], record: CornerRecord
) -> LandmarkPoint:
    click = record.click or (None, None)
    refined = record.refined or (None, None)
    return LandmarkPoint(
        film, image, label.vertebra.value, label.corner.value, position[0], position[1],
        click[0], click[1], record.used, refined[0], refined[1], record.confidence,
        record.status,
    )  # fmt: skip


def to_draft(content: ReadContent, session: ReadingSession) -> dict[str, object]:
    """The session draft (see :meth:`ReadingSession.draft`) for what the store holds."""
    comments: dict[str, str] = {}
    reasons: dict[str, str] = {}
    skipped: list[dict[str, object]] = []
    images = {film.value: info.source_image for film, info in session.films.items()}
    for level, note in content.notes.items():
        comment, clauses = split_note(note)
        if comment:
            comments[level] = comment
        for kind, film, vertebra, corner, reason in clauses:
            if kind == "not graded":
                reasons[level] = reason
            else:
                skipped.append(
                    {"film": film, "image": images.get(film, ""), "vertebra": vertebra,
                     "corner": corner, "reason": reason}
                )  # fmt: skip
    return {
        "format": DRAFT_FORMAT,
        "subject": session.subject,
        "visit": session.visit,
        "reader": session.reader,
        "landmarks": [
            {
                "film": p.film,
                "image": p.image,
                "vertebra": p.vertebra,
                "corner": p.corner,
                "row": p.row,
                "col": p.col,
                **CornerRecord(
                    LandmarkUse(p.used), p.click, p.refined, p.confidence, p.refinement_status
                ).to_dict(),
            }
            for p in content.landmarks.values()
        ],
        "skipped": skipped,
        "grades": [
            {"level": level, "item": item, "value": code}
            for (level, item), code in content.grades.items()
        ],
        "reasons": reasons,
        "comments": comments,
        "suggestions": [
            {
                "level": level,
                "item": item,
                "code": s.code,
                "label": _grade_label(session, item, s.code),
                "evidence": s.evidence.splitlines(),
            }
            for (level, item), s in content.suggestions.items()
        ],
        "calibrations": {  # what the reader drew; the headers give the others again
            f.film: f.calibration.to_dict()
            for f in content.films.values()
            if f.calibration.user_supplied
        },
    }


def _grade_label(session: ReadingSession, item: str, code: str) -> str:
    try:
        return session.protocol.item(item).scale.grade(code).label
    except (SpineEndpointsError, ValueError):
        return code


def split_note(note: str) -> tuple[str, list[tuple[str, str, str, str, str]]]:
    """(free comment, [(kind, film, vertebra, corner, reason), ...]) of a stored note."""
    clauses = []
    for match in _CLAUSE.finditer(note):
        kind = "not graded" if match.group(1) == "not graded" else "skipped"
        film, vertebra, corner = (match.group(i) or "" for i in (2, 3, 4))
        if kind == "skipped":
            Film(film), Vertebra(vertebra), Corner(corner)  # validate: ValueError if not ours
        clauses.append((kind, film, vertebra, corner, match.group(5).strip()))
    return _CLAUSE.sub("", note).strip(), clauses


def _clean(text: str) -> str:
    """Brackets would break the clause syntax: they become parentheses."""
    return " ".join(text.replace("[", "(").replace("]", ")").split())


def _is_disc(level: str) -> bool:
    try:
        DiscLevel(level)
    except ValueError:
        return False
    return True
