"""``landmarks import``: a landmark file into the store, validated, versioned and audited like
grade forms, with the measures computed by the one endpoint function."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imaging import __version__
from imaging.cli import main
from imaging.endpoints import EndpointRow, FilmCorners, MeasureRules, StudyRead, endpoint_rows
from imaging.errors import LandmarkError
from imaging.landmark_files import load_landmarks
from imaging.protocol import Protocol
from imaging.protocol.grade_forms import GradeRow
from imaging.store.audit import audit_entries
from imaging.store.cases import get_case
from imaging.store.export import stored_rows
from imaging.store.grades import import_grade_rows
from imaging.store.landmark_import import import_landmarks
from imaging.store.reads import versions
from imaging.store.store import ReadStore

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
MM = 0.16  # --mm-per-pixel: the images are then optional


@pytest.fixture
def corners(tmp_path: Path) -> Path:
    """DLBP-001's baseline corners (three films) from the sample landmark file."""
    if not (SAMPLES / "landmarks.csv").is_file():
        pytest.skip("sample_dicom/ has not been generated")
    table = pd.read_csv(SAMPLES / "landmarks.csv", dtype=str, keep_default_na=False)
    mine = table[(table["subject"] == "DLBP-001") & (table["visit"] == "baseline")]
    path = tmp_path / "corners.csv"
    mine.to_csv(path, index=False)
    return path


def _moved(path: Path, out: Path, rows: float = 5.0) -> Path:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    at = (table["film"] == "neutral") & (table["vertebra"] == "L5")
    at &= table["corner"] == "anterior_superior"
    table.loc[at, "row"] = str(float(table.loc[at, "row"].item()) + rows)
    table.to_csv(out, index=False)
    return out


def _measures(store: ReadStore, protocol: Protocol) -> dict[tuple[str, str, str], EndpointRow]:
    with store.reading() as session:
        rows = stored_rows(session, protocol)
    return {(r.level, r.measure, r.film): r for r in rows if not r.grade}


def test_a_new_read_is_stored_with_the_measures_of_its_corners(
    store: ReadStore, protocol: Protocol, corners: Path
) -> None:
    films = load_landmarks(corners, mm_per_pixel=MM)
    summary = import_landmarks(
        store, protocol, films, actor="alice", path=str(corners), register_unknown=True
    )
    assert summary.created == [("DLBP-001", "baseline", "ground-truth")]
    expected = endpoint_rows(
        StudyRead("DLBP-001", "baseline", "ground-truth", 1,
                  films=tuple(FilmCorners(film) for film in films)),
        MeasureRules.from_protocol(protocol),
    )  # fmt: skip
    stored = _measures(store, protocol)
    assert len(stored) == len(expected) > 100
    for row in expected:
        found = stored[(row.level, row.measure, row.film)]
        assert (found.value, found.note, found.calibration) == (row.value, row.note, "calibrated")
        assert (found.read_version, found.software_version) == (1, __version__)
    again = import_landmarks(store, protocol, films, actor="alice", register_unknown=True)
    assert again.unchanged == [("DLBP-001", "baseline", "ground-truth")]
    with store.reading() as session:
        trail = audit_entries(session, subject="DLBP-001")
    assert any(e.field == "neutral L5 anterior_superior" and e.action == "set" for e in trail)


def test_a_changed_corner_needs_a_reason_and_then_the_measures_follow(
    store: ReadStore, protocol: Protocol, corners: Path, tmp_path: Path
) -> None:
    import_landmarks(
        store, protocol, load_landmarks(corners, mm_per_pixel=MM), actor="a", register_unknown=True
    )
    import_grade_rows(store, protocol, [GradeRow("DLBP-001", "baseline", "L4-L5", "ground-truth",
                                                 (("pfirrmann", "4"),))],
                      actor="a", register_unknown=True)  # fmt: skip
    before = _measures(store, protocol)[("L4-L5", "disc_height_anterior", "neutral")]
    moved = load_landmarks(_moved(corners, tmp_path / "moved.csv"), mm_per_pixel=MM)
    with pytest.raises(LandmarkError, match=r"neutral L5 anterior_superior; a correction needs"):
        import_landmarks(store, protocol, moved, actor="b", register_unknown=True)
    summary = import_landmarks(
        store, protocol, moved, actor="b", reason="L5 corner re-placed", register_unknown=True
    )
    assert summary.corrected == [("DLBP-001", "baseline", "ground-truth", 3)]
    after = _measures(store, protocol)[("L4-L5", "disc_height_anterior", "neutral")]
    assert before.value is not None and after.value is not None
    assert after.value == pytest.approx(before.value + 5 * MM, abs=0.05)  # L5 moved 5 px down
    assert after.read_version == 3
    with store.reading() as session:
        rows = stored_rows(session, protocol)
        case = get_case(session, "DLBP-001", "baseline", actor="t", create=False)
        reasons = [read.reason for read in versions(session, case)]
    assert [(r.measure, r.grade) for r in rows if r.grade] == [("pfirrmann", "4")]  # kept
    assert reasons[-1] == "L5 corner re-placed"


def test_refused_reads_name_the_problem_and_nothing_is_stored(
    tmp_path: Path, corners: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    table = pd.read_csv(corners, dtype=str, keep_default_na=False)
    other = table.copy()
    other["subject"], other["visit"] = "DLBP-009", "week 7"  # no such visit
    nobody = table.copy()
    nobody["subject"], nobody["reader"] = "DLBP-010", ""
    bad = tmp_path / "bad.csv"
    pd.concat([table, other, nobody]).to_csv(bad, index=False)
    status = main(["landmarks", "import", "--register-unknown", str(bad), "--mm-per-pixel", str(MM),
                   "--store", store_url])  # fmt: skip
    assert status == 2
    error = capsys.readouterr().err
    assert "visit 'week 7' is not a visit of protocol" in error
    assert "no reader" in error and "--reader" in error
    assert "nothing was imported" in error
    with ReadStore(store_url) as store, store.reading() as session:
        assert stored_rows(session, store_protocol()) == []
    assert main(["landmarks", "import", "--register-unknown", str(corners), "--mm-per-pixel",
                 str(MM), "--store", store_url]) == 0  # fmt: skip


def store_protocol() -> Protocol:
    from imaging.protocol.loader import load_protocol

    return load_protocol()
