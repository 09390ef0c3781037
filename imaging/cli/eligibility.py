"""``spine-endpoints eligibility``: every imaging criterion per subject, with verdict and values."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imaging.cli._trial import add_landmarks_option, add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eligibility",
        help="evaluate the protocol's imaging eligibility rules per subject",
        description="Per subject and rule: pass, fail or not evaluable, with the values used. "
        "Grades come from the store (or --grades FILE.csv); radiograph measures from "
        "--landmarks (else the measures stored).",
    )
    add_protocol_option(parser)
    add_landmarks_option(parser)
    parser.add_argument(
        "--grades", type=Path, metavar="FILE.csv", help="grade form CSV instead of the store"
    )
    add_store_option(parser)
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="FILE.csv or FILE.parquet"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from imaging.endpoints import write_endpoint_table
    from imaging.protocol.eligibility import eligibility_table, evaluate_eligibility
    from imaging.protocol.grade_forms import long_grades, read_grade_csv
    from imaging.protocol.loader import load_protocol
    from imaging.protocol.measures import measures_from_landmark_file
    from imaging.store.export import long_grade_table, measurement_table
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    measures: pd.DataFrame | None = None
    if args.landmarks is not None:
        measures = measures_from_landmark_file(
            args.landmarks, protocol, mm_per_pixel=args.mm_per_pixel
        )
    if args.grades is not None:
        grades = long_grades(read_grade_csv(args.grades, protocol))
    if args.grades is None or measures is None:
        with ReadStore(args.store) as store, store.reading() as session:
            if args.grades is None:
                grades = long_grade_table(session)
            if measures is None:
                measures = measurement_table(session)
    results = evaluate_eligibility(protocol, grades, measures)
    table = eligibility_table(results)
    write_endpoint_table(table, args.out)
    for result in results:
        print(f"{result.subject}: {result.verdict.value} ({result.reason})")
        for rule in result.results:
            values = f" [{rule.values}]" if rule.values else ""
            why = f" - {rule.reason}" if rule.verdict.value != "pass" and rule.reason else ""
            print(f"  {rule.verdict.value:<14} {rule.rule_id}{values}{why}")
    print(f"{args.out}: {len(results)} subjects, {len(table)} rows")
    return 0
