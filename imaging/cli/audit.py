"""``spine-endpoints audit``: the store's audit trail, readable."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imaging.cli._trial import add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="show the audit trail: who changed what, when, old and new value, reason",
        description="Every entry of the append-only audit trail, oldest first.",
    )
    parser.add_argument("--subject", metavar="S", help="only this subject's entries")
    parser.add_argument(
        "--out", type=Path, metavar="FILE.csv", help="also write the entries as CSV"
    )
    add_store_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.endpoints.table import write_frame
    from imaging.store.audit import audit_entries, audit_frame, format_trail
    from imaging.store.store import ReadStore

    with ReadStore(args.store) as store, store.reading() as session:
        entries = audit_entries(session, subject=args.subject)
    if not entries:
        who = f" for subject {args.subject}" if args.subject else ""
        print(f"no audit entries{who} in {store.display_url}")
        return 0
    print(format_trail(entries))
    if args.out:
        write_frame(audit_frame(entries), args.out)
        print(f"{args.out}: {len(entries)} entries")
    return 0
