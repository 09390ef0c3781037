"""pull and push against a real Orthanc (conftest.py): samples uploaded through Orthanc's own REST
API, pulled back identical, resumed, an SR pushed and found again; credentials never shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
import requests
from orthanc_namespace import PASSWORD, USER, Orthanc, inside
from pydicom.data import get_testdata_file

from imaging.cli import main

SAMPLES = Path(__file__).parents[2] / "sample_dicom"
SUBJECT_FILMS = [
    SAMPLES / "DLBP-001" / "baseline" / f"DX_lateral_{film}.dcm"
    for film in ("neutral", "flexion", "extension")
]
OTHER_SUBJECT = SAMPLES / "DLBP-002" / "baseline" / "DX_lateral_neutral.dcm"


@pytest.fixture(scope="module")
def loaded(orthanc: Orthanc) -> Orthanc:
    """Orthanc holding DLBP-001's three baseline films and one film of DLBP-002."""
    with inside(orthanc.pid), requests.Session() as session:
        for path in [*SUBJECT_FILMS, OTHER_SUBJECT]:
            answer = session.post(
                f"{orthanc.rest}/instances", data=path.read_bytes(), auth=(USER, PASSWORD)
            )
            answer.raise_for_status()
    return orthanc


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPINE_ENDPOINTS_DICOMWEB_TOKEN", raising=False)
    monkeypatch.setenv("SPINE_ENDPOINTS_DICOMWEB_USER", USER)
    monkeypatch.setenv("SPINE_ENDPOINTS_DICOMWEB_PASSWORD", PASSWORD)


def _pull(server: Orthanc, out: Path, *query: str) -> int:
    with inside(server.pid):
        return main(["pull", "--dicomweb", server.url, *query, "--out", str(out)])


def _archived(out: Path, original: pydicom.Dataset) -> Path:
    return (
        out
        / "DLBP-001"
        / original.StudyInstanceUID
        / original.SeriesInstanceUID
        / f"{original.SOPInstanceUID}.dcm"
    )


@pytest.mark.usefixtures("signed_in")
def test_pull_by_subject_gives_the_same_films_then_resumes(
    loaded: Orthanc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "archive"
    assert _pull(loaded, out, "--subject", "DLBP-001") == 0
    first = capsys.readouterr()
    assert "3 instances retrieved, 0 already here, 0 failed studies" in first.out

    pulled = sorted(path for path in out.rglob("*") if path.is_file())
    assert len(pulled) == 3  # DLBP-002's film is another subject's
    for path in SUBJECT_FILMS:
        original = pydicom.dcmread(path)
        copy = pydicom.dcmread(_archived(out, original))
        assert copy.PixelData == original.PixelData
        assert copy == original  # every header element, sequences included
        assert copy.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID

    # Run again: nothing fetched, no file rewritten.
    times = {path: path.stat().st_mtime_ns for path in pulled}
    assert _pull(loaded, out, "--subject", "DLBP-001") == 0
    assert "0 instances retrieved, 3 already here" in capsys.readouterr().out
    assert {path: path.stat().st_mtime_ns for path in pulled} == times

    # A copy cut off half-way (not written by pull) is fetched again, whole.
    cut = _archived(out, pydicom.dcmread(SUBJECT_FILMS[1]))
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    assert _pull(loaded, out, "--subject", "DLBP-001") == 0
    assert "1 instances retrieved, 2 already here" in capsys.readouterr().out
    assert pydicom.dcmread(cut) == pydicom.dcmread(SUBJECT_FILMS[1])
    assert not [path for path in out.rglob(".*")]  # no temporary file left

    everything = first.out + first.err + "".join(p.read_bytes().decode("latin-1") for p in pulled)
    assert PASSWORD not in everything


@pytest.mark.usefixtures("signed_in")
def test_pull_by_study_or_patient_names_the_folder_by_subject(
    loaded: Orthanc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original = pydicom.dcmread(SUBJECT_FILMS[0])
    assert _pull(loaded, tmp_path / "s", "--study", original.StudyInstanceUID) == 0
    assert _archived(tmp_path / "s", original).is_file()
    assert _pull(loaded, tmp_path / "p", "--patient", "DLBP-001") == 0
    assert _archived(tmp_path / "p", original).is_file()
    assert _pull(loaded, tmp_path / "n", "--subject", "DLBP-404") == 2
    assert capsys.readouterr().err.strip().endswith("has no study for subject DLBP-404")


def test_a_wrong_password_is_one_line_without_the_secret(
    loaded: Orthanc,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = "wrong-Zt9-secret"
    monkeypatch.setenv("SPINE_ENDPOINTS_DICOMWEB_USER", USER)
    monkeypatch.setenv("SPINE_ENDPOINTS_DICOMWEB_PASSWORD", wrong)
    out = tmp_path / "archive"
    assert _pull(loaded, out, "--subject", "DLBP-001") == 2
    shown = capsys.readouterr()
    assert shown.err.splitlines() == [
        f"spine-endpoints pull: error: DICOMweb server {loaded.url} refused searching for "
        "subject DLBP-001: HTTP 401 Unauthorized. Check the credentials in "
        "SPINE_ENDPOINTS_DICOMWEB_TOKEN or SPINE_ENDPOINTS_DICOMWEB_USER/"
        "SPINE_ENDPOINTS_DICOMWEB_PASSWORD and that they may read and store there"
    ]
    assert wrong not in shown.out + shown.err
    assert not out.exists() or not any(out.rglob("*"))


@pytest.mark.usefixtures("signed_in")
def test_push_stores_the_sr_report_and_leaves_images_without_images_flag(
    loaded: Orthanc, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    report = pydicom.dcmread(str(get_testdata_file("test-SR.dcm")))
    report.PatientID = "DLBP-001"
    report.save_as(folder / "report.dcm")
    shutil.copy(OTHER_SUBJECT, folder / "film.dcm")
    with inside(loaded.pid):
        status = main(["push", "--dicomweb", loaded.url, str(folder)])
    shown = capsys.readouterr()
    assert status == 0
    assert "1 of 1 files stored" in shown.out and "1 SR reports" in shown.out
    assert f"skipped {folder / 'film.dcm'}: DX: not an SR report" in shown.err

    # Found again over QIDO-RS and WADO-RS, with its content tree intact.
    from dicomweb_client import DICOMwebClient

    with inside(loaded.pid), requests.Session() as session:
        session.auth = (USER, PASSWORD)
        client = DICOMwebClient(loaded.url, session=session)
        found = client.search_for_instances(
            search_filters={"SOPInstanceUID": report.SOPInstanceUID}
        )
        back = client.retrieve_instance(
            report.StudyInstanceUID, report.SeriesInstanceUID, report.SOPInstanceUID
        )
    assert len(found) == 1
    assert back.ContentSequence == report.ContentSequence
    assert back.Modality == "SR"
