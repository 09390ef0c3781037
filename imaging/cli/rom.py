"""``spine-endpoints rom``: range of motion and instability from flexion/extension landmarks."""

from __future__ import annotations

import argparse
from typing import Any

from imaging.cli.heights import add_landmark_arguments, load, non_negative, output
from imaging.geometry.instability import DEFAULT_PRESET, PRESETS


def register(subparsers: Any) -> None:
    presets = "; ".join(f"{name}: {criteria.description}" for name, criteria in PRESETS.items())
    presets = presets.replace("%", "%%")  # argparse formats help with %
    parser = subparsers.add_parser(
        "rom",
        help="angular and translation ROM and instability flags from flexion/extension films",
        description="Pair each visit's flexion and extension films (per reader) and report, per "
        "disc level, the segmental angle and translation on each film, the angular and "
        "translation ROM and the instability flag. CSV on standard output unless --out.",
    )
    add_landmark_arguments(parser)
    parser.add_argument(
        "--preset",
        default=DEFAULT_PRESET,
        choices=sorted(PRESETS),
        help=f"instability criteria (default {DEFAULT_PRESET}). {presets}",
    )
    parser.add_argument(
        "--max-translation",
        type=non_negative,
        metavar="MM",
        help="flag translation ROM beyond MM instead of the preset's limit",
    )
    parser.add_argument(
        "--max-angle",
        type=non_negative,
        metavar="DEG",
        help="flag angular ROM beyond DEG at every level instead of the preset's limits",
    )
    parser.add_argument(
        "--rom-only",
        action="store_true",
        help="leave out the per-film segmental angle and translation rows",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.endpoints import rom_table
    from imaging.geometry.instability import instability_preset

    criteria = instability_preset(args.preset).with_limits(
        max_translation_mm=args.max_translation, max_angle_deg=args.max_angle
    )
    table = rom_table(load(args), criteria=criteria, include_film_motion=not args.rom_only)
    return output(table, args.out)
