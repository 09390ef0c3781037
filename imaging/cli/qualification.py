"""``spine-endpoints qualification check READER | status``: a reader against the protocol's
qualification set (``[reading.qualification]``, docs/protocol-format.md)."""

from __future__ import annotations

import argparse
from typing import Any

from imaging.cli._trial import acting, add_actor_option, add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "qualification",
        help="reader qualification: check a reader against the reference reads, list results",
        description="A protocol may name a qualification set: subjects registered like any "
        "other (spine-endpoints register) whose cases have reference reads (imported with the "
        "protocol's reference_reader as the reader: landmarks import, grades import). Until a "
        "reader passes, their worklist offers the set's cases only and a read of a trial case "
        "is refused with the reason.",
    )
    commands = parser.add_subparsers(dest="qualification_command", metavar="ACTION", required=True)
    check = commands.add_parser(
        "check",
        help="compare a reader's reads of the set with the reference reads; store the result",
        description="The agreement statistics of spine-endpoints agreement between the "
        "reference reads and the reader's submitted reads of the set, checked against the "
        "protocol's limits. The result (passed or not, every check) is stored and audited (a "
        "manager's, once the store has people). Exit status 0 passed, 1 not passed.",
    )
    check.add_argument("reader", metavar="READER")
    for add in (add_protocol_option, add_store_option, add_actor_option):
        add(check)
    check.set_defaults(func=run_check)
    status = commands.add_parser("status", help="every result on the protocol's set, oldest first")
    for add in (add_protocol_option, add_store_option):
        add(status)
    status.set_defaults(func=run_status)


def run_check(args: argparse.Namespace) -> int:
    from imaging.agreement.qualification import evaluate_reader
    from imaging.protocol.loader import load_protocol
    from imaging.store.export import reader_rows
    from imaging.store.qualification import record_result
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    with ReadStore(args.store) as store:
        with store.reading() as session:
            rows = reader_rows(session, protocol, qualification=True)
        result = evaluate_reader(protocol, rows, args.reader)
        with store.writing() as session:
            actor = acting(args, session)
            record_result(
                session, protocol, args.reader, result.passed, result.summary(), actor=actor
            )
    print(result.summary())
    return 0 if result.passed else 1


def run_status(args: argparse.Namespace) -> int:
    from imaging.protocol.loader import load_protocol
    from imaging.store.qualification import results
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    found = protocol.reading_design.qualification
    if found is None:
        print(f"protocol {protocol.id} names no qualification set: every reader reads trial cases")
        return 0
    with ReadStore(args.store) as store, store.reading() as session:
        rows = [
            (r.reader, "passed" if r.passed else "not passed", f"{r.checked_at:%Y-%m-%d %H:%M}",
             r.checked_by)
            for r in results(session, protocol)
        ]  # fmt: skip
    print(f"qualification {found.id}: reference reader {found.reference_reader}, "
          f"{len(found.subjects)} subjects; {len(rows)} result(s)")  # fmt: skip
    for reader, verdict, when, by in rows:
        print(f"  {reader:<16} {verdict:<11} {when} UTC  checked by {by}")
    return 0
