"""``spine-endpoints rom``: range of motion and instability from flexion/extension landmarks."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from imaging.cli._numbers import non_negative
from imaging.cli.heights import add_landmark_arguments, measure
from imaging.endpoints import EndpointRow, MeasureRules
from imaging.geometry.instability import PRESETS
from imaging.measures import MEASURES, MOTION_MEASURES, MeasureKind


def register(subparsers: Any) -> None:
    presets = "; ".join(f"{name}: {criteria.description}" for name, criteria in PRESETS.items())
    presets = presets.replace("%", "%%")  # argparse formats help with %
    parser = subparsers.add_parser(
        "rom",
        help="angular and translation ROM and instability flags from flexion/extension films",
        description="Pair each visit's flexion and extension films (per reader) and report, per "
        "disc level, the segmental angle and translation on each film, the angular and "
        "translation ROM and the instability flag, with the protocol's instability thresholds. "
        "Rows of the one endpoint table (docs/endpoint-table.md); CSV on standard output unless "
        "--out.",
    )
    add_landmark_arguments(parser)
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help=f"published instability criteria instead of the protocol's. {presets}",
    )
    parser.add_argument(
        "--max-translation",
        type=non_negative,
        metavar="MM",
        help="flag translation ROM beyond MM instead of the protocol's (or preset's) limit",
    )
    parser.add_argument(
        "--max-angle",
        type=non_negative,
        metavar="DEG",
        help="flag angular ROM beyond DEG at every level instead of the protocol's (or "
        "preset's) limits",
    )
    parser.add_argument(
        "--rom-only",
        action="store_true",
        help="leave out the per-film segmental angle and translation rows",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    def keep(row: EndpointRow) -> bool:
        if MEASURES[row.measure].kind is MeasureKind.PAIR:
            return True
        return not args.rom_only and row.measure in MOTION_MEASURES and row.film != "neutral"

    def adjust(rules: MeasureRules) -> MeasureRules:
        if args.preset:  # the preset's limits replace the protocol's, options replace both
            rules = replace(
                rules,
                instability_preset=args.preset,
                instability_translation_mm=None,
                instability_angle_deg=None,
            )
        return rules.override(
            instability_translation_mm=args.max_translation,
            instability_angle_deg=args.max_angle,
        )

    return measure(args, keep, adjust)
