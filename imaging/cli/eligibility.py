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
        description="Per subject and rule: pass, fail or not evaluable, with the values used; "
        "per subject: eligible (every rule passes), not eligible (a rule fails) or pending "
        "(the undecided rules named). "
        "Reads come from the store; --landmarks and --grades take the measures or the grades "
        "from files instead (measured by the same function as every other path).",
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
    from imaging.cli._files import rows_from_files
    from imaging.endpoints import EndpointRow, endpoint_table
    from imaging.endpoints.table import write_frame
    from imaging.protocol.eligibility import (
        eligibility_table,
        evaluate_eligibility,
        split_grades,
    )
    from imaging.protocol.loader import load_protocol
    from imaging.store.export import reader_roles, stored_rows
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    stored: list[EndpointRow] = []
    roles: dict[tuple[str, str, str], str] = {}
    if args.landmarks is None or args.grades is None:
        # what no file gives comes from the store: grades, measures, or both
        with ReadStore(args.store) as store, store.reading() as session:
            stored = stored_rows(session, protocol)
            roles = reader_roles(session)
    if args.landmarks is None:
        rows = [row for row in stored if args.grades is None or not row.grade]
        if args.grades is not None:
            rows += rows_from_files(protocol, None, args.grades)
    else:  # the corners are measured with the grades (the file's, else the store's)
        known = [row for row in stored if row.grade] if args.grades is None else []
        rows = list(rows_from_files(
            protocol, args.landmarks, args.grades, archive=args.archive,
            mm_per_pixel=args.mm_per_pixel, known_grades=known,
        ))  # fmt: skip
    table = endpoint_table(rows)
    table["role"] = [
        roles.get((s, v, r), "primary")
        for s, v, r in zip(table["subject"], table["visit"], table["reader"], strict=True)
    ]
    grades, measures = split_grades(table)
    results = evaluate_eligibility(protocol, grades, measures)
    output = eligibility_table(results)
    write_frame(output, args.out)
    for result in results:
        print(f"{result.subject}: {result.verdict.value} ({result.reason})")
        for rule in result.results:
            values = f" [{rule.values}]" if rule.values else ""
            why = f" - {rule.reason}" if rule.verdict.value != "pass" and rule.reason else ""
            print(f"  {rule.verdict.value:<14} {rule.rule_id}{values}{why}")
    print(f"{args.out}: {len(results)} subjects, {len(output)} rows")
    return 0
