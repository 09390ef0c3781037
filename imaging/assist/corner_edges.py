"""The two edges of one corner (endplate and anterior or posterior wall) and how sure the fit is.

:class:`EdgeFinder` takes profiles across each edge from a point near the corner (sub-pixel edge
points, :mod:`imaging.assist.edges`), fits a robust line to each (the endplate's shape named:
a curved endplate, or the middle of a double contour, :mod:`imaging.assist.corner_shape`), and
scores the pair (:meth:`EdgeFinder.confidence`, documented on
:func:`imaging.assist.refine.refine_corners`). Geometry in the millimetre frame of
:mod:`imaging.assist.edges`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from imaging.assist.corner_shape import bend, second_contour
from imaging.assist.edges import (
    EdgePoints,
    FloatArray,
    ImageSampler,
    Line,
    edge_points,
    fit_line,
    intersect,
)

CURVED_ENDPLATE = "curved (concave) endplate"
DOUBLE_CONTOUR = "double endplate contour"
_BENT_MM = 0.35
"""Far edge points this much deeper into the bone than the near ones: a curved endplate."""
_SAGITTA_MM = 0.22
"""The middle third of the edge points this much deeper than the outer thirds (measured from
the line through all): a curved endplate, when no second contour explains it. On 12 phantom
films (4 each clean, anterior osteophytes 4 mm, low dose 1/5: 528 endplate fits) the middle
third sat at most 0.15, 0.15 and 0.21 mm deep; on concave endplates 1.5 mm deep, 0.22 mm or
more in 40% of fits (the rest lean less or follow the rim)."""


@dataclass(frozen=True)
class Edge:
    line: Line
    along: FloatArray
    stations: int
    snr: float
    shape: str = ""
    """What the edge's shape made the fit do (a concave endplate, a double contour), or ""."""
    inlier_along: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Positions of the inlier edge points along the line, from ``line.point`` (frame units)."""

    def offset_sd(self, point: FloatArray) -> float:
        """Standard error of the line's perpendicular position at ``point`` (frame units).

        The straight-line fit's standard error at the abscissa of ``point``:
        ``s * sqrt(1/n + (u - mean)^2 / Sxx)`` with ``s`` the inliers' residual scatter (n - 2
        degrees of freedom), so it grows with the film's noise over the edge's contrast and with
        the extrapolation from the profiles to the corner. Infinite with fewer than 3 inliers.
        """
        along = self.inlier_along
        count = len(along)
        if count < 3:
            return math.inf
        centred = along - along.mean()
        spread = float(centred @ centred)
        if spread <= 0:
            return math.inf
        scatter = self.line.residual * math.sqrt(count / (count - 2))
        u = float((point - self.line.point) @ self.line.direction) - float(along.mean())
        return scatter * math.sqrt(1.0 / count + u * u / spread)


class EdgeFinder:
    """Finds and scores the endplate and wall edges near one corner of one film."""

    def __init__(self, sampler: ImageSampler, noise: float, radius: float, clearance: float,
                 calibrated: bool) -> None:  # fmt: skip
        self.sampler = sampler
        self.noise = max(noise, 1e-9)
        self.radius = radius
        self.clearance = clearance
        self.calibrated = calibrated
        pixel = max(sampler.spacing)
        self.inlier_distance = max(0.35, 0.75 * pixel)
        self.station_step = max(0.5, 0.8 * pixel)

    def length(self, frame_length: float) -> str:
        """A frame length as text: mm when calibrated, else pixels."""
        if self.calibrated:
            return f"{frame_length:.1f} mm"
        return f"{frame_length / self.sampler.spacing[0]:.1f} px"

    def find(
        self,
        corner_point: FloatArray,
        along_endplate: FloatArray,
        along_wall: FloatArray,
        endplate_length: float | None,
        wall_length: float | None,
        search: bool,
        previous: tuple[Edge, Edge] | None,
    ) -> tuple[tuple[Edge, Edge], FloatArray] | str:
        endplate = self._edge(
            corner_point, along_endplate, along_wall, endplate_length, 15.0, search,
            None if previous is None else previous[0], endplate=True,
        )  # fmt: skip
        if endplate is None:
            return "no straight endplate edge found near the click"
        wall = self._edge(
            corner_point, along_wall, along_endplate, wall_length, 12.0, search,
            None if previous is None else previous[1],
        )  # fmt: skip
        if wall is None:
            return "no straight cortex (wall) edge found near the click"
        point = intersect(endplate.line, wall.line)
        if point is None:
            return "the endplate and wall edges found are nearly parallel"
        return (endplate, wall), point

    def _edge(
        self,
        corner_point: FloatArray,
        along: FloatArray,
        other: FloatArray,
        length: float | None,
        longest: float,
        search: bool,
        previous: Edge | None,
        endplate: bool = False,
    ) -> Edge | None:
        into_bone = np.array([-along[1], along[0]])
        if into_bone @ other < 0:
            into_bone = -into_bone
        end = min(0.45 * length, longest) if length is not None else longest
        start = 0.5 if search else self.clearance
        if end - start < 4.0 * self.station_step:
            end = start + 4.0 * self.station_step
        stations = np.arange(start, end + 1e-9, self.station_step)
        origin = corner_point
        half_width = self.radius + 2.0 if search else 1.5
        if previous is not None:
            # Centre the profiles on the line found so far.
            offset = previous.line.distance(corner_point[None, :])[0]
            normal = np.array([-previous.line.direction[1], previous.line.direction[0]])
            origin = corner_point - offset * normal
        found = edge_points(self.sampler, origin, along, into_bone, stations, half_width)
        usable = found.strength > 0
        if np.count_nonzero(usable) < 3:
            return None
        seed = None
        if not search and previous is not None:
            seed = (previous.line.point, previous.line.direction)
        line = fit_line(
            found.points[usable],
            found.strength[usable],
            along,
            self.inlier_distance,
            max_angle_deg=25.0 if search else 12.0,
            seed_line=seed,
        )
        if line is None:
            return None
        shape = ""
        if endplate and not search:
            line, shape = self._endplate_shape(found, usable, line, origin, into_bone)
            if line is None:
                return None
        inliers = np.zeros(len(found.points), dtype=bool)
        inliers[np.flatnonzero(usable)[line.inliers]] = True
        snr = float(np.median(found.step[inliers])) / self.noise if inliers.any() else 0.0
        fraction = float(inliers.sum()) / max(found.stations, 1)
        line = Line(line.point, line.direction, inliers, line.residual)
        along_line = (found.points[inliers] - line.point) @ line.direction
        return Edge(
            line, line.direction, found.stations, snr if fraction > 0 else 0.0, shape, along_line
        )

    def _endplate_shape(
        self,
        found: EdgePoints,
        usable: NDArray[np.bool_],
        line: Line,
        origin: FloatArray,
        into_bone: FloatArray,
    ) -> tuple[Line | None, str]:
        """A curved (concave) endplate is named (its rim line is uncertain: the click is kept);
        a double contour gives the middle of its two rims."""
        points = found.points[usable]
        step, sagitta = bend(points, line.direction, origin, line, into_bone)
        if step > _BENT_MM:
            return line, f"{CURVED_ENDPLATE} ({step:.1f} mm deeper 8-15 mm from the corner)"
        along_line = (points[line.inliers] - line.point) @ line.direction
        second = second_contour(self.sampler, line, into_bone, along_line)
        if second is None and sagitta > _SAGITTA_MM:
            return (
                line,
                f"{CURVED_ENDPLATE} (its middle third {sagitta:.2f} mm deeper than its ends)",
            )
        if second is None:
            return line, ""
        moved = replace(line, point=line.point + 0.5 * second * into_bone)
        return moved, f"{DOUBLE_CONTOUR} {abs(second):.1f} mm apart: its middle taken"

    def confidence(self, edges: tuple[Edge, Edge], convergence: float) -> tuple[float, str]:
        scores: list[float] = []
        notes: list[str] = []
        for name, edge in zip(("endplate", "wall"), edges, strict=True):
            fraction = float(edge.line.inliers.sum()) / max(edge.stations, 1)
            inliers = ramp(fraction, 0.4, 0.8)
            contrast = ramp(edge.snr, 3.0, 9.0)
            straight = ramp(edge.line.residual, 0.2, 0.6, falling=True)
            scores.append(inliers * contrast * straight)
            if inliers < 1:
                notes.append(f"{name}: {fraction:.0%} of profiles on the line")
            if contrast < 1:
                notes.append(f"{name}: weak edge ({edge.snr:.1f} x noise)")
            if straight < 1:
                notes.append(f"{name}: ragged edge ({self.length(edge.line.residual)} RMS)")
        cosine = abs(float(edges[0].along @ edges[1].along))
        between = math.degrees(math.acos(min(cosine, 1.0)))  # 0-90: the acute angle
        angle = ramp(between, 40.0, 55.0)
        if angle < 1:
            notes.append(f"edges meet at {between:.0f} degrees")
        if convergence < 1:
            notes.append("the fit did not settle")
        confidence = min(scores) * angle * convergence
        return float(confidence), "; ".join(notes) or "edges fitted"


def corner_covariance(edges: tuple[Edge, Edge], point: FloatArray) -> FloatArray:
    """Covariance (2 x 2, frame units squared) of the corner where the two edge lines meet.

    Each line's position at the corner is uncertain by :meth:`Edge.offset_sd` along its normal;
    the intersection ``x`` solves ``[n_endplate; n_wall] x = [c_endplate; c_wall]``, so its
    covariance is ``M^-1 diag(sd_endplate^2, sd_wall^2) M^-T`` (first-order propagation, the two
    fits independent).
    """
    normals = np.array([[-e.line.direction[1], e.line.direction[0]] for e in edges])
    variances = np.diag([edge.offset_sd(point) ** 2 for edge in edges])
    inverse = np.linalg.inv(normals)
    return np.asarray(inverse @ variances @ inverse.T, dtype=np.float64)


def ramp(value: float, low: float, high: float, *, falling: bool = False) -> float:
    """0 at ``low`` rising linearly to 1 at ``high`` (or the reverse when ``falling``)."""
    if not math.isfinite(value):
        return 0.0
    if falling:
        return float(np.clip((high - value) / (high - low), 0.0, 1.0))
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))
