"""``spine-endpoints adjudication triggers``: the double-read cases the protocol's triggers send
to adjudication, kept in a PostgreSQL store for adjudicators' own roles
(:mod:`imaging.store.triggered`)."""

from __future__ import annotations

import argparse
from typing import Any

from imaging.cli._trial import add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "adjudication",
        help="double reading: the cases the protocol's triggers send to adjudication",
    )
    commands = parser.add_subparsers(dest="adjudication_command", metavar="ACTION", required=True)
    triggers = commands.add_parser(
        "triggers",
        help="compare every double-read case; list the triggered ones and keep them for "
        "adjudicators' own PostgreSQL roles",
        description="Compares the two current reads of every case read twice with the "
        "protocol's [reading.adjudication] triggers and lists the triggered cases (reading id, "
        "subject, visit, where the adjudication stands, the reasons). On PostgreSQL it also keeps "
        "them in the store (audited): an adjudicator connected as their own database role "
        "adjudicates the kept cases only. Run it as a manager (or the store's owner) after "
        "readers submit or correct reads as their own roles (e.g. daily, or from cron): their "
        "roles cannot compare the reads, so a case a reader corrected leaves the adjudicator's "
        "worklist until it runs (the adjudicator is told which). A manager's grades or "
        "landmarks import keeps the cases itself.",
    )
    for add in (add_protocol_option, add_store_option):
        add(triggers)
    triggers.set_defaults(func=run_triggers)


def run_triggers(args: argparse.Namespace) -> int:
    from imaging.protocol.loader import load_protocol
    from imaging.store.adjudication import decisions
    from imaging.store.people import identity
    from imaging.store.reading_design import kept
    from imaging.store.store import ReadStore
    from imaging.store.triggered import TABLE, keep

    protocol = load_protocol(args.protocol)
    with ReadStore(args.store) as store, store.writing() as db:
        found = [d for d in decisions(db, protocol) if d.fired]
        changed = keep(db, found, actor=identity(db))
        keeping = kept(db, TABLE)
    for decision in found:
        reads = decision.reads
        print(f"{reads.reading_id}  {reads.subject} {reads.visit}  {decision.status}")
        for trigger in decision.fired:
            print(f"  {trigger.reason}")
    print(f"{len(found)} triggered case(s)", end="")
    print(f"; kept for adjudicators' own roles, {len(changed)} changed" if keeping else "")
    return 0
