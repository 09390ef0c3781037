"""``spine-endpoints relabel subject|visit|image``: change what a read refers to, with a reason."""

from __future__ import annotations

import argparse
from typing import Any

from imaging.cli._trial import add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "relabel",
        help="relabel a subject or visit, or move an image to another case (audited)",
        description="A subject, visit or image a read refers to cannot be changed in the "
        "database in place (triggers refuse a plain UPDATE); this command is the one way, with "
        "a reason, recorded in the audit trail. A manager's, once the store has people. Reading "
        "ids never change.",
    )
    kinds = parser.add_subparsers(dest="relabel_command", metavar="WHAT", required=True)
    subject = kinds.add_parser("subject", help="subject OLD is NEW")
    subject.add_argument("old", metavar="OLD")
    subject.add_argument("new", metavar="NEW")
    subject.set_defaults(func=run_subject)
    visit = kinds.add_parser("visit", help="SUBJECT's case at visit OLD is at visit NEW")
    visit.add_argument("subject", metavar="SUBJECT")
    visit.add_argument("old", metavar="OLD")
    visit.add_argument("new", metavar="NEW")
    add_protocol_option(visit)
    visit.set_defaults(func=run_visit)
    image = kinds.add_parser("image", help="move an image (SOP Instance UID) to another case")
    image.add_argument("sop_instance_uid", metavar="SOP_UID")
    image.add_argument("--to", nargs=2, required=True, metavar=("SUBJECT", "VISIT"))
    image.set_defaults(func=run_image)
    for sub in (subject, visit, image):
        sub.add_argument("--reason", required=True, metavar="TEXT", help="why (audited)")
        add_store_option(sub)


def _run(args: argparse.Namespace, change: Any) -> int:
    from imaging.store.people import identity
    from imaging.store.store import ReadStore

    with ReadStore(args.store) as store, store.writing() as db:
        change(db, identity(db))
    return 0


def run_subject(args: argparse.Namespace) -> int:
    from imaging.store.relabel import relabel_subject

    _run(args, lambda db, actor: relabel_subject(db, args.old, args.new, actor=actor,
                                                 reason=args.reason))  # fmt: skip
    print(f"subject {args.old} is now {args.new}")
    return 0


def run_visit(args: argparse.Namespace) -> int:
    from imaging.protocol.loader import load_protocol
    from imaging.store.relabel import relabel_visit

    protocol = load_protocol(args.protocol)
    _run(args, lambda db, actor: relabel_visit(db, args.subject, args.old, args.new, protocol,
                                               actor=actor, reason=args.reason))  # fmt: skip
    print(f"{args.subject} {args.old} is now {args.subject} {args.new}")
    return 0


def run_image(args: argparse.Namespace) -> int:
    from imaging.store.relabel import move_image

    subject, visit = args.to
    _run(args, lambda db, actor: move_image(db, args.sop_instance_uid, subject, visit,
                                            actor=actor, reason=args.reason))  # fmt: skip
    print(f"image {args.sop_instance_uid} is now in {subject} {visit}")
    return 0
