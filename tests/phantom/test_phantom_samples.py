"""The committed sample_dicom/: readable, consistent, as described, and what the generator makes."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from imaging.phantom import sample_studies, write_study

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
pytestmark = pytest.mark.skipif(
    not (SAMPLES / "ground_truth.json").exists(), reason="sample_dicom/ is not in this checkout"
)


@pytest.fixture(scope="module")
def index() -> dict[str, Any]:
    return dict(json.loads((SAMPLES / "ground_truth.json").read_text()))


def _study(index: dict[str, Any], subject: str, visit: str) -> dict[str, Any]:
    return next(s for s in index["studies"] if s["subject"] == subject and s["visit"] == visit)


def _image(study: dict[str, Any], film: str) -> dict[str, Any]:
    return next(i for i in study["images"] if i.get("film") == film)


def _same(a: Any, b: Any, path: str = "") -> None:
    """Equal JSON, floats to 1e-9 (relative or absolute)."""
    if isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {a} != {b}"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            _same(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_every_committed_file_reads_and_decodes(index: dict[str, Any]) -> None:
    listed = set()
    for study in index["studies"]:
        for image in study["images"]:
            listed.update(image.get("files", [image["file"]]))
    on_disk = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*.dcm")}
    assert on_disk == listed
    assert len(on_disk) == 9 * (3 + 2 * 11)
    syntaxes = set()
    for name in sorted(on_disk):
        ds = pydicom.dcmread(SAMPLES / name)
        pixels = ds.pixel_array
        assert pixels.shape == (ds.Rows, ds.Columns)
        assert int(pixels.max()) < 2**ds.BitsStored
        syntaxes.add(ds.file_meta.TransferSyntaxUID.name)
    assert {
        "Explicit VR Little Endian",
        "Implicit VR Little Endian",
        "RLE Lossless",
        "JPEG-LS Lossless Image Compression",
        "JPEG 2000 Image Compression (Lossless Only)",
    } <= syntaxes


def test_index_and_each_study_folder_agree(index: dict[str, Any]) -> None:
    assert len(index["studies"]) == 9
    for study in index["studies"]:
        on_disk = json.loads(
            (SAMPLES / study["subject"] / study["visit"] / "ground_truth.json").read_text()
        )
        assert on_disk == study


def _recomputed(image: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Disc measures from the JSON's pixel corners by the issue 3 formulas, in mm (or pixels)."""
    spacing = image["calibration"]["pixel_spacing_mm"] or [1.0, 1.0]
    p = {
        (v, c): np.array([xy["row"] * spacing[0], xy["col"] * spacing[1]])
        for v, corners in image["corners"].items()
        for c, xy in corners.items()
    }
    out = {}
    for level in image["levels"]:
        up, low = level.split("-")
        ai, pi = p[(up, "anterior_inferior")], p[(up, "posterior_inferior")]
        as_, ps = p[(low, "anterior_superior")], p[(low, "posterior_superior")]
        d_up, d_low = (ai - pi) / np.linalg.norm(ai - pi), (as_ - ps) / np.linalg.norm(as_ - ps)
        anterior, posterior = np.linalg.norm(ai - as_), np.linalg.norm(pi - ps)
        # Anterior is to the left on every phantom film: lordosis turns the upper endplate
        # anticlockwise on screen relative to the lower one.
        cross = d_up[0] * d_low[1] - d_up[1] * d_low[0]
        out[level] = {
            "anterior": float(anterior),
            "posterior": float(posterior),
            "mean": float((anterior + posterior) / 2),
            "middle": float(np.linalg.norm((ai + pi) / 2 - (as_ + ps) / 2)),
            "index": float(
                (anterior + posterior) / (np.linalg.norm(ai - pi) + np.linalg.norm(as_ - ps))
            ),
            "angle": float(np.degrees(np.arctan2(cross, d_up @ d_low))),
            "translation": float((pi - ps) @ d_low),
            "depth": float(np.linalg.norm(as_ - ps)),
        }
    return out


