"""``spine-endpoints archive-roots [move OLD NEW]``: the folders images were registered from."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from imaging.cli._trial import acting, add_actor_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "archive-roots",
        help="list the archive folders images were registered from, or move one",
        description="The store keeps each image's path relative to the archive root it was "
        "registered from (`register --archive-root`, default the registered folder), so the "
        "workstation finds the images from any folder. Without an action: every root with its "
        "image count and how many of its files are missing. After the archive moved, `move OLD "
        "NEW` points the root at the new folder (audited) and its images open again.",
    )
    add_store_option(parser)
    parser.set_defaults(func=run_list)
    actions = parser.add_subparsers(dest="roots_command", metavar="ACTION")
    moving = actions.add_parser(
        "move",
        help="point a root at the folder its archive moved to",
        description="OLD is the root as `spine-endpoints archive-roots` lists it; NEW the folder "
        "that now holds the same files (under the same relative paths).",
    )
    moving.add_argument("old", metavar="OLD", help="the root as recorded")
    moving.add_argument("new", type=Path, metavar="NEW", help="the folder the archive moved to")
    moving.add_argument("--reason", default="", metavar="TEXT", help="why, for the audit trail")
    for add in (add_store_option, add_actor_option):
        add(moving)
    moving.set_defaults(func=run_move)


def run_list(args: argparse.Namespace) -> int:
    from imaging.store.archive_roots import root_summaries
    from imaging.store.store import ReadStore

    with ReadStore(args.store) as store, store.reading() as db:
        roots = root_summaries(db)
    for root in roots:
        where = root.path or "(registered before archive roots: paths as stored)"
        print(f"{where}: {root.images} image(s), {root.missing} missing")
    if not roots:
        print("no image registered")
    return 1 if any(root.missing for root in roots) else 0


def run_move(args: argparse.Namespace) -> int:
    from imaging.store.archive_roots import move_root
    from imaging.store.store import ReadStore

    with ReadStore(args.store) as store, store.writing() as db:
        moved = move_root(db, args.old, args.new, actor=acting(args, db), reason=args.reason)
    print(f"archive root now {moved.path}: {moved.images} image(s), {moved.missing} missing")
    return 1 if moved.missing else 0
