"""Refine rough corner clicks to the vertebral body corners of a lateral radiograph.

A reader's corner is the intersection of the endplate line and the anterior or posterior cortex
line. For each click the expected directions of both edges come from the other clicks of the
same vertebra (the other corner of the endplate, the other corner of the wall; S1's walls are
taken perpendicular to its endplate). Profiles across each edge, starting
``corner_clearance_mm`` from the corner so that the rounded rim does not pull the line inward,
give sub-pixel edge points; a robust line is fitted to each edge
(:mod:`imaging.assist.corner_edges`) and the two lines are intersected. Three passes: a wide
search (the click may be off by the search radius), then two passes centred on the fitted lines.

Guarantees: a refined point is never further than ``search_radius_mm`` (default 4 mm) from its
click (a fit that would go further is reported ``beyond_radius`` and the click is kept); edges
that are weak, inconsistent or not line-like give a low confidence and the click is kept.
Confidence (0-1) is the product of scores documented on :func:`refine_corners`. The corner is
then taken by its definition (:data:`imaging.anatomy.ROUNDED_CORNER_MM`), and a fit that left its
vertebra keeps the click (:mod:`imaging.assist.vertebra_guard`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from imaging.anatomy import ROUNDED_CORNER_MM, Corner, Vertebra
from imaging.assist.corner_edges import (
    CURVED_ENDPLATE,
    DOUBLE_CONTOUR,
    Edge,
    EdgeFinder,
    corner_covariance,
    ramp,
)
from imaging.assist.corner_shape import outline_depth
from imaging.assist.corners import (
    ENDPLATE_PARTNER,
    WALL_PARTNER,
    CornerInput,
    CornerKey,
    Point,
    flat_corners,
)
from imaging.assist.edges import FloatArray, ImageSampler, noise_sigma
from imaging.assist.refinement import (
    INTERSECTION,
    OUTLINE,
    CornerRefinement,
    RefinementResult,
    RefinementStatus,
)
from imaging.assist.vertebra_guard import keep_on_vertebra
from imaging.errors import CalibrationError


def refine_corners(
    image: ArrayLike,
    corners: CornerInput,
    spacing_mm: tuple[float, float] | None,
    *,
    search_radius_mm: float = 4.0,
    search_radius_px: float | None = None,
    min_confidence: float = 0.5,
    corner_clearance_mm: float = 2.5,
    bone_bright: bool = True,
) -> RefinementResult:
    """Refine clicked corners of one lateral radiograph to the bone corners.

    Parameters
    ----------
    image : ndarray, shape (rows, cols)
        Measurement values (after the modality LUT); bone bright unless ``bone_bright`` is False
        (MONOCHROME1 stored values).
    corners : mapping
        ``{vertebra: {corner: (row, col)}}`` or ``{(vertebra, corner): (row, col)}``, pixels.
    spacing_mm : (row, col) mm per pixel, or None for an uncalibrated film
        With None, give ``search_radius_px``; lengths inside scale with it and no mm is reported.
    search_radius_mm : float
        The documented clamp: no refined point lies further than this from its click.
    min_confidence : float
        Refined points with a lower confidence are offered but the click is used.
    corner_clearance_mm : float
        Edge profiles start this far from the corner (the rim of a corner is rounded).

    Confidence is ``min(endplate score, wall score) x angle score x convergence score``, each in
    0-1: an edge scores ``inliers x contrast x straightness`` where inliers is the share of
    profiles whose edge point lies on the fitted line (full at 80%, zero at 40%), contrast the
    median edge step over the image noise (full at 9 sigma, zero at 3), straightness the RMS
    distance of the points to the line (full at 0.2 mm, zero at 0.6 mm); the angle score is full
    for 55-125 degrees between the lines and zero below 40 or above 140; convergence is full
    when the last pass moved the corner under 0.2 mm and zero at 1 mm.
    """
    pixels = np.asarray(image)
    if pixels.ndim != 2:
        raise ValueError(f"image must be 2-D (rows, cols), got shape {pixels.shape}")
    if not (math.isfinite(search_radius_mm) and search_radius_mm > 0):
        raise ValueError(f"search_radius_mm must be positive, got {search_radius_mm!r}")
    if spacing_mm is None:
        if search_radius_px is None or not search_radius_px > 0:
            raise CalibrationError(
                "corner refinement on an uncalibrated film needs its search radius in pixels",
                fix="Give the film's pixel spacing, or search_radius_px (e.g. 10).",
            )
        unit = search_radius_mm / float(search_radius_px)
        frame_spacing = (unit, unit)
    else:
        frame_spacing = (float(spacing_mm[0]), float(spacing_mm[1]))
        if not all(math.isfinite(s) and s > 0 for s in frame_spacing):
            raise CalibrationError(f"pixel spacing must be positive, got {spacing_mm!r}")
    clicks = flat_corners(corners)
    # Only the neighbourhood of the clicks is read: fast on large films, same result.
    reach_px = (search_radius_mm + _REACH_MM) / min(frame_spacing) + 4.0
    crop, offset = _crop(pixels, clicks.values(), reach_px)
    local = {key: (p[0] - offset[0], p[1] - offset[1]) for key, p in clicks.items()}
    sampler = ImageSampler(crop, frame_spacing, bone_bright)
    refiner = _Refiner(
        sampler, noise_sigma(crop), search_radius_mm, corner_clearance_mm, min_confidence,
        spacing_mm,
    )  # fmt: skip
    results = {key: _shift(refiner.corner(key, local), offset, clicks[key]) for key in clicks}
    if spacing_mm is not None:
        results = keep_on_vertebra(results, frame_spacing)
    return RefinementResult(
        MappingProxyType(results),
        search_radius_mm,
        min_confidence,
        None if spacing_mm is None else frame_spacing,
    )


def _crop(
    pixels: np.ndarray, points: Iterable[Point], reach_px: float
) -> tuple[np.ndarray, tuple[int, int]]:
    """The part of the image within ``reach_px`` of the points, and its (row, col) offset."""
    array = np.array(list(points), dtype=np.float64).reshape(-1, 2)
    if len(array) == 0:
        return pixels, (0, 0)
    low = np.clip(np.floor(array.min(axis=0) - reach_px), 0, None).astype(int)
    high = np.minimum(np.ceil(array.max(axis=0) + reach_px) + 1, pixels.shape).astype(int)
    if np.any(high - low < 8):
        return pixels, (0, 0)  # clicks outside the image: let the sampler say so
    return pixels[low[0] : high[0], low[1] : high[1]], (int(low[0]), int(low[1]))


def _shift(result: CornerRefinement, offset: tuple[int, int], click: Point) -> CornerRefinement:
    """A refinement made on a crop, in the whole image's pixels (the click exactly as given)."""

    def move(point: Point) -> Point:
        return (point[0] + offset[0], point[1] + offset[1])

    refined = None if result.refined is None else move(result.refined)
    lines = [
        None if s is None else (move(s[0]), move(s[1]))
        for s in (result.endplate_line, result.wall_line)
    ]
    return replace(
        result,
        clicked=click,
        refined=refined,
        used=refined if result.accepted and refined is not None else click,
        endplate_line=lines[0],
        wall_line=lines[1],
    )


