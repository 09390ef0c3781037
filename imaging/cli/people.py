"""``spine-endpoints people add|list|role|deactivate``: who may read, adjudicate and manage."""

from __future__ import annotations

import argparse
from typing import Any

from imaging.cli._trial import add_store_option

ROLES = ("reader", "adjudicator", "manager")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "people",
        help="the store's people and their roles (reader, adjudicator, manager)",
        description="Once a store has people, who acts is your login (the database role on "
        "PostgreSQL), never --actor: a reader starts and corrects only their own reads, an "
        "adjudicator may correct another's read with a reason, a manager also imports for "
        "others, locks visits, relabels and manages people. The first person added must be you, "
        "as a manager. Every change is audited (docs/store-security.md).",
    )
    actions = parser.add_subparsers(dest="people_command", metavar="ACTION", required=True)
    adding = actions.add_parser("add", help="register a person")
    adding.add_argument("login", metavar="LOGIN", help="operating-system user / database role")
    adding.add_argument("--name", required=True, metavar="NAME", help="printed name (signatures)")
    adding.add_argument("--role", required=True, choices=ROLES)
    adding.add_argument(
        "--db-role",
        action="store_true",
        help="PostgreSQL: also create the person's login role in the group of the role "
        "(spine_reader, spine_adjudicator, spine_manager); set its password or authentication "
        "outside",
    )
    adding.set_defaults(func=run_add)
    listing = actions.add_parser("list", help="every person with role and state")
    listing.set_defaults(func=run_list)
    role = actions.add_parser("role", help="change a person's role (with a reason)")
    role.add_argument("login", metavar="LOGIN")
    role.add_argument("role", choices=ROLES)
    role.add_argument("--reason", required=True, metavar="TEXT")
    role.set_defaults(func=run_role)
    deactivate = actions.add_parser(
        "deactivate", help="stop a person acting (kept: their reads and signatures name them)"
    )
    deactivate.add_argument("login", metavar="LOGIN")
    deactivate.add_argument("--reason", required=True, metavar="TEXT")
    deactivate.set_defaults(func=run_deactivate)
    for sub in (adding, listing, role, deactivate):
        add_store_option(sub)


def run_add(args: argparse.Namespace) -> int:
    from imaging.store.people import add_person, create_db_role, identity
    from imaging.store.store import ReadStore

    with ReadStore(args.store) as store, store.writing() as db:
        actor = identity(db)
        added = add_person(db, args.login, args.name, args.role, actor=actor)
        statement = create_db_role(db, args.login, actor=actor) if args.db_role else ""
        print(f"{added.login}: {added.name}, {added.role} ({store.display_url})")
        if statement:
            print(f"database: {statement}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from imaging.store.people import all_people
    from imaging.store.store import ReadStore

    with ReadStore(args.store) as store, store.reading() as db:
        people = all_people(db)
        if not people:
            print(f"no people in {store.display_url}: --actor or the login names who acts")
        for p in people:
            state = "" if p.active else "  (deactivated)"
            print(f"{p.login:<16} {p.role:<12} {p.name}{state}")
    return 0


def run_role(args: argparse.Namespace) -> int:
    return _change(args, role=args.role)


def run_deactivate(args: argparse.Namespace) -> int:
    return _change(args, active=False)


def _change(args: argparse.Namespace, **change: Any) -> int:
    from imaging.store.people import change_person, identity
    from imaging.store.store import ReadStore

    with ReadStore(args.store) as store, store.writing() as db:
        p = change_person(db, args.login, actor=identity(db), reason=args.reason, **change)
        state = "active" if p.active else "deactivated"
        print(f"{p.login}: {p.role}, {state}")
    return 0
