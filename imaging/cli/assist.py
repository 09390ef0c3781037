"""``spine-endpoints refine``: refine clicked corners to the bone corners of each film."""

from __future__ import annotations

import argparse
from typing import Any

from imaging.cli._numbers import fraction, positive
from imaging.cli.heights import add_landmark_arguments


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "refine",
        help="refine clicked corners on their films (fitted endplate and cortex lines)",
        description="For every film of a landmark file, move each corner to the intersection "
        "of the fitted endplate and cortex lines near it, never further than --search-radius. "
        "Writes the landmark file's columns with row/col the position to measure with (refined "
        "when confident, else the click), plus the click, the refined point, which was used, "
        "the confidence (0-1), the distance moved and why. CSV on standard output unless --out.",
    )
    add_landmark_arguments(parser)
    parser.add_argument(
        "--search-radius",
        type=positive,
        default=4.0,
        metavar="MM",
        help="no corner moves further than MM from its click (default 4)",
    )
    parser.add_argument(
        "--search-radius-px",
        type=positive,
        metavar="PX",
        help="the radius in pixels, for films without a calibration",
    )
    parser.add_argument(
        "--min-confidence",
        type=fraction,
        default=0.5,
        metavar="C",
        help="use the refined point only at confidence >= C, 0-1 (default 0.5)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.assist.files import refine_landmark_file
    from imaging.endpoints.table import write_frame

    table = refine_landmark_file(
        args.landmarks,
        archive=args.archive,
        mm_per_pixel=args.mm_per_pixel,
        search_radius_mm=args.search_radius,
        search_radius_px=args.search_radius_px,
        min_confidence=args.min_confidence,
    )
    write_frame(table, args.out)
    if args.out is not None:
        print(f"{len(table)} rows written to {args.out}")
    return 0
