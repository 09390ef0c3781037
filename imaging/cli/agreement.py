"""``spine-endpoints agreement``: how far the readers agree, on grades and measures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imaging.cli._trial import add_protocol_option, add_store_option

SHOWN = ("percent_agreement", "kappa", "kappa_linear", "kappa_quadratic", "ICC(2,1)",
         "ICC(3,1)", "bland_altman_bias", "bland_altman_lower", "bland_altman_upper")  # fmt: skip


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "agreement",
        help="reader agreement: kappa on grades, ICC and Bland-Altman on measures",
        description="Between readers who read the same cases (each reader's newest submitted "
        "version): per grading item, percent agreement and Cohen's kappa per pair of readers "
        "(linear and quadratic weighted on ordered scales such as Pfirrmann, over the whole "
        "scale; unweighted on nominal ones such as Modic); per radiograph measure and film, the "
        "intraclass correlations of Shrout & Fleiss over all readers and Bland-Altman bias and "
        "95% limits of agreement per pair. A tidy table, one row per statistic.",
    )
    parser.add_argument(
        "--readers",
        nargs="+",
        metavar="READER",
        help="the readers to compare (default: all with submitted reads)",
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="FILE.csv or FILE.parquet")
    for add in (add_protocol_option, add_store_option):
        add(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.agreement import agreement_table
    from imaging.endpoints.table import write_frame
    from imaging.protocol.loader import load_protocol
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    with ReadStore(args.store) as store, store.reading() as session:
        table = agreement_table(session, protocol, args.readers)
    shown = table[table["statistic"].isin(SHOWN) & (table["film"].isin(("", "neutral")))]
    for record in shown.to_dict("records"):
        film, unit = str(record["film"]), str(record["unit"])
        name = f"{record['name']} ({film})" if film else str(record["name"])
        suffix = "%" if unit == "%" else (f" {unit}" if unit else "")
        number = float(record["value"])
        value = f"{number:>9.3f}{suffix}" if number == number else f"{'-':>9}"  # NaN: no pairs
        print(f"{record['kind']!s:<8} {name:<36} {record['statistic']!s:<20} {value}  "
              f"n={record['n']}  {record['readers']}")  # fmt: skip
    if args.out:
        write_frame(table, args.out)
        print(f"{args.out}: {len(table)} rows")
    return 0