def test_ground_truth_values_follow_from_its_own_corners(index: dict[str, Any]) -> None:
    for study in index["studies"]:
        films = {}
        for image in study["images"]:
            if image["modality"] != "DX":
                continue
            films[image["film"]] = image
            calibrated = image["calibration"]["pixel_spacing_mm"] is not None
            recomputed = _recomputed(image)
            for level, m in image["levels"].items():
                r = recomputed[level]
                assert m["segmental_angle_deg"] == pytest.approx(r["angle"], abs=1e-9)
                assert m["disc_height_index"] == pytest.approx(r["index"], abs=1e-12)
                assert m["translation_pct_depth"] == pytest.approx(
                    100 * r["translation"] / r["depth"], abs=1e-9
                )
                refs = m["reference_levels"]
                reference = np.mean([recomputed[x]["mean"] for x in refs])
                assert m["height_loss_vs_adjacent_pct"] == pytest.approx(
                    100 * (1 - r["mean"] / reference), abs=1e-9
                )
                for key, value in (
                    ("disc_height_anterior_mm", r["anterior"]),
                    ("disc_height_posterior_mm", r["posterior"]),
                    ("disc_height_mean_mm", r["mean"]),
                    ("disc_height_middle_mm", r["middle"]),
                    ("translation_mm", r["translation"]),
                ):
                    assert (
                        (m[key] == pytest.approx(value, abs=1e-9)) if calibrated else m[key] is None
                    )
            if calibrated:
                spacing = image["calibration"]["pixel_spacing_mm"]
                corner = image["corners"]["L3"]["posterior_inferior"]
                assert corner["row_mm"] == pytest.approx(corner["row"] * spacing[0])
        for level, rom in study["rom"].items():
            flexion, extension = (
                films["flexion"]["levels"][level],
                films["extension"]["levels"][level],
            )
            assert rom["angular_rom_deg"] == pytest.approx(
                abs(flexion["segmental_angle_deg"] - extension["segmental_angle_deg"])
            )
            if flexion["translation_mm"] is not None and extension["translation_mm"] is not None:
                assert rom["translation_rom_mm"] == pytest.approx(
                    abs(flexion["translation_mm"] - extension["translation_mm"])
                )


def test_subjects_show_their_scenarios(index: dict[str, Any]) -> None:
    losses = []
    for visit in ("baseline", "month_6", "month_12"):
        one, two, three = (_study(index, f"DLBP-00{n}", visit) for n in (1, 2, 3))
        losses.append(_image(one, "neutral")["levels"]["L4-L5"]["height_loss_vs_adjacent_pct"])
        assert one["grades"]["L4-L5"] == {"pfirrmann": 4, "modic_cranial": "I", "modic_caudal": "I"}
        assert one["expected"]["meets_imaging_entry_criteria"] is True
        assert one["expected"]["unstable_levels"] == []
        assert two["rom"]["L4-L5"]["translation_rom_mm"] > 3.0
        assert two["expected"]["unstable_levels"] == ["L4-L5"]
        assert two["grades"]["L4-L5"]["pfirrmann"] == 3
        assert two["expected"]["meets_imaging_entry_criteria"] is False
        assert all(
            g["pfirrmann"] <= 2 and g["modic_cranial"] == "0" for g in three["grades"].values()
        )
        assert _image(three, "neutral")["levels"]["L4-L5"]["height_loss_vs_adjacent_pct"] < 0
        assert three["expected"]["meets_imaging_entry_criteria"] is False
    assert losses == pytest.approx([30.0, 34.0, 38.0], abs=1e-9)
    for n in (1, 2, 3):
        baseline = _study(index, f"DLBP-00{n}", "baseline")
        lordosis = {f: _image(baseline, f)["lumbar_lordosis_deg"] for f in ("flexion", "neutral")}
        lordosis["extension"] = _image(baseline, "extension")["lumbar_lordosis_deg"]
        assert 40 < lordosis["neutral"] < 60
        assert lordosis["flexion"] < lordosis["neutral"] < lordosis["extension"]


