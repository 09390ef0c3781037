"""``spine-endpoints phantom``: render synthetic lumbar spine studies with ground truth."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from imaging.errors import FileAccessError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "phantom",
        help="render synthetic lumbar spine studies (DICOM + ground truth JSON)",
        description="Render a synthetic lumbar spine study (lateral neutral/flexion/extension "
        "DX films and sagittal T2/T1 MR) with exact ground truth, or regenerate the committed "
        "sample set with --samples.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--samples",
        action="store_true",
        help="write the committed sample set (3 subjects x 3 visits) instead of one study",
    )
    parser.add_argument(
        "--as-samples",
        action="store_true",
        help="write the committed AS trial sample set (sample_dicom_as/: one subject, baseline "
        "and 24 months, lateral cervical and lumbar films and the pelvic film)",
    )
    parser.add_argument("--subject", type=_identifier, default="PHANTOM-001", help="subject ID")
    parser.add_argument(
        "--visit", type=_identifier, default="baseline", help="protocol visit id, e.g. month_6"
    )
    parser.add_argument(
        "--time-point-id",
        type=_identifier,
        default="BASELINE",
        help="(0012,0050) Clinical Trial Time Point ID; 'none' leaves it out",
    )
    parser.add_argument(
        "--study-date", type=datetime.date.fromisoformat, default=datetime.date(2025, 1, 13)
    )
    parser.add_argument(
        "--preset",
        choices=("normal", "random", "degenerated", "unstable"),
        default="random",
        help="which spine (default: random, drawn from the seed)",
    )
    parser.add_argument(
        "--films",
        type=_films,
        default="neutral,flexion,extension",
        help="lateral films, comma list of neutral, flexion, extension ('' for none)",
    )
    parser.add_argument(
        "--mr", type=_sequences, default="T2,T1", help="MR sequences, comma list ('' for none)"
    )
    parser.add_argument(
        "--transfer-syntax",
        choices=("explicit", "implicit", "rle", "jpeg-ls", "jpeg2000"),
        default="explicit",
    )
    parser.add_argument("--monochrome1", action="store_true", help="store films inverted")
    parser.add_argument(
        "--no-spacing", action="store_true", help="films without any pixel spacing (uncalibrated)"
    )
    parser.set_defaults(func=run)


def _films(text: str) -> list[str]:
    films = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in films if f not in ("neutral", "flexion", "extension")]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown film(s) {', '.join(unknown)}; choose from neutral, flexion, extension"
        )
    return films


def _sequences(text: str) -> list[str]:
    sequences = [s.strip().upper() for s in text.split(",") if s.strip()]
    unknown = [s for s in sequences if s not in ("T1", "T2")]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown sequence(s) {', '.join(unknown)}; use T1, T2")
    return sequences


def _identifier(text: str) -> str:
    if not (0 < len(text) <= 64 and text.isprintable()):
        raise argparse.ArgumentTypeError("must be 1-64 printable characters")
    return text


def run(args: argparse.Namespace) -> int:
    from imaging.phantom import single_study, write_samples, write_study

    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise FileAccessError(
            "is a file, not a folder", path=out, fix="Give --out a folder (it is created)."
        )
    if args.as_samples:
        from imaging.phantom.as_samples import write_as_samples

        as_truths = write_as_samples(out)
        print(
            f"wrote {len(as_truths)} AS studies, ground_truth.json, grades.csv, README.md to {out}"
        )
        return 0
    if args.samples:
        truths = write_samples(out)
        for truth in truths:
            _print_summary(truth)
        print(f"wrote {len(truths)} studies, ground_truth.json, landmarks.csv, grades.csv, "
              f"README.md to {out}")  # fmt: skip
        return 0
    time_point = None if args.time_point_id.lower() == "none" else args.time_point_id
    study = single_study(
        seed=args.seed,
        subject=args.subject,
        visit=args.visit,
        preset=args.preset,
        films=args.films,
        sequences=args.mr,
        transfer_syntax=args.transfer_syntax,
        monochrome1=args.monochrome1,
        spacing="none" if args.no_spacing else "imager",
        study_date=args.study_date,
        time_point_id=time_point,
    )
    truth = write_study(study, out)
    _print_summary(truth)
    print(f"wrote {out / study.folder / 'ground_truth.json'}")
    return 0


def _print_summary(truth: dict[str, Any]) -> None:
    expected = truth.get("expected") or {}
    loss = expected.get("height_loss_pct")
    text = f"{truth['subject']} {truth['visit']}: {len(truth['images'])} images"
    if loss is not None:
        unstable = ", ".join(expected["unstable_levels"]) or "none"
        text += f", L4-L5 height loss {loss:.1f}%, unstable: {unstable}"
    print(text)
