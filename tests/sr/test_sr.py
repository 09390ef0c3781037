"""DICOM SR Measurement Reports on the sample studies: the values are the endpoint table's, the
reports pass dciodvfy and render in dsrdump, and export -> import -> export gives the same
content tree."""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset

from imaging.cli import main
from imaging.protocol import load_protocol
from imaging.sr import StructuredReportError
from imaging.sr.codes import SCHEME, tracking_uid
from imaging.sr.exchange import import_reports
from imaging.sr.parse import read_report
from imaging.store.export import reader_rows
from imaging.store.store import ReadStore

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
SUBJECT = "DLBP-001"
pytestmark = pytest.mark.skipif(
    not (SAMPLES / "landmarks.csv").exists(), reason="sample_dicom/ has not been generated"
)


def _store(folder: Path, *, reads: bool) -> str:
    url = f"sqlite:///{folder / 'reads.db'}"
    files = [str(p) for p in sorted((SAMPLES / SUBJECT).glob("*/DX_lateral_*.dcm"))]
    assert main(["register", *files, "--archive-root", str(SAMPLES), "--store", url]) == 0
    if reads:
        for kind, name in (("grades", "grades.csv"), ("landmarks", "landmarks.csv")):
            lines = (SAMPLES / name).read_text(encoding="utf-8").splitlines(keepends=True)
            rows = [x.replace(f",{SUBJECT}/", f",{SAMPLES}/{SUBJECT}/") for x in lines
                    if x.startswith(SUBJECT)]  # fmt: skip
            mine = folder / name  # the subject's rows, images by absolute path
            mine.write_text("".join(lines[:1] + rows), encoding="utf-8")
            assert main([kind, "import", str(mine), "--store", url]) == 0
    return url


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("sr")
    url = _store(folder, reads=True)
    out = folder / "reports"
    assert main(["sr", "export", "--subject", SUBJECT, "--out", str(out), "--store", url]) == 0
    yield url, out


def _reports(out: Path) -> list[Path]:
    return sorted(out.rglob("*.dcm"))


def test_one_report_per_current_read_with_the_endpoint_tables_values(
    exported: tuple[str, Path],
) -> None:
    url, out = exported
    protocol = load_protocol()
    with ReadStore(url) as store, store.reading() as session:
        rows = [r for r in reader_rows(session, protocol, SUBJECT)]
    paths = _reports(out)
    assert [p.relative_to(out).parts[:2] for p in paths] == [
        (SUBJECT, "baseline"), (SUBJECT, "month_12"), (SUBJECT, "month_6")
    ]  # fmt: skip
    for path in paths:
        report = read_report(path)
        assert report.reader == "ground-truth"
        mine = [r for r in rows if r.visit == report.visit]
        measures = {(r.level, r.measure, r.film): r.value for r in mine
                    if r.unit != "grade" and r.value is not None}  # fmt: skip
        assert len(report.measures) == len(measures) > 50
        for m in report.measures:
            assert math.isclose(m.value, measures[(m.level, m.measure, m.film)], rel_tol=1e-12)
        grades = {(r.level, r.measure): r.grade for r in mine if r.unit == "grade" and r.grade}
        assert report.grades == grades
        assert report.grades[("L4-L5", "pfirrmann")] == "4"
        assert len(report.corners) == 3 * 22


def test_codes_units_observer_time_point_and_tracking(exported: tuple[str, Path]) -> None:
    _, out = exported
    datasets = [pydicom.dcmread(p) for p in _reports(out)]
    for ds in datasets:
        assert ds.CodingSchemeIdentificationSequence[0].CodingSchemeDesignator == SCHEME
        assert ds.CompletionFlag == "COMPLETE"
        assert ds.Manufacturer == "spine-endpoints" and ds.SoftwareVersions
        assert "version" in ds.SeriesDescription
        assert ds.VerificationFlag in ("VERIFIED", "UNVERIFIED")
        items = list(_walk(ds))
        assert all(len(code.CodeMeaning) <= 64 for code in _codes(items))
        numbers = [i for i in items if i.ValueType == "NUM" and "MeasuredValueSequence" in i]
        units = {
            i.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue for i in numbers
        }
        assert {"mm", "deg", "{ratio}", "%"} <= units
        sites = {c.CodeValue for c in _codes(items) if c.CodingSchemeDesignator == "SCT"}
        assert "243923001" in sites  # Level of L4/L5 intervertebral disc
        observer = [i for i in items if i.ValueType == "PNAME"]
        assert str(observer[0].PersonName) == "ground-truth^"
    l4l5 = tracking_uid(SUBJECT, "L4-L5")
    for ds in datasets:  # the same level is tracked by the same UID at every visit
        assert l4l5 in {str(i.UID) for i in _walk(ds) if i.ValueType == "UIDREF"}


