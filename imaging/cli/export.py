"""``spine-endpoints export``: the endpoint table (grades and radiograph measures) for analysis."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imaging.cli._trial import add_landmarks_option, add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the endpoint table with change from baseline (CSV or Parquet)",
        description="One row per subject x visit x level x measure: grades (current read "
        "versions) and radiograph measures (from --landmarks, else those stored), with change "
        "from baseline, reader, read version, calibration and software version.",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="FILE.csv or FILE.parquet"
    )
    add_protocol_option(parser)
    add_landmarks_option(parser)
    add_store_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.endpoints import write_endpoint_table
    from imaging.protocol.loader import load_protocol
    from imaging.protocol.measures import measures_from_landmark_file
    from imaging.store.export import endpoint_export, grade_table, measurement_table
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    measures = None
    if args.landmarks is not None:
        measures = measures_from_landmark_file(
            args.landmarks, protocol, mm_per_pixel=args.mm_per_pixel
        )
    with ReadStore(args.store) as store, store.reading() as session:
        grades = grade_table(session, protocol)
        if measures is None:
            measures = measurement_table(session)
    table = endpoint_export(protocol, grades, measures)
    write_endpoint_table(table, args.out)
    subjects = table["subject"].nunique() if len(table) else 0
    print(f"{args.out}: {len(table)} rows, {subjects} subjects (protocol {protocol.id})")
    return 0
