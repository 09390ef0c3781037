"""Vertebra tracking for the workstation: corners of one film offered on another, with ROM.

:func:`tracking_request` copies the source film's corners on the GUI thread; :func:`track` runs
:func:`imaging.assist.track_vertebrae` (off the GUI thread) and turns the result into proposals
for the target film (``tracked`` once accepted; a poorly matched vertebra's corners are offered
but never applied by "accept confident"), the match of every vertebra, and the motion of each
level from :func:`imaging.assist.rom_from_tracking`: the angle change from the registration
transforms next to the one from the corners.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from numpy.typing import ArrayLike

from imaging.anatomy import DiscLevel, Film, Vertebra
from imaging.assist import ReferenceFilm, TrackedMotion, rom_from_tracking, track_vertebrae
from imaging.errors import CalibrationError
from imaging.store.vocabulary import LandmarkUse
from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._model.measures import MeasureGrid
from napari_spine_endpoints._model.placement import CornerLabel, PlacementState
from napari_spine_endpoints._model.proposals import CornerProposal
from napari_spine_endpoints._model.provenance import Point

DYNAMIC_PARTNER = {Film.FLEXION: Film.EXTENSION, Film.EXTENSION: Film.FLEXION}


def default_target(source: Film, open_films: set[Film]) -> Film | None:
    """Flexion <-> extension; from neutral, flexion then extension (whichever is open)."""
    wanted = [DYNAMIC_PARTNER[source]] if source in DYNAMIC_PARTNER else []
    wanted += [Film.FLEXION, Film.EXTENSION]
    return next((film for film in wanted if film in open_films and film is not source), None)


def dynamic_targets(open_films: set[Film]) -> tuple[Film, ...]:
    """The dynamic films open, flexion first: where the neutral read is tracked in one go."""
    return tuple(film for film in (Film.FLEXION, Film.EXTENSION) if film in open_films)


@dataclass(frozen=True)
class TrackingRequest:
    source: Film
    target: Film
    source_corners: Mapping[CornerLabel, Point]
    target_corners: Mapping[CornerLabel, Point]
    target_labels: tuple[CornerLabel, ...]
    source_spacing: tuple[float, float]
    target_spacing: tuple[float, float]
    bone_bright: bool = True
    """The target film's polarity (False for MONOCHROME1 stored values), as refinement takes
    it: the bodies' shapes are compared by corner refinement on both films."""


def tracking_request(
    source: Film,
    source_placement: PlacementState,
    source_info: ImageInfo,
    target: Film,
    target_placement: PlacementState,
    target_info: ImageInfo,
) -> TrackingRequest:
    """Snapshot of both films' corners; CalibrationError when a film has no pixel spacing."""
    spacings = []
    for film, info in ((source, source_info), (target, target_info)):
        spacing = info.calibration.pixel_spacing
        if spacing is None:
            raise CalibrationError(
                f"the {film.value} film has no pixel spacing; tracking measures motion in mm",
                path=info.path,
                fix="Place the corners by hand on this film, or open a calibrated film.",
            )
        spacings.append(spacing)
    if not source_placement.positions:
        raise ValueError(f"no corner is placed on the {source.value} film to track")
    return TrackingRequest(
        source,
        target,
        dict(source_placement.positions),
        dict(target_placement.positions),
        target_placement.labels,
        spacings[0],
        spacings[1],
        bone_bright=not target_info.inverted,
    )


@dataclass(frozen=True)
class VertebraMatch:
    """How one vertebra was found on the target film."""

    vertebra: Vertebra
    correlation: float
    poor_match: bool
    reason: str

    @property
    def text(self) -> str:
        quality = "POOR MATCH" if self.poor_match else "matched"
        correlation = (
            "" if math.isnan(self.correlation) else f", correlation {self.correlation:.2f}"
        )
        detail = "" if self.reason == "matched" else f": {self.reason}"
        return f"{self.vertebra.value}: {quality}{correlation}{detail}"


@dataclass(frozen=True)
class TrackingOutcome:
    """Proposals for the target film, the vertebrae's matches and each level's motion."""

    source: Film
    target: Film
    proposals: tuple[CornerProposal, ...]
    matches: tuple[VertebraMatch, ...]
    motion: Mapping[DiscLevel, TrackedMotion]
    anchor: str

    @property
    def poor_matches(self) -> tuple[VertebraMatch, ...]:
        return tuple(m for m in self.matches if m.poor_match)


def track(
    source_pixels: ArrayLike | ReferenceFilm, target_pixels: ArrayLike, request: TrackingRequest
) -> TrackingOutcome:
    """Track every vertebra of the source film onto the target film (a :class:`ReferenceFilm`
    source, shared by the trackings of one film onto several, is prepared once for all)."""
    corners = {(x.vertebra, x.corner): p for x, p in request.source_corners.items()}
    result = track_vertebrae(
        source_pixels,
        corners,
        target_pixels,
        request.source_spacing,
        target_spacing_mm=request.target_spacing,
        source_film=request.source,
        target_film=request.target,
        bone_bright=request.bone_bright,
    )
    proposals = []
    for label in request.target_labels:
        found = result.vertebrae.get(label.vertebra)
        if found is None or label.corner not in found.corners:
            continue
        point = found.corners[label.corner]
        origin = request.target_corners.get(label)
        distance = None
        if origin is not None:
            row = (point[0] - origin[0]) * request.target_spacing[0]
            col = (point[1] - origin[1]) * request.target_spacing[1]
            distance = math.hypot(row, col)
        proposals.append(
            CornerProposal(
                label, LandmarkUse.TRACKED, origin, point, confident=not found.poor_match,
                reason=found.reason, distance_mm=distance,
            )
        )  # fmt: skip
    matches = tuple(
        VertebraMatch(t.vertebra, t.correlation, t.poor_match, t.reason) for t in result
    )
    motion = rom_from_tracking(corners, result, request.source_spacing, request.target_spacing)
    return TrackingOutcome(
        request.source, request.target, tuple(proposals), matches, motion, result.anchor
    )


@dataclass(frozen=True)
class MotionRow:
    """One level of the tracking table: motion from the transforms, the tracked corners and the
    reader's placed corners (degrees and mm; None where not available)."""

    level: str
    angle_from_transforms: float
    angle_from_tracked_corners: float
    translation_from_tracked_corners: float
    angle_from_placed_corners: float | None
    translation_from_placed_corners: float | None
    poor_match: bool


def motion_rows(outcome: TrackingOutcome, pair: MeasureGrid | None) -> list[MotionRow]:
    """The tracking table; the placed-corner columns come from the ROM grid of the read (flexion
    and extension only: between other films the change is not a range of motion)."""
    dynamic = {outcome.source, outcome.target} == {Film.FLEXION, Film.EXTENSION}
    rows = []
    for level, motion in outcome.motion.items():
        placed_angle = placed_translation = None
        if dynamic and pair is not None and level.value in pair.levels:
            placed_angle = pair.cell(level.value, "angular_rom").value
            placed_translation = pair.cell(level.value, "translation_rom").value
        rows.append(
            MotionRow(
                level.value,
                motion.angular_rom_transform_deg,
                motion.angular_rom_corners_deg,
                motion.translation_rom_mm,
                placed_angle,
                placed_translation,
                motion.poor_match,
            )
        )
    return rows
