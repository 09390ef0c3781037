"""One reader's read of one case (a subject at a visit): corners per film, grades, measures.

The session ties the pieces of the model together and is what the store saves: :meth:`draft`
gives a JSON-ready snapshot (written on every change, debounced, so closing napari loses nothing)
and :meth:`restore` brings it back. Each film has its corners (:class:`PlacementState`, with
where each came from) and the proposals waiting for the reader (:class:`ProposalSet`); the read
has its suggested grades (:class:`Suggestions`), never mixed with the reader's grades.
Measures are computed by :mod:`imaging.endpoints` from
:class:`imaging.geometry.landmarks.Landmarks` built here with each film's calibration;
thresholds come from the protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.calibration import Calibration
from imaging.endpoints import (
    EndpointRow,
    FilmCorners,
    Grade,
    MeasureRules,
    StudyRead,
    corners_label,
    endpoint_rows,
    kept_click_note,
)
from imaging.errors import LandmarkError
from imaging.geometry.landmarks import Landmarks
from imaging.measures import MOTION_MEASURES, PAIR_FILM
from imaging.protocol.model import Protocol
from imaging.store.measures import grade_score
from napari_spine_endpoints._layer_info import ImageInfo, calibration_from_dict
from napari_spine_endpoints._model.grading import GradeForm
from napari_spine_endpoints._model.measures import (
    FILM_COLUMNS,
    PAIR_COLUMNS,
    MeasureGrid,
    measure_grid,
)
from napari_spine_endpoints._model.observable import Observable
from napari_spine_endpoints._model.placement import CornerLabel, PlacementState
from napari_spine_endpoints._model.proposals import ProposalSet
from napari_spine_endpoints._model.provenance import CornerRecord
from napari_spine_endpoints._model.suggestions import DiscCentres, Suggestions

DRAFT_FORMAT = "spine-endpoints-draft/1"
MOTION_COLUMNS = tuple(name for name in FILM_COLUMNS if name in MOTION_MEASURES)
"""What a flexion or extension film gives (heights come from the neutral film only)."""


@dataclass(frozen=True)
class Measures:
    """What the measures table shows: a grid per film, the ROM grid, and errors in words."""

    films: Mapping[Film, MeasureGrid] = field(default_factory=dict)
    pair: MeasureGrid | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    """Film (or 'flexion-extension') -> why its measures cannot be computed (bad corners)."""
    rows: tuple[EndpointRow, ...] = ()
    """Every endpoint row, as :mod:`imaging.endpoints` gave them."""


class ReadingSession(Observable):
    """A read in progress. ``disc_levels`` are the protocol's levels that are disc levels.

    A worklist case is read blinded: ``reading_id`` names it and ``items`` are the grading items
    the store resolved for it (subject and visit stay empty). A film opened from a file is read
    under its ``subject`` and ``visit``, its items those of the visit.
    """

    def __init__(
        self,
        protocol: Protocol,
        reader: str,
        subject: str = "",
        visit: str = "",
        label: str = "",
        *,
        reading_id: str = "",
        items: tuple[str, ...] | None = None,
        repeat: int = 0,
    ) -> None:
        if not reader.strip():
            raise ValueError("a read needs a reader id")
        self.protocol = protocol
        self.reader = reader.strip()
        self.subject = subject
        self.visit = visit
        self.reading_id = reading_id
        self.repeat = repeat
        """1: the reader's intra-reader repeat of the worklist case (started empty)."""
        self.label = label or reading_id or " ".join(x for x in (subject, visit) if x)
        self.disc_levels: tuple[DiscLevel, ...] = tuple(
            DiscLevel(level) for level in protocol.levels if _is_disc_level(level)
        )
        self.films: dict[Film, ImageInfo] = {}
        self.user_calibrations: dict[Film, Calibration] = {}
        """Calibrations the reader drew on films without a usable spacing (kept in the draft and
        stored with the read's films as user-supplied)."""
        self.placements: dict[Film, PlacementState] = {}
        self.proposals: dict[Film, ProposalSet] = {}
        """Refined or tracked positions offered for each film's corners, not yet decided."""
        graded = (
            protocol.items_at_visit(visit)  # screening findings: at baseline only
            if items is None
            else tuple(protocol.item(name) for name in items)
        )
        self.grades = GradeForm(graded, protocol.sites) if graded else None
        self.suggestions = Suggestions()
        self.disc_centres = DiscCentres(self.disc_levels) if self.disc_levels else None
        self.rules = MeasureRules.from_protocol(protocol)
        """The protocol's thresholds and reference discs, as every other path measures with."""
        super().__init__()
        self._pending: dict[str, Any] | None = None
        self._measures: Measures | None = None
        self._corners: tuple[list[FilmCorners], dict[str, str]] | None = None
        """Each film's validated corners and why a film's are impossible (see :meth:`_films`);
        a grade leaves them as they are."""
        if self.grades is not None:
            self.grades.subscribe(self._grades_changed)
        self.suggestions.subscribe(self._changed)

    # --- observation -----------------------------------------------------------------------
    def _changed(self) -> None:
        """Any change to corners or films: the measures are computed again when asked."""
        self._corners = None
        self._grades_changed()

    def _grades_changed(self) -> None:
        """A grade changed: the measures (a grade decides the reference discs of height loss)
        are computed again when asked; the corners stay validated."""
        self._measures = None
        super()._changed()

    # --- films -----------------------------------------------------------------------------
    def add_film(self, info: ImageInfo) -> PlacementState:
        """Read corners on this radiograph; its film (neutral by default) must be new here."""
        film = info.film or Film.NEUTRAL
        if film in self.films and self.films[film].source_image != info.source_image:
            raise ValueError(
                f"this read already has a {film.value} film ({self.films[film].path}); "
                f"cannot add {info.path} as a second one"
            )
        if film in self.user_calibrations:
            info = replace(info, calibration=self.user_calibrations[film])
        if film not in self.placements:
            placement = PlacementState.for_levels(self.disc_levels)
            placement.subscribe(self._changed)
            self.placements[film] = placement
            self.proposals[film] = ProposalSet(placement)
            self.proposals[film].subscribe(self._changed)
        self.films[film] = info
        self._measures, self._corners = None, None
        return self.placements[film]

    def calibrate(self, film: Film, calibration: Calibration) -> None:
        """Measure ``film`` with a calibration the reader supplied (a line of known length, a
        marker): it replaces the header's and is saved with the read, as user-supplied."""
        if not calibration.user_supplied:
            raise ValueError("only a user-supplied calibration replaces a film's own")
        if film not in self.films:
            raise KeyError(f"no {film.value} film is open in this read")
        self.user_calibrations[film] = calibration
        self.films[film] = replace(self.films[film], calibration=calibration)
        self._changed()

    def landmarks(self, film: Film) -> Landmarks:
        """The validated corners of one film (raises LandmarkError when they are impossible)."""
        info, placement = self.films[film], self.placements[film]
        corners: dict[Vertebra, dict[Corner, tuple[float, float]]] = {}
        for label, point in placement.positions.items():
            corners.setdefault(label.vertebra, {})[label.corner] = point
        return Landmarks(
            corners,
            film,
            info.calibration,
            image=info.source_image,
            subject=self.subject,
            visit=self.visit,
            reader=self.reader,
            anterior_direction=info.anterior_direction,
        )

    def measures(self) -> Measures:
        """Every film's measures, and ROM when both dynamic films are read (cached)."""
        if self._measures is None:
            self._measures = self._compute_measures()
        return self._measures

    def _compute_measures(self) -> Measures:
        """The read through the one endpoint function (:func:`imaging.endpoints.endpoint_rows`),
        laid out per film; each film's rows say how its corners were obtained."""
        levels = tuple(level.value for level in self.disc_levels)
        films, errors = self._films()
        grades = (
            ()
            if self.grades is None
            else tuple(
                Grade(level, item, code, grade_score(self.protocol, item, code))
                for (level, item), code in self.grades.values.items()
            )
        )  # the grades decide which discs are normal references for height loss
        read = StudyRead(self.subject, self.visit, self.reader, films=tuple(films), grades=grades)
        rows = endpoint_rows(read, self.rules)
        grids: dict[Film, MeasureGrid] = {}
        for each in films:
            kind = each.landmarks.film
            columns = FILM_COLUMNS if kind is Film.NEUTRAL else MOTION_COLUMNS
            film_rows = [row for row in rows if row.film == kind.value]
            grids[kind] = measure_grid(film_rows, levels, columns)
        pair = None
        if Film.FLEXION in grids and Film.EXTENSION in grids:
            pair = measure_grid([r for r in rows if r.film == PAIR_FILM], levels, PAIR_COLUMNS)
        rows = [row for row in rows if not row.grade]  # the measures; grades have their own tab
        return Measures(grids, pair, errors, tuple(rows))

    def _films(self) -> tuple[list[FilmCorners], dict[str, str]]:
        """Each film's validated corners with how they were obtained, and the films whose
        corners are impossible, with why (cached until a corner or a film changes)."""
        if self._corners is None:
            errors: dict[str, str] = {}
            films: list[FilmCorners] = []
            for film, placement in self.placements.items():
                if not placement.positions:
                    continue
                try:
                    landmarks = self.landmarks(film)
                except LandmarkError as error:
                    errors[film.value] = str(error)
                    continue
                uses = [
                    (f"{x.vertebra.value} {x.corner.value}", str(record.used), record.status)
                    for x, record in placement.records.items()
                ]
                obtained = corners_label(use for _, use, _ in uses)
                films.append(FilmCorners(landmarks, obtained, kept_click_note(film.value, uses)))
            self._corners = (films, errors)
        return self._corners

    # --- validation ------------------------------------------------------------------------
    @property
    def corners_done(self) -> bool:
        """Every corner of every film placed (clicked or accepted) or skipped with a reason, and
        no proposal waiting for the reader's word (a poorly matched vertebra's corners)."""
        return all(p.is_complete for p in self.placements.values()) and not any(
            s.pending for s in self.proposals.values()
        )

    def problems(self) -> list[str]:
        """Everything that blocks a submit; empty when the read is complete."""
        found = []
        if not self.films:
            found.append("no radiograph is open for this read")
        for film, placement in self.placements.items():
            missing = placement.missing()
            if missing:
                names = ", ".join(label.text for label in missing[:4])
                more = f" and {len(missing) - 4} more" if len(missing) > 4 else ""
                found.append(
                    f"{film.value} film: {len(missing)} corner(s) neither placed nor skipped "
                    f"with a reason ({names}{more})"
                )
        errors = self._films()[1]  # the corners' problems: no measure computed for them
        found.extend(f"{film} film: {error}" for film, error in errors.items())
        if self.grades is not None:
            found.extend(self.grades.problems())
        return found

    # --- persistence -----------------------------------------------------------------------
    def draft(self) -> dict[str, Any]:
        """A JSON-ready snapshot of the read (what autosave writes)."""
        landmarks, skipped = [], []
        for film, placement in self.placements.items():
            image = self.films[film].source_image
            for label, (row, col) in placement.positions.items():
                landmarks.append(
                    {"film": film.value, "image": image, "vertebra": label.vertebra.value,
                     "corner": label.corner.value, "row": row, "col": col,
                     **placement.records[label].to_dict()}
                )  # fmt: skip
            for label, reason in placement.skipped.items():
                skipped.append(
                    {"film": film.value, "image": image, "vertebra": label.vertebra.value,
                     "corner": label.corner.value, "reason": reason}
                )  # fmt: skip
        grades = self.grades
        return {
            "format": DRAFT_FORMAT,
            "reading_id": self.reading_id,
            "subject": self.subject,
            "visit": self.visit,
            "reader": self.reader,
            "landmarks": landmarks,
            "skipped": skipped,
            "grades": [] if grades is None else [
                {"level": level, "item": item, "value": value}
                for (level, item), value in grades.values.items()
            ],
            "reasons": {} if grades is None else dict(grades.reasons),
            "comments": {} if grades is None else dict(grades.comments),
            "suggestions": self.suggestions.to_draft(),
            "calibrations": {f.value: c.to_dict() for f, c in self.user_calibrations.items()},
        }  # fmt: skip

    def restore(self, draft: Mapping[str, Any]) -> None:
        """Bring back a :meth:`draft`; corners of films not open in this session wait for them."""
        if draft.get("format") != DRAFT_FORMAT:
            raise ValueError(f"not a spine-endpoints draft (format {draft.get('format')!r})")
        self._pending = dict(draft)
        for name, data in draft.get("calibrations", {}).items():
            self.user_calibrations[Film(name)] = calibration_from_dict(data)
        for film in list(self.placements):
            self._restore_film(film)
        if self.grades is not None:
            self.grades.load(
                {(g["level"], g["item"]): str(g["value"]) for g in draft.get("grades", [])},
                draft.get("reasons", {}),
                draft.get("comments", {}),
            )
        self.suggestions.load(draft.get("suggestions", []))

    def restore_film(self, film: Film) -> None:
        """After :meth:`add_film`, load this film's corners from a restored draft, if any."""
        self._restore_film(film)

    def _restore_film(self, film: Film) -> None:
        draft = self._pending
        if not draft or film not in self.placements:
            return
        if film in self.user_calibrations:
            self.films[film] = replace(self.films[film], calibration=self.user_calibrations[film])
            self._measures, self._corners = None, None
        positions, records = {}, {}
        for p in draft.get("landmarks", []):
            if p["film"] == film.value:
                label = CornerLabel(p["vertebra"], p["corner"])
                positions[label] = (float(p["row"]), float(p["col"]))
                records[label] = CornerRecord.from_dict(p, positions[label])
        skipped = {
            CornerLabel(p["vertebra"], p["corner"]): str(p["reason"])
            for p in draft.get("skipped", [])
            if p["film"] == film.value
        }
        self.placements[film].load(positions, skipped, records)


def _is_disc_level(level: str) -> bool:
    try:
        DiscLevel(level)
    except ValueError:
        return False
    return True
