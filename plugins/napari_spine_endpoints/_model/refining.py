"""Corner refinement for the workstation: what to refine, and the proposals it gives.

:func:`refinement_request` takes a snapshot of a film's corners on the GUI thread;
:func:`refine` runs :func:`imaging.assist.refine_corners` on it (off the GUI thread: it reads
no model state) and returns one :class:`CornerProposal` per corner asked for. The proposals then
go to the film's :class:`ProposalSet`, which drops any whose corner moved meanwhile.

Every placed corner is passed to the refinement (the other corners of a vertebra give the edge
directions), but proposals are made only for the reader's clicks and tracked corners: a refined
or moved corner already has the reader's decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from imaging.assist import RefinementStatus, refine_corners
from imaging.store.vocabulary import LandmarkUse
from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._model.placement import CornerLabel, PlacementState
from napari_spine_endpoints._model.proposals import CornerProposal
from napari_spine_endpoints._model.provenance import Point

SEARCH_RADIUS_MM = 4.0
"""No refined point lies further than this from its click (the documented clamp)."""
UNCALIBRATED_RADIUS_PX = 12.0
"""The search radius on a film without pixel spacing (no millimetres to size it in)."""
MIN_CONFIDENCE = 0.5
"""Below this confidence a refinement is offered as low-confidence and never applied by itself."""
_REFINABLE = (LandmarkUse.CLICK, LandmarkUse.TRACKED)


@dataclass(frozen=True)
class RefinementRequest:
    """What one refinement job works on: a copy of the film's corners, taken on the GUI thread."""

    positions: Mapping[CornerLabel, Point]
    targets: tuple[CornerLabel, ...]
    spacing_mm: tuple[float, float] | None
    bone_bright: bool


def refinement_request(
    placement: PlacementState,
    info: ImageInfo,
    labels: Iterable[CornerLabel] | None = None,
    *,
    waiting: Iterable[CornerLabel] = (),
) -> RefinementRequest | None:
    """Refine ``labels`` (default: every placed click or tracked corner, except those whose
    proposal is ``waiting`` for the reader); None when there is nothing to refine."""
    chosen = placement.labels if labels is None else tuple(labels)
    skip = set(waiting)
    targets = tuple(
        label
        for label in chosen
        if label in placement.positions
        and label not in skip
        and placement.records[label].used in _REFINABLE
    )
    if not targets:
        return None
    return RefinementRequest(
        dict(placement.positions),
        targets,
        info.calibration.pixel_spacing,
        bone_bright=not info.inverted,
    )


def auto_refine_targets(placement: PlacementState) -> list[CornerLabel]:
    """Corners automatic refinement refines now: the clicks not yet refined, of vertebrae whose
    corners are all placed (a corner's edges are found from the other corners of its body)."""
    targets: list[CornerLabel] = []
    for vertebra in dict.fromkeys(label.vertebra for label in placement.labels):
        own = [label for label in placement.labels if label.vertebra is vertebra]
        if not all(label in placement.positions for label in own):
            continue
        for label in own:
            record = placement.records[label]
            if record.used is LandmarkUse.CLICK and not record.attempted:
                targets.append(label)
    return targets


def refine(pixels: ArrayLike, request: RefinementRequest) -> tuple[CornerProposal, ...]:
    """Refine the request's targets on the film's pixels (measurement values, (row, col))."""
    clicks = {(x.vertebra, x.corner): p for x, p in request.positions.items()}
    result = refine_corners(
        np.asarray(pixels),
        clicks,
        request.spacing_mm,
        search_radius_mm=SEARCH_RADIUS_MM,
        search_radius_px=None if request.spacing_mm is not None else UNCALIBRATED_RADIUS_PX,
        min_confidence=MIN_CONFIDENCE,
        bone_bright=request.bone_bright,
    )
    proposals = []
    for label in request.targets:
        corner = result[(label.vertebra, label.corner)]
        proposals.append(
            CornerProposal(
                label,
                LandmarkUse.REFINED,
                origin=request.positions[label],
                point=corner.refined,
                confident=corner.status is RefinementStatus.REFINED,
                confidence=corner.confidence,
                status=corner.status.value,
                reason=corner.reason,
                distance_mm=corner.moved_mm,
            )
        )
    return tuple(proposals)
