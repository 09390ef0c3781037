"""The ``spine-endpoints`` console script: argument parsing only.

Each sub-command lives in its own module of this package and defines
``register(subparsers: argparse._SubParsersAction) -> None``, which adds its parser and sets
``func(args) -> int`` as the parser default. Modules are discovered, so adding a command touches
no other file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from imaging import __version__
from imaging.errors import SpineEndpointsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spine-endpoints",
        description="Imaging endpoints for spine clinical trials.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the console script; returns the exit status (2 for an error the user can fix)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except SpineEndpointsError as error:
        print(f"spine-endpoints {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
