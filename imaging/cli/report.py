"""``spine-endpoints report DIR``: the HTML report of a batch output folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the HTML report of a batch output folder",
        description="Write DIR/report.html from what `spine-endpoints batch` wrote in DIR: "
        "eligibility, continuous endpoints with n, SD and 95% CI, grade shifts, cohort change "
        "from baseline, change against the SDC, failures; a page per subject in DIR/subjects/ "
        "(films with their corners, measures and grades over visits); DIR/data-dictionary.csv "
        "and DIR/SHA256SUMS. Each page one self-contained file, readable without "
        "spine-endpoints. Prints every file written.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="the --out folder of a batch")
    parser.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="where to write (DIR/report.html)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.report import write_delivery

    for line in write_delivery(args.folder, args.out).lines():
        print(line)
    return 0
