"""On the sample studies: visits from the files, eligibility verdicts and change from baseline
against the phantom's ground truth (grades and corners as a reader would have given them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from imaging.cli import main
from imaging.protocol import Protocol
from imaging.store.archive_roots import image_path
from imaging.store.cases import ImageRecord, flagged_images, register_images
from imaging.store.schema import Case
from imaging.store.store import ReadStore

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
SUBJECTS = ("DLBP-001", "DLBP-002", "DLBP-003")
VISITS = ("baseline", "month_6", "month_12")
pytestmark = pytest.mark.skipif(
    not (SAMPLES / "grades.csv").exists() or not (SAMPLES / "landmarks.csv").exists(),
    reason="sample_dicom/ has not been generated",
)


FINDING_VERDICTS = {"yes": "pass", "no": "fail", "not_assessable": "not evaluable"}


def index() -> dict[str, Any]:
    """The sample set's combined ground truth: each subject's findings and expected verdict."""
    data: dict[str, Any] = json.loads((SAMPLES / "ground_truth.json").read_text(encoding="utf-8"))
    return data


def truth(subject: str, visit: str) -> dict[str, Any]:
    with (SAMPLES / subject / visit / "ground_truth.json").open(encoding="utf-8") as stream:
        data: dict[str, Any] = json.load(stream)
    return data


def test_sample_studies_are_assigned_to_their_visits(store: ReadStore, protocol: Protocol) -> None:
    files = sorted(SAMPLES.glob("DLBP-*/*/DX_lateral_*.dcm"))
    assert len(files) == 27
    with store.writing() as session:
        images = register_images(
            session, protocol, [ImageRecord.from_file(f) for f in files], actor="t"
        )
        assert flagged_images(session) == []
        for image in images:
            case = session.get(Case, image.case_pk)
            assert case is not None
            assert Path(image_path(session, image)).parent.name == case.visit_id, (
                image.assignment_reason
            )
        by_date = [i for i in images if i.time_point_id == ""]
        assert {Path(image_path(session, i)).parent.parent.name for i in by_date} == {"DLBP-003"}
        assert all("in the month_6 window" in i.assignment_reason for i in by_date)


def test_sample_eligibility_matches_the_ground_truth(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["grades", "import", "--register-unknown", str(SAMPLES / "grades.csv"), "--store",
                 store_url]) == 0  # fmt: skip
    out = tmp_path / "eligibility.csv"
    status = main(["eligibility", "--landmarks", str(SAMPLES / "landmarks.csv"),
                   "--store", store_url, "--out", str(out)])  # fmt: skip
    assert status == 0
    table = pd.read_csv(out)
    for subject in SUBJECTS:
        expected = truth(subject, "baseline")["expected"]
        rows = table[table["subject"] == subject].set_index("rule")
        verdict = rows["verdict"].to_dict()
        passes = {rule: verdict[rule] == "pass" for rule in verdict}
        assert passes["modic_target"] == expected["meets_modic_criterion"]
        assert passes["pfirrmann_target"] == expected["meets_pfirrmann_criterion"]
        assert passes["height_loss_target"] == expected["meets_height_loss_criterion"]
        assert (verdict["dynamic_instability"] == "fail") == expected["excluded_for_instability"]
        findings = index()["subjects"][subject]["baseline_findings"]
        discography = findings["L4-L5"]["discography_single_painful_disc"]
        assert verdict["discography_single_l4_l5"] == FINDING_VERDICTS[discography]
        assert verdict["spondylitis_or_fracture"] == "pass"  # every exclusion recorded "no"
        assert verdict["severe_stenosis_or_herniation"] == "pass"
        assert set(rows["subject_verdict"]) == {index()["subjects"][subject]["baseline_verdict"]}
    printed = capsys.readouterr().out
    assert "DLBP-001: eligible (meets every imaging criterion)" in printed
    assert "DLBP-003: not eligible (fails modic_target, pfirrmann_target" in printed
    pending = table[
        (table["subject"] == "DLBP-003") & (table["rule"] == "discography_single_l4_l5")
    ]
    assert "L4-L5 discography_single_painful_disc: not assessable" in pending["reason"].iloc[0]
    assert "discography not performed" in pending["reason"].iloc[0]
    unstable = table[(table["subject"] == "DLBP-002") & (table["rule"] == "dynamic_instability")]
    assert "L4-L5 translation ROM 4.50 mm" in unstable["values"].iloc[0]


def neutral_truth(subject: str, visit: str) -> dict[str, Any]:
    (image,) = [i for i in truth(subject, visit)["images"] if i["file"].endswith("neutral.dcm")]
    return image


def expected_values(subject: str, visit: str) -> dict[tuple[str, str], float | None]:
    values: dict[tuple[str, str], float | None] = {}
    levels = neutral_truth(subject, visit)["levels"]
    for level, measures in levels.items():
        values[(level, "disc_height_mean")] = measures["disc_height_mean_mm"]
        values[(level, "height_loss_vs_adjacent_pct")] = measures["height_loss_vs_adjacent_pct"]
    for level, motion in truth(subject, visit)["rom"].items():
        values[(level, "angular_rom")] = motion["angular_rom_deg"]
        values[(level, "translation_rom")] = motion["translation_rom_mm"]
    for level, grades in truth(subject, visit)["grades"].items():
        values[(level, "pfirrmann")] = float(grades["pfirrmann"])
    return values


def test_sample_change_from_baseline_equals_the_ground_truth_differences(
    tmp_path: Path, store_url: str
) -> None:
    assert main(["grades", "import", "--register-unknown", str(SAMPLES / "grades.csv"), "--store",
                 store_url]) == 0  # fmt: skip
    out = tmp_path / "endpoints.parquet"
    assert main(["landmarks", "import", "--register-unknown", str(SAMPLES / "landmarks.csv"),
                 "--store", store_url]) == 0  # fmt: skip
    assert main(["export", "--store", store_url, "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    checked = 0
    for subject in SUBJECTS:
        baseline = expected_values(subject, "baseline")
        for visit in VISITS:
            for (level, measure), value in expected_values(subject, visit).items():
                film = {"angular_rom": "flexion-extension", "translation_rom": "flexion-extension",
                        "pfirrmann": ""}.get(measure, "neutral")  # fmt: skip
                (index,) = table.index[
                    (table["subject"] == subject) & (table["visit"] == visit)
                    & (table["level"] == level) & (table["measure"] == measure)
                    & (table["film"] == film)
                ]  # fmt: skip
                row = table.loc[index]
                start = baseline[(level, measure)]
                if value is None or start is None:
                    assert pd.isna(row["change_from_baseline"])
                    continue
                assert row["value"] == pytest.approx(value, abs=1e-6)
                assert row["change_from_baseline"] == pytest.approx(value - start, abs=1e-6)
                checked += 1
    assert checked > 150
