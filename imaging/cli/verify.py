"""``spine-endpoints verify``: recompute every signature's hash; exit 1 on any mismatch."""

from __future__ import annotations

import argparse
from typing import Any

from imaging.cli._trial import add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check every signature (reads', adjudications') against what it signed (SHA-256)",
        description="Each signature (21 CFR 11.50/11.70: signer, date and time, meaning) holds "
        "the SHA-256 of the read version or the adjudication it signed. This recomputes them "
        "all, old versions included, and lists any that no longer match (exit status 1).",
    )
    parser.add_argument("--all", action="store_true", help="list matching signatures too")
    add_store_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.store.signatures import verify
    from imaging.store.store import ReadStore

    with ReadStore(args.store) as store, store.reading() as db:
        checks = verify(db)
        bad = [c for c in checks if not c.matches]
        for check in checks if args.all else bad:
            print(check.text())
    print(f"{len(checks)} signatures, {len(bad)} mismatched ({store.display_url})")
    return 1 if bad else 0
