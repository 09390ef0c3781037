"""The committed sample studies (``sample_dicom/``): three subjects of the DLBP trial, three visits.

- DLBP-001: L4-L5 degenerated (Pfirrmann 4, Modic I at both endplates), height loss against the
  adjacent discs 30% -> 34% -> 38% across visits, stable motion: meets the imaging entry criteria.
- DLBP-002: L4-L5 unstable on the dynamic films (translation range of motion 4.5-4.7 mm),
  otherwise moderate (Pfirrmann 3, Modic II, 12% height loss): excluded.
- DLBP-003: healthy (Pfirrmann 1-2, Modic 0, no height loss, normal motion): not eligible.

The screening findings a reader records rather than the tool measures (:data:`FINDINGS`:
discography, spondylitis or fracture, severe stenosis or herniation) are part of each subject's
scenario: recorded at baseline in ``grades.csv``, none of them visible in the images.

Storage varies on purpose (see :data:`STORAGE`): MONOCHROME1, RLE / JPEG-LS / JPEG 2000 lossless,
implicit VR, 14-bit films, Pixel Spacing equal to Imager Pixel Spacing, one film without any
spacing and one visit without (0012,0050) Clinical Trial Time Point ID.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from imaging.anatomy import Film
from imaging.phantom.mr import MRSetup
from imaging.phantom.presets import height_for_loss
from imaging.phantom.radiograph import RadiographSetup
from imaging.phantom.readme import write_readme
from imaging.phantom.spec import PhantomSpec, SegmentMotion
from imaging.phantom.study import FilmOptions, SeriesOptions, StudySpec, write_study
from imaging.phantom.writer import GENERATOR_VERSION, TrialContext

SAMPLE_SEED = 20250113
READER = "ground-truth"

VISITS: tuple[tuple[str, str, str, int], ...] = (
    ("baseline", "BASELINE", "Baseline", 0),
    ("month_6", "M06", "Month 6", 182),
    ("month_12", "M12", "Month 12", 365),
)
"""(protocol visit id, (0012,0050) time point ID, (0012,0051) description, days from baseline)."""

SUBJECTS: dict[str, dict[str, Any]] = {
    "DLBP-001": {"number": 1, "baseline": datetime.date(2025, 1, 13), "sex": "F"},
    "DLBP-002": {"number": 2, "baseline": datetime.date(2025, 2, 10), "sex": "M"},
    "DLBP-003": {"number": 3, "baseline": datetime.date(2025, 3, 10), "sex": "F"},
}

# (subject, visit) -> ((neutral, flexion, extension) transfer syntaxes, (T2, T1) transfer syntaxes)
STORAGE: dict[tuple[str, str], tuple[tuple[str, str, str], tuple[str, str]]] = {
    ("DLBP-001", "baseline"): (("explicit", "rle", "jpeg-ls"), ("jpeg-ls", "jpeg2000")),
    ("DLBP-001", "month_6"): (("jpeg2000", "jpeg-ls", "rle"), ("rle", "jpeg-ls")),
    ("DLBP-001", "month_12"): (("jpeg-ls", "jpeg2000", "explicit"), ("jpeg2000", "rle")),
    ("DLBP-002", "baseline"): (("explicit", "jpeg-ls", "rle"), ("jpeg2000", "jpeg-ls")),
    ("DLBP-002", "month_6"): (("rle", "jpeg2000", "jpeg-ls"), ("jpeg-ls", "jpeg-ls")),
    ("DLBP-002", "month_12"): (("jpeg-ls", "rle", "jpeg2000"), ("rle", "jpeg2000")),
    ("DLBP-003", "baseline"): (("jpeg-ls", "jpeg-ls", "jpeg2000"), ("jpeg-ls", "implicit")),
    ("DLBP-003", "month_6"): (("rle", "jpeg2000", "jpeg-ls"), ("jpeg2000", "jpeg-ls")),
    ("DLBP-003", "month_12"): (("jpeg2000", "explicit", "rle"), ("jpeg-ls", "rle")),
}
MONOCHROME1_FILM = ("DLBP-002", "baseline", Film.NEUTRAL)
UNCALIBRATED_FILM = ("DLBP-003", "month_12", Film.FLEXION)
NO_TIME_POINT_VISIT = ("DLBP-003", "month_6")
# DLBP-003's month 6 study has no time point id: its visit is found from the study date, 210
# days after the baseline study. Baseline imaging precedes treatment by 21 to 42 days (the DLBP
# protocol's baseline_to_treatment_days), so that is day 168 to 189, in the month 6 window
# whatever the treatment date (182 days would be day 140 to 161: flagged, it could be either).
LATE_DAYS = {("DLBP-003", "month_6"): 28}


def subject_anatomy(number: int) -> PhantomSpec:
    """A subject's own healthy spine: the average one with sizes and angles varied a little."""
    rng = np.random.default_rng([SAMPLE_SEED, number])
    base = PhantomSpec.normal()
    size = float(rng.uniform(0.94, 1.06))
    shapes = {
        v: replace(
            s,
            depth_mm=s.depth_mm * size * float(rng.uniform(0.98, 1.02)),
            anterior_height_mm=s.anterior_height_mm * size * float(rng.uniform(0.98, 1.02)),
            posterior_height_mm=s.posterior_height_mm * size * float(rng.uniform(0.98, 1.02)),
        )
        for v, s in base.vertebrae.items()
    }
    discs = {
        level: replace(
            disc,
            height_mm=disc.height_mm * size * float(rng.uniform(0.96, 1.04)),
            angle_deg=disc.angle_deg + float(rng.uniform(-1.5, 1.5)),
            translation_mm=disc.translation_mm + float(rng.uniform(-0.3, 0.3)),
        )
        for level, disc in base.discs.items()
    }
    return replace(
        base, vertebrae=shapes, discs=discs, sacral_slope_deg=float(rng.uniform(34.0, 42.0))
    )


