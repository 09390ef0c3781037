"""``spine-endpoints lock|unlock SUBJECT VISIT --reason``: a manager's lock of a visit's reads."""

from __future__ import annotations

import argparse
from typing import Any

from imaging.cli._trial import add_store_option


def register(subparsers: Any) -> None:
    for name, text in (
        ("lock", "lock a visit's reads after quality control: no new read or correction; each "
         "current read is signed 'locked'"),
        ("unlock", "lift a visit's lock"),
    ):  # fmt: skip
        parser = subparsers.add_parser(
            name, help=f"{text} (a manager, with a reason; audited)", description=text + "."
        )
        parser.add_argument("subject", metavar="SUBJECT")
        parser.add_argument("visit", metavar="VISIT")
        parser.add_argument("--reason", required=True, metavar="TEXT", help="why (audited)")
        add_store_option(parser)
        parser.set_defaults(func=run, locking=name == "lock")


def run(args: argparse.Namespace) -> int:
    from imaging.store.locks import lock_visit, unlock_visit
    from imaging.store.people import identity
    from imaging.store.store import ReadStore

    with ReadStore(args.store) as store, store.writing() as db:
        actor = identity(db)
        if args.locking:
            signed = lock_visit(db, args.subject, args.visit, actor=actor, reason=args.reason)
            print(f"{args.subject} {args.visit} locked; {signed} read(s) signed 'locked'")
        else:
            unlock_visit(db, args.subject, args.visit, actor=actor, reason=args.reason)
            print(f"{args.subject} {args.visit} unlocked")
    return 0
