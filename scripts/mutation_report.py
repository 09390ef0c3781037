"""Kill rate per module from a mutmut run (``make mutate``), with the survivors triaged.

Reads mutmut's results in ``mutants/**/*.meta`` and the triage in ``docs/mutation-triage.toml``
(``[equivalent]``: mutant name -> why no test can tell it from the original). A mutant is
*detected* when a test failed on it (killed), it hung (timeout) or mypy refused it; *equivalent*
mutants are left out of the rate; every other survivor is listed. Only results of the code in
this checkout count (mutmut's hash of each function): a run of older code is "not run". Exits 1
when a module's rate is below the target, a mutant was not run or a survivor is neither killed
nor triaged; 2 when no result is of the current code.

    .venv/bin/python scripts/mutation_report.py [--write docs/mutation-report.md]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from mutmut.mutation.file_mutation import mutate_file_contents
from mutmut.stats import status_by_exit_code
from mutmut.utils.format_utils import get_mutant_name, mangled_name_from_mutant_name

ROOT = Path(__file__).resolve().parents[1]
TRIAGE = ROOT / "docs" / "mutation-triage.toml"
TARGET_PCT = 95.0
DETECTED = {"killed", "timeout", "caught by type check", "segfault"}


def mutated_files(root: Path) -> list[Path]:
    """The files ``[tool.mutmut] only_mutate`` names, relative to ``root``."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["mutmut"]["only_mutate"]
    found = {path.relative_to(root) for pattern in patterns for path in root.glob(pattern)}
    return sorted(path for path in found if path.name != "__init__.py")


def _git(root: Path, *args: str) -> str | None:
    """``git -C root args``' output, or None (no git, not a repository, no such object)."""
    try:
        run = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    except OSError:
        return None
    return run.stdout if run.returncode == 0 else None


def current_mutants(root: Path) -> dict[str, str]:
    """Mutant name -> hash of its function, as mutmut generates them from ``root``'s committed
    code (its files as they are outside a git checkout): others' edits in progress in the same
    checkout are not reported on."""
    out: dict[str, str] = {}
    for path in mutated_files(root):
        source = _git(root, "show", f"HEAD:{path.as_posix()}")
        if source is None:
            source = (root / path).read_text(encoding="utf-8")
        mutated = mutate_file_contents(str(path), source)
        for name in mutated.mutant_names:
            function = mangled_name_from_mutant_name(name)
            out[get_mutant_name(path, name)] = mutated.hash_by_function_name[function]
    return out


def last_written(mutants: Path) -> float:
    """When a mutmut run last wrote results in ``mutants`` (POSIX time; 0 if never)."""
    return max((meta.stat().st_mtime for meta in mutants.rglob("*.meta")), default=0.0)


def results(
    directories: list[Path], current: dict[str, str]
) -> tuple[dict[str, str], Counter[Path]]:
    """Mutant name -> mutmut status, for every mutant of the current code (``current``).

    Several ``mutants`` directories combine runs of some modules each, in clones of any commit:
    a run's status counts only when it ran the function's current code (mutmut's hash of the
    function in that run's ``.meta`` equals the current one), so a result of older code never
    stands for the code reported on. When several runs ran the same code, the run that wrote
    its results last wins, whatever the order given: its tests are the newest (a test changed
    since an older run can let a mutant it killed survive). A mutant no run ran on its current
    code is "not checked". Also returns how many statuses each directory gave."""
    statuses = dict.fromkeys(current, "not checked")
    origin: dict[str, Path] = {}
    for mutants in sorted(directories, key=last_written):
        for meta in sorted(mutants.rglob("*.meta")):
            data = json.loads(meta.read_text(encoding="utf-8"))
            hashes = data.get("hash_by_function_name", {})
            for name, code in data.get("exit_code_by_key", {}).items():
                function = mangled_name_from_mutant_name(name).rpartition(".")[2]
                if name not in current or hashes.get(function) != current[name]:
                    continue
                status = status_by_exit_code[code]
                if status != "not checked":
                    statuses[name] = status
                    origin[name] = mutants
    return statuses, Counter(origin.values())


def _commit(clone: Path, files: list[Path]) -> str:
    """``clone``'s commit, and how many of its mutated files differ from it."""
    head = (_git(clone, "rev-parse", "--short", "HEAD") or "").strip() or "no git commit"
    edited = (_git(clone, "status", "--porcelain", "--", *map(str, files)) or "").splitlines()
    return f"{head} (mutated modules edited since: {len(edited)} files)" if edited else head


def provenance(directories: list[Path], used: Counter[Path]) -> str:
    """For the written report: the code reported on and the runs combined."""
    files = mutated_files(ROOT)
    head = (_git(ROOT, "rev-parse", "--short", "HEAD") or "").strip() or "this checkout"
    edited = (_git(ROOT, "status", "--porcelain", "--", *map(str, files)) or "").splitlines()
    pending = (
        f" ({len(edited)} mutated files also have edits not committed, which this report "
        "leaves out: commit, run them, report again)"
        if edited
        else ""
    )
    lines = [
        f"Code reported on: commit {head}{pending}. Runs combined, oldest first (where two ran "
        "the same code of a function, the later one's status counts):"
    ]
    for mutants in sorted(directories, key=last_written):
        written = last_written(mutants)
        when = (
            datetime.fromtimestamp(written, UTC).strftime("%Y-%m-%d %H:%M UTC")
            if written
            else "never"
        )
        lines.append(
            f"- `{mutants}`: a clone at {_commit(mutants.parent, files)}, results last written "
            f"{when}; gave {used[mutants]} of the statuses below"
        )
    return "\n".join(lines)


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
        help="mutmut's mutants directories; several combine (see results())",
    )
    parser.add_argument("--write", type=Path, help="also write the table to this Markdown file")
    parser.add_argument("--note", default="", help="a paragraph for --write: how the run was made")
    args = parser.parse_args(argv)
    statuses, used = results(args.mutants, current_mutants(ROOT))
    if not used:
        where = ", ".join(str(m) for m in args.mutants)
        print(
            f"no mutmut results for the current code under {where}: run `make mutate` first",
            file=sys.stderr,
        )
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
        heading += provenance(args.mutants, used) + "\n\n"
        args.write.write_text(heading + table, encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
