"""Images of another trial (``dicom_protocol_ids``): ``register`` and ``batch`` under the DLBP
protocol leave the AS trial's films out, naming the file, the (0012,0020) *Clinical Trial Protocol
ID* found and the one expected; an image without (0012,0020) is accepted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pydicom
import pytest

from imaging.cli import main
from imaging.dicom.trial import other_trial_problem

ROOT = Path(__file__).resolve().parents[2]
AS_SAMPLES = ROOT / "sample_dicom_as"
DLBP_SAMPLES = ROOT / "sample_dicom"
AS_FILMS = sorted(p.relative_to(AS_SAMPLES).as_posix() for p in AS_SAMPLES.rglob("*.dcm"))


def test_one_rule_decides_which_trial_an_image_is_of() -> None:
    ids = ("ChiCTR2200058291",)
    reason = other_trial_problem("AS-UCMSC", ids, "DLBP-ChiCTR2200058291")
    assert reason == (
        "other trial: (0012,0020) Clinical Trial Protocol ID is 'AS-UCMSC', and protocol "
        "DLBP-ChiCTR2200058291 reads only images of 'ChiCTR2200058291' (dicom_protocol_ids). Use "
        "this trial's protocol (--protocol), or add the id to dicom_protocol_ids if the images "
        "are this trial's"
    )
    assert other_trial_problem(" chictr2200058291 ", ids, "DLBP") is None  # case, padding
    assert other_trial_problem(None, ids, "DLBP") is None  # no (0012,0020): accepted
    assert other_trial_problem("AS-UCMSC", (), "DLBP") is None  # the protocol declares none
    # the DLBP protocol's own id is not what its images carry: equality of ids is not the rule
    assert other_trial_problem("DLBP-ChiCTR2200058291", ids, "DLBP") is not None


def test_register_under_dlbp_registers_none_of_the_as_films_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert main(["register", str(AS_SAMPLES), "--store", url]) == 1
    out = capsys.readouterr().out
    left_out = [line for line in out.splitlines() if line.startswith("left out: ")]
    assert [line.split(": ")[1] for line in left_out] == [str(AS_SAMPLES / f) for f in AS_FILMS]
    for line in left_out:
        assert "(0012,0020) Clinical Trial Protocol ID is 'AS-UCMSC'" in line
        assert "reads only images of 'ChiCTR2200058291'" in line
    assert "0 image(s) registered" in out and "5 DICOM file(s) left out" in out
    # under its own protocol the same films register
    assert main(["register", str(AS_SAMPLES), "--store", url, "--protocol", "as-ucmsc"]) == 0
    assert "5 image(s) registered" in capsys.readouterr().out


def test_batch_under_dlbp_gives_the_as_films_failure_rows_not_values(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["batch", str(AS_SAMPLES), "--out", str(out)]) == 1
    failures = pd.read_csv(out / "failures.csv", dtype=str, keep_default_na=False)
    films = failures[failures["file"].str.endswith(".dcm")]
    assert list(films["file"]) == AS_FILMS
    assert set(films["subject"]) == {"AS-001"}
    expected = (
        "other trial: (0012,0020) Clinical Trial Protocol ID is 'AS-UCMSC', and protocol "
        "DLBP-ChiCTR2200058291 reads only images of 'ChiCTR2200058291'"
    )
    assert films["reason"].str.startswith(expected).all()
    assert pd.read_csv(out / "endpoints.csv").empty
    assert pd.read_csv(out / "eligibility.csv").empty  # AS-001 is no DLBP subject


def test_a_landmarked_film_of_another_trial_is_not_measured_one_without_an_id_is(
    tmp_path: Path,
) -> None:
    """The films a landmark file names go straight to their study: the study refuses them."""
    archive = tmp_path / "archive"
    study = archive / "DLBP-001" / "baseline"
    study.mkdir(parents=True)
    source = DLBP_SAMPLES / "DLBP-001" / "baseline" / "DX_lateral_neutral.dcm"
    other = pydicom.dcmread(source)
    other.ClinicalTrialProtocolID = "AS-UCMSC"
    other.ClinicalTrialSubjectID = other.PatientID = "AS-009"
    other.SOPInstanceUID = pydicom.uid.generate_uid()
    other.save_as(study / "DX_other_trial.dcm")
    unmarked = pydicom.dcmread(source)
    del unmarked.ClinicalTrialProtocolID
    unmarked.save_as(study / "DX_no_protocol_id.dcm")
    rows = pd.read_csv(DLBP_SAMPLES / "landmarks.csv", dtype=str, keep_default_na=False)
    neutral = rows[(rows["subject"] == "DLBP-001") & (rows["visit"] == "baseline")]
    neutral = neutral[neutral["film"] == "neutral"]
    marked = pd.concat(
        [
            neutral.assign(image="DLBP-001/baseline/DX_no_protocol_id.dcm"),
            neutral.assign(image="DLBP-001/baseline/DX_other_trial.dcm", subject="AS-009"),
        ]
    )
    marked.to_csv(archive / "landmarks.csv", index=False)
    out = tmp_path / "out"
    assert main(["batch", str(archive), "--out", str(out)]) == 1
    failures = pd.read_csv(out / "failures.csv", dtype=str, keep_default_na=False)
    (refused,) = failures[failures["reason"].str.startswith("other trial")].to_dict("records")
    assert refused["file"] == "DLBP-001/baseline/DX_other_trial.dcm"
    assert "is 'AS-UCMSC'" in refused["reason"] and "'ChiCTR2200058291'" in refused["reason"]
    endpoints = pd.read_csv(out / "endpoints.csv", dtype=str, keep_default_na=False)
    assert set(endpoints["subject"]) == {"DLBP-001"}  # nothing measured for AS-009
    assert set(endpoints["source_image"]) == {"DLBP-001/baseline/DX_no_protocol_id.dcm"}
