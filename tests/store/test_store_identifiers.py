"""Identifiers the store cannot keep (longer than their column, control characters, NUL) are
refused before insert, with the same message on SQLite and PostgreSQL (where they used to raise a
DataError printing the SQL): naming the file and DICOM tag, or the CSV line."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pydicom
import pytest
from pydicom.uid import generate_uid
from sqlalchemy import select

from imaging.cli import main
from imaging.errors import StoreError
from imaging.store.audit import record
from imaging.store.cases import get_subject
from imaging.store.schema import AuditEntry, Subject
from imaging.store.store import ReadStore
from imaging.store.workstation import ReadKey

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
FILM = SAMPLES / "DLBP-001" / "baseline" / "DX_lateral_neutral.dcm"
pytestmark = pytest.mark.skipif(not FILM.is_file(), reason="sample_dicom/ has not been generated")

FORM_HEADER = "subject,visit,level,reader,pfirrmann,modic_cranial,modic_caudal,comment\n"


def _film(target: Path, **header: str) -> Path:
    """A copy of a sample film with a new SOP Instance UID and ``header`` values ('' deletes)."""
    dataset = pydicom.dcmread(FILM)
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    with warnings.catch_warnings():  # pydicom warns of values longer than their VR allows
        warnings.simplefilter("ignore", UserWarning)
        for keyword, value in header.items():
            if value:
                setattr(dataset, keyword, value)
            else:
                delattr(dataset, keyword)
    target.parent.mkdir(parents=True, exist_ok=True)
    dataset.save_as(target)
    return target


def _subjects(url: str) -> list[str]:
    with ReadStore(url) as store, store.reading() as db:
        return sorted(db.scalars(select(Subject.subject_id)))


# pydicom warns of a value longer than its VR allows as it reads one (outside pytest, a warning
# printed); the store's check is what refuses the file
@pytest.mark.filterwarnings("ignore:The value length:UserWarning")
def test_register_leaves_out_a_file_with_an_id_the_store_cannot_keep_and_goes_on(
    any_store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    shutil.copy(FILM, archive / "good.dcm")
    long_id = _film(archive / "long.dcm", ClinicalTrialSubjectID="", PatientID="P" * 80)
    nul = _film(archive / "nul.dcm", ClinicalTrialSubjectID="DLBP\x00042")
    long_uid = _film(archive / "uid.dcm", StudyInstanceUID="1.2." + "3" * 70)

    assert main(["register", str(archive), "--store", any_store_url]) == 1
    out = capsys.readouterr().out
    assert (
        f"left out: {long_id}: (0010,0020) Patient ID 'PPPPPPPPPPPPPPPPPPPPPPPP'... is 80 "
        "characters; the store keeps at most 64. Correct the header" in out
    )
    assert (
        f"left out: {nul}: (0012,0040) Clinical Trial Subject ID 'DLBP\\x00042' holds the "
        "control character U+0000 (at character 5)" in out
    )
    assert f"left out: {long_uid}: (0020,000D) Study Instance UID" in out
    assert "is 74 characters; the store keeps at most 64" in out
    assert "1 image(s) registered" in out and "3 DICOM file(s) left out" in out
    assert _subjects(any_store_url) == ["DLBP-001"]


def test_a_grade_form_names_the_line_of_an_id_or_comment_the_store_cannot_keep(
    any_store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = tmp_path / "grades.csv"
    form.write_text(
        FORM_HEADER
        + "DLBP-001,baseline,L4-L5,R1,4,I,I,dark\x00disc\n"
        + f"DLBP-002,baseline,L4-L5,{'R' * 65},3,0,0,\n",
        encoding="utf-8",
    )
    status = main(["grades", "import", str(form), "--register-unknown", "--store", any_store_url])
    error = capsys.readouterr().err
    assert status == 2
    assert "line 2: comment 'dark\\x00disc' holds a NUL character (at character 5)" in error
    assert (
        "line 3: reader 'RRRRRRRRRRRRRRRRRRRRRRRR'... is 65 characters; the store keeps at most 64"
        in error
    )
    assert "DataError" not in error and "INSERT" not in error
    assert _subjects(any_store_url) == []  # nothing imported


def test_a_landmark_file_names_the_line_of_a_subject_the_store_cannot_keep(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pd.read_csv(SAMPLES / "landmarks.csv", dtype=str, keep_default_na=False)
    mine = table[(table["subject"] == "DLBP-001") & (table["visit"] == "baseline")].copy()
    mine["subject"] = "S" * 70
    corners = tmp_path / "corners.csv"
    mine.to_csv(corners, index=False)
    status = main(["landmarks", "import", str(corners), "--mm-per-pixel", "0.16",
                   "--register-unknown", "--store", store_url])  # fmt: skip
    error = capsys.readouterr().err
    assert status == 2
    assert "line 2: subject id 'SSSSSSSSSSSSSSSSSSSSSSSS'... is 70 characters; the store keeps" in (
        error
    )
    assert _subjects(store_url) == []


def test_any_other_value_a_column_cannot_keep_is_refused_before_the_database_sees_it(
    any_store_url: str,
) -> None:
    with ReadStore(any_store_url) as store:
        too_long = r"^subject id 'S+'\.\.\. is 65 characters; the store keeps at most 64"
        with pytest.raises(StoreError, match=too_long), store.writing() as db:
            get_subject(db, "S" * 65, actor="t")
        actor = r"^actor \(--actor, \$SPINE_ENDPOINTS_ACTOR or the login name\) 'a+'\.\.\. is 65"
        with pytest.raises(StoreError, match=actor), store.writing() as db:
            record(db, actor="a" * 65, action="changed", entity="subject")
        nul = r"^audit_log.reason 'why\\x00' holds a NUL character \(at character 4\)"
        with pytest.raises(StoreError, match=nul), store.writing() as db:
            record(db, actor="t", action="changed", entity="subject", reason="why\x00")
        with store.reading() as db:
            assert db.scalars(select(AuditEntry)).all() == []
            assert db.scalars(select(Subject)).all() == []


def test_the_workstation_and_treatment_dates_refuse_such_ids_too(
    store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(StoreError, match=r"reader 'R1\\n' holds the control character U\+000A"):
        ReadKey("DLBP-001", "baseline", "R1\n")
    status = main(["register", str(FILM), "--store", store_url,
                   "--treatment-date", f"{'D' * 65}=2025-01-10"])  # fmt: skip
    assert status == 2
    assert "--treatment-date: subject id 'DDDDDDDDDDDDDDDDDDDDDDDD'... is 65 characters" in (
        capsys.readouterr().err
    )
