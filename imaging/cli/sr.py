"""``spine-endpoints sr export|import``: reads as DICOM SR Measurement Reports, out and back in."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imaging.cli._trial import acting, add_actor_option, add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sr",
        help="write reads as DICOM SR Measurement Reports (TID 1500), or import such reports",
        description="Each current read as a DICOM Structured Report (docs/sr.md): per disc "
        "level its measures (UCUM units, SNOMED CT level codes) and grades, its corners as "
        "points on the source images, the visit as time point, the reader as observer.",
    )
    commands = parser.add_subparsers(dest="sr_command", metavar="ACTION", required=True)
    exporting = commands.add_parser(
        "export",
        help="write every current read as OUT/SUBJECT/VISIT/READER_vVERSION.dcm",
        description="The values are the store's endpoint rows (docs/endpoint-table.md), never "
        "recomputed. A report is VERIFIED only when its read version is signed "
        "(docs/store-security.md). A read whose corners lie on an image the store has not "
        "registered is listed and not written.",
    )
    exporting.add_argument("--out", type=Path, required=True, metavar="DIR")
    exporting.add_argument("--subject", metavar="S", help="only this subject")
    exporting.add_argument("--visit", metavar="V", help="only this visit (a protocol visit id)")
    add_protocol_option(exporting)
    add_store_option(exporting)
    exporting.set_defaults(func=run_export)
    importing = commands.add_parser(
        "import",
        help="store reports written by `sr export` as reads of their readers",
        description="Each report becomes a read of its observer (versioned and audited as "
        "`landmarks import`): its grades and its corners on the registered images (found by "
        "SOP Instance UID), each film calibrated from its header. A report whose measures "
        "differ from those the store then computes is refused. If any report is refused, "
        "nothing is imported.",
    )
    importing.add_argument("paths", type=Path, nargs="+", metavar="FILE|DIR")
    importing.add_argument(
        "--reason", metavar="TEXT", help="reason for correcting reads already submitted"
    )
    for add in (add_protocol_option, add_store_option, add_actor_option):
        add(importing)
    importing.set_defaults(func=run_import)


def run_export(args: argparse.Namespace) -> int:
    from imaging.protocol.loader import load_protocol
    from imaging.sr.exchange import export_reports
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    with ReadStore(args.store) as store:
        summary = export_reports(store, protocol, args.out, subject=args.subject, visit=args.visit)
    print(f"{args.out}: {summary.text()}")
    return 1 if summary.skipped else 0


def run_import(args: argparse.Namespace) -> int:
    from imaging.protocol.loader import load_protocol
    from imaging.sr.exchange import import_reports
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    with ReadStore(args.store) as store:
        with store.reading() as db:
            actor = acting(args, db)
        summary = import_reports(store, protocol, args.paths, actor=actor, reason=args.reason)
        print(f"{summary.text()} ({store.display_url})")
    return 0
