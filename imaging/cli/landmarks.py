"""``spine-endpoints landmarks import``: corners from a landmark file into the store, as reads."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imaging.cli._trial import acting, add_film_options, add_import_options


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "landmarks",
        help="import corners from a landmark file into the store (reads with their measures)",
        description="The store is the system of record; landmark files are an import format "
        "(docs/landmark-format.md).",
    )
    commands = parser.add_subparsers(dest="landmarks_command", metavar="ACTION", required=True)
    importing = commands.add_parser(
        "import",
        help="check a landmark file and store its corners as reads",
        description="One read per subject, visit and reader, with the same validation, versions "
        "and audit as `grades import`: a new read is submitted with the measures computed from "
        "its corners and each film's calibration (the images are found as `heights` finds "
        "them); importing the same file again changes nothing; a read already submitted with "
        "other corners is corrected (a new version, the file's films replacing its corners, "
        "its grades kept) only with --reason. Films of a subject or visit nobody registered "
        "(`spine-endpoints register`) are refused unless --register-unknown. If any read is "
        "refused nothing is imported.",
    )
    importing.add_argument("file", type=Path, metavar="FILE", help="landmark CSV or JSON")
    importing.add_argument(
        "--reader", default="", metavar="ID", help="reader of sets whose file names none"
    )
    add_film_options(importing)
    add_import_options(importing)
    importing.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    from imaging.landmark_files import load_landmarks
    from imaging.protocol.loader import load_protocol
    from imaging.store.landmark_import import import_landmarks
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    films = load_landmarks(args.file, archive=args.archive, mm_per_pixel=args.mm_per_pixel)
    with ReadStore(args.store) as store:
        with store.reading() as db:
            actor = acting(args, db)
        summary = import_landmarks(
            store,
            protocol,
            films,
            actor=actor,
            reason=args.reason,
            reader=args.reader,
            role=args.role,
            source=f"landmarks import {args.file.name}",
            path=str(args.file),
            register_unknown=args.register_unknown,
        )
        print(f"{args.file}: {len(films)} films; {summary.text()} ({store.display_url})")
    return 0
