"""``spine-endpoints measures``: the measure registry, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from imaging.measures import MEASURES, Measure, measure

COLUMNS = ("measure", "unit", "title", "method", "source")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "measures",
        help="list the measures of the endpoint table: unit, title, method, source",
        description="Every radiograph measure the endpoint table holds, from the measure "
        "registry: its name (the `measure` column, and what protocol rules name), unit, title, "
        "the method in one sentence and its literature source. docs/measures.md has the same "
        "list with the films and corners each measure needs.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="only these measures (default: every one)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON for programs: every field, films and corners included",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    chosen = [measure(name) for name in args.names] if args.names else list(MEASURES.values())
    if args.json:
        print(json.dumps([as_json(m) for m in chosen], indent=2))
    else:
        print(format_table(chosen))
    return 0


def as_json(measure: Measure) -> dict[str, Any]:
    """Every field of a measure as plain JSON values."""
    return {
        "name": measure.name,
        "unit": measure.unit,
        "kind": measure.kind.value,
        "title": measure.title,
        "heading": measure.heading,
        "decimals": measure.decimals,
        "flag": measure.flag,
        "films": list(measure.films),
        "corners": [
            {"vertebra": whose, "corner": corner.value} for whose, corner in measure.corners
        ],
        "method": measure.method,
        "source": measure.source,
    }


def format_table(measures: Sequence[Measure]) -> str:
    """Columns aligned with two spaces; the last column (the source) is not padded."""
    rows = [COLUMNS, *((m.name, m.unit, m.title, m.method, m.source) for m in measures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    )
