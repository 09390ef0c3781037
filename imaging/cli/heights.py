"""``spine-endpoints heights``: disc heights, height loss and body heights from a landmark file."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from imaging.anatomy import DiscLevel
from imaging.errors import SpineEndpointsError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "heights",
        help="disc heights, height loss vs adjacent discs, vertebral body heights",
        description="Measure every film of a landmark file: disc heights (anterior, posterior, "
        "mean, middle), disc height index, height loss against adjacent discs (with the "
        "reference levels used), segmental angle, translation and vertebral body heights. One "
        "row per subject x visit x level x measure; CSV on standard output unless --out.",
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
        "--height-loss-threshold",
        type=non_negative,
        default=20.0,
        metavar="PCT",
        help="flag height loss at or above PCT percent (default 20, the DLBP trial's)",
    )
    parser.set_defaults(func=run)


def add_landmark_arguments(parser: argparse.ArgumentParser) -> None:
    """LANDMARKS, --out, --archive and --mm-per-pixel, shared with ``rom``."""
    parser.add_argument(
        "landmarks",
        type=Path,
        metavar="LANDMARKS",
        help="landmark file, CSV or JSON (subject, visit, film, image, vertebra, corner, row, "
        "col[, reader]); see imaging/landmark_files",
    )
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="write FILE.csv or FILE.parquet instead"
    )
    parser.add_argument(
        "--archive",
        type=Path,
        metavar="DIR",
        help="folder whose DICOM headers resolve images given as SOPInstanceUIDs",
    )
    parser.add_argument(
        "--mm-per-pixel",
        type=_spacing,
        metavar="MM[,MM]",
        help="calibration for every film (square pixels, or row,col): overrides the headers, "
        "recorded as user-supplied; the images are then optional",
    )


def load(args: argparse.Namespace) -> list[Any]:
    from imaging.landmark_files import load_landmarks

    return load_landmarks(args.landmarks, archive=args.archive, mm_per_pixel=args.mm_per_pixel)


def output(table: pd.DataFrame, out: Path | None) -> int:
    """Write the table to ``out``, or as CSV to standard output."""
    from imaging.endpoints import write_endpoint_table

    if out is None:
        try:
            table.to_csv(sys.stdout, index=False)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 0
    write_endpoint_table(table, out)
    print(f"{len(table)} rows written to {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    from imaging.endpoints import heights_table
    from imaging.geometry.height_loss import HeightLossRule

    try:
        rule = HeightLossRule.build(
            exclude=args.exclude_levels,
            reference_levels=dict(args.reference_levels),
            threshold_pct=args.height_loss_threshold,
        )
    except ValueError as error:
        raise SpineEndpointsError(str(error), fix="Check --reference-levels.") from None
    return output(heights_table(load(args), height_loss=rule), args.out)


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


def _spacing(text: str) -> float | tuple[float, float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MM or ROW_MM,COL_MM, got {text!r}") from None
    if len(values) not in (1, 2) or not all(v > 0 and v < float("inf") for v in values):
        raise argparse.ArgumentTypeError(f"expected one or two positive numbers, got {text!r}")
    return values[0] if len(values) == 1 else (values[0], values[1])


def non_negative(text: str) -> float:
    """A finite number >= 0 (thresholds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (0 <= value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value
