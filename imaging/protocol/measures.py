"""Radiograph measures with a protocol's thresholds and reference levels.

Wraps :func:`imaging.endpoints.heights_table` (neutral films) and
:func:`imaging.endpoints.rom_table` (flexion/extension pairs), configured from ``[thresholds]``
(``height_loss_pct``, ``instability_translation_mm``, ``instability_angle_deg``) and
``[measurement] height_loss_references`` of the protocol. The result has the endpoint table's
columns (:data:`imaging.endpoints.COLUMNS`) and visits renamed to the protocol's visit ids where
they match (``BASELINE`` -> ``baseline``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from imaging.anatomy import Film
from imaging.endpoints import COLUMNS, heights_table, rom_table
from imaging.geometry.height_loss import HeightLossRule
from imaging.geometry.instability import InstabilityCriteria, instability_preset
from imaging.geometry.landmarks import Landmarks
from imaging.protocol.model import Protocol


def height_loss_rule(protocol: Protocol) -> HeightLossRule:
    """The protocol's height-loss threshold (%) and reference discs (defaults where none)."""
    thresholds = dict(protocol.thresholds)
    return HeightLossRule.build(
        reference_levels=dict(protocol.height_loss_references),
        threshold_pct=thresholds.get("height_loss_pct", 20.0),
    )


def instability_criteria(protocol: Protocol) -> InstabilityCriteria:
    """The trial's instability criteria with the protocol's mm and degree limits."""
    thresholds = dict(protocol.thresholds)
    return instability_preset().with_limits(
        max_translation_mm=thresholds.get("instability_translation_mm", 3.0),
        max_angle_deg=thresholds.get("instability_angle_deg", 15.0),
    )


def radiograph_measures(landmarks: Sequence[Landmarks], protocol: Protocol) -> pd.DataFrame:
    """Every radiograph measure of the landmark sets, as the endpoint table."""
    neutral = [film for film in landmarks if film.film is Film.NEUTRAL]
    dynamic = [film for film in landmarks if film.film is not Film.NEUTRAL]
    parts = []
    if neutral:
        parts.append(heights_table(neutral, height_loss=height_loss_rule(protocol)))
    if dynamic:
        parts.append(rom_table(dynamic, criteria=instability_criteria(protocol)))
    if not parts:
        return pd.DataFrame(columns=list(COLUMNS))
    table = pd.concat(parts, ignore_index=True)
    table["visit"] = table["visit"].map(lambda name: protocol_visit_id(protocol, name))
    return table


def measures_from_landmark_file(
    path: str | Path, protocol: Protocol, *, mm_per_pixel: float | None = None
) -> pd.DataFrame:
    """Load a landmark file (:mod:`imaging.landmark_files`) and measure it."""
    from imaging.landmark_files import load_landmarks

    return radiograph_measures(load_landmarks(path, mm_per_pixel=mm_per_pixel), protocol)


def protocol_visit_id(protocol: Protocol, name: str) -> str:
    """The protocol's visit id for ``name`` (an id or a time point id), else ``name`` itself."""
    try:
        return protocol.visit(str(name)).id
    except ValueError:
        return str(name)
