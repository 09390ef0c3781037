"""A study's landmark sets and grades -> endpoint rows, with the protocol's thresholds.

Neutral films give every disc and vertebral body measure (:func:`imaging.endpoints.heights_table`);
flexion and extension films give their segmental angle and translation, and as a pair the
angular and translation ROM and the instability flag (:func:`imaging.endpoints.rom_table`).
Grades become rows whose ``measure`` is the grading item and ``grade`` its code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from imaging.anatomy import DiscLevel, Film
from imaging.endpoints import COLUMNS, heights_table, rom_table
from imaging.geometry.height_loss import HeightLossRule
from imaging.geometry.instability import InstabilityCriteria, instability_preset
from imaging.geometry.landmarks import Landmarks

if TYPE_CHECKING:
    from imaging.batch.task import GradeEntry
    from imaging.protocol.model import Protocol

GRADE_UNIT = "grade"


@dataclass(frozen=True)
class MeasureSettings:
    """Thresholds and reference levels, as plain values (picklable; rules are built in the worker).

    ``height_loss_references``: explicit reference levels per level, e.g.
    ``(("L4-L5", ("L3-L4",)),)``; empty means nearest measured neighbours.
    """

    height_loss_pct: float = 20.0
    height_loss_references: tuple[tuple[str, tuple[str, ...]], ...] = ()
    instability_translation_mm: float = 3.0
    instability_angle_deg: float = 15.0

    @classmethod
    def from_protocol(cls, protocol: Protocol) -> MeasureSettings:
        thresholds = dict(protocol.thresholds)
        default = cls()
        return cls(
            height_loss_pct=float(thresholds.get("height_loss_pct", default.height_loss_pct)),
            height_loss_references=tuple(
                (level, tuple(refs)) for level, refs in protocol.height_loss_references
            ),
            instability_translation_mm=float(
                thresholds.get("instability_translation_mm", default.instability_translation_mm)
            ),
            instability_angle_deg=float(
                thresholds.get("instability_angle_deg", default.instability_angle_deg)
            ),
        )

    def height_loss_rule(self) -> HeightLossRule:
        return HeightLossRule.build(
            reference_levels=dict(self.height_loss_references),
            threshold_pct=self.height_loss_pct,
        )

    def instability_criteria(self) -> InstabilityCriteria:
        return instability_preset().with_limits(
            max_translation_mm=self.instability_translation_mm,
            max_angle_deg=self.instability_angle_deg,
        )


def measure_study(landmarks: Sequence[Landmarks], settings: MeasureSettings) -> pd.DataFrame:
    """Endpoint rows of one study's landmark sets (columns of :data:`imaging.endpoints.COLUMNS`).

    Raises :class:`~imaging.errors.LandmarkError` when two sets claim the same film and reader.
    """
    neutral = [film for film in landmarks if film.film is Film.NEUTRAL]
    dynamic = [film for film in landmarks if film.film is not Film.NEUTRAL]
    parts = []
    if neutral:
        parts.append(heights_table(neutral, height_loss=settings.height_loss_rule()))
    if dynamic:
        parts.append(rom_table(dynamic, criteria=settings.instability_criteria()))
    if not parts:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(parts, ignore_index=True)


def grade_rows(subject: str, visit: str, grades: Iterable[GradeEntry]) -> pd.DataFrame:
    """One row per grade, ordered by level (cranial to caudal) and reader, items as given."""
    order = {level.value: i for i, level in enumerate(DiscLevel)}
    rows = [
        {
            "subject": subject,
            "visit": visit,
            "level": grade.level,
            "measure": grade.item,
            "value": grade.numeric,
            "unit": GRADE_UNIT,
            "grade": grade.code,
            "reader": grade.reader,
        }
        for grade in sorted(grades, key=lambda g: (order.get(g.level, 99), g.level, g.reader))
    ]
    return pd.DataFrame(rows, columns=[*COLUMNS, "grade"])
