"""``spine-endpoints scan PATH``: index DICOM files (headers only) with a status per file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from imaging.dicom import ScanRecord, ScanSummary, scan


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="index DICOM files in a file, folder or archive (headers only)",
        description="Index a DICOM file, a folder tree or a .zip/.tar(.gz) archive from headers "
        "only: one record per file with modality, subject, visit, study date, series, film, "
        "size, pixel spacing and calibration source, and a status with the reason for files "
        "that cannot be used. Hidden and system files and documents (.csv, .json, .md, "
        ".pdf, ...) are skipped; folders that cannot be listed, symbolic link loops, dangling "
        "links and FIFOs or devices (never opened) are records of status 'unreadable'. Exit "
        "status 0 when the scan ran (unusable files are data).",
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="file, folder or archive")
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array of records (the summary line goes to standard error)",
    )
    output.add_argument(
        "--json-lines", action="store_true", help="print one JSON record per line, as found"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    records = scan(args.path)
    if args.json_lines:
        for record in records:
            print(json.dumps(record.to_dict()), flush=True)
        return 0
    found = list(records)
    summary = ScanSummary.of(found)
    if args.json:
        print(json.dumps([record.to_dict() for record in found], indent=1))
        print(summary.line(), file=sys.stderr)
        return 0
    _print_table(found, args.path)
    print(summary.line())
    return 0


def _print_table(records: list[ScanRecord], root: Path) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("file", "status", "mod", "subject", "visit", "date", "series", "film"):
        table.add_column(column, overflow="fold")
    table.add_column("size", justify="right")
    for column in ("spacing mm", "calibration", "reason"):
        table.add_column(column, overflow="fold")
    colours = {"ok": "green", "uncalibrated": "yellow"}
    for record in records:
        spacing = record.pixel_spacing_mm
        cells = (
            _shown_path(record, root),
            record.status.value,
            record.modality or "",
            record.subject or "",
            record.visit or "",
            record.study_date or "",
            record.series_description or "",
            record.film or record.orientation or "",
            f"{record.rows}x{record.cols}" if record.rows else "",
            f"{spacing[0]:.4g} x {spacing[1]:.4g}" if spacing else "",
            record.calibration_source or "",
            record.reason,
        )
        # Text, not markup: a series called "[T2] SAG" must print as it is.
        row = [Text(cell) for cell in cells]
        row[1].stylize(colours.get(record.status.value, "red"))
        table.add_row(*row)
    # Piped output is not cut to 80 columns: a record stays on one line where it can.
    Console(width=None if sys.stdout.isatty() else 250, soft_wrap=False).print(table)
    sys.stdout.flush()


def _shown_path(record: ScanRecord, root: Path) -> str:
    path = Path(record.path)
    if root.is_dir() and path.is_relative_to(root):
        path = path.relative_to(root)
    return str(path) if record.member is None else f"{path}!/{record.member}"
