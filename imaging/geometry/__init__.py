"""Radiograph geometry from vertebral corner landmarks: pure numpy, vectorised, no I/O.

Coordinates are (row, col) pixels; spacing is (row, col) mm per pixel.
"""

from imaging.geometry.corner_order import SpineOrientation
from imaging.geometry.discs import (
    BodyHeights,
    DiscHeights,
    DiscMeasures,
    Translation,
    disc_heights,
    disc_measures,
    range_of_motion,
    segmental_angle,
    translation,
    vertebral_body_heights,
)
from imaging.geometry.height_loss import HeightLoss, HeightLossRule, height_loss_vs_adjacent
from imaging.geometry.instability import (
    PRESETS,
    InstabilityCriteria,
    Threshold,
    instability_preset,
)
from imaging.geometry.landmarks import LandmarkPoint, Landmarks

__all__ = [
    "PRESETS",
    "BodyHeights",
    "DiscHeights",
    "DiscMeasures",
    "HeightLoss",
    "HeightLossRule",
    "InstabilityCriteria",
    "LandmarkPoint",
    "Landmarks",
    "SpineOrientation",
    "Threshold",
    "Translation",
    "disc_heights",
    "disc_measures",
    "height_loss_vs_adjacent",
    "instability_preset",
    "range_of_motion",
    "segmental_angle",
    "translation",
    "vertebral_body_heights",
]
