"""The Grades tab records the findings read at the case's visit (yes / no / not assessable, with
a comment) with real key presses and clicks, and the store keeps them (run under Xvfb)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from qtpy.QtCore import Qt
from sqlalchemy import select

from imaging.anatomy import Film
from imaging.store.reads import read_content
from imaging.store.schema import Read
from imaging.store.store import ReadStore

pytestmark = pytest.mark.gui
FINDINGS = (
    "discography_single_painful_disc", "spondylitis", "vertebral_fracture",
    "severe_spinal_stenosis", "severe_disc_herniation",
)  # fmt: skip


def _place_neutral_corners(widget: WorkstationWidget, truth: dict[str, Any]) -> None:
    context = widget.context
    assert context.session is not None
    image = next(i for i in truth["images"] if i.get("film") == Film.NEUTRAL.value)
    context.select_film(Film.NEUTRAL)
    overlay, placement = context.overlay(Film.NEUTRAL), context.session.placements[Film.NEUTRAL]
    while placement.current is not None:
        label = placement.current
        corner = image["corners"][label.vertebra.value][label.corner.value]
        overlay.points.add([corner["row"], corner["col"]])


def test_the_reader_records_the_baseline_findings_with_key_presses_and_submits(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    viewer.open(str(study / "DX_lateral_neutral.dcm"), plugin="spine-endpoints")
    qtbot.waitUntil(lambda: Film.NEUTRAL in widget.context.overlays)
    _place_neutral_corners(widget, truth)
    widget.tabs.setCurrentWidget(widget.grades)
    grades = widget.grades
    form = grades.form
    assert form is not None and form.levels[-1] == "spine"  # baseline: the findings are read

    # the disc grades as the truth has them (not the subject of this test)
    for level, items in truth["grades"].items():
        for item, value in items.items():
            if item not in FINDINGS:
                form.set_grade(level, item, value)
    assert "spine: no spondylitis, vertebral_fracture" in grades.problems.text()

    # L4-L5: the level list by key presses, then "yes" on the discography finding
    grades.level.setFocus()
    qtbot.keyClick(grades.level, Qt.Key.Key_Home)
    for _ in range(3):
        qtbot.keyClick(grades.level, Qt.Key.Key_Down)
    assert form.current_level == "L4-L5"
    discography = grades.combos["discography_single_painful_disc"]
    assert not discography.isHidden() and grades.combos["spondylitis"].isHidden()
    qtbot.keyClick(discography, Qt.Key.Key_Down)  # "-" -> "yes"
    assert form.values[("L4-L5", "discography_single_painful_disc")] == "yes"

    # spine (once per case): "no" three times, "not assessable" for the herniation, a comment
    qtbot.keyClick(grades.level, Qt.Key.Key_End)
    assert form.current_level == "spine" and discography.isHidden()
    assert grades.labels["vertebral_fracture"].text() == "Vertebral fracture"
    for item in FINDINGS[1:4]:
        for _ in range(2):
            qtbot.keyClick(grades.combos[item], Qt.Key.Key_Down)  # "-" -> "yes" -> "no"
    qtbot.keyClick(grades.combos["severe_disc_herniation"], Qt.Key.Key_End)
    grades.comment.setFocus()
    qtbot.keyClicks(grades.comment, "no axial T2 below L3")
    qtbot.keyClick(grades.comment, Qt.Key.Key_Return)
    assert {item: form.values[("spine", item)] for item in FINDINGS[1:]} == {
        "spondylitis": "no", "vertebral_fracture": "no", "severe_spinal_stenosis": "no",
        "severe_disc_herniation": "not_assessable",
    }  # fmt: skip
    assert form.comments["spine"] == "no axial T2 below L3"
    assert grades.problems.text() == "Ready to submit"

    qtbot.mouseClick(grades.submit, Qt.MouseButton.LeftButton)
    with ReadStore(workstation_env) as store, store.reading() as db:
        read = db.scalars(select(Read)).one()
        assert read.status == "submitted"
        content = read_content(db, read)
    assert content.grades[("L4-L5", "discography_single_painful_disc")] == "yes"
    assert content.grades[("spine", "severe_disc_herniation")] == "not_assessable"
    assert content.notes["spine"] == "no axial T2 below L3"
