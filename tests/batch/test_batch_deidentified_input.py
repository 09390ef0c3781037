"""A protocol that requires de-identified input (``require_deidentified = true``): ``register``
and ``batch`` refuse an image that still identifies its patient, naming the file and the
attributes (DICOM PS3.15 Table E.1-1), and keep the de-identified ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pydicom
import pytest
from pydicom.data import get_testdata_file

from imaging.cli import main
from imaging.dicom.trial import identifying_attributes

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
PROTOCOL = (
    Path(__file__).resolve().parents[2] / "imaging/protocol/protocols/dlbp-chictr2200058291.toml"
)


@pytest.fixture
def strict_protocol(tmp_path: Path) -> Path:
    text = PROTOCOL.read_text(encoding="utf-8")
    strict = tmp_path / "strict.toml"
    strict.write_text(
        text.replace(
            "blinded_reading = true\n", "blinded_reading = true\nrequire_deidentified = true\n", 1
        ),
        encoding="utf-8",
    )
    return strict


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """DLBP-001's baseline films, and a copy of its neutral film that names its patient."""
    study = tmp_path / "archive" / "DLBP-001" / "baseline"
    shutil.copytree(SAMPLES / "DLBP-001" / "baseline", study)
    film = pydicom.dcmread(study / "DX_lateral_neutral.dcm")
    film.PatientName = "Doe^Jane"
    film.PatientBirthDate = "19700101"
    film.PatientIdentityRemoved = "NO"
    film.SOPInstanceUID = pydicom.uid.generate_uid()
    film.save_as(study / "DX_named.dcm")
    return tmp_path / "archive"


def test_the_attributes_that_still_identify_a_patient() -> None:
    sample = pydicom.dcmread(
        SAMPLES / "DLBP-001/baseline/DX_lateral_neutral.dcm", stop_before_pixels=True
    )
    assert identifying_attributes(sample) == ()  # a name "DLBP-001^Synthetic" is the subject id
    path = get_testdata_file("CT_small.dcm")
    assert isinstance(path, str)
    identified = identifying_attributes(pydicom.dcmread(path, stop_before_pixels=True))
    assert identified[0] == "(0012,0062) Patient Identity Removed is not YES"
    assert "(0010,0010) Patient's Name" in identified


def test_batch_refuses_the_identified_film_and_measures_the_others(
    archive: Path, strict_protocol: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert main(["batch", str(archive), "--out", str(out), "--protocol", str(strict_protocol)]) == 1
    failures = pd.read_csv(out / "failures.csv", dtype=str, keep_default_na=False)
    (row,) = failures[failures["file"].str.contains("DX_named.dcm")].to_dict("records")
    assert row["reason"].startswith("identifying: the protocol requires de-identified images")
    assert "(0010,0010) Patient's Name" in row["reason"]
    assert "(0010,0030) Patient's Birth Date" in row["reason"]
    assert "(0012,0062) Patient Identity Removed is not YES" in row["reason"]
    assert "Doe" not in row["reason"]  # the values are never repeated
    refused = failures[failures["reason"].str.startswith("identifying")]
    assert list(refused["file"]) == ["DLBP-001/baseline/DX_named.dcm"]  # the others are opened
    assert set(failures["reason"].str.split(":").str[0]) == {"identifying", "no landmarks"}


def test_register_leaves_the_identified_film_out_naming_why(
    archive: Path, strict_protocol: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    status = main(["register", str(archive), "--store", url, "--protocol", str(strict_protocol)])
    out = capsys.readouterr().out
    assert status == 1
    (left_out,) = [line for line in out.splitlines() if line.startswith("left out")]
    assert "DX_named.dcm" in left_out and "(0010,0010) Patient's Name" in left_out
    assert "25 image(s) registered" in out  # 3 films and the 22 MR slices
