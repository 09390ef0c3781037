"""Batch endpoints over a generated archive: speed, scaling, overhead over decoding, memory.

The archive is made with the phantom generator (:mod:`imaging.phantom`): ``--studies`` studies
(default 1,000: 250 subjects x 4 visits, three lateral films each, so 3,000 radiographs), with
their landmark and grade files. Twenty-four random phantoms are rendered and each film is written
under many subjects (new header, new UIDs, its own file), a quarter of the studies in each of
JPEG 2000, JPEG-LS, RLE and uncompressed storage. The archive is cached in
``benchmarks/.cache/`` (not in git); generation time is not measured.

Measured, each in a fresh process (so peak RSS is that run's own), on a warm page cache:

1. bare decoding: ``pydicom.dcmread(path).pixel_array`` of every radiograph, one process;
2. the batch in-process and with ``--jobs 2`` (studies/s, and the scaling between them);
3. the overhead of the batch over bare decoding of the same files, in CPU time of the process
   (so that other jobs on a shared machine count for neither side; target: at most 1.3x), and in
   wall time;
4. peak memory (RSS, sampled) of the in-process batch at a quarter of the studies and at all
   of them, for the planning phase (scan, landmark and grade files) and for the computing
   phase (studies computed, results streamed to disk, tables written; target: flat, within 10%);
5. a rerun with nothing changed (resumed from the stored results).

Run: ``python -m benchmarks.bench_batch [--studies N]``.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.targets import Verdicts

OVERHEAD_TARGET = 1.3
MEMORY_TARGET = 1.10
DISTINCT_PHANTOMS = 24
SYNTAXES = ("jpeg2000", "jpeg-ls", "rle", "explicit")
VISITS = (
    ("baseline", "BASELINE", 0),
    ("month_1", "M1", 30),
    ("month_3", "M3", 91),
    ("month_6", "M6", 182),
)
CACHE = Path(__file__).resolve().parent / ".cache"


# --- the archive --------------------------------------------------------------------------------
def build_archive(folder: Path, studies: int) -> None:
    """Write ``studies`` studies, landmarks.csv and grades.csv into ``folder`` (if not done)."""
    if (folder / ".complete").exists():
        return
    from imaging.phantom.presets import single_study
    from imaging.phantom.study import render_study
    from imaging.phantom.writer import TrialContext, radiograph_dataset, save

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    phantoms = []
    for seed in range(DISTINCT_PHANTOMS):
        spec = single_study(seed=1000 + seed, sequences=())
        films, _ = render_study(spec)
        phantoms.append((spec.phantom, films))
    landmark_rows: list[list[Any]] = []
    grade_rows: list[list[Any]] = []
    for index in range(studies):
        subject = f"BENCH-{index // len(VISITS) + 1:04d}"
        visit, time_point, days = VISITS[index % len(VISITS)]
        phantom, films = phantoms[index % DISTINCT_PHANTOMS]
        syntax = SYNTAXES[(index // len(VISITS)) % len(SYNTAXES)]
        context = TrialContext(
            subject_id=subject,
            visit=visit,
            study_date=datetime.date(2025, 1, 6) + datetime.timedelta(days=days),
            seed=index,
            time_point_id=time_point,
            time_point_description=visit,
        )
        for number, (film, rendered) in enumerate(films.items(), start=1):
            relative = f"{subject}/{visit}/DX_lateral_{film.value}.dcm"
            dataset = radiograph_dataset(rendered, context, series_number=number)
            save(dataset, folder / relative, syntax)
            for vertebra, corners in rendered.corners_px.items():
                for corner, (row, col) in corners.items():
                    landmark_rows.append(
                        [subject, visit, film.value, relative, vertebra.value, corner.value,
                         repr(row), repr(col), "bench"]
                    )  # fmt: skip
        for level, disc in phantom.discs.items():
            if level.value != "T12-L1":
                grade_rows.append(
                    [subject, visit, level.value, "bench", disc.pfirrmann, disc.modic_cranial,
                     disc.modic_caudal, ""]
                )  # fmt: skip
        if (index + 1) % 100 == 0:
            print(f"  generated {index + 1}/{studies} studies", flush=True)
    _write_csv(
        folder / "landmarks.csv",
        ["subject", "visit", "film", "image", "vertebra", "corner", "row", "col", "reader"],
        landmark_rows,
    )
    _write_csv(
        folder / "grades.csv",
        ["subject", "visit", "level", "reader", "pfirrmann", "modic_cranial", "modic_caudal",
         "comment"],
        grade_rows,
    )  # fmt: skip
    (folder / ".complete").write_text(f"{time.perf_counter() - started:.0f} s\n")


def subset(folder: Path, studies: int, target: Path) -> Path:
    """The first ``studies`` studies of ``folder`` as a new archive of hard links."""
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    keep: set[tuple[str, str]] = set()
    for index in range(studies):
        keep.add((f"BENCH-{index // len(VISITS) + 1:04d}", VISITS[index % len(VISITS)][0]))
    for subject, visit in keep:
        (target / subject / visit).mkdir(parents=True)
        for source in (folder / subject / visit).iterdir():
            os.link(source, target / subject / visit / source.name)
    for name in ("landmarks.csv", "grades.csv"):
        with (folder / name).open(newline="") as handle:
            rows = list(csv.reader(handle))
        _write_csv(target / name, rows[0], [r for r in rows[1:] if (r[0], r[1]) in keep])
    (target / ".complete").write_text("subset\n")
    return target


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def radiographs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*/DX_lateral_*.dcm"))


# --- measurements, each in its own process --------------------------------------------------------
class RssSampler:
    """Peak resident memory per phase, sampled from /proc every 20 ms in a thread.

    The batch's progress calls :meth:`start` once its plan is made: the phase then switches
    from ``plan`` to ``compute`` (computing, storing and writing the tables).
    """

    def __init__(self) -> None:
        self.phase = "plan"
        self.peaks: dict[str, float] = {"plan": 0.0, "compute": 0.0, "compute_start": 0.0}
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self) -> None:
        with open("/proc/self/statm") as handle:  # noqa: PTH123 - a tight loop
            resident = int(handle.read().split()[1]) * self._page / 2**20
        self.peaks[self.phase] = max(self.peaks[self.phase], resident)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.sample()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self.sample()
        return self.peaks

    # The batch's Progress protocol.
    def start(self, total: int, description: str) -> None:
        self.sample()
        self.phase = "compute"
        self.sample()
        self.peaks["compute_start"] = self.peaks["compute"]

    def advance(self, label: str, status: str) -> None:
        return None

    def close(self) -> None:
        return None


def child(kind: str, archive: Path, out: Path) -> dict[str, Any]:
    """Run one measurement in this process; returns seconds and peak RSS (imports excluded)."""
    import pydicom

    from imaging.batch import BatchOptions, open_executor, run_batch

    sampler = RssSampler()
    started, cpu_started = time.perf_counter(), time.process_time()
    result: dict[str, Any] = {}
    if kind == "decode":
        sampler.start(0, "decode")
        for path in radiographs(archive):
            pydicom.dcmread(path).pixel_array  # noqa: B018 - decoding is the point
    else:
        jobs = 2 if kind == "jobs2" else None
        force = kind != "rerun"
        with open_executor(jobs) as choice:
            summary = run_batch(
                BatchOptions(archive, out, force=force),
                choice.executor,
                max_in_flight=choice.max_in_flight,
                execution=choice.description,
                progress=sampler,
            )
        result = {"computed": summary.computed, "skipped": summary.skipped,
                  "failures": summary.failures, "rows": summary.rows}  # fmt: skip
    result["seconds"] = time.perf_counter() - started
    result["cpu_seconds"] = time.process_time() - cpu_started
    peaks = sampler.stop()
    result["rss_plan_mib"], result["rss_compute_mib"] = peaks["plan"], peaks["compute"]
    result["rss_compute_added_mib"] = peaks["compute"] - peaks["compute_start"]
    result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def measure(kind: str, archive: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.bench_batch", "--child", kind, str(archive),
               str(out)]  # fmt: skip
    done = subprocess.run(
        command, check=True, capture_output=True, text=True, cwd=Path(__file__).parents[1]
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def warm(folder: Path) -> None:
    """Read every file once so that every run sees a warm page cache."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            path.read_bytes()