def test_the_variations_the_readme_promises_are_in_the_files() -> None:
    mono1 = pydicom.dcmread(SAMPLES / "DLBP-002/baseline/DX_lateral_neutral.dcm")
    assert mono1.PhotometricInterpretation == "MONOCHROME1" and mono1.BitsStored == 14
    bare = pydicom.dcmread(SAMPLES / "DLBP-003/month_12/DX_lateral_flexion.dcm")
    assert not {"PixelSpacing", "ImagerPixelSpacing"} & set(bare.dir())
    for path in (SAMPLES / "DLBP-003/month_6").rglob("*.dcm"):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert "ClinicalTrialTimePointID" not in ds
        assert ds.StudyDate == "20251006"  # 210 days after the 2025-03-10 baseline
    both = pydicom.dcmread(SAMPLES / "DLBP-003/baseline/DX_lateral_neutral.dcm")
    assert both.PixelSpacing == both.ImagerPixelSpacing
    t1 = pydicom.dcmread(SAMPLES / "DLBP-003/baseline/MR_sag_T1/IM0001.dcm")
    assert t1.file_meta.TransferSyntaxUID.name == "Implicit VR Little Endian"
    readme = (SAMPLES / "README.md").read_text()
    for path in SAMPLES.rglob("DX_*.dcm"):
        assert path.relative_to(SAMPLES).as_posix() in readme
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < 30 * 1024 * 1024


def test_landmark_and_grade_files_match_the_ground_truth(index: dict[str, Any]) -> None:
    with (SAMPLES / "landmarks.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = [
        (s["subject"], s["visit"], i["film"], i["file"], v, c, xy["row"], xy["col"])
        for s in index["studies"]
        for i in s["images"]
        if i["modality"] == "DX"
        for v, corners in i["corners"].items()
        for c, xy in corners.items()
    ]
    got = [
        (r["subject"], r["visit"], r["film"], r["image"], r["vertebra"], r["corner"],
         float(r["row"]), float(r["col"]))
        for r in rows
    ]  # fmt: skip
    assert got == expected
    assert {r["reader"] for r in rows} == {"ground-truth"}
    with (SAMPLES / "grades.csv").open(newline="") as handle:
        grades = list(csv.DictReader(handle))
    assert len(grades) == 9 * 5 + 3  # and one row of findings read once per case, at baseline
    for row in grades:
        if row["level"] == "spine":
            assert row["visit"] == "baseline" and row["pfirrmann"] == ""
            findings = index["subjects"][row["subject"]]["baseline_findings"]["spine"]
            assert {item: row[item] for item in findings} == findings
            continue
        truth = _study(index, row["subject"], row["visit"])["grades"][row["level"]]
        assert int(row["pfirrmann"]) == truth["pfirrmann"]
        assert (row["modic_cranial"], row["modic_caudal"]) == (
            truth["modic_cranial"],
            truth["modic_caudal"],
        )


def test_committed_study_is_what_the_generator_makes(tmp_path: Path) -> None:
    study = next(
        s
        for s in sample_studies()
        if (s.context.subject_id, s.context.visit) == ("DLBP-003", "month_12")
    )
    truth = write_study(study, tmp_path)
    committed = json.loads((SAMPLES / "DLBP-003/month_12/ground_truth.json").read_text())
    _same(truth, committed)
    for path in sorted((tmp_path / "DLBP-003/month_12").rglob("*.dcm")):
        fresh = pydicom.dcmread(path).pixel_array.astype(np.int32)
        stored = pydicom.dcmread(SAMPLES / path.relative_to(tmp_path)).pixel_array.astype(np.int32)
        difference = np.abs(fresh - stored)
        # Bit-identical on one machine; allow last-digit floating point differences elsewhere.
        assert difference.max() <= 1 and np.count_nonzero(difference) <= fresh.size // 1000, path