def _walk(item: Dataset) -> Iterator[Dataset]:
    for child in item.get("ContentSequence", []):
        yield child
        yield from _walk(child)


def _codes(items: list[Dataset]) -> Iterator[Dataset]:
    for item in items:
        for keyword in ("ConceptNameCodeSequence", "ConceptCodeSequence"):
            yield from item.get(keyword, [])


def _tree(item: Dataset) -> list[object]:
    """The content tree without the UIDs and dates that must differ; numbers rounded to the
    precision 32-bit SCOORD corners carry."""
    out: list[object] = []
    for child in item.get("ContentSequence", []):
        value: object = None
        if child.ValueType == "NUM" and "MeasuredValueSequence" in child:
            number = float(child.MeasuredValueSequence[0].NumericValue)
            value = round(number, 2)
        elif child.ValueType == "SCOORD":
            value = [round(float(v), 3) for v in child.GraphicData]
        elif child.ValueType in ("TEXT", "UIDREF", "PNAME", "CODE"):
            value = str(child.get("TextValue") or child.get("UID") or child.get("PersonName")
                        or child.ConceptCodeSequence[0].CodeMeaning)  # fmt: skip
        elif child.ValueType == "IMAGE":
            value = str(child.ReferencedSOPSequence[0].ReferencedSOPInstanceUID)
        name = (
            child.ConceptNameCodeSequence[0].CodeMeaning
            if "ConceptNameCodeSequence" in child
            else ""
        )
        out.append((child.RelationshipType, child.ValueType, name, value, _tree(child)))
    return out


def test_export_import_export_gives_the_same_content(
    exported: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = exported
    url = _store(tmp_path, reads=False)
    assert main(["sr", "import", str(out), "--store", url]) == 0
    assert "3 new reads" in capsys.readouterr().out
    again = tmp_path / "again"
    assert main(["sr", "export", "--out", str(again), "--store", url]) == 0
    first, second = _reports(out), _reports(again)
    assert len(first) == len(second) == 3
    for a, b in zip(first, second, strict=True):
        one, two = pydicom.dcmread(a), pydicom.dcmread(b)
        assert one.SOPInstanceUID != two.SOPInstanceUID
        assert _tree(one) == _tree(two)
    assert main(["sr", "import", str(again), "--store", url]) == 0  # the same reads: unchanged
    assert "3 unchanged" in capsys.readouterr().out


def test_import_refuses_reports_of_images_not_registered(
    exported: tuple[str, Path], tmp_path: Path
) -> None:
    _, out = exported
    with (
        ReadStore(f"sqlite:///{tmp_path / 'empty.db'}") as store,
        pytest.raises(StructuredReportError, match="has not registered") as refused,
    ):
        import_reports(store, load_protocol(), [out], actor="t")
    assert "baseline/ground-truth_v2.dcm" in str(refused.value)


def test_import_refuses_a_file_that_is_not_such_a_report(tmp_path: Path) -> None:
    image = tmp_path / "film.dcm"
    shutil.copy(SAMPLES / SUBJECT / "baseline" / "DX_lateral_neutral.dcm", image)
    with pytest.raises(StructuredReportError, match="not a spine-endpoints Measurement Report"):
        read_report(image)


@pytest.mark.parametrize("tool", ["dciodvfy", "dsrdump"])
def test_reports_pass_the_dicom_tools(exported: tuple[str, Path], tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (apt-get install dcmtk dicom3tools)")
    _, out = exported
    for path in _reports(out):
        done = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
        text = done.stdout + done.stderr
        assert done.returncode == 0, text
        if tool == "dciodvfy":
            assert [line for line in text.splitlines() if line.startswith("Error")] == []
        else:
            assert "Imaging Measurement Report" in text and "Level of L4/L5" in text
