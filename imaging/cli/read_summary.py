"""``spine-endpoints read-summary``: a read as a printable, self-contained HTML page."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imaging.cli._trial import add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "read-summary",
        help="one reader's read of a case as a printable page (films, measures, grades, signature)",
        description="Write the read summary the workstation prints (button 'Read summary...'): "
        "the films with the reader's corners and endplate lines, the measures, the grades and "
        "notes, reader, date, version and signature, as one self-contained HTML page with a "
        "print stylesheet (print it, or save it as PDF, for the trial master file).",
    )
    parser.add_argument("subject")
    parser.add_argument("visit", help="the protocol's visit id (e.g. baseline)")
    parser.add_argument("--reader", required=True, help="whose read")
    parser.add_argument("--version", type=int, help="which version (default: the latest)")
    parser.add_argument(
        "--out", type=Path, help="the HTML file (default: <subject>-<visit>-<reader>-v<N>.html)"
    )
    add_store_option(parser)
    add_protocol_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.atomic import write_text_atomically
    from imaging.protocol.loader import load_protocol
    from imaging.report.read_summary import read_summary_html
    from imaging.report.stored_read_summary import stored_read_summary
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    with ReadStore(args.store) as store, store.reading() as db:
        summary = stored_read_summary(
            db, args.subject, args.visit, args.reader, protocol, args.version
        )
    out = args.out or Path(f"{args.subject}-{args.visit}-{args.reader}-v{summary.version}.html")
    write_text_atomically(out, read_summary_html(summary))
    print(f"read summary of {summary.case}, reader {summary.reader}, version {summary.version} "
          f"({summary.status}): {out}")  # fmt: skip
    return 0