_DEFINITION_BAND_MM = (1.3, 1.75)
"""An outline this deep inside the intersection is too close to the corner definition's limit
(:data:`imaging.anatomy.ROUNDED_CORNER_MM`) to tell which point is the corner: click kept. From
1.3 mm: a sharp corner blurred by the film's unsharpness measures up to about 1.25 mm."""
_REACH_MM = 22.0
"""How far from a click the profiles may reach: the longest edge stretch (15 mm) plus the
widest search across an edge (radius + 2 mm) plus a margin."""


class _Refiner:
    def __init__(
        self,
        sampler: ImageSampler,
        noise: float,
        radius: float,
        clearance: float,
        min_confidence: float,
        spacing_mm: tuple[float, float] | None,
    ) -> None:
        self.sampler = sampler
        self.radius = radius
        self.min_confidence = min_confidence
        self.calibrated = spacing_mm is not None
        self.edges = EdgeFinder(sampler, noise, radius, clearance, self.calibrated)

    # --- one corner ------------------------------------------------------------------------
    def corner(self, key: CornerKey, clicks: Mapping[CornerKey, Point]) -> CornerRefinement:
        vertebra, corner = key
        click = self.sampler.to_frame(clicks[key])
        directions = self._directions(key, clicks, click)
        if isinstance(directions, str):
            return self._keep(key, clicks[key], RefinementStatus.NO_EDGES, directions)
        along_endplate, along_wall, endplate_length, wall_length = directions

        corner_point = click
        edges: tuple[Edge, Edge] | None = None
        previous = click
        for search in (True, False, False):
            found = self.edges.find(
                corner_point,
                along_endplate,
                along_wall,
                endplate_length,
                wall_length,
                search,
                edges,
            )
            if isinstance(found, str):
                return self._keep(key, clicks[key], RefinementStatus.NO_EDGES, found)
            edges, point = found
            along_endplate, along_wall = edges[0].along, edges[1].along
            previous, corner_point = corner_point, point
        assert edges is not None
        convergence = ramp(float(np.hypot(*(corner_point - previous))), 0.2, 1.0, falling=True)
        confidence, why = self.edges.confidence(edges, convergence)
        corner_point, definition, unsure = self._definition(
            corner_point, along_endplate, along_wall
        )
        shapes = [e.shape for e in edges if e.shape]
        refined = (float(corner_point[0] / self.sampler.spacing[0]),
                   float(corner_point[1] / self.sampler.spacing[1]))  # fmt: skip
        distance = float(np.hypot(*(corner_point - click)))
        fit_mm = distance if self.calibrated else None
        lines = (self._segment(edges[0], corner_point), self._segment(edges[1], corner_point))
        clicked = clicks[key]
        moved_px = float(np.hypot(refined[0] - clicked[0], refined[1] - clicked[1]))
        if distance > self.radius:
            reason = (
                f"the fitted corner lies {self.edges.length(distance)} from the click, beyond the "
                f"{self.edges.length(self.radius)} search radius; click kept"
            )
            return CornerRefinement(
                vertebra, corner, clicked, None, clicked, 0.0,
                RefinementStatus.BEYOND_RADIUS, reason, None, None, fit_mm, *lines,
            )  # fmt: skip
        curved = [shape for shape in shapes if shape.startswith(CURVED_ENDPLATE)]
        if curved:
            unsure = f"{curved[0]}: where its rim meets the wall is uncertain; click kept"
        double = [shape for shape in shapes if shape.startswith(DOUBLE_CONTOUR)]
        if double and definition == OUTLINE:
            # The bone outline of two rims is not the outline of one corner (seen on a phantom:
            # the inner rim's outline taken, 1.6 mm from the corner).
            unsure = (
                f"{double[0]}, and the bone outline lies inside the lines' intersection: "
                "which point is the corner is uncertain; click kept"
            )
        if unsure:
            confidence, why = 0.0, unsure
            shapes = []
        status = (
            RefinementStatus.REFINED
            if confidence >= self.min_confidence
            else RefinementStatus.LOW_CONFIDENCE
        )
        used = refined if status is RefinementStatus.REFINED else clicked
        reason = why if status is RefinementStatus.LOW_CONFIDENCE else "edges fitted"
        reason = "; ".join([reason, *shapes])
        spacing = np.array(self.sampler.spacing)
        covariance = corner_covariance(edges, corner_point) / np.outer(spacing, spacing)
        return CornerRefinement(
            vertebra, corner, clicked, refined, used, confidence, status, reason,
            moved_px, fit_mm, fit_mm, *lines, definition,
            (float(covariance[0, 0]), float(covariance[0, 1]), float(covariance[1, 1])),
        )  # fmt: skip

    def _definition(
        self, point: FloatArray, along_endplate: FloatArray, along_wall: FloatArray
    ) -> tuple[FloatArray, str, str]:
        """The corner by its definition (:data:`imaging.anatomy.ROUNDED_CORNER_MM`): the lines'
        intersection, or the outline point when the corner is rounded; a reason when too
        close to the limit to tell."""
        if not self.calibrated:
            return point, INTERSECTION, ""
        found = outline_depth(self.sampler, point, along_endplate, along_wall)
        if found is None or found[0] <= _DEFINITION_BAND_MM[0]:
            return point, INTERSECTION, ""
        depth, outline = found
        if depth > _DEFINITION_BAND_MM[1]:
            return outline, OUTLINE, ""
        return (
            point,
            INTERSECTION,
            (
                f"rounded corner: the bone outline lies {depth:.1f} mm inside the lines' "
                f"intersection, at the corner definition's {ROUNDED_CORNER_MM:g} mm limit, so "
                "which point is the corner is uncertain; click kept"
            ),
        )

    def _keep(
        self, key: CornerKey, click: Point, status: RefinementStatus, reason: str
    ) -> CornerRefinement:
        return CornerRefinement(
            key[0], key[1], click, None, click, 0.0, status, reason, None, None, None
        )

    # --- expected edge directions ------------------------------------------------------------
    def _directions(
        self, key: CornerKey, clicks: Mapping[CornerKey, Point], click: FloatArray
    ) -> tuple[FloatArray, FloatArray, float | None, float | None] | str:
        vertebra, corner = key
        endplate = self._towards(clicks.get((vertebra, ENDPLATE_PARTNER[corner])), click)
        wall = self._towards(clicks.get((vertebra, WALL_PARTNER[corner])), click)
        if endplate is None and wall is None:
            return (
                f"no other corner of this {'endplate' if vertebra is Vertebra.S1 else 'vertebra'}"
                " was clicked, so the edge directions are unknown; click a second corner"
            )
        if endplate is not None and wall is not None:
            return endplate[0], wall[0], endplate[1], wall[1]
        known, length = endplate if endplate is not None else wall  # type: ignore[misc]
        other = self._into_body(key, clicks, click, known, wall_missing=endplate is not None)
        if endplate is not None:
            return known, other, length, None
        return other, known, None, length

    def _towards(self, partner: Point | None, click: FloatArray) -> tuple[FloatArray, float] | None:
        if partner is None:
            return None
        vector = self.sampler.to_frame(partner) - click
        length = float(np.hypot(*vector))
        if length < 2.0 * self.radius:
            return None
        return vector / length, length

    def _into_body(
        self,
        key: CornerKey,
        clicks: Mapping[CornerKey, Point],
        click: FloatArray,
        known: FloatArray,
        wall_missing: bool,
    ) -> FloatArray:
        """The normal of the known edge that points into the body.

        Anatomy decides when other clicks allow: a missing wall runs caudally from a superior
        corner (away from the clicked vertebrae above), a missing endplate runs posteriorly from
        an anterior corner (toward the clicked posterior corners). Otherwise the brighter side.
        """
        vertebra, corner = key
        normal = np.array([-known[1], known[0]])
        frame = {k: self.sampler.to_frame(p) for k, p in clicks.items()}
        if wall_missing:
            cranial = [p for (v, _), p in frame.items() if v.position < vertebra.position]
            caudal = [p for (v, _), p in frame.items() if v.position > vertebra.position]
            own = [p for (v, _), p in frame.items() if v is vertebra]
            toward: FloatArray | None = None
            if cranial or caudal:
                low = np.mean(caudal, axis=0) if caudal else np.mean(own, axis=0)
                high = np.mean(cranial, axis=0) if cranial else np.mean(own, axis=0)
                toward = low - high  # caudal
                if corner in (Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR):
                    toward = -toward
        else:
            anterior = [p for (_, c), p in frame.items() if c.value.startswith("anterior")]
            posterior = [p for (_, c), p in frame.items() if c.value.startswith("posterior")]
            toward = None
            if anterior and posterior:
                toward = np.mean(posterior, axis=0) - np.mean(anterior, axis=0)
                if corner.value.startswith("posterior"):
                    toward = -toward
        if toward is not None and abs(float(toward @ normal)) > 1e-6 * float(np.hypot(*toward)):
            return normal if toward @ normal > 0 else -normal
        steps = np.linspace(3.0, 10.0, 8)
        grid = click + steps[:, None, None] * known + steps[None, :, None] * normal
        mirror = click + steps[:, None, None] * known - steps[None, :, None] * normal
        ahead = float(np.mean(self.sampler.values(grid)))
        behind = float(np.mean(self.sampler.values(mirror)))
        return normal if ahead >= behind else -normal

    def _segment(self, edge: Edge, corner_point: FloatArray) -> tuple[Point, Point]:
        far = corner_point + 12.0 * edge.along
        first = self.sampler.to_pixels(corner_point)
        second = self.sampler.to_pixels(far)
        return (float(first[0]), float(first[1])), (float(second[0]), float(second[1]))
