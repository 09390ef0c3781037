"""What corner refinement gives back: per corner the click, the refined point, which is used.

A :class:`RefinementResult` is what the napari widget shows (refined point, confidence, fitted
edge segments) and what a store records (click, refined, used); :meth:`RefinementResult.rows` is
one flat record per corner and :meth:`RefinementResult.apply_to` carries the used positions into
a :class:`~imaging.geometry.Landmarks` for measuring.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType

from imaging.anatomy import Corner, Vertebra
from imaging.assist.corners import CornerKey, Point, nested_corners
from imaging.endpoints.compute import FilmCorners
from imaging.endpoints.corner_labels import CLICK, REFINED, corners_label, kept_click_note
from imaging.geometry.landmarks import Landmarks

INTERSECTION, OUTLINE = "intersection", "outline"
"""The two points the corner definition can take (:attr:`CornerRefinement.definition`)."""


class RefinementStatus(StrEnum):
    """What became of one click."""

    REFINED = "refined"
    """Confident fit within the radius: the refined point is used."""
    LOW_CONFIDENCE = "low_confidence"
    """A fit within the radius but below ``min_confidence``: offered, the click is used."""
    BEYOND_RADIUS = "beyond_radius"
    """The fit lies further than the search radius: not offered, the click is used."""
    NO_EDGES = "no_edges"
    """No endplate or cortex line found near the click: the click is used."""


@dataclass(frozen=True)
class CornerRefinement:
    """One corner: the click, the refined point offered to the reader, and which is used.

    Points are (row, col) pixels. ``refined`` is None when no point is offered (``no_edges``,
    ``beyond_radius``); ``moved_mm`` is the distance from click to refined point (None when
    uncalibrated or not refined); ``fit_distance_mm`` how far the fit itself lay from the click
    (also for ``beyond_radius``). ``endplate_line`` and ``wall_line`` are the fitted edge segments
    ((row, col), (row, col)) for display.
    """

    vertebra: Vertebra
    corner: Corner
    clicked: Point
    refined: Point | None
    used: Point
    confidence: float
    status: RefinementStatus
    reason: str
    moved_px: float | None
    moved_mm: float | None
    fit_distance_mm: float | None
    endplate_line: tuple[Point, Point] | None = None
    wall_line: tuple[Point, Point] | None = None
    definition: str = ""
    """Which point the corner definition took (:data:`imaging.anatomy.ROUNDED_CORNER_MM`):
    ``intersection`` of the fitted lines, or the bone ``outline`` nearest to it (a rounded
    corner); empty when no point was fitted."""
    covariance_px: tuple[float, float, float] | None = None
    """How uncertain the refined point is from the film's noise and edge contrast: its
    covariance (row-row, row-col, col-col) in pixels squared
    (:func:`imaging.assist.corner_edges.corner_covariance`); None when no point was fitted."""

    @property
    def accepted(self) -> bool:
        """True when the refined point is the one used."""
        return self.status is RefinementStatus.REFINED

    @property
    def sd_px(self) -> float:
        """The refined point's standard uncertainty along its least certain direction (pixels;
        NaN without a covariance)."""
        if self.covariance_px is None:
            return float("nan")
        rr, rc, cc = self.covariance_px
        return math.sqrt(0.5 * (rr + cc) + math.hypot(0.5 * (rr - cc), rc))


@dataclass(frozen=True)
class RefinementResult:
    """Refinement of every click of one film, cranial to caudal."""

    corners: Mapping[CornerKey, CornerRefinement]
    search_radius_mm: float
    min_confidence: float
    spacing_mm: tuple[float, float] | None

    def __iter__(self) -> Iterator[CornerRefinement]:
        return iter(self.corners.values())

    def __len__(self) -> int:
        return len(self.corners)

    def __getitem__(self, key: tuple[Vertebra | str, Corner | str]) -> CornerRefinement:
        return self.corners[(Vertebra(key[0]), Corner(key[1]))]

    def used(self) -> dict[Vertebra, dict[Corner, Point]]:
        """The positions to measure with: refined where accepted, else the click."""
        return nested_corners({k: r.used for k, r in self.corners.items()})

    def apply_to(self, landmarks: Landmarks) -> Landmarks:
        """The same film's landmarks with every refined corner's used position.

        Corners of ``landmarks`` that were not refined stay as they are; the sources (file
        lines) are kept.
        """
        corners = {v: dict(cs) for v, cs in landmarks.corners.items()}
        for (vertebra, corner), result in self.corners.items():
            if corner in corners.get(vertebra, {}):
                corners[vertebra][corner] = result.used
        return replace(landmarks, corners=corners)

    def film_corners(self, landmarks: Landmarks, note: str = "") -> FilmCorners:
        """The film as the endpoint pipeline measures it: the used positions
        (:meth:`apply_to`), the ``corners`` label (``refined 21/22, click 1``), a note naming
        each corner that kept its click and why (after ``note``), and the accepted corners'
        covariances (a ROM too uncertain to give is then empty with the reason).

        Raises :class:`~imaging.errors.LandmarkError` when the used positions are not
        anatomically possible.
        """
        tried = [
            (
                f"{r.vertebra.value} {r.corner.value}",
                REFINED if r.accepted else CLICK,
                r.status.value,
            )
            for r in self
        ]
        covariances = {
            (r.vertebra, r.corner): r.covariance_px
            for r in self
            if r.accepted and r.covariance_px is not None
        }
        return FilmCorners(
            self.apply_to(landmarks),
            corners_label(use for _, use, _ in tried),
            "; ".join(n for n in (note, kept_click_note(landmarks.film.value, tried)) if n),
            MappingProxyType(covariances),
        )

    def refined(self) -> dict[Vertebra, dict[Corner, Point]]:
        """Refined positions only where one is offered (for display)."""
        return nested_corners(
            {k: r.refined for k, r in self.corners.items() if r.refined is not None}
        )

    def rows(self) -> list[dict[str, object]]:
        """One record per corner (for a table or a store): click, refined, used, confidence."""
        out: list[dict[str, object]] = []
        for r in self.corners.values():
            out.append(
                {
                    "vertebra": r.vertebra.value,
                    "corner": r.corner.value,
                    "clicked_row": r.clicked[0],
                    "clicked_col": r.clicked[1],
                    "refined_row": None if r.refined is None else r.refined[0],
                    "refined_col": None if r.refined is None else r.refined[1],
                    "row": r.used[0],
                    "col": r.used[1],
                    "used": "refined" if r.accepted else "click",
                    "confidence": round(r.confidence, 3),
                    "moved_mm": None if r.moved_mm is None else round(r.moved_mm, 3),
                    "status": r.status.value,
                    "definition": r.definition,
                    "sd_px": None if r.covariance_px is None else round(r.sd_px, 3),
                    "reason": r.reason,
                }
            )
        return out
