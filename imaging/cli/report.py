"""``spine-endpoints report DIR``: the HTML report of a batch output folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the HTML report of a batch output folder",
        description="Write DIR/report.html from what `spine-endpoints batch` wrote in DIR: per "
        "subject disc height, height loss and ROM over visits, Pfirrmann and Modic grades, cohort "
        "change from baseline, eligibility and failures. One self-contained file (plots "
        "embedded), readable without spine-endpoints.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="the --out folder of a batch")
    parser.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="where to write (DIR/report.html)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.report import write_report

    path = write_report(args.folder, args.out)
    print(f"report: {path}")
    return 0
