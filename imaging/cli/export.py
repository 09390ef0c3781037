"""``spine-endpoints export``: the endpoint table of the store's reads, for analysis."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imaging.cli._trial import add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the endpoint table with change from baseline (CSV or Parquet)",
        description="One row per subject x visit x level x measure x film x reader: the grades "
        "and radiograph measures of the current version of every read in the store, with change "
        "from baseline, nominal visit day and actual study day, read version, calibration and "
        "software version (docs/endpoint-table.md). Reads enter the store from the workstation, "
        "`grades import` and `landmarks import`. CSV values are rounded to each measure's "
        "precision; Parquet keeps full precision. Beside it, FILE's name with .signatures.csv: "
        "every signature of every read version (signer, printed name, meaning, time, SHA-256 "
        "of the version signed; `spine-endpoints verify` checks them).",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="FILE.csv or FILE.parquet"
    )
    parser.add_argument("--subject", metavar="S", help="only this subject")
    add_protocol_option(parser)
    add_store_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.endpoints import write_endpoint_rows
    from imaging.endpoints.table import write_frame
    from imaging.protocol.loader import load_protocol
    from imaging.store.export import stored_rows
    from imaging.store.signatures import signature_frame, signatures_path
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    with ReadStore(args.store) as store, store.reading() as session:
        rows = stored_rows(session, protocol, args.subject)
        signatures = signature_frame(session)
    if args.subject:
        signatures = signatures[signatures["subject"] == args.subject]
    write_endpoint_rows(rows, args.out)
    subjects = len({row.subject for row in rows})
    print(f"{args.out}: {len(rows)} rows, {subjects} subjects (protocol {protocol.id})")
    signed = signatures_path(args.out)
    write_frame(signatures, signed)
    print(f"{signed}: {len(signatures)} signatures")
    return 0
