"""``spine-endpoints batch``: endpoints of a whole archive, per subject and visit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from imaging.cli._numbers import count


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="compute the endpoints of a whole archive (table, failures, provenance)",
        description="Scan ARCHIVE, pair its radiographs with their landmarks, compute every "
        "radiograph endpoint per subject and visit (disc heights, height loss, ROM from the "
        "flexion/extension pair), join the grades, evaluate eligibility, and write into DIR: "
        "endpoints.csv and endpoints.parquet, failures.csv, eligibility.csv and provenance.json. "
        "Rerunning skips studies whose inputs are unchanged. Exit status 1 when failures "
        "occurred, 2 for usage errors.",
    )
    parser.add_argument("archive", type=Path, metavar="ARCHIVE", help="folder of DICOM files")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--landmarks",
        type=Path,
        metavar="FILE",
        help="landmark file (CSV or JSON: subject, visit, film, image, vertebra, corner, row, "
        "col, reader); default ARCHIVE/landmarks.csv when present",
    )
    source.add_argument(
        "--store", dest="store_url", metavar="URL", help="read landmarks and grades from a store"
    )
    parser.add_argument(
        "--grades",
        type=Path,
        metavar="FILE",
        help="grades CSV (subject, visit, level, reader, pfirrmann, modic_cranial, modic_caudal, "
        "comment); default ARCHIVE/grades.csv when present",
    )
    parser.add_argument(
        "--protocol", type=Path, metavar="FILE", help="protocol file (default: the DLBP trial)"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs", type=count, metavar="N", help="run on N local processes (default: in-process)"
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a dask.distributed cluster (tcp://host:8786)"
    )
    parser.add_argument("--force", action="store_true", help="recompute unchanged studies too")
    parser.add_argument(
        "--refine",
        action="store_true",
        help="refine every read film's corners to the bone corners before measuring (corners "
        "the refinement is not confident about keep the click)",
    )
    parser.add_argument(
        "--track",
        action="store_true",
        help="measure an unread flexion or extension film with the corners of the read one, "
        "tracked by registration (or of the neutral film onto both); poor matches are failures",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="also write DIR/report.html, DIR/subjects/, DIR/data-dictionary.csv and "
        "DIR/SHA256SUMS (spine-endpoints report DIR)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.batch import BatchOptions, open_executor, progress_for_terminal, run_batch

    options = BatchOptions(
        archive=args.archive,
        out=args.out,
        landmarks=args.landmarks,
        store_url=args.store_url,
        grades=args.grades,
        protocol=args.protocol,
        force=args.force,
        refine=args.refine,
        track=args.track,
    )
    with open_executor(args.jobs, args.scheduler) as choice:
        summary = run_batch(
            options,
            choice.executor,
            max_in_flight=choice.max_in_flight,
            execution=choice.description,
            progress=progress_for_terminal(),
            command=["spine-endpoints", *sys.argv[1:]],
        )
    print(
        f"{summary.studies} studies ({summary.computed} computed, {summary.skipped} unchanged) "
        f"on {summary.execution}: {summary.rows} endpoint rows, {summary.failures} failure(s)"
    )
    for name in ("endpoints_csv", "endpoints_parquet", "corners", "eligibility", "failures"):
        print(f"  {name.replace('_', ' ')}: {summary.files[name]}")
    print(f"  provenance: {summary.files['provenance']}")
    if args.report:
        from imaging.report import write_delivery

        for line in write_delivery(summary.out).lines():
            print(f"  {line}")
    if summary.failures:
        print(f"failures occurred: see {summary.files['failures']}", file=sys.stderr)
    return summary.exit_status
