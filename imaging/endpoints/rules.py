"""The protocol's measurement rules as plain values: height-loss references and thresholds.

Trial thresholds live only in protocol files (``[thresholds]`` and ``[measurement]``, see
docs/protocol-format.md); :meth:`MeasureRules.from_protocol` is the one place they are read for
measuring. A threshold the protocol does not set leaves its flag empty, with the reason, rather
than falling back to a number written in code. The rules are plain values so a batch task pickles
them to workers; the geometry objects are built where the measuring happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from imaging.anatomy import DiscLevel
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
    loss_height: str = "disc_height_mean"
    reference_item: str = ""
    """The grading item that decides whether a disc is a normal reference ('' : every disc)."""
    reference_normal: tuple[str, ...] = ()
    lumbosacral_reference: bool = True
    accepted_magnification: float | None = None

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
            loss_height=protocol.loss_height,
            reference_item=protocol.reference_discs.item,
            reference_normal=protocol.reference_discs.normal,
            lumbosacral_reference=protocol.reference_discs.lumbosacral,
            accepted_magnification=protocol.accepted_magnification,
        )

    def override(self, **changes: object) -> MeasureRules:
        """A copy with the given fields replaced (command-line options); None keeps a field."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]

    def height_loss_rule(self, skipped: Iterable[str] = ()) -> HeightLossRule:
        """The rule, with ``skipped`` discs (not normal at this visit) never references."""
        return HeightLossRule.build(
            exclude=(*self.exclude_levels, *skipped),
            reference_levels=dict(self.height_loss_references),
            threshold_pct=self.height_loss_pct,
            height=self.loss_height,
        )

    def skipped_references(self, grades: Mapping[str, str]) -> dict[str, str]:
        """Disc level -> why it may not serve as a reference disc, from the read's codes of
        :attr:`reference_item` by level (``grades``); empty when any disc may."""
        skipped: dict[str, str] = {}
        if not self.lumbosacral_reference:
            skipped[DiscLevel.L5_S1.value] = "L5-S1 is never a reference in this protocol"
        if not self.reference_item:
            return skipped
        normal = ", ".join(self.reference_normal)
        for level in DiscLevel:
            code = grades.get(level.value)
            if level.value in skipped:
                continue
            if code is None:
                skipped[level.value] = f"{self.reference_item} not graded"
            elif code not in self.reference_normal:
                skipped[level.value] = f"{self.reference_item} {code}, normal is {normal}"
        return skipped

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
