"""The AS trial scored through the workstation with real clicks and key presses (run under Xvfb).

The AS sample subject (``sample_dicom_as/``: AS-001 at baseline and 24 months) is registered
under the AS protocol and read case by case from the worklist: the Scoring tab rings each joint and
corner on its film, the reader clicks it where the ring is off and presses its score (digits), X
with the reason for a hidden corner, the rigidity confirmation, then Control-Shift-Enter. What
the store then holds gives the phantom's truth: the mSASSS totals with the missing-corner rule,
the new syndesmophytes and the modified New York verdict; a fully bridged spine is excluded with
the reason.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from real_input import (
    canvas,
    click_pixel,
    click_widget,
    look_at,
    press,
    shown_workstation,
    type_text,
)
from sqlalchemy import select

from imaging.anatomy import MSASSS_SITES
from imaging.cli import main
from imaging.endpoints.msasss import msasss_scores, new_syndesmophytes
from imaging.phantom.as_samples import AS_SUBJECT
from imaging.phantom.as_spine import SpineScores
from imaging.phantom.as_study import AS_TRIAL, ASStudySpec, write_as_study
from imaging.phantom.writer import TrialContext
from imaging.protocol.loader import load_protocol
from imaging.store.reads import ReadContent, read_content
from imaging.store.schema import Case, Read
from imaging.store.store import ReadStore
from imaging.store.worklist import unblinding_map

pytestmark = pytest.mark.gui
RING_MM = 2.5
"""A ring this close to the true corner is on it: the reader does not click."""


def _open(qtbot: Any, widget: WorkstationWidget, row: int) -> None:
    """Open the worklist's ``row`` (unless submitting the last case opened it) on the Scoring
    tab."""
    item = widget.worklist.table.item(row, 1)
    assert item is not None
    if widget.context.case_id != item.text():
        worker = widget.worklist.open_row(row)
        qtbot.waitUntil(lambda: not worker.is_running, timeout=30000)
    scoring = widget.scoring
    qtbot.waitUntil(lambda: scoring.scoring is not None, timeout=5000)
    bar = widget.tabs.tabBar()
    assert bar is not None
    index = next(i for i in range(widget.tabs.count()) if widget.tabs.tabText(i) == "Scoring")
    click_widget(qtbot, bar, bar.tabRect(index).center())
    views = {"lateral_cervical", "lateral_lumbar"}
    qtbot.waitUntil(lambda: views <= set(scoring.films), timeout=10000)


def _score_case(
    qtbot: Any, viewer: Any, widget: WorkstationWidget, truth: dict[str, Any], click: bool = True
) -> dict[str, int]:
    """Score every step as the truth says; returns how many sites were clicked and ringed right
    without a click. Asserts the ring is on the site when the reader scores it (``click``: the
    reader clicks where the ring is off; else scores by keys alone)."""
    tab = widget.scoring
    scoring = tab.scoring
    assert scoring is not None
    places: dict[str, tuple[float, float]] = {}
    scores: dict[str, Any] = {}
    for image in truth["images"]:
        for site, entry in image.get("sites", {}).items():
            places[site], scores[site] = (entry["row"], entry["col"]), entry["score"]
        for joint, entry in image.get("joints", {}).items():
            places[joint] = (entry["centre"]["row"], entry["centre"]["col"])
            scores[joint] = entry["grade"]
    screen = canvas(viewer)
    counts = {"clicked": 0, "ringed": 0}
    while not scoring.done:
        step = scoring.current
        if step.site in ("SIJ-left", "C2-lower"):  # each score's definition and drawn example
            _check_definitions(tab, 5 if step.site == "SIJ-left" else 4)
        if step.view is not None and not click:
            press(qtbot, screen, str(scores[step.site]))
        elif step.view is not None:
            film = tab.films[step.view]
            assert film.visible and all(not f.visible for f in tab.films.values() if f is not film)
            truth_px = places[step.site]
            ring = scoring.position()
            spacing = float(np.asarray(film.scale)[-1])
            if ring is not None and np.hypot(*np.subtract(ring, truth_px)) * spacing <= RING_MM:
                counts["ringed"] += 1
            else:
                look_at(viewer, film, truth_px, 2.0, (0.0, 0.0))
                click_pixel(qtbot, viewer, film, truth_px)
                counts["clicked"] += 1
            ring = scoring.position()
            assert ring is not None and np.hypot(*np.subtract(ring, truth_px)) * spacing <= RING_MM
            assert tab.ring.layer.visible
            np.testing.assert_allclose(tab.ring.layer.data[0], ring, atol=1e-3)
            score = scores[step.site]
            if score is None:
                tab.reason.selectAll()
                type_text(qtbot, tab.reason, "hidden by the shoulders")
                press(qtbot, screen, "X")
            else:
                press(qtbot, screen, str(score))
        else:  # the rigidity confirmation, once per case, beside what the scores say
            said = tab.step.text().split("The corner scores say: ")[-1]
            rigid = truth["complete_spinal_rigidity"]
            assert said.startswith("all 24 scored corners msasss 3" if rigid else "19 of 23"), said
            wanted = "yes" if rigid else "no"
            key = next(k for k, code in scoring.keys().items() if code == wanted)
            press(qtbot, screen, key)
    reading = widget.context.case_id
    press(qtbot, screen, "Control-Shift-Enter")
    # submitted: the next case of the worklist opens, or the last one stays open, submitted
    qtbot.waitUntil(
        lambda: (
            widget.context.case_id != reading or widget.context.read_state.status == "submitted"
        ),
        timeout=10000,
    )
    return counts


def _check_definitions(tab: Any, count: int) -> None:
    """The tab lists ``count`` scores, each with its key, meaning and a drawn example."""
    grid = tab.definitions
    assert grid.rowCount() >= count and grid.count() == 2 * count
    texts = [grid.itemAtPosition(row, 1).widget().text() for row in range(count)]
    pictures = [grid.itemAtPosition(row, 0).widget().pixmap() for row in range(count)]
    assert all(p is not None and not p.isNull() for p in pictures)
    assert [t.split(":")[0] for t in texts] == [str(k) for k in range(count)]
    meaning = "total ankylosis" if count == 5 else "syndesmophyte"
    assert any(meaning in t for t in texts), texts


def _visit_of_row(url: str, widget: WorkstationWidget, row: int) -> str:
    item = widget.worklist.table.item(row, 1)
    assert item is not None
    with ReadStore(url) as store, store.reading() as db:
        return unblinding_map(db)[item.text()][1]  # the test's own lookup, never the reader's


def _corner_vector(grades: Mapping[tuple[str, str], str]) -> list[float]:
    return [float(grades.get((site, "msasss"), "nan")) for site in MSASSS_SITES]


def stored_by_visit(url: str) -> dict[str, tuple[str, ReadContent]]:
    """Visit -> (status, content) of each read in the store (the test's own unblinding)."""
    with ReadStore(url) as store, store.reading() as db:
        visit_of = unblinding_map(db)
        reads = db.execute(select(Read, Case.reading_id).join(Case, Read.case_pk == Case.id)).all()
        return {
            visit_of[reading][1]: (read.status, read_content(db, read)) for read, reading in reads
        }


def msasss_of(baseline: Mapping[tuple[str, str], str], later: Mapping[tuple[str, str], str]) -> Any:
    """The mSASSS of two visits' corner grades by the AS protocol's missing-corner rule."""
    rule = load_protocol("as-ucmsc").msasss
    assert rule is not None
    segments = [0 if site in rule.cervical else 1 for site in MSASSS_SITES]
    vectors = [_corner_vector(baseline), _corner_vector(later)]
    return msasss_scores(vectors, segments, rule.max_missing_per_segment)


def test_the_as_sample_subject_scored_through_the_workstation_gives_its_truth(
    make_napari_viewer: Callable[..., Any], as_env: str, as_samples: Path, qtbot: Any
) -> None:
    index = json.loads((as_samples / "ground_truth.json").read_text())
    truths = {study["visit"]: study for study in index["studies"]}
    viewer, widget = shown_workstation(make_napari_viewer)
    widget.worklist.register_folder(as_samples / AS_SUBJECT)
    assert widget.worklist.table.rowCount() == 2
    visits = {_visit_of_row(as_env, widget, row): row for row in range(2)}
    assert set(visits) == {"baseline", "month_24"}
    counts = {}
    for visit, row in sorted(visits.items()):
        _open(qtbot, widget, row)
        counts[visit] = _score_case(qtbot, viewer, widget, truths[visit])
    # the ring followed the spine: after three clicks per film, corners ringed without a click
    assert all(c["ringed"] >= 12 for c in counts.values()), counts

    by_visit = stored_by_visit(as_env)
    assert {v: status for v, (status, _) in by_visit.items()} == dict.fromkeys(truths, "submitted")
    baseline, month_24 = (by_visit[v][1].grades for v in ("baseline", "month_24"))
    assert baseline[("SIJ-left", "sacroiliitis")] == "3"
    assert baseline[("SIJ-right", "sacroiliitis_modality")] == "xray"
    assert ("T1-upper", "msasss") not in baseline  # hidden: no score, the reason kept
    assert "hidden by the shoulders" in by_visit["month_24"][1].notes["C7-lower"]

    result = msasss_of(baseline, month_24)
    subject = index["subjects"][AS_SUBJECT]
    assert result.total.tolist() == [
        subject["msasss_total"]["baseline"], subject["msasss_total"]["month_24"],
    ]  # fmt: skip
    assert result.imputed.tolist() == [[True, False], [True, False]]  # the missing-corner rule
    assert result.missing.tolist() == [[1, 0], [2, 0]]
    new, compared = new_syndesmophytes(_corner_vector(baseline), _corner_vector(month_24))
    assert int(new[0]) == subject["new_syndesmophytes"]["count"] == 4
    assert int(compared[0]) == 24 - len(subject["new_syndesmophytes"]["not_comparable"])

    out = Path(as_env.removeprefix("sqlite:///")).with_name("eligibility.csv")
    main(["eligibility", "--protocol", "as-ucmsc", "--store", as_env, "--out", str(out)])
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    new_york, rigidity = (next(r for r in rows if r["rule"] == rule) for rule in
                          ("sacroiliitis_new_york", "complete_spinal_rigidity"))  # fmt: skip
    assert new_york["verdict"] == ("pass" if subject["modified_new_york"] else "fail"), new_york
    assert rigidity["verdict"] == "pass" and not subject["complete_spinal_rigidity"]
    assert new_york["subject_verdict"] == "eligible", new_york


def test_a_fully_bridged_spine_scored_through_the_workstation_is_excluded_with_the_reason(
    make_napari_viewer: Callable[..., Any], as_env: str, tmp_path: Path, qtbot: Any
) -> None:
    import datetime

    context = TrialContext("AS-900", "baseline", datetime.date(2025, 5, 5), seed=900, **AS_TRIAL)
    study = ASStudySpec(context, SpineScores.rigid(), {"SIJ-left": 4, "SIJ-right": 4})
    truth = write_as_study(study, tmp_path / "archive")
    assert truth["complete_spinal_rigidity"] is True
    viewer, widget = shown_workstation(make_napari_viewer)
    widget.worklist.register_folder(tmp_path / "archive")
    _open(qtbot, widget, 0)
    _score_case(qtbot, viewer, widget, truth, click=False)

    out = tmp_path / "eligibility.csv"
    main(["eligibility", "--protocol", "as-ucmsc", "--store", as_env, "--out", str(out)])
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rigidity = next(r for r in rows if r["rule"] == "complete_spinal_rigidity")
    assert rigidity["verdict"] == "fail", rigidity
    assert rigidity["reason"] == "every scorable corner bridged, confirmed by the reader"
    assert rigidity["values"].startswith("all 24 scored corners msasss 3")
    assert rigidity["subject_verdict"] == "not eligible"
    assert rigidity["subject_reason"] == "fails complete_spinal_rigidity"