def _dlbp_001(spec: PhantomSpec, visit: int) -> PhantomSpec:
    return spec.with_disc(
        "L4-L5",
        height_mm=height_for_loss(spec, "L4-L5", (30.0, 34.0, 38.0)[visit]),
        angle_deg=8.0 - 0.5 * visit,
        pfirrmann=4,
        modic_cranial="I",
        modic_caudal="I",
        motion=SegmentMotion(-2.5, 2.5, 0.5, -0.4),
    )


def _dlbp_002(spec: PhantomSpec, visit: int) -> PhantomSpec:
    return spec.with_disc(
        "L4-L5",
        height_mm=height_for_loss(spec, "L4-L5", 12.0),
        pfirrmann=3,
        modic_cranial="II",
        modic_caudal="II",
        motion=SegmentMotion(-6.5, 5.0, 2.6 + 0.1 * visit, -1.9),
    )


def _dlbp_003(spec: PhantomSpec, visit: int) -> PhantomSpec:
    spec = spec.with_disc("L4-L5", height_mm=height_for_loss(spec, "L4-L5", -4.0), pfirrmann=2)
    return spec.with_disc("L5-S1", pfirrmann=2)


FINDING_ITEMS = (
    "discography_single_painful_disc", "spondylitis", "vertebral_fracture",
    "severe_spinal_stenosis", "severe_disc_herniation",
)  # fmt: skip
"""The DLBP protocol's reader-recorded findings (scale ``finding``), in protocol order."""
_NONE_EXCLUDING = {
    "spondylitis": "no", "vertebral_fracture": "no", "severe_spinal_stenosis": "no",
    "severe_disc_herniation": "no",
}  # fmt: skip
FINDINGS: dict[str, dict[str, dict[str, str]]] = {
    "DLBP-001": {"L4-L5": {"discography_single_painful_disc": "yes"}, "spine": _NONE_EXCLUDING},
    "DLBP-002": {"L4-L5": {"discography_single_painful_disc": "yes"}, "spine": _NONE_EXCLUDING},
    "DLBP-003": {
        "L4-L5": {"discography_single_painful_disc": "not_assessable"},
        "spine": _NONE_EXCLUDING,
    },
}
"""Subject -> level (``spine``: once per case) -> finding -> code, recorded at baseline only."""
FINDING_COMMENTS = {
    ("DLBP-003", "L4-L5"): "discography not performed: no disc degenerated on MRI",
}


