"""Report size and time as subjects grow: the sample batch replicated to N subjects.

Runs ``spine-endpoints batch`` on ``sample_dicom/`` once, replicates its endpoint table, corners
and eligibility to N subjects (the films are the samples', 704 x 512), then writes the delivery.
Measured: the size of ``report.html`` and of a subject page (nine film thumbnails and one plot),
and the time of a subject page against its measures plot alone (the baseline: what a subject
section cost before the films, drawn in the same run).

    .venv/bin/python -m benchmarks.bench_report [--subjects N] [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pandas as pd

from benchmarks.targets import Verdicts

ROOT = Path(__file__).resolve().parents[1]
PAGE_KB = 300
"""A subject page stays under this many kB (nine films, one plot)."""
REPORT_KB_PER_SUBJECT = 15
"""``report.html`` grows by at most this many kB per subject (index, eligibility, tables)."""
PAGE_RATIO = 3.0
"""A subject page costs at most this many times its measures plot alone."""


def replicate(source: Path, out: Path, subjects: int) -> None:
    """``out``: the batch output in ``source`` with its subjects copied to ``subjects`` ids."""
    out.mkdir(parents=True)
    tables = {
        "endpoints.parquet": pd.read_parquet(source / "endpoints.parquet"),
        "corners.csv": pd.read_csv(source / "corners.csv", dtype=str, keep_default_na=False),
        "eligibility.csv": pd.read_csv(
            source / "eligibility.csv", dtype=str, keep_default_na=False
        ),
    }
    originals = sorted(tables["endpoints.parquet"]["subject"].unique())
    for name, table in tables.items():
        copies = []
        for index in range(subjects):
            copy = table[table["subject"] == originals[index % len(originals)]].copy()
            copy["subject"] = f"S{index:05d}"
            copies.append(copy)
        joined = pd.concat(copies, ignore_index=True)
        if name.endswith(".parquet"):
            joined.to_parquet(out / name, index=False)
        else:
            joined.to_csv(out / name, index=False)
    for name in ("failures.csv", "provenance.json"):
        shutil.copy(source / name, out / name)


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 subjects")
    args = parser.parse_args(list(argv))
    subjects = 20 if args.quick else args.subjects

    from imaging.cli import main as cli
    from imaging.report import load, write_delivery
    from imaging.report.figures import subject_figure
    from imaging.report.films import FilmSource
    from imaging.report.subject_pages import subject_page

    verdicts = Verdicts()
    scratch = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        with redirect_stdout(StringIO()), redirect_stderr(StringIO()):
            cli(["batch", str(ROOT / "sample_dicom"), "--out", str(scratch / "sample")])
        sizes = {}
        for count in (3, subjects):
            out = scratch / f"n{count}"
            replicate(scratch / "sample", out, count)
            started = time.perf_counter()
            delivery = write_delivery(out)
            seconds = time.perf_counter() - started
            pages = [p.stat().st_size for p in delivery.subject_pages]
            sizes[count] = delivery.report.stat().st_size
            print(
                f"{count:5d} subjects: report.html {sizes[count] / 1e6:.2f} MB, subject pages "
                f"{sum(pages) / 1e6:.1f} MB ({max(pages) / 1e3:.0f} kB at most), {seconds:.0f} s"
            )
        growth = (sizes[subjects] - sizes[3]) / (subjects - 3) / 1e3
        print(f"report.html grows {growth:.1f} kB per subject: "
              f"{verdicts.at_most('report growth', growth, REPORT_KB_PER_SUBJECT)} "
              f"(<= {REPORT_KB_PER_SUBJECT} kB)")  # fmt: skip
        largest = max(pages) / 1e3
        verdict = verdicts.at_most("subject page size", largest, PAGE_KB)
        print(f"largest subject page {largest:.0f} kB: {verdict} (<= {PAGE_KB} kB)")

        data = load(out)
        films = FilmSource(data, out)
        page_times, plot_times = [], []
        for subject in data.subjects[:6]:  # interleaved: a busy machine slows both
            started = time.process_time()
            subject_page(data, subject, films)
            page_times.append(time.process_time() - started)
            started = time.process_time()
            subject_figure(data, subject)
            plot_times.append(time.process_time() - started)
        ratio = sorted(page_times)[3] / sorted(plot_times)[3]
        verdict = verdicts.at_most("subject page time", ratio, PAGE_RATIO)
        print(f"subject page / its plot alone (CPU time, median of 6): {ratio:.2f}: {verdict} "
              f"(<= {PAGE_RATIO})")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return verdicts.exit_status()


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
