"""Paired reading through the workstation with real clicks and keys (issue 20, run under Xvfb).

The AS sample subject (AS-001 at baseline and 24 months) registered under the AS protocol, whose
``[msasss]`` reads paired: the Paired tab offers one ``P-`` case; opened, it shows the two sets'
films (A, B in the reader's random order), only the mSASSS corners are scored, set by set (a click
placing a set's first corner, ringed), with the score keys (X with the reason for a hidden
corner), and Control-Shift-Enter stores each visit's scores. The stored totals give the
phantom's truth (25 and 34, 4 new syndesmophytes), and no visit, date or subject is in a layer's
name or metadata or in the tab's text. A film that no longer loads is named by set and token,
its corners' film "not open".
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
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
from test_plugin_as_scoring_gui import _corner_vector, msasss_of, stored_by_visit
from test_plugin_blinding_gui import _strings, _widget_texts

from imaging.endpoints.msasss import new_syndesmophytes
from imaging.phantom.as_samples import AS_SUBJECT
from imaging.store.schema import Read
from imaging.store.store import ReadStore
from imaging.store.worklist import unblinding_map

pytestmark = pytest.mark.gui


def test_a_paired_sitting_scores_both_visits_blind_to_their_order(
    make_napari_viewer: Callable[..., Any], as_env: str, as_samples: Path, qtbot: Any
) -> None:
    index = json.loads((as_samples / "ground_truth.json").read_text())
    truths = {study["visit"]: study for study in index["studies"]}
    viewer, widget = shown_workstation(make_napari_viewer)
    widget.worklist.register_folder(as_samples / AS_SUBJECT)
    tab = widget.paired
    assert tab is not None
    bar = widget.tabs.tabBar()
    assert bar is not None
    index_of = next(i for i in range(widget.tabs.count()) if widget.tabs.tabText(i) == "Paired")
    click_widget(qtbot, bar, bar.tabRect(index_of).center())
    assert tab.table.rowCount() == 1 and tab.table.item(0, 0).text().startswith("P-")
    tab.table.selectRow(0)
    click_widget(qtbot, tab.open_button)
    sitting = tab.sitting
    assert sitting is not None and [s.label for s in sitting.case.sets] == ["A", "B"]
    assert {view for _, view in tab.films} == {"lateral_cervical", "lateral_lumbar"}

    with ReadStore(as_env) as store, store.reading() as db:  # the test's own lookup
        visit_of = {s.label: unblinding_map(db)[s.reading_id][1] for s in sitting.case.sets}
    sites = {
        label: {site: e for image in truths[visit]["images"]
                for site, e in image.get("sites", {}).items()}
        for label, visit in visit_of.items()
    }  # fmt: skip
    screen = canvas(viewer)
    seen_sets: list[str] = []
    while not sitting.done:
        label, step = sitting.label, sitting.scoring.current
        if not seen_sets or seen_sets[-1] != label:
            seen_sets.append(label)
        assert step.item == "msasss" and step.view is not None  # no joint, no confirmation
        film = tab.films[(label, step.view)]
        assert film.visible and all(not f.visible for f in tab.films.values() if f is not film)
        if not sitting.scoring.positions:  # the set's first corner: a click places it, ringed
            truth_px = (sites[label][step.site]["row"], sites[label][step.site]["col"])
            look_at(viewer, film, truth_px, 2.0, (0.0, 0.0))
            click_pixel(qtbot, viewer, film, truth_px)
            spacing = float(np.asarray(film.scale)[-1])
            ring = sitting.scoring.position()
            assert ring is not None and np.hypot(*np.subtract(ring, truth_px)) * spacing <= 1.0
            assert tab.ring.layer.visible and tab.ring.layer.name == "paired site"
            np.testing.assert_allclose(tab.ring.layer.data[0], ring, atol=1e-3)
        score = sites[label][step.site]["score"]
        if score is None:
            tab.reason.selectAll()
            type_text(qtbot, tab.reason, "hidden by the shoulders")
            press(qtbot, screen, "X")
        else:
            press(qtbot, screen, str(score))
    assert seen_sets == ["A", "B"]  # set by set, in one sitting

    seen: set[int] = set()
    secrets = {"subject": AS_SUBJECT, "baseline": "baseline", "month": "month"}
    for visit_folder in (as_samples / AS_SUBJECT).iterdir():
        header = pydicom.dcmread(next(visit_folder.glob("*.dcm")), stop_before_pixels=True)
        secrets[f"date {visit_folder.name}"] = str(header.StudyDate)
    found = [layer.name for layer in viewer.layers]
    found += [s for layer in viewer.layers for s in _strings(layer.metadata, seen)]
    found += list(_widget_texts(widget))  # every tab, the status line too
    leaks = [t for t in found for s in secrets.values() if s.lower() in t.lower()]
    assert leaks == []
    assert any(text.startswith("Set ") for text in found)  # the search saw the tab

    press(qtbot, screen, "Control-Shift-Enter")  # submits every set together
    assert tab.status.text().endswith("submitted") and not sitting.editable
    assert "Not submitted" not in widget.status.text()  # the film's key, not the viewer's
    press(qtbot, screen, "0")  # a submitted sitting is not changed by a stray key
    by_visit = stored_by_visit(as_env)  # the latest version per visit
    assert {v: status for v, (status, _) in by_visit.items()} == dict.fromkeys(truths, "submitted")
    with ReadStore(as_env) as store, store.reading() as db:
        assert len(db.scalars(select(Read)).all()) == 2  # one version per visit
    baseline, month_24 = (by_visit[v][1].grades for v in ("baseline", "month_24"))
    assert all(item == "msasss" for _, item in {**baseline, **month_24})  # corners only
    assert "hidden by the shoulders" in by_visit["month_24"][1].notes["C7-lower"]
    result = msasss_of(baseline, month_24)
    subject = index["subjects"][AS_SUBJECT]
    assert result.total.tolist() == [25, 34] == [
        subject["msasss_total"]["baseline"], subject["msasss_total"]["month_24"],
    ]  # fmt: skip
    new, _ = new_syndesmophytes(_corner_vector(baseline), _corner_vector(month_24))
    assert int(new[0]) == subject["new_syndesmophytes"]["count"] == 4


def test_a_film_that_no_longer_loads_is_named_and_its_set_says_not_open(
    make_napari_viewer: Callable[..., Any], as_env: str, as_samples: Path, tmp_path: Path
) -> None:
    archive = tmp_path / AS_SUBJECT
    shutil.copytree(as_samples / AS_SUBJECT, archive)
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    widget.worklist.register_folder(archive)
    (archive / "month_24" / "DX_lateral_cervical.dcm").write_bytes(b"not a DICOM file any more")
    tab = widget.paired
    assert tab is not None
    tab.refresh()
    tab.open_row(0)
    sitting = tab.sitting
    assert sitting is not None
    with ReadStore(as_env) as store, store.reading() as db:  # the test's own lookup
        broken = next(
            s.label for s in sitting.case.sets if unblinding_map(db)[s.reading_id][1] == "month_24"
        )
    assert f"1 image(s) left out:\n- set {broken}: case " in tab.status.text()
    assert (broken, "lateral_cervical") not in tab.films
    sitting.go_to_set(broken)
    assert sitting.scoring.current.view == "lateral_cervical"
    assert "lateral cervical film (not open)" in tab.step.text()
    assert "DX_lateral_cervical" not in tab.status.text()  # the file by its token, not its name
