"""The README of ``sample_dicom/``, written from the sample set's own ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_HEADER = """\
# Sample studies (synthetic phantoms with ground truth)

Three subjects of the DLBP trial (ChiCTR2200058291) at three visits each, every visit with lateral
neutral, flexion and extension radiographs (DX) and sagittal T2 and T1 MR series. **No patient
data**: every image is rendered from known geometry by `imaging.phantom`, and every expected value
below comes from that geometry, never from the images. The AS trial's sample subject (AS-001,
lateral cervical, lumbar and pelvic films) is an archive of its own: `sample_dicom_as/`.

Regenerate (deterministic for a given numpy version; generator version {version}, seed {seed}):

```sh
spine-endpoints phantom --samples --out sample_dicom     # or: python scripts/make_samples.py
```

## Layout

```
sample_dicom/
  README.md            this file (written by the generator)
  ground_truth.json    index: every study's ground truth and each subject's expected verdicts
  landmarks.csv        ground-truth corners of every radiograph, landmark file format (issue 3)
  grades.csv           ground-truth Pfirrmann and Modic grades and the findings recorded at
                       baseline (discography, spondylitis or fracture, severe stenosis or
                       herniation), grades import format (issue 4)
  DLBP-00N/<visit>/    visit = baseline, month_6, month_12
    DX_lateral_neutral.dcm  DX_lateral_flexion.dcm  DX_lateral_extension.dcm
    MR_sag_T2/IM0001.dcm ... IM0011.dcm
    MR_sag_T1/IM0001.dcm ... IM0011.dcm
    ground_truth.json  this study's truth (paths relative to sample_dicom/)
```

## Conventions

- Corners are (row, col) pixels, pixel centres at integers (the first pixel's centre is (0, 0)).
  They are the vertices of each body's trapezoid (endplate line meets wall line), exact sub-pixel
  floats from the construction; the drawn bodies have corners rounded with a 1.8 mm radius, so a
  corner lies about 0.7 mm outside the bone's rounded edge.
- Films show anterior to the left and caudal down ((0020,0020) Patient Orientation `P\\F`).
- `*_mm` values are pixel distances times the file's calibration: (0018,1164) Imager Pixel
  Spacing / (0018,1114) Estimated Radiographic Magnification Factor (`magnification-corrected`),
  which is the true size in the mid-sagittal plane. The uncalibrated film has null mm values;
  its angles and ratios are given.
- Measures as defined in issue 3: disc heights anterior/posterior (corner to corner), mean,
  middle (endplate midpoints), index (mean / mean endplate depth); segmental angle positive for
  lordosis; translation of the upper posterior-inferior corner along the lower superior endplate,
  positive forward, also in % of that endplate's depth. Height loss = 100 x (1 - mean / mean of
  the reference levels' means); references are the nearest cranial and caudal levels (L5-S1:
  cranial only), none excluded. ROM = |flexion - extension|.
- Trial thresholds used by `expected`: height loss >= 20%; unstable when translation ROM > 3 mm
  or angular ROM > 15 degrees; Modic I or II at L4-L5; Pfirrmann 3-5 at L4-L5.
- Findings the tool does not measure are part of each subject's scenario, recorded at baseline
  by the reader `ground-truth` (yes / no / not_assessable; `spine` = once per case): a single
  painful disc at L4-L5 on discography (inclusion), spondylitis or vertebral fracture, severe
  stenosis or disc herniation on MRI (exclusions). Nothing in the images shows them. The expected
  verdict takes every criterion: `eligible` only when every one is decided and met, `not
  eligible` when any fails, `pending` when none fails but one is undecided.
- MR: (0020,0037) `[0, 1, 0, 0, 0, -1]` (sagittal), 11 slices 3.5 mm thick every 4 mm, instance 1
  on the patient's right, instance 6 mid-sagittal; `disc_centres` and `corners` in the ground truth
  are in the mid-sagittal slice's pixels. Disc nucleus T2 signal follows the Pfirrmann grade; the
  marrow next to each endplate follows its Modic type (cranial = inferior endplate of the upper
  vertebra, caudal = superior endplate of the lower).
