"""``spine-endpoints push --dicomweb URL DIR``: SR reports (and images with ``--images``) stored on
a PACS over DICOMweb (STOW-RS)."""

from __future__ import annotations

import argparse
import sys
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imaging.cli.pull import CREDENTIALS_HELP

if TYPE_CHECKING:
    from imaging.dicomweb import Server


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "push",
        help="store SR reports (and images) on a PACS over DICOMweb",
        description="Store the DICOM SR documents found in DIR (a file or folder tree) on a "
        "DICOMweb server with STOW-RS, one request per file; with --images every other "
        "readable DICOM file too. A file the server refuses is reported in one line naming "
        "it and the others are still stored (exit status 1). " + CREDENTIALS_HELP,
    )
    parser.add_argument("--dicomweb", required=True, metavar="URL", help="DICOMweb service root")
    parser.add_argument("path", type=Path, metavar="DIR", help="file or folder to push")
    parser.add_argument(
        "--images", action="store_true", help="store the other DICOM files (images) too"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.dicomweb import connect

    with closing(connect(args.dicomweb)) as server:
        return _run(args, server)


def _run(args: argparse.Namespace, server: Server) -> int:
    from imaging.batch import progress_for_terminal
    from imaging.dicomweb import Outgoing, select, store
    from imaging.errors import DicomwebError

    outgoing, skipped = select(args.path, images=args.images)
    for left in skipped:
        print(f"spine-endpoints push: skipped {left.path}: {left.reason}", file=sys.stderr)
    if not outgoing:
        raise DicomwebError(
            f"nothing to push{' (no SR report found)' if not args.images else ''}",
            path=args.path,
            fix="Give a folder holding SR reports, or add --images to push images",
        )
    by_study: dict[str, list[Outgoing]] = {}
    for item in outgoing:
        by_study.setdefault(item.study or "unknown study", []).append(item)
    failures: list[str] = []
    progress = progress_for_terminal()
    progress.start(len(by_study), f"push to {server.url}")
    try:
        for study, items in by_study.items():
            stored = 0
            for item in items:
                try:
                    store(server, item)
                    stored += 1
                except DicomwebError as error:
                    failures.append(str(error))
            progress.advance(study, f"{stored} of {len(items)} files stored")
    finally:
        progress.close()
    reports = sum(item.is_report for item in outgoing)
    print(
        f"{len(outgoing) - len(failures)} of {len(outgoing)} files stored on {server.url} "
        f"({reports} SR reports, {len(outgoing) - reports} other); {len(skipped)} skipped"
    )
    for line in failures:
        print(f"spine-endpoints push: error: {line}", file=sys.stderr)
    return 1 if failures else 0
