"""Options shared by the commands: store, protocol, actor, imports, landmark files' films."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from imaging.cli._numbers import spacing
from imaging.store.store import DEFAULT_STORE_URL, STORE_ENV_VAR

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="URL",
        help=f"read store, a SQLAlchemy URL (default: ${STORE_ENV_VAR}, else {DEFAULT_STORE_URL} "
        "in the current folder); e.g. sqlite:///trial.db or postgresql+psycopg://host/db",
    )


def add_protocol_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--protocol",
        metavar="FILE",
        help="protocol TOML file or built-in name (default: the DLBP trial, ChiCTR2200058291); "
        "see docs/protocol-format.md",
    )


def add_actor_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--actor",
        metavar="NAME",
        help="who is acting, for the audit trail (default: $SPINE_ENDPOINTS_ACTOR, else the "
        "login name; in a store with people on PostgreSQL, the database role connected as); in "
        "a store with people only your own login is accepted (docs/store-security.md)",
    )


def acting(args: argparse.Namespace, session: Session) -> str:
    """Who acts for a command with :func:`add_actor_option`: ``--actor``, else
    :func:`imaging.store.people.acting_login` (in a store with people the login: on PostgreSQL
    the database role the command connects as)."""
    from imaging.store.people import acting_login

    return str(args.actor or acting_login(session))


def add_landmarks_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--landmarks",
        type=Path,
        metavar="FILE",
        help="landmark file (CSV or JSON) whose radiograph measures to use",
    )
    add_film_options(parser, "every film of --landmarks")


def add_film_options(parser: argparse.ArgumentParser, films: str = "every film") -> None:
    """--archive and --mm-per-pixel: where a landmark file's images are found, and a
    calibration replacing their headers'."""
    parser.add_argument(
        "--archive",
        type=Path,
        metavar="DIR",
        help="folder whose DICOM headers resolve images given as SOPInstanceUIDs",
    )
    parser.add_argument(
        "--mm-per-pixel",
        type=spacing,
        metavar="MM[,MM]",
        help=f"calibration for {films} (square pixels, or row,col): overrides the headers, "
        "recorded as user-supplied; the images are then optional",
    )


def add_import_options(parser: argparse.ArgumentParser) -> None:
    """--reason, --role, --register-unknown, --protocol, --store and --actor of the
    ``... import`` commands."""
    from imaging.store.vocabulary import ReaderRole

    parser.add_argument(
        "--reason", metavar="TEXT", help="reason for correcting reads already submitted"
    )
    parser.add_argument(
        "--role",
        default=ReaderRole.PRIMARY.value,
        choices=[role.value for role in ReaderRole],
        help="the readers' role (default primary)",
    )
    parser.add_argument(
        "--register-unknown",
        action="store_true",
        help="create the subjects and visits (cases) the file names that nobody registered; "
        "without it their rows are refused (listed with their lines) and nothing is imported",
    )
    for add in (add_protocol_option, add_store_option, add_actor_option):
        add(parser)
