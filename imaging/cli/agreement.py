"""``spine-endpoints agreement``: how far readers agree, per measure and level, on grades and on
eligibility; inter-reader and intra-reader (docs/agreement.md)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from imaging.cli._trial import add_film_options, add_protocol_option, add_store_option
from imaging.errors import SpineEndpointsError

SHOWN = ("ICC(", "kappa")
"""Statistics printed (every statistic goes to --out)."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "agreement",
        help="reader agreement: ICC, Bland-Altman and SDC per measure and level; kappa on grades",
        description="Between readers who read the same cases, and between a reader's first and "
        "repeat reads: per radiograph measure, film and level (never pooled across levels) the "
        "protocol's primary intraclass correlation with its 95%% CI, Bland-Altman bias and "
        "limits of agreement with their CIs, SEM and the smallest detectable change; per "
        "grading item and level (and over all levels) percent exact and within-one agreement "
        "and Cohen's kappa weighted as the protocol pre-specifies, with a 95%% CI from a "
        "bootstrap over subjects; per eligibility rule and for the subject's verdict, "
        "percent agreement and kappa. Reads come from the store (each reader's newest "
        "submitted version; adjudicators' reads left out; intra-reader from the readers' "
        "repeat reads), or from files with a reader column "
        "when --landmarks or --grades is given. A tidy table, one row per statistic.",
    )
    parser.add_argument(
        "--landmarks", type=Path, metavar="FILE", help="landmark file (CSV or JSON) with a "
        "reader column: the readers' corners, measured as `heights` measures them",
    )  # fmt: skip
    parser.add_argument(
        "--grades", type=Path, metavar="FILE.csv", help="grade form with a reader column"
    )
    parser.add_argument(
        "--repeat-landmarks", type=Path, metavar="FILE", help="the same readers' repeat reads "
        "of the same cases (a later session): intra-reader agreement",
    )  # fmt: skip
    parser.add_argument(
        "--repeat-grades", type=Path, metavar="FILE.csv", help="repeat grades: intra-reader"
    )
    add_film_options(parser, "every film of the landmark files")
    parser.add_argument(
        "--readers", nargs="+", metavar="READER",
        help="the readers to compare (default: every reader found)",
    )  # fmt: skip
    parser.add_argument(
        "--by-month", action="store_true", help="reader drift (store only): inter-reader "
        "agreement per calendar month of submission, a month column first; the report shows "
        "it as DIR/drift.csv",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, metavar="FILE", help="FILE.csv or FILE.parquet")
    for add in (add_protocol_option, add_store_option):
        add(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.agreement import agreement_table
    from imaging.protocol.loader import load_protocol

    protocol = load_protocol(args.protocol)
    files = (args.landmarks, args.grades, args.repeat_landmarks, args.repeat_grades)
    if args.by_month:
        if any(path is not None for path in files):
            raise SpineEndpointsError(
                "--by-month needs the store: files carry no submission dates",
                fix="Leave out --landmarks, --grades and the repeat files.",
            )
        table = _drift(args, protocol)
        _print(table, protocol.agreement.primary_icc_model)
        _write(table, args.out)
        return 0
    if any(path is not None for path in files):
        from imaging.cli._files import rows_from_files

        def read(landmarks: Path | None, grades: Path | None) -> list[Any]:
            if landmarks is None and grades is None:
                return []
            return list(
                rows_from_files(
                    protocol, landmarks, grades, archive=args.archive,
                    mm_per_pixel=args.mm_per_pixel,
                )
            )  # fmt: skip

        rows = read(args.landmarks, args.grades)
        repeats = read(args.repeat_landmarks, args.repeat_grades)
    else:
        rows, repeats = _stored(args, protocol)
    table = agreement_table(protocol, rows, repeats, args.readers)
    _print(table, protocol.agreement.primary_icc_model)
    _write(table, args.out)
    return 0


def _write(table: Any, out: Path | None) -> None:
    from imaging.endpoints.table import write_frame

    if out:
        write_frame(table, out)
        print(f"{out}: {len(table)} rows")


def _stored(args: argparse.Namespace, protocol: Any) -> tuple[list[Any], list[Any]]:
    """The store's current reads as each reader's endpoint rows, adjudicators' reads left out,
    and the readers' intra-reader repeats (``[reading.repeats]``)."""
    from imaging.store.export import reader_roles, reader_rows
    from imaging.store.store import ReadStore
    from imaging.store.vocabulary import ReaderRole

    with ReadStore(args.store) as store, store.reading() as session:
        rows = reader_rows(session, protocol)
        repeats = reader_rows(session, protocol, repeats=True)
        roles = reader_roles(session)
    first = [
        row
        for row in rows
        if roles.get((row.subject, row.visit, row.reader)) != ReaderRole.ADJUDICATOR
    ]
    return first, repeats


def _drift(args: argparse.Namespace, protocol: Any) -> Any:
    from imaging.agreement.drift import drift_table
    from imaging.store.export import reader_months
    from imaging.store.store import ReadStore

    rows, _ = _stored(args, protocol)
    with ReadStore(args.store) as store, store.reading() as session:
        months = reader_months(session)
    return drift_table(protocol, rows, months, args.readers)


def _print(table: Any, model: str) -> None:
    print(f"Primary ICC: {model}")
    for record in table.to_dict("records"):
        if not str(record["statistic"]).startswith(SHOWN):
            continue
        film, unit = str(record["film"]), str(record["unit"])
        name = f"{record['name']} ({film})" if film else str(record["name"])
        month = f"{record['month']} " if "month" in record else ""
        print(
            f"{month}{record['readers']!s:<10} {name:<32} {record['level']!s:<6} "
            f"{record['statistic']!s:<18} {_number(record['estimate'])}"
            f" [{_number(record['ci_lower']).strip()}, {_number(record['ci_upper']).strip()}]"
            f"{' ' + unit if unit else ''}  n={record['n_pairs']} ({record['n_subjects']} subjects)"
        )


def _number(value: float) -> str:
    return f"{value:>8.3f}" if math.isfinite(value) else f"{'-':>8}"
