"""``spine-endpoints register``: a study folder into the store, cases on the worklist, bad files
reported and the rest registered, treatment dates anchoring the visit windows."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid
from sqlalchemy import select
from sqlalchemy.orm import Session

from imaging.cli import main
from imaging.store.archive_roots import image_path
from imaging.store.audit import audit_entries
from imaging.store.cases import subject_by_id
from imaging.store.schema import Case, Image, Subject
from imaging.store.store import ReadStore
from imaging.store.worklist import worklist

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
STUDY = SAMPLES / "DLBP-001" / "baseline"
pytestmark = pytest.mark.skipif(not STUDY.is_dir(), reason="sample_dicom/ has not been generated")


def _dated_film(source: Path, target: Path, subject: str, study_date: dt.date) -> Path:
    """A copy of a sample film for ``subject`` with no time point id, only a study date."""
    dataset = pydicom.dcmread(source)
    del dataset.ClinicalTrialTimePointID
    dataset.ClinicalTrialSubjectID = dataset.PatientID = subject
    dataset.StudyDate = study_date.strftime("%Y%m%d")
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    target.parent.mkdir(parents=True, exist_ok=True)
    dataset.save_as(target)
    return target


def _image(db: Session, path: Path) -> Image:
    """The registered image of the file ``path``."""
    (image,) = [i for i in db.scalars(select(Image)) if image_path(db, i) == str(path)]
    return image


def test_register_a_study_then_again(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(STUDY, archive / "DLBP-001" / "baseline")
    broken = archive / "DLBP-001" / "baseline" / "DX_lateral_flexion.dcm"
    broken.write_bytes(broken.read_bytes()[:3000])  # truncated in transfer
    (archive / "DLBP-001" / "notes").write_text("sent by site 3\n")  # not DICOM, no suffix

    assert main(["register", str(archive), "--store", store_url]) == 1
    out = capsys.readouterr().out
    assert f"left out: {broken}: truncated" in out
    assert "DLBP-001       baseline         24  extension, neutral; 2 series" in out
    # ground_truth.json is a document: on the walk's skip list, not even opened
    assert "24 image(s) registered" in out and "1 other file(s) ignored" in out  # the notes
    with ReadStore(store_url) as store, store.reading() as db:
        paths = {image_path(db, image) for image in db.scalars(select(Image))}
        assert len(paths) == 24 and str(broken) not in paths
        assert [(c.visit_id) for c in db.scalars(select(Case))] == ["baseline"]
        assert [item.status for item in worklist(db, "reader-1")] == ["to read"]

    broken.write_bytes((STUDY / broken.name).read_bytes())  # the file sent again, whole
    assert main(["register", str(archive), "--store", store_url]) == 0
    out = capsys.readouterr().out
    assert "25 image(s) registered" in out and "(1 new)" in out
    assert "extension, flexion, neutral; 2 series" in out


def test_treatment_date_places_undated_visits(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    treated = dt.date(2025, 1, 10)
    source = STUDY / "DX_lateral_neutral.dcm"
    in_window = _dated_film(source, tmp_path / "a" / "IM1", "DLBP-009", treated + dt.timedelta(182))
    lost = _dated_film(source, tmp_path / "a" / "IM2", "DLBP-010", dt.date(2031, 5, 1))

    status = main(["register", str(tmp_path / "a"), "--store", store_url, "--actor", "clerk",
                   "--treatment-date", "DLBP-009=2025-01-10"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1  # an image fits no visit: staff must look
    assert "DLBP-009       month_6           1  neutral; 0 series" in out
    assert f"no visit: DLBP-010 {lost}" in out
    with ReadStore(store_url) as store, store.reading() as db:
        subject = db.scalars(select(Subject).where(Subject.subject_id == "DLBP-009")).one()
        assert subject.treatment_date == treated
        image = _image(db, in_window)
        assert "month_6" in image.assignment_reason
        changed = [e for e in audit_entries(db, subject="DLBP-009") if e.field == "treatment_date"]
        assert [(e.actor, e.new_value) for e in changed] == [("clerk", "2025-01-10")]

    # the CRF gives DLBP-010's treatment date later: its waiting image finds its visit
    status = main(["register", str(lost), "--store", store_url,
                   "--treatment-date", "DLBP-010=2030-11-01"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0 and "DLBP-010       month_6           1  neutral" in out
    with ReadStore(store_url) as store, store.reading() as db:
        image = _image(db, lost)
        assert image.case_pk is not None and image.assignment_status == "assigned"


def test_a_study_whose_visit_depends_on_the_treatment_date_is_listed_until_it_is_given(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """No visit guessed across the treatment date: baseline imaging precedes treatment by 21 to
    42 days, so a scan 28 days after the baseline study may be baseline or week 1."""
    baseline = dt.date(2025, 1, 13)  # DLBP-001's sample baseline (time point BASELINE)
    shutil.copytree(STUDY, tmp_path / "a" / "baseline")
    scan = _dated_film(
        STUDY / "DX_lateral_neutral.dcm", tmp_path / "a" / "IM1", "DLBP-001",
        baseline + dt.timedelta(28),
    )  # fmt: skip
    assert main(["register", str(tmp_path / "a"), "--store", store_url]) == 1
    out = capsys.readouterr().out
    assert f"no visit: DLBP-001 {scan}: needs_treatment_date (" in out
    assert "is day -14 to 7 (28 days after the baseline study of 2025-01-13" in out
    assert "depends on the treatment date: give it with" in out
    assert "month_1" not in out
    assert "these subjects' images depends on their treatment date: DLBP-001" in out

    status = main(["register", str(scan), "--store", store_url,
                   "--treatment-date", "DLBP-001=2025-02-03"])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0 and "DLBP-001       week_1            1  neutral" in out
    with ReadStore(store_url) as store, store.reading() as db:
        image = _image(db, scan)
        assert image.assignment_status == "assigned"
        assert "is day 7 (treatment date 2025-02-03)" in image.assignment_reason


def test_bad_treatment_date_is_refused_before_anything_is_stored(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["register", str(STUDY), "--store", store_url,
                   "--treatment-date", "DLBP-001=2025-13-10"])  # fmt: skip
    assert status == 2
    assert "--treatment-date 'DLBP-001=2025-13-10' is not SUBJECT=YYYY-MM-DD" in (
        capsys.readouterr().err
    )
    with ReadStore(store_url) as store, store.reading() as db:
        assert db.scalars(select(Image)).first() is None


def test_a_treatment_date_for_a_subject_nobody_registered_creates_no_subject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    empty = tmp_path / "empty"
    empty.mkdir()
    status = main(["register", str(empty), "--store", url,
                   "--treatment-date", "DLBP-099=2025-01-10"])  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert "--treatment-date names subject(s) with no images" in err and "DLBP-099" in err
    with ReadStore(url) as store, store.reading() as db:
        assert subject_by_id(db, "DLBP-099") is None
