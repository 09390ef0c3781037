"""Kill rate per module from a mutmut run (``make mutate``), with the survivors triaged.

Reads mutmut's results in ``mutants/**/*.meta`` and the triage in ``docs/mutation-triage.toml``
(``[equivalent]``: mutant name -> why no test can tell it from the original). A mutant is
*detected* when a test failed on it (killed), it hung (timeout) or mypy refused it; *equivalent*
mutants are left out of the rate; every other survivor is listed. Exits 1 when a module's rate is
below the target or a survivor is neither killed nor triaged.

    .venv/bin/python scripts/mutation_report.py [--write docs/mutation-report.md]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parents[1]
TRIAGE = ROOT / "docs" / "mutation-triage.toml"
TARGET_PCT = 95.0
DETECTED = {"killed", "timeout", "caught by type check", "segfault"}


def results(directories: list[Path]) -> dict[str, str]:
    """Mutant name -> mutmut status, over every mutated file.

    Several ``mutants`` directories combine runs of some modules each: the mutants are those of
    the last directory (the code being reported on), each with the status of the last directory
    that ran it. An earlier run counts only for functions whose code has not changed since (their
    mutants keep their names); a function that changed must be run again in the last one."""
    statuses: dict[str, str] = {}
    for mutants in directories:
        for meta in sorted(mutants.rglob("*.meta")):
            data = json.loads(meta.read_text(encoding="utf-8"))
            for name, code in data.get("exit_code_by_key", {}).items():
                status = status_by_exit_code[code]
                if status != "not checked" or name not in statuses:
                    statuses[name] = status
    last = {
        name
        for meta in directories[-1].rglob("*.meta")
        for name in json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
    }
    return {name: status for name, status in statuses.items() if name in last}


def module_of(name: str) -> str:
    """``imaging.geometry.discs.xǁVectorǁ__sub____mutmut_1`` -> ``imaging.geometry.discs``."""
    return name.split(".xǁ", 1)[0] if ".xǁ" in name else name.split(".x_", 1)[0]


def report(statuses: dict[str, str], equivalent: dict[str, str]) -> tuple[str, bool]:
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    open_survivors: dict[str, list[str]] = defaultdict(list)
    for name, status in statuses.items():
        module = module_of(name)
        if name in equivalent:
            by_module[module]["equivalent"] += 1
        elif status in DETECTED:
            by_module[module]["detected"] += 1
        elif status == "not checked":
            by_module[module]["not checked"] += 1
        else:
            by_module[module]["alive"] += 1
            open_survivors[module].append(f"{name} ({status})")
    lines = [
        "| module | mutants | detected | equivalent | alive | not run | kill rate |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ok = True
    for module in sorted(by_module):
        counts = by_module[module]
        total = sum(counts.values())
        judged = counts["detected"] + counts["alive"]
        rate = 100.0 * counts["detected"] / judged if judged else math.nan
        ok &= rate >= TARGET_PCT and counts["not checked"] == 0
        shown = f"{rate:.1f} %" if judged else "not run"
        lines.append(
            f"| `{module}` | {total} | {counts['detected']} | {counts['equivalent']} | "
            f"{counts['alive']} | {counts['not checked']} | {shown} |"
        )
    stale = sorted(set(equivalent) - set(statuses))
    if stale:
        lines += ["", "Triaged as equivalent but no longer generated (remove from the triage):"]
        lines += [f"- `{name}`" for name in stale]
    if open_survivors:
        lines += ["", "Alive, not triaged (kill with a test or record as equivalent with why):"]
        for module in sorted(open_survivors):
            lines += [f"- `{name}`" for name in sorted(open_survivors[module])]
    return "\n".join(lines) + "\n", ok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mutants",
        type=Path,
        nargs="+",
        default=[ROOT / "mutants"],
        help="mutmut's mutants directory; several combine (see results()), the last one's code",
    )
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    parser.add_argument("--note", default="", help="a paragraph for --write: how the run was made")
    args = parser.parse_args(argv)
    statuses = results(args.mutants)
    if not statuses:
        where = ", ".join(str(m) for m in args.mutants)
        print(f"no mutmut results under {where}: run `make mutate` first", file=sys.stderr)
        return 2
    triage = tomllib.loads(TRIAGE.read_text(encoding="utf-8")) if TRIAGE.exists() else {}
    table, ok = report(statuses, dict(triage.get("equivalent", {})))
    print(table)
    if args.write:
        heading = (
            "# Mutation testing: kill rate per module\n\nGenerated by `make mutate` "
            f"(scripts/mutation_report.py); target >= {TARGET_PCT:g} % of non-equivalent "
            "mutants detected. How to read and triage: docs/mutation-testing.md.\n\n"
        )
        if args.note:
            heading += args.note.strip() + "\n\n"
        args.write.write_text(heading + table, encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