def main(argv: Sequence[str] = ()) -> int:
    """Run the benchmark (``python -m benchmarks batch`` calls this with no arguments)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "ARCHIVE", "OUT"))
    args = parser.parse_args(list(argv))
    if args.child:
        kind, archive, out = args.child
        print(json.dumps(child(kind, Path(archive), Path(out))))
        return 0
    verdicts = Verdicts()

    CACHE.mkdir(exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    full = CACHE / f"batch_archive_{args.studies}"
    print(f"archive: {full} ({args.studies} studies, {3 * args.studies} radiographs)")
    build_archive(full, args.studies)
    quarter = subset(full, args.studies // 4, CACHE / f"batch_archive_{args.studies}_quarter")
    outputs = CACHE / "batch_outputs"
    shutil.rmtree(outputs, ignore_errors=True)
    warm(full)

    decode = measure("decode", full, outputs / "decode")
    in_process = measure("inprocess", full, outputs / "inprocess")
    jobs2 = measure("jobs2", full, outputs / "jobs2")
    rerun = measure("rerun", full, outputs / "inprocess")
    small = measure("inprocess", quarter, outputs / "quarter")

    studies = args.studies
    files = 3 * studies
    overhead = in_process["cpu_seconds"] / decode["cpu_seconds"]
    wall_overhead = in_process["seconds"] / decode["seconds"]
    growth = in_process["rss_mib"] / small["rss_mib"]
    added = in_process["rss_compute_added_mib"], small["rss_compute_added_mib"]
    print(f"\n{'run':<34}{'seconds':>9}{'studies/s':>11}{'peak RSS MiB':>14}")
    for name, result, count in (
        (f"bare decoding ({files} files)", decode, studies),
        (f"batch in-process ({studies} studies)", in_process, studies),
        (f"batch --jobs 2 ({studies} studies)", jobs2, studies),
        (f"rerun, nothing changed ({studies})", rerun, studies),
        (f"batch in-process ({studies // 4} studies)", small, studies // 4),
    ):
        print(
            f"{name:<34}{result['seconds']:>9.1f}{count / result['seconds']:>11.1f}"
            f"{result['rss_mib']:>14.0f}"
        )
    print(f"\ncpu cores: {os.cpu_count()}")
    print(f"scaling --jobs 2 / in-process: {in_process['seconds'] / jobs2['seconds']:.2f}x")
    verdict = verdicts.at_most(f"batch overhead <= {OVERHEAD_TARGET}x", overhead, OVERHEAD_TARGET)
    print(
        f"overhead over bare decoding: {overhead:.2f}x in CPU time ({verdict} target <= "
        f"{OVERHEAD_TARGET}x), {wall_overhead:.2f}x in wall time"
    )
    print(
        f"peak RSS {studies} vs {studies // 4} studies: {growth:.2f}x overall "
        f"({small['rss_mib']:.0f} -> {in_process['rss_mib']:.0f} MiB)"
    )
    print(
        f"  peak while planning (scan; landmark and grade files, streamed; every task): "
        f"{small['rss_plan_mib']:.0f} -> {in_process['rss_plan_mib']:.0f} MiB"
    )
    verdict = verdicts.at_most(
        "memory added while computing flat", added[0], MEMORY_TARGET * added[1] + 1
    )
    print(
        f"  added while computing, storing and writing the tables (peak minus RSS at its start): "
        f"{added[1]:.0f} -> {added[0]:.0f} MiB ({verdict} target: flat)"
    )
    print(f"rerun: {rerun['skipped']} studies skipped, {rerun['computed']} recomputed")
    verdicts.require("a rerun recomputes nothing", rerun["computed"] == 0)
    return verdicts.exit_status()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
