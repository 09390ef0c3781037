"""``spine-endpoints grades import|export``: Pfirrmann and Modic grades from and to CSV forms."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from imaging.cli._trial import acting, add_import_options, add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "grades",
        help="import or export grades (Pfirrmann, Modic, ...) as CSV forms",
        description="Grades as typed from paper forms: columns subject, visit, level, reader, "
        "one column per grading item of the protocol (the DLBP trial: pfirrmann, modic_cranial, "
        "modic_caudal) and comment.",
    )
    commands = parser.add_subparsers(dest="grades_command", metavar="ACTION", required=True)

    importing = commands.add_parser(
        "import",
        help="check a CSV against the protocol and store it",
        description="Every value is checked against the protocol's scales, visits and levels; "
        "any bad row is reported with its line number and nothing is imported. Rows of a subject "
        "or visit nobody registered (`spine-endpoints register`) are refused unless "
        "--register-unknown. A read already in the store with other values is corrected (a new "
        "version) only with --reason.",
    )
    importing.add_argument("file", type=Path, metavar="FILE.csv")
    add_import_options(importing)
    importing.set_defaults(func=run_import)

    exporting = commands.add_parser(
        "export",
        help="write the current version of every read as CSV",
        description="One row per subject x visit x level x reader, current versions only, in "
        "the import format (a round trip gives the same file).",
    )
    exporting.add_argument("--out", type=Path, metavar="FILE", help="CSV file (default: stdout)")
    for add in (add_protocol_option, add_store_option):
        add(exporting)
    exporting.set_defaults(func=run_export)


def run_import(args: argparse.Namespace) -> int:
    from imaging.protocol.grade_forms import read_grade_csv
    from imaging.protocol.loader import load_protocol
    from imaging.store.grades import import_grade_rows
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    rows = read_grade_csv(args.file, protocol)
    with ReadStore(args.store) as store:
        with store.reading() as db:
            actor = acting(args, db)
        summary = import_grade_rows(
            store,
            protocol,
            rows,
            actor=actor,
            reason=args.reason,
            role=args.role,
            source=f"grades import {args.file.name}",
            path=str(args.file),
            register_unknown=args.register_unknown,
        )
        print(f"{args.file}: {len(rows)} rows; {summary.text()} ({store.display_url})")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from imaging.protocol.grade_forms import write_grade_csv
    from imaging.protocol.loader import load_protocol
    from imaging.store.grades import export_grade_rows
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    with ReadStore(args.store) as store:
        rows = export_grade_rows(store, protocol)
    write_grade_csv(rows, protocol, args.out if args.out else sys.stdout)
    if args.out:
        print(f"{args.out}: {len(rows)} rows")
    return 0
