"""``spine-endpoints heights``: disc heights, height loss and body heights from a landmark file."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imaging.anatomy import DiscLevel
from imaging.cli._numbers import non_negative
from imaging.endpoints import EndpointRow, MeasureRules
from imaging.errors import SpineEndpointsError
from imaging.measures import MEASURES, MeasureKind


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "heights",
        help="disc heights, height loss vs adjacent discs, vertebral body heights",
        description="Measure the neutral films of a landmark file: disc heights (anterior, "
        "posterior, mean, middle), disc height index, height loss against adjacent discs (with "
        "the reference levels used), segmental angle, translation and vertebral body heights; "
        "flexion and extension films give their angle and translation. Rows of the one endpoint "
        "table (docs/endpoint-table.md), computed as the batch, the store and the workstation "
        "compute them; CSV on standard output unless --out. Every measure: `spine-endpoints "
        "measures`.",
    )
    add_landmark_arguments(parser)
    parser.add_argument(
        "--reference-levels",
        action="append",
        type=_reference_levels,
        default=[],
        metavar="LEVEL=REF[,REF]",
        help="compare LEVEL with these discs instead of its nearest measured neighbours, e.g. "
        "L4-L5=L3-L4,L5-S1 (repeatable)",
    )
    parser.add_argument(
        "--exclude-levels",
        type=_levels,
        default=(),
        metavar="LEVEL[,LEVEL]",
        help="discs never used as references (e.g. known degenerated discs)",
    )
    parser.add_argument(
        "--grades",
        type=Path,
        metavar="FILE.csv",
        help="grade form of the same reads: the protocol's normal reference discs (e.g. "
        "Pfirrmann 1-2) are decided from it; without it no disc is known normal and height loss "
        "is not evaluable when the protocol requires normal references",
    )
    parser.add_argument(
        "--height-loss-threshold",
        type=non_negative,
        metavar="PCT",
        help="flag height loss at or above PCT percent (default: the protocol's height_loss_pct)",
    )
    parser.set_defaults(func=run)


def add_landmark_arguments(parser: argparse.ArgumentParser) -> None:
    """LANDMARKS, --protocol, --out, --archive and --mm-per-pixel, shared with ``rom``."""
    from imaging.cli._trial import add_film_options, add_protocol_option

    parser.add_argument(
        "landmarks",
        type=Path,
        metavar="LANDMARKS",
        help="landmark file, CSV or JSON (subject, visit, film, image, vertebra, corner, row, "
        "col[, reader]); see imaging/landmark_files",
    )
    add_protocol_option(parser)
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="write FILE.csv or FILE.parquet instead"
    )
    add_film_options(parser)


def measure(
    args: argparse.Namespace,
    keep: Callable[[EndpointRow], bool],
    adjust: Callable[[MeasureRules], MeasureRules],
    grades: Path | None = None,
) -> int:
    """The landmark file's rows that ``keep`` keeps, measured with the protocol's rules as
    ``adjust`` changes them (options), written out as they are computed (subject by subject:
    memory holds the file's corners, not its rows)."""
    from imaging.cli._files import rows_from_files
    from imaging.endpoints import write_endpoint_rows
    from imaging.protocol.loader import load_protocol

    protocol = load_protocol(args.protocol)
    try:
        rules = adjust(MeasureRules.from_protocol(protocol))
        rules.height_loss_rule()
    except ValueError as error:
        raise SpineEndpointsError(str(error), fix="Check --reference-levels.") from None
    rows = rows_from_files(
        protocol, args.landmarks, grades, rules=rules,
        archive=args.archive, mm_per_pixel=args.mm_per_pixel,
    )  # fmt: skip
    count = write_endpoint_rows(
        (row for row in rows if row.measure in MEASURES and keep(row)), args.out
    )
    if args.out is not None:
        print(f"{count} rows written to {args.out}")
    return 0


def run(args: argparse.Namespace) -> int:
    def adjust(rules: MeasureRules) -> MeasureRules:
        return rules.override(
            height_loss_pct=args.height_loss_threshold,
            exclude_levels=tuple(level.value for level in args.exclude_levels) or None,
            height_loss_references=tuple(
                (level.value, tuple(r.value for r in refs)) for level, refs in args.reference_levels
            )
            or None,
        )

    return measure(
        args, lambda row: MEASURES[row.measure].kind is not MeasureKind.PAIR, adjust, args.grades
    )


def _levels(text: str) -> tuple[DiscLevel, ...]:
    try:
        return tuple(DiscLevel(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _reference_levels(text: str) -> tuple[DiscLevel, tuple[DiscLevel, ...]]:
    level, separator, references = text.partition("=")
    if not separator or not references.strip():
        raise argparse.ArgumentTypeError(
            f"expected LEVEL=REF[,REF], e.g. L4-L5=L3-L4, got {text!r}"
        )
    return _levels(level)[0], _levels(references)
