"""scripts/mutation_report.py combines mutmut runs of several clones: a status counts only for the
code it was run on, and the most recent run of that code wins, whatever the order given."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType

REPOSITORY = Path(__file__).resolve().parents[1]
MODULE = "imaging.geometry.discs"
KILLED, SURVIVED = 1, 0  # mutmut's exit codes: a test failed / every test passed


def mutation_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mutation_report", REPOSITORY / "scripts" / "mutation_report.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(root: Path, when: float, hashes: dict[str, str], codes: dict[str, int]) -> Path:
    """A clone's ``mutants`` directory whose discs results were written at ``when``."""
    meta = root / "mutants" / "imaging" / "geometry" / "discs.py.meta"
    meta.parent.mkdir(parents=True)
    data = {
        "exit_code_by_key": {f"{MODULE}.{name}": code for name, code in codes.items()},
        "hash_by_function_name": hashes,
    }
    meta.write_text(json.dumps(data), encoding="utf-8")
    os.utime(meta, (when, when))
    return root / "mutants"


def test_a_newer_run_of_the_same_code_wins_and_a_run_of_other_code_never_counts(
    tmp_path: Path,
) -> None:
    report = mutation_report()
    current = {f"{MODULE}.x_angle__mutmut_1": "aaa", f"{MODULE}.x_depth__mutmut_1": "ddd",
               f"{MODULE}.x_depth__mutmut_2": "ddd"}  # fmt: skip
    # Older: both killed. Newer: x_angle's mutant survives the newer tests; x_depth was run on
    # other code (hash eee), so its statuses say nothing of the current code.
    older = _run(tmp_path / "a", 1_000_000, {"x_angle": "aaa", "x_depth": "ddd"},
                 {"x_angle__mutmut_1": KILLED, "x_depth__mutmut_1": KILLED})  # fmt: skip
    newer = _run(tmp_path / "b", 2_000_000, {"x_angle": "aaa", "x_depth": "eee"},
                 {"x_angle__mutmut_1": SURVIVED, "x_depth__mutmut_1": SURVIVED,
                  "x_depth__mutmut_2": KILLED})  # fmt: skip
    for order in ([older, newer], [newer, older]):
        statuses, used = report.results(order, current)
        assert statuses == {
            f"{MODULE}.x_angle__mutmut_1": "survived",
            f"{MODULE}.x_depth__mutmut_1": "killed",
            f"{MODULE}.x_depth__mutmut_2": "not checked",
        }
        assert used == {older: 1, newer: 1}
