"""Run every ``benchmarks/bench_*.py`` in turn (or those whose name contains an argument).

Each script's ``main()`` returns its exit status (0: every target met). This runner exits 1 when
any script missed a target or failed, after running them all.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(path.stem for path in Path(__file__).parent.glob("bench_*.py"))
    chosen = [name for name in names if not argv or any(word in name for word in argv)]
    if not chosen:
        print(f"no benchmark matches {argv}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        try:
            status = importlib.import_module(f"benchmarks.{name}").main()
        except Exception:  # a benchmark that crashes has missed its targets; the others still run
            traceback.print_exc()
            status = 1
        if status:
            failed.append(name)
        verdict = "MISSED A TARGET" if status else "all targets met"
        print(f"== {name} done in {time.perf_counter() - start:.1f} s: {verdict}\n", flush=True)
    if failed:
        print(f"benchmarks that missed a target: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
