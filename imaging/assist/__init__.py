"""Assisted measurement: corner refinement, vertebra tracking, MRI disc quantification.

Pure computation on pixel arrays (no Qt, no file I/O); coordinates are (row, col) pixels and
spacings (row, col) mm, as everywhere in :mod:`imaging`. What each function offers is a
suggestion the reader accepts, moves or rejects: refined corners carry the click and a
confidence, tracked vertebrae a match quality, MR grades the decision questions answered.

- :func:`refine_corners`: clicks -> corners at the intersection of fitted endplate and cortex
  lines, never further than the search radius from the click.
- :func:`track_vertebrae` and :func:`rom_from_tracking`: corners on one film -> each vertebra's
  rigid motion to another film, mapped corners, ROM; a :class:`ReferenceFilm` prepares the read
  film once for every film it is tracked onto.
- :func:`quantify_mr_discs`: one click per disc on mid-sagittal T2 (+T1) -> height, signal
  ratios, suggested Pfirrmann grade and Modic types.
"""

from imaging.assist.motion import TrackedMotion, mapped_landmarks, rom_from_tracking
from imaging.assist.mr_discs import DiscQuantification, quantify_mr_discs
from imaging.assist.mr_grades import (
    DecisionAnswer,
    GradingThresholds,
    ModicSuggestion,
    PfirrmannSuggestion,
)
from imaging.assist.refine import refine_corners
from imaging.assist.refinement import CornerRefinement, RefinementResult, RefinementStatus
from imaging.assist.tracking import (
    ReferenceFilm,
    RigidTransform,
    TrackingResult,
    VertebraTrack,
    track_vertebrae,
)

__all__ = [
    "CornerRefinement",
    "DecisionAnswer",
    "DiscQuantification",
    "GradingThresholds",
    "ModicSuggestion",
    "PfirrmannSuggestion",
    "ReferenceFilm",
    "RefinementResult",
    "RefinementStatus",
    "RigidTransform",
    "TrackedMotion",
    "TrackingResult",
    "VertebraTrack",
    "mapped_landmarks",
    "quantify_mr_discs",
    "refine_corners",
    "rom_from_tracking",
    "track_vertebrae",
]
