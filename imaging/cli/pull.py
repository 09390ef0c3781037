"""``spine-endpoints pull --dicomweb URL (--study UID | --patient ID | --subject ID) --out DIR``:
studies from a PACS into a local archive folder (QIDO-RS, WADO-RS), resumable."""

from __future__ import annotations

import argparse
import sys
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imaging.dicomweb.server import PASSWORD_VARIABLE, TOKEN_VARIABLE, USER_VARIABLE

CREDENTIALS_HELP = (
    f"Credentials come from the environment only: {TOKEN_VARIABLE} (a bearer token) or "
    f"{USER_VARIABLE} and {PASSWORD_VARIABLE} (basic auth); a URL with user:password@ is "
    "refused. They never appear in messages or files."
)

if TYPE_CHECKING:
    from imaging.dicomweb import Server


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pull",
        help="retrieve studies from a PACS over DICOMweb into an archive folder",
        description="Find studies on a DICOMweb server (QIDO-RS) and retrieve every instance "
        "(WADO-RS, as stored) into OUT/<subject or patient>/<StudyInstanceUID>/"
        "<SeriesInstanceUID>/<SOPInstanceUID>.dcm. Instances already there and complete are "
        "skipped, so an interrupted pull is resumed by running it again; a file appears only "
        "whole. A study that fails is reported in one line and the others are still pulled "
        "(exit status 1). " + CREDENTIALS_HELP,
    )
    parser.add_argument("--dicomweb", required=True, metavar="URL", help="DICOMweb service root")
    query = parser.add_mutually_exclusive_group(required=True)
    query.add_argument("--study", metavar="UID", help="one study by its Study Instance UID")
    query.add_argument("--patient", metavar="ID", help="the studies of a (0010,0020) Patient ID")
    query.add_argument(
        "--subject", metavar="ID", help="the studies of a (0012,0040) Clinical Trial Subject ID"
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="archive folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.dicomweb import connect

    with closing(connect(args.dicomweb)) as server:
        return _run(args, server)


def _run(args: argparse.Namespace, server: Server) -> int:
    from imaging.batch import progress_for_terminal
    from imaging.dicomweb import QueryKind, fetch, find_studies, list_instances
    from imaging.errors import DicomwebError

    kind, value = next(
        (kind, getattr(args, kind.name.lower()))
        for kind in QueryKind
        if getattr(args, kind.name.lower()) is not None
    )
    studies = find_studies(server, kind, value)
    if not studies:
        raise DicomwebError(
            f"DICOMweb server {server.url} has no study for {kind.name.lower()} {value}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    retrieved = skipped = 0
    failures: list[str] = []
    progress = progress_for_terminal()
    progress.start(len(studies), f"pull from {server.url}")
    try:
        for study in studies:
            got = kept = 0
            try:
                for instance in list_instances(server, study, args.out):
                    if fetch(server, instance):
                        got += 1
                    else:
                        kept += 1
                status = f"{got} retrieved, {kept} already here"
            except DicomwebError as error:
                failures.append(str(error))
                status = f"failed after {got} retrieved, {kept} already here"
            retrieved, skipped = retrieved + got, skipped + kept
            progress.advance(f"{study.person} {study.uid}", status)
    finally:
        progress.close()
    print(
        f"{len(studies)} studies from {server.url}: {retrieved} instances retrieved, "
        f"{skipped} already here, {len(failures)} failed studies; archive {args.out}"
    )
    for line in failures:
        print(f"spine-endpoints pull: error: {line}", file=sys.stderr)
    return 1 if failures else 0
