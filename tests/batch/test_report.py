"""The HTML report from a batch output folder (a fake tidy table: no images needed)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest

from imaging.report import ReportInputError, load, write_report
from imaging.report.figures import change_from_baseline, measure_by_visit

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_report_is_self_contained_with_embedded_pngs(fake_batch_output: Path) -> None:
    path = write_report(fake_batch_output)

    assert path == fake_batch_output / "report.html"
    page = path.read_text(encoding="utf-8")
    images = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    # A change plot per level (4), a waterfall per measure changed at the target level (disc
    # height, height loss, angular ROM); the per-subject plots are on the subject pages.
    assert len(images) == 4 + 3
    assert all(base64.b64decode(data).startswith(PNG_SIGNATURE) for data in images)
    assert "<script" not in page
    # Links only within the page and to the subject pages of the same delivery.
    assert re.findall(r'(?:src|href)="(?!data:|#)([^"]*)"', page) == [
        "subjects/S001.html",
        "subjects/S002.html",
    ]
    assert "<style>" in page
    for subject in ("S001", "S002"):
        subject_page = (fake_batch_output / "subjects" / f"{subject}.html").read_text()
        plots = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,', subject_page)
        assert plots == [f"Measures over visits, subject {subject}"]
        assert "<script" not in subject_page and "<style>" in subject_page
        assert re.findall(r'(?:src|href)="(?!data:|#)([^"]*)"', subject_page) == [
            "../report.html#subjects"
        ]


def test_report_shows_failures_escaped_and_eligibility(fake_batch_output: Path) -> None:
    page = write_report(fake_batch_output).read_text(encoding="utf-8")

    assert "S002/month_6/dx_flexion.dcm" in page
    assert "not-dicom: no DICM prefix &lt;b&gt;" in page
    assert '<td class="pass">pass' in page and '<td class="fail">fail' in page
    # Grades table: S001 L4-L5 goes from Pfirrmann III to IV at month 12.
    subject_page = (fake_batch_output / "subjects" / "S001.html").read_text(encoding="utf-8")
    assert "P III" in subject_page and "P IV" in subject_page and "M I, II" in subject_page


def test_measure_by_visit_orders_visits_and_prefers_neutral_film() -> None:
    table = pd.DataFrame(
        {
            "subject": "S1",
            "visit": ["month_6", "baseline", "baseline"],
            "level": "L4-L5",
            "measure": "disc_height_mean",
            "value": [7.0, 9.0, 99.0],
            "unit": "mm",
            "film": ["neutral", "neutral", "flexion"],
        }
    )

    frame = measure_by_visit(table, "disc_height_mean", ["baseline", "month_6", "month_12"])

    assert frame["L4-L5"].tolist()[:2] == [9.0, 7.0]
    assert frame["L4-L5"].isna().tolist() == [False, False, True]


def test_change_from_baseline_per_subject(fake_batch_output: Path) -> None:
    data = load(fake_batch_output)

    changes = change_from_baseline(data.endpoints, "disc_height_mean", "L4-L5", data.visits)

    assert changes["S001"].tolist() == [0.0, -1.0, -2.0]
    assert changes["S002"].tolist() == [0.0, 0.0, 0.0]


def test_report_without_endpoint_table_names_the_folder_and_fix(tmp_path: Path) -> None:
    with pytest.raises(ReportInputError, match=r"no endpoints.parquet.*Run `spine-endpoints batch"):
        write_report(tmp_path)