def expected_verdict(expected: dict[str, Any], findings: dict[str, dict[str, str]]) -> str:
    """The DLBP protocol's subject verdict at baseline from the measured and graded criteria
    (``expected`` of the baseline study) and the recorded findings: a failed criterion decides;
    eligible only when every criterion is decided; otherwise pending."""
    codes = {item: code for cells in findings.values() for item, code in cells.items()}
    discography = codes.get("discography_single_painful_disc")
    excluding = [codes.get(item) for item in FINDING_ITEMS[1:]]
    fails = (
        not all(expected[k] for k in ("meets_modic_criterion", "meets_pfirrmann_criterion",
                                      "meets_height_loss_criterion"))
        or expected["excluded_for_instability"] or discography == "no" or "yes" in excluding
    )  # fmt: skip
    if fails:
        return "not eligible"
    undecided = expected["instability_not_evaluable_levels"] or any(
        code not in ("yes", "no") for code in (discography, *excluding)
    )
    return "pending" if undecided else "eligible"


SCENARIOS: dict[str, Callable[[PhantomSpec, int], PhantomSpec]] = {
    "DLBP-001": _dlbp_001,
    "DLBP-002": _dlbp_002,
    "DLBP-003": _dlbp_003,
}

RADIOGRAPH_SETUPS: dict[str, RadiographSetup] = {
    "DLBP-001": RadiographSetup(),
    "DLBP-002": RadiographSetup(
        source_image_distance_mm=1200.0, source_object_distance_mm=1000.0, bits_stored=14
    ),
    "DLBP-003": RadiographSetup(
        imager_pixel_spacing_mm=0.42, source_image_distance_mm=1120.0, photons=9000.0
    ),
}


def sample_studies() -> list[StudySpec]:
    """Every committed study, in subject then visit order."""
    studies = []
    for subject, info in SUBJECTS.items():
        anatomy = subject_anatomy(info["number"])
        for index, (visit, time_point, description, days) in enumerate(VISITS):
            days += LATE_DAYS.get((subject, visit), 0)
            has_time_point = (subject, visit) != NO_TIME_POINT_VISIT
            context = TrialContext(
                subject_id=subject,
                visit=visit,
                study_date=info["baseline"] + datetime.timedelta(days=days),
                seed=SAMPLE_SEED + 100 * info["number"] + index,
                time_point_id=time_point if has_time_point else None,
                time_point_description=description if has_time_point else None,
                patient_sex=info["sex"],
            )
            film_syntaxes, series_syntaxes = STORAGE[(subject, visit)]
            films = []
            for film, syntax in zip(Film, film_syntaxes, strict=True):
                key = (subject, visit, film)
                spacing = "imager+pixel" if subject == "DLBP-003" else "imager"
                films.append(
                    FilmOptions(
                        film,
                        syntax,
                        photometric="MONOCHROME1" if key == MONOCHROME1_FILM else "MONOCHROME2",
                        spacing="none" if key == UNCALIBRATED_FILM else spacing,
                    )
                )
            series = tuple(
                SeriesOptions(sequence, syntax)
                for sequence, syntax in zip(("T2", "T1"), series_syntaxes, strict=True)
            )
            studies.append(
                StudySpec(
                    context=context,
                    phantom=SCENARIOS[subject](anatomy, index),
                    films=tuple(films),
                    series=series,
                    radiograph_setup=RADIOGRAPH_SETUPS[subject],
                    mr_setup=MRSetup(),
                    days_from_baseline=days,
                )
            )
    return studies


