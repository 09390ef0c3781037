"""Assisted measurement: corner refinement, vertebra tracking, MRI disc quantification."""

from imaging.assist.refine import (
    CornerRefinement,
    RefinementResult,
    RefinementStatus,
    refine_corners,
)

__all__ = [
    "CornerRefinement",
    "RefinementResult",
    "RefinementStatus",
    "refine_corners",
]
