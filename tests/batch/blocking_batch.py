"""``spine-endpoints`` with every study but the baseline blocked, for the interrupt tests.

Run as ``python blocking_batch.py batch ARCHIVE --out DIR [...]`` with this folder on
PYTHONPATH (worker processes import :func:`study` from here). The baseline study is computed as
usual; the others sleep, so that the test's signal always finds the batch between a finished
study and unfinished ones. ``--dask`` runs on a local dask cluster of worker processes.
"""

from __future__ import annotations

import sys
import time

from imaging.batch.model import StudyResult
from imaging.batch.task import StudyTask, run_study


def study(task: StudyTask) -> StudyResult:
    if task.visit != "baseline":
        time.sleep(600)  # the test stops the batch long before
    return run_study(task)


def main(argv: list[str]) -> int:
    from blocking_batch import study as importable  # pickled by module name, not __main__

    import imaging.batch.run
    from imaging.cli import main as cli

    imaging.batch.run.run_study = importable
    if "--dask" not in argv:
        return cli(argv)
    from distributed import LocalCluster

    argv = [arg for arg in argv if arg != "--dask"]
    with LocalCluster(n_workers=1, threads_per_worker=2, dashboard_address=None) as cluster:
        return cli([*argv, "--scheduler", cluster.scheduler_address])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
