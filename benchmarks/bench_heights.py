"""Peak memory of ``spine-endpoints heights`` on a million landmark rows, against 10,000 rows.

``heights`` reads the landmark file row by row, keeps each film's corners packed (about 30 bytes
a corner: :class:`imaging.landmark_files.LandmarkFile`) and computes and writes the rows subject
by subject, so a file 100 times longer should cost little more memory than the small one: the
rows (about 1.75 per corner) are never all held.

Two landmark files are generated (``--rows``, default 1,000,000, and 10,000 rows): a rectangle
spine, T12 to S1 (22 corners a film), on neutral, flexion and extension films of four visits per
subject, calibrated by ``--mm-per-pixel`` (no images needed). Each runs in a fresh process
(``python -m imaging heights FILE --mm-per-pixel 0.2 --out OUT.csv``), whose peak RSS is read
from ``os.wait4`` (``ru_maxrss``). Target: the large file's peak at most 1.5 times the small
one's (before streaming: 2.2 GB, 12 times).

Run: ``python -m benchmarks.bench_heights [--rows N]``.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.targets import Verdicts

BASELINE_ROWS = 10_000
MEMORY_TARGET = 1.5
VISITS = ("baseline", "month_1", "month_3", "month_6")
FILMS = ("neutral", "flexion", "extension")
VERTEBRAE = ("T12", "L1", "L2", "L3", "L4", "L5")


def film_corners(tilt: float) -> list[tuple[str, str, float, float]]:
    """(vertebra, corner, row, col) of a rectangle spine, head up, anterior at larger col."""
    corners = []
    for index, vertebra in enumerate(VERTEBRAE):
        top = 100.0 + 70.0 * index
        for corner, row, col in (
            ("anterior_superior", top, 300.0 + tilt * index),
            ("posterior_superior", top, 200.0 + tilt * index),
            ("anterior_inferior", top + 50.0, 300.0 + tilt * index),
            ("posterior_inferior", top + 50.0, 200.0 + tilt * index),
        ):
            corners.append((vertebra, corner, row, col))
    top = 100.0 + 70.0 * len(VERTEBRAE)
    corners += [("S1", "anterior_superior", top, 300.0), ("S1", "posterior_superior", top, 200.0)]
    return corners


def write_landmarks(path: Path, rows: int) -> int:
    """Whole films until at least ``rows`` corner rows; returns the rows written."""
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("subject", "visit", "film", "image", "vertebra", "corner", "row", "col"))
        index = 0
        while written < rows:
            subject = f"BENCH-{index // 12 + 1:05d}"
            visit, film = VISITS[(index // 3) % 4], FILMS[index % 3]
            image = f"{subject}/{visit}/{film}.dcm"
            for vertebra, corner, row, col in film_corners(tilt=(index % 5) - 2.0):
                writer.writerow((subject, visit, film, image, vertebra, corner, row, col))
                written += 1
            index += 1
    return written


def run_heights(landmarks: Path, out: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of ``heights`` on ``landmarks`` in a fresh process."""
    command = [sys.executable, "-m", "imaging", "heights", str(landmarks)]
    command += ["--mm-per-pixel", "0.2", "--out", str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"heights failed on {landmarks} (exit status {process.returncode})")
    return seconds, usage.ru_maxrss / 1024  # kilobytes on Linux


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large file")
    args = parser.parse_args(list(argv))
    verdicts = Verdicts()
    with tempfile.TemporaryDirectory(prefix="bench-heights-") as folder:
        results = []
        for rows in (BASELINE_ROWS, args.rows):
            landmarks = Path(folder) / f"landmarks-{rows}.csv"
            written = write_landmarks(landmarks, rows)
            out = Path(folder) / f"heights-{rows}.csv"
            seconds, peak = run_heights(landmarks, out)
            with out.open(encoding="utf-8") as table:
                out_rows = sum(1 for _ in table) - 1
            results.append((written, out_rows, seconds, peak))
    print(f"{'landmark rows':>14}{'table rows':>12}{'seconds':>9}{'peak RSS MiB':>14}")
    for written, out_rows, seconds, peak in results:
        print(f"{written:>14,}{out_rows:>12,}{seconds:>9.1f}{peak:>14.0f}")
    ratio = results[1][3] / results[0][3]
    verdict = verdicts.at_most(f"heights peak memory <= {MEMORY_TARGET}x", ratio, MEMORY_TARGET)
    print(
        f"peak memory {results[1][0]:,} rows / {results[0][0]:,} rows: {ratio:.2f}x "
        f"({verdict} the {MEMORY_TARGET}x target)"
    )
    return verdicts.exit_status()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
