"""Grades or corners for a subject or visit nobody registered are refused, listed with their
lines, unless the user asks to register them (``--register-unknown``): they would otherwise make a
ghost subject and case that export and eligibility then show."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from imaging.cli import main
from imaging.errors import LISTED_PROBLEMS as LISTED
from imaging.errors import LandmarkError
from imaging.landmark_files import load_landmarks
from imaging.protocol import Protocol
from imaging.store.landmark_import import import_landmarks
from imaging.store.schema import Case, Read, Subject
from imaging.store.store import ReadStore

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
FILM = SAMPLES / "DLBP-001" / "baseline" / "DX_lateral_neutral.dcm"
pytestmark = pytest.mark.skipif(not FILM.is_file(), reason="sample_dicom/ has not been generated")

FORM = """subject,visit,level,reader,pfirrmann,modic_cranial,modic_caudal,comment
DLBP-001,baseline,L4-L5,R1,4,I,I,
DLBP-001,month_6,L4-L5,R1,4,I,0,
DLBP-099,baseline,L4-L5,R1,3,0,0,
"""


def _cases(url: str) -> list[tuple[str, str]]:
    with ReadStore(url) as store, store.reading() as db:
        rows = db.execute(
            select(Subject.subject_id, Case.visit_id).join(Case, Case.subject_pk == Subject.id)
        ).all()
        return sorted((subject, visit) for subject, visit in rows)


def test_grades_of_an_unregistered_subject_or_visit_are_refused_unless_asked(
    any_store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["register", str(FILM), "--store", any_store_url]) == 0  # DLBP-001 baseline
    form = tmp_path / "grades.csv"
    form.write_text(FORM, encoding="utf-8")
    capsys.readouterr()

    assert main(["grades", "import", str(form), "--store", any_store_url]) == 2
    error = capsys.readouterr().err
    assert (
        "line 3: DLBP-001 month_6: subject DLBP-001 has no registered images at visit month_6"
        in error
    )
    assert "line 4: DLBP-099 baseline: subject 'DLBP-099' is not registered in the store" in error
    assert "line 2" not in error
    assert "import with --register-unknown to create the subject and case" in error
    assert _cases(any_store_url) == [("DLBP-001", "baseline")]  # no ghost
    with ReadStore(any_store_url) as store, store.reading() as db:
        assert db.scalars(select(Read)).all() == []  # all or nothing

    status = main(["grades", "import", str(form), "--register-unknown", "--store", any_store_url])
    assert status == 0 and "3 new reads" in capsys.readouterr().out
    assert _cases(any_store_url) == [
        ("DLBP-001", "baseline"), ("DLBP-001", "month_6"), ("DLBP-099", "baseline"),
    ]  # fmt: skip


def test_corners_of_many_unregistered_subjects_list_the_first_and_count_the_rest(
    store: ReadStore, protocol: Protocol, tmp_path: Path
) -> None:
    table = pd.read_csv(SAMPLES / "landmarks.csv", dtype=str, keep_default_na=False)
    one = table[(table["subject"] == "DLBP-001") & (table["visit"] == "baseline")]
    subjects = [f"S-{n:02d}" for n in range(1, LISTED + 6)]
    many = pd.concat([one.assign(subject=subject) for subject in subjects])
    corners = tmp_path / "corners.csv"
    many.to_csv(corners, index=False)

    with pytest.raises(LandmarkError) as refused:
        import_landmarks(store, protocol, load_landmarks(corners, mm_per_pixel=0.16),
                         actor="t", path=str(corners))  # fmt: skip
    message = str(refused.value)
    assert message.startswith(f"{corners}: {LISTED + 5} read(s) refused:\n  line 2: S-01 ")
    assert f"line {2 + len(one)}: S-02 baseline: subject 'S-02' is not registered" in message
    assert "S-20 baseline" in message and "S-21" not in message
    assert "\n  ... and 5 more refused reads" in message
    assert "--register-unknown" in message
    with store.reading() as db:
        assert db.scalars(select(Subject)).all() == []