def write_samples(out: Path | str) -> list[dict[str, Any]]:
    """Write every sample study, the combined index, the user-format CSVs and the README."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    truths = [write_study(study, out) for study in sample_studies()]
    write_sample_records(truths, out)
    return truths


def write_sample_records(truths: list[dict[str, Any]], out: Path) -> None:
    """What :func:`write_samples` writes beside the studies, from their truths: the combined
    ``ground_truth.json``, ``landmarks.csv``, ``grades.csv`` and ``README.md`` (no rendering)."""
    index = {
        "generator_version": GENERATOR_VERSION,
        "seed": SAMPLE_SEED,
        "subjects": {
            subject: {
                "scenario": _SUMMARIES[subject],
                "baseline_expected": _baseline_expected(truths, subject),
                "baseline_findings": FINDINGS[subject],
                "baseline_verdict": expected_verdict(
                    _baseline_expected(truths, subject), FINDINGS[subject]
                ),
            }
            for subject in SUBJECTS
        },
        "studies": truths,
    }  # fmt: skip
    (out / "ground_truth.json").write_text(json.dumps(index, indent=1) + "\n")
    write_landmarks_csv(truths, out / "landmarks.csv")
    write_grades_csv(truths, out / "grades.csv")
    write_readme(index, out / "README.md")


def _baseline_expected(truths: list[dict[str, Any]], subject: str) -> dict[str, Any]:
    return next(
        t["expected"] for t in truths if t["subject"] == subject and t["visit"] == "baseline"
    )


_SUMMARIES = {
    "DLBP-001": "L4-L5 degenerated, height loss 30/34/38%, Pfirrmann 4, Modic I, stable, "
    "the single painful disc on discography: eligible",
    "DLBP-002": "L4-L5 unstable (translation ROM > 3 mm), Pfirrmann 3, Modic II: excluded",
    "DLBP-003": "healthy: Pfirrmann 1-2, Modic 0, no height loss, normal motion, no discography: "
    "not eligible",
}


def write_landmarks_csv(truths: list[dict[str, Any]], path: Path) -> None:
    """``subject,visit,film,image,vertebra,corner,row,col,reader`` for every radiograph."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["subject", "visit", "film", "image", "vertebra", "corner", "row", "col", "reader"]
        )
        for truth in truths:
            for image in truth["images"]:
                if image["modality"] != "DX":
                    continue
                for vertebra, corners in image["corners"].items():
                    for corner, point in corners.items():
                        writer.writerow(
                            [truth["subject"], truth["visit"], image["film"], image["file"],
                             vertebra, corner, repr(point["row"]), repr(point["col"]), READER]
                        )  # fmt: skip


def write_grades_csv(truths: list[dict[str, Any]], path: Path) -> None:
    """``subject,visit,level,reader,pfirrmann,modic_cranial,modic_caudal``, the findings of
    :data:`FINDING_ITEMS` (recorded at baseline, for the sample subjects), ``comment``."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["subject", "visit", "level", "reader", "pfirrmann", "modic_cranial", "modic_caudal",
             *FINDING_ITEMS, "comment"]
        )  # fmt: skip
        for truth in truths:
            subject = truth["subject"]
            findings = FINDINGS.get(subject, {}) if truth["visit"] == "baseline" else {}
            rows = {
                level: [grade["pfirrmann"], grade["modic_cranial"], grade["modic_caudal"]]
                for level, grade in truth["grades"].items()
            }
            for level in findings:
                rows.setdefault(level, ["", "", ""])
            for level, grades in rows.items():
                recorded = findings.get(level, {})
                comment = "; ".join(
                    ["phantom ground truth"]
                    + ([FINDING_COMMENTS[(subject, level)]] if recorded and
                       (subject, level) in FINDING_COMMENTS else [])
                )  # fmt: skip
                writer.writerow(
                    [subject, truth["visit"], level, READER, *grades,
                     *(recorded.get(item, "") for item in FINDING_ITEMS), comment]
                )  # fmt: skip
