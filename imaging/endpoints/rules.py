"""The protocol's measurement rules as plain values: height-loss references and thresholds.

Trial thresholds live only in protocol files (``[thresholds]`` and ``[measurement]``, see
docs/protocol-format.md); :meth:`MeasureRules.from_protocol` is the one place they are read for
measuring. A threshold the protocol does not set leaves its flag empty, with the reason, rather
than falling back to a number written in code. The rules are plain values so a batch task pickles
them to workers; the geometry objects are built where the measuring happens.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from imaging.geometry.height_loss import HeightLossRule
from imaging.geometry.instability import InstabilityCriteria, Threshold, instability_preset

if TYPE_CHECKING:
    from imaging.protocol.model import Protocol


@dataclass(frozen=True)
class MeasureRules:
    """How a protocol measures: its id, thresholds and reference discs.

    ``height_loss_pct``: the height-loss flag is raised at ``>=`` this (%).
    ``instability_translation_mm`` / ``instability_angle_deg``: ``unstable`` when the translation
    ROM or the angular ROM exceeds them (``>``). ``instability_preset``: published criteria
    (:data:`imaging.geometry.instability.PRESETS`) used instead, with the limits above replacing
    theirs when given. ``height_loss_references``: explicit reference discs per level, e.g.
    ``(("L4-L5", ("L3-L4",)),)``; empty means the nearest measured neighbours.
    """

    protocol: str = ""
    height_loss_pct: float | None = None
    instability_translation_mm: float | None = None
    instability_angle_deg: float | None = None
    instability_preset: str = ""
    height_loss_references: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude_levels: tuple[str, ...] = ()

    @classmethod
    def from_protocol(cls, protocol: Protocol) -> MeasureRules:
        """The rules a protocol file states (and nothing it does not)."""
        thresholds = dict(protocol.thresholds)

        def number(name: str) -> float | None:
            value = thresholds.get(name)
            return None if value is None else float(value)

        return cls(
            protocol=protocol.id,
            height_loss_pct=number("height_loss_pct"),
            instability_translation_mm=number("instability_translation_mm"),
            instability_angle_deg=number("instability_angle_deg"),
            height_loss_references=tuple(
                (level, tuple(refs)) for level, refs in protocol.height_loss_references
            ),
        )

    def override(self, **changes: object) -> MeasureRules:
        """A copy with the given fields replaced (command-line options); None keeps a field."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    def height_loss_rule(self) -> HeightLossRule:
        return HeightLossRule.build(
            exclude=self.exclude_levels,
            reference_levels=dict(self.height_loss_references),
            threshold_pct=self.height_loss_pct,
        )

    def instability_criteria(self) -> InstabilityCriteria | None:
        """The criteria, or None when neither the protocol nor a preset gives any threshold."""
        translation, angle = self.instability_translation_mm, self.instability_angle_deg
        if self.instability_preset:
            return instability_preset(self.instability_preset).with_limits(
                max_translation_mm=translation, max_angle_deg=angle
            )
        if translation is None and angle is None:
            return None
        limits = " or ".join(
            text
            for text in (
                None if translation is None else f"translation ROM > {translation:g} mm",
                None if angle is None else f"angular ROM > {angle:g} deg",
            )
            if text
        )
        return InstabilityCriteria(
            self.protocol or "protocol",
            f"{self.protocol or 'the protocol'}: {limits}",
            translation_mm=None if translation is None else Threshold(translation),
            angle_deg=None if angle is None else Threshold(angle),
        )