"""

_VARIATIONS: tuple[tuple[str, str], ...] = (
    (
        "MONOCHROME1 film (stored inverted, Presentation LUT Shape INVERSE)",
        "DLBP-002/baseline/DX_lateral_neutral.dcm",
    ),
    (
        "no spacing at all (no Pixel Spacing, Imager Pixel Spacing or magnification): "
        "calibration `none`",
        "DLBP-003/month_12/DX_lateral_flexion.dcm",
    ),
    (
        "no (0012,0050) Clinical Trial Time Point ID: the visit comes from the study date "
        "(210 days after the baseline study: day 168 to 189 whatever the treatment date)",
        "DLBP-003/month_6/*",
    ),
    (
        "Pixel Spacing present and equal to Imager Pixel Spacing (still magnification-corrected)",
        "DLBP-003/*/DX_* (except the uncalibrated one)",
    ),
    ("14-bit films (BitsStored 14), magnification 1.2", "DLBP-002/*/DX_*"),
    ("12-bit films, magnification 1.15 / 1.12", "DLBP-001/*/DX_*, DLBP-003/*/DX_*"),
    ("implicit VR little endian", "DLBP-003/baseline/MR_sag_T1/*"),
    ("RLE, JPEG-LS and JPEG 2000 lossless", "per file in the tables below"),
)


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _subjects(index: dict[str, Any]) -> list[str]:
    lines = [
        "## Subjects and their expected verdicts (baseline)",
        "",
        "| subject | scenario | L4-L5 height loss % | Modic I/II | Pfirrmann 3-5 | loss >= 20% "
        "| unstable levels | recorded findings | expected verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for subject, info in index["subjects"].items():
        e = info["baseline_expected"]
        lines.append(
            f"| {subject} | {info['scenario']} | {_fmt(e['height_loss_pct'])} "
            f"| {_fmt(e['meets_modic_criterion'])} | {_fmt(e['meets_pfirrmann_criterion'])} "
            f"| {_fmt(e['meets_height_loss_criterion'])} "
            f"| {', '.join(e['unstable_levels']) or '-'} "
            f"| {_findings_text(info['baseline_findings'])} | {info['baseline_verdict']} |"
        )
    return [*lines, ""]


def _findings_text(findings: dict[str, dict[str, str]]) -> str:
    """``L4-L5 discography_single_painful_disc yes; spine spondylitis no, ...``."""
    return "; ".join(
        f"{level} " + ", ".join(f"{item} {code}" for item, code in cells.items())
        for level, cells in findings.items()
    )


def _files(truth: dict[str, Any]) -> list[str]:
    lines = [
        "| file | what | transfer syntax | photometric | calibration (row, col mm) |",
        "|---|---|---|---|---|",
    ]
    for image in truth["images"]:
        calibration = image["calibration"]
        spacing = calibration["pixel_spacing_mm"]
        cal = calibration["source"] + (
            f" {spacing[0]:.4f} x {spacing[1]:.4f}" if spacing is not None else ""
        )
        if image["modality"] == "DX":
            what = f"DX lateral {image['film']}, {image['rows']}x{image['columns']}, "
            what += f"{image['bits_stored']}-bit"
            name = image["file"]
        else:
            what = f"MR sagittal {image['sequence']}, {image['slices']} slices "
            what += f"{image['rows']}x{image['columns']}"
            name = image["file"] + "/"
        lines.append(
            f"| {name} | {what} | {image['transfer_syntax_name']} "
            f"| {image['photometric_interpretation']} | {cal} |"
        )
    return [*lines, ""]


def _levels(truth: dict[str, Any]) -> list[str]:
    films = {i["film"]: i for i in truth["images"] if i["modality"] == "DX"}
    neutral = films["neutral"]["levels"]
    flexion = films.get("flexion", {}).get("levels", {})
    extension = films.get("extension", {}).get("levels", {})
    lines = [
        "Neutral film, then the dynamic films and grades (lengths in mm, angles in degrees):",
        "",
        "| level | ant | post | mean | middle | index | angle | transl | transl % | loss % (refs) "
        "| flex angle | ext angle | flex transl | ext transl | angular ROM | transl ROM "
        "| Pfirrmann | Modic cranial/caudal |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for level, m in neutral.items():
        rom = truth["rom"].get(level, {})
        grade = truth["grades"][level]
        f, x = flexion.get(level, {}), extension.get(level, {})
        lines.append(
            f"| {level} | {_fmt(m['disc_height_anterior_mm'])} "
            f"| {_fmt(m['disc_height_posterior_mm'])} | {_fmt(m['disc_height_mean_mm'])} "
            f"| {_fmt(m['disc_height_middle_mm'])} | {_fmt(m['disc_height_index'], 3)} "
            f"| {_fmt(m['segmental_angle_deg'])} | {_fmt(m['translation_mm'])} "
            f"| {_fmt(m['translation_pct_depth'])} "
            f"| {_fmt(m['height_loss_vs_adjacent_pct'], 1)} ({', '.join(m['reference_levels'])}) "
            f"| {_fmt(f.get('segmental_angle_deg'))} | {_fmt(x.get('segmental_angle_deg'))} "
            f"| {_fmt(f.get('translation_mm'))} | {_fmt(x.get('translation_mm'))} "
            f"| {_fmt(rom.get('angular_rom_deg'))} | {_fmt(rom.get('translation_rom_mm'))} "
            f"| {grade['pfirrmann']} | {grade['modic_cranial']} / {grade['modic_caudal']} |"
        )
    return [*lines, ""]


def write_readme(index: dict[str, Any], path: Path) -> None:
    """Write ``sample_dicom/README.md`` from the combined ground-truth index."""
    lines = [_HEADER.format(version=index["generator_version"], seed=index["seed"])]
    lines += _subjects(index)
    lines += [
        "## Variations (what each file is there to test)",
        "",
        "| what | where |",
        "|---|---|",
    ]
    lines += [f"| {what} | {where} |" for what, where in _VARIATIONS]
    lines.append("")
    lines.append("## Per study (values rounded here; exact values in the JSON)\n")
    for truth in index["studies"]:
        time_point = truth["time_point_id"] or "no time point ID in the files"
        e = truth["expected"]
        lines.append(
            f"### {truth['subject']} {truth['visit']}: {truth['study_date']} "
            f"(day {truth['days_from_baseline']}, {time_point})\n"
        )
        lines.append(
            f"Expected: L4-L5 height loss {_fmt(e['height_loss_pct'], 1)}%, "
            f"unstable levels: {', '.join(e['unstable_levels']) or 'none'}"
            + (
                f", instability not evaluable (no mm on a film): "
                f"{', '.join(e['instability_not_evaluable_levels'])}"
                if e["instability_not_evaluable_levels"]
                else ""
            )
            + f"; meets the measured and graded entry criteria: "
            f"{_fmt(e['meets_imaging_entry_criteria'])}"
            + (
                f"; with the recorded findings, expected verdict: "
                f"{index['subjects'][truth['subject']]['baseline_verdict']}"
                if truth["visit"] == "baseline" and truth["subject"] in index["subjects"]
                else ""
            )
            + ".\n"
        )
        lines += _files(truth)
        lines += _levels(truth)
    path.write_text("\n".join(lines).rstrip() + "\n")
