"""The reading workstation driven by real mouse clicks and key presses (run under Xvfb).

Every action here is a Qt event: clicks on napari's canvas at the screen position of an image
pixel (see ``real_input``), key presses on the canvas, clicks on the worklist's rows and buttons,
grades typed into the Grades tab. The films are in millimetres (layer scale = pixel spacing), so a
click reaches the wanted pixel only if the screen -> world -> pixel conversion is right.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication, QFileDialog, QPushButton, QWidget
from real_input import (
    canvas,
    click_pixel,
    click_tolerance,
    click_widget,
    drag,
    look_at,
    press,
    shown_workstation,
    type_text,
)
from sqlalchemy import select

from imaging.anatomy import Film
from imaging.phantom.samples import FINDINGS
from imaging.store.reads import read_content
from imaging.store.schema import Case, Read
from imaging.store.store import ReadStore
from imaging.store.worklist import unblinding_map

pytestmark = pytest.mark.gui
ZOOMS = (2.0, 3.0, 5.0)
"""Canvas pixels per image pixel, in turn: the reader zooms in to place a corner."""
OFFSETS = ((0.0, 0.0), (-31.5, 17.25), (22.0, -40.5), (9.75, 33.0))
"""Image pixels (row, col) from the clicked pixel to the camera centre, in turn."""


def _neutral(study: Path) -> dict[str, Any]:
    """The ground truth of the study's neutral film (its corners in pixels, its spacing)."""
    truth = json.loads((study / "ground_truth.json").read_text())
    return dict(next(i for i in truth["images"] if i.get("film") == "neutral"))


@pytest.fixture(scope="session")
def two_cases(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two one-film cases of DLBP-001 (the neutral film at baseline and at month 6), each in a
    folder of its own with its ground truth: visit -> folder."""
    month_6 = sample_root / "DLBP-001" / "month_6"
    if not (month_6 / "ground_truth.json").is_file():
        from imaging.phantom import sample_studies, write_study

        generated = tmp_path_factory.mktemp("month_6")
        write_study(
            next(s for s in sample_studies() if str(s.folder) == "DLBP-001/month_6"), generated
        )
        month_6 = generated / "DLBP-001" / "month_6"
    cases: dict[str, Path] = {}
    for visit, study in (("baseline", sample_root / "DLBP-001" / "baseline"), ("month_6", month_6)):
        folder = tmp_path_factory.mktemp(f"case_{visit}")
        shutil.copy(study / "DX_lateral_neutral.dcm", folder)
        shutil.copy(study / "ground_truth.json", folder)
        cases[visit] = folder
    return cases


def _shown_workstation(make_napari_viewer: Callable[..., Any]) -> tuple[Any, WorkstationWidget]:
    return shown_workstation(make_napari_viewer)


def _cell(table: Any, row: int, column: int) -> str:
    item = table.item(row, column)
    return "" if item is None else str(item.text())


def _button(widget: QWidget, text: str) -> QPushButton:
    """The push button whose label starts with ``text`` (as the reader finds it)."""
    found = [b for b in widget.findChildren(QPushButton) if b.text().startswith(text)]
    assert len(found) == 1, [b.text() for b in widget.findChildren(QPushButton)]
    return found[0]


def _click_tab(qtbot: Any, widget: WorkstationWidget, title: str) -> None:
    bar = widget.tabs.tabBar()
    assert bar is not None
    index = next(i for i in range(widget.tabs.count()) if widget.tabs.tabText(i) == title)
    click_widget(qtbot, bar, bar.tabRect(index).center())
    assert widget.tabs.currentIndex() == index


Clicked = dict[str, tuple[tuple[float, float], float]]
"""Corner name -> the image pixel (row, col) clicked for it and how near a click can reach it."""


def _click_corners(
    qtbot: Any, viewer: Any, widget: WorkstationWidget, film: Film, truth: dict[str, Any],
    count: int | None = None,
) -> Clicked:  # fmt: skip
    """Click the corners the widget asks for (``count`` of them, else all) where the ground truth
    has them, zooming and panning before each as a reader does."""
    context = widget.context
    assert context.session is not None
    placement, image = context.session.placements[film], context.images[film]
    wanted: Clicked = {}
    while placement.current is not None and (count is None or len(wanted) < count):
        label = placement.current
        point = truth["corners"][label.vertebra.value][label.corner.value]
        pixel = (float(point["row"]), float(point["col"]))
        turn = len(wanted)
        look_at(viewer, image, pixel, ZOOMS[turn % len(ZOOMS)], OFFSETS[turn % len(OFFSETS)])
        click_pixel(qtbot, viewer, image, pixel)
        assert label in placement.positions, f"the click did not place {label.text}"
        wanted[label.text] = (pixel, click_tolerance(viewer, image))
    return wanted


def test_a_click_on_the_canvas_places_the_corner_on_the_clicked_pixel_of_a_film_in_mm(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path, qtbot: Any
) -> None:
    viewer, widget = _shown_workstation(make_napari_viewer)
    viewer.open(str(study / "DX_lateral_neutral.dcm"), plugin="spine-endpoints")
    context = widget.context
    image = context.images[Film.NEUTRAL]
    truth = _neutral(study)
    spacing = truth["calibration"]["pixel_spacing_mm"]
    np.testing.assert_allclose(image.scale, spacing)  # world units are mm, not pixels
    assert spacing[0] != pytest.approx(1.0)
    context.select_film(Film.NEUTRAL)
    wanted = _click_corners(qtbot, viewer, widget, Film.NEUTRAL, truth, count=8)  # L1 and L2
    assert context.session is not None
    placement = context.session.placements[Film.NEUTRAL]
    landed = {label.text: position for label, position in placement.positions.items()}
    assert set(landed) == set(wanted)
    for name, (pixel, tolerance) in wanted.items():
        error = np.abs(np.subtract(landed[name], pixel)).max()
        # on the wanted image pixel, as near as a click can be (half a canvas pixel)
        assert error <= tolerance < 0.5, (name, landed[name], pixel)
    assert widget.landmarks.prompt.text() == "Place L3 anterior-superior"
    item = widget.landmarks.corners.item(0)
    assert item is not None and item.text().endswith(" click")


def test_shortcuts_by_key_presses_on_the_canvas(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path, qtbot: Any
) -> None:
    viewer, widget = _shown_workstation(make_napari_viewer)
    viewer.open(str(study / "DX_lateral_neutral.dcm"), plugin="spine-endpoints")
    context, landmarks = widget.context, widget.landmarks
    assert context.session is not None and context.session.grades is not None
    placement, grades = context.session.placements[Film.NEUTRAL], context.session.grades
    context.select_film(Film.NEUTRAL)
    screen = canvas(viewer)

    press(qtbot, screen, "N")  # next corner, the current one left as it is
    assert landmarks.prompt.text() == "Place L1 posterior-superior"
    press(qtbot, screen, "Shift-N")
    assert landmarks.prompt.text() == "Place L1 anterior-superior"

    reasons = landmarks.reasons.lineEdit()  # the reason is typed in the Landmarks tab
    assert reasons is not None
    reasons.selectAll()
    type_text(qtbot, reasons, "cut off by the collimator")
    press(qtbot, screen, "K")
    assert placement.skipped == {placement.labels[0]: "cut off by the collimator"}
    assert landmarks.prompt.text() == "Place L1 posterior-superior"

    press(qtbot, screen, "G")  # next level: the next vertebra to place and the next disc to grade
    assert landmarks.prompt.text() == "Place L2 anterior-superior"
    assert grades.current_level == "L2-L3" and widget.grades.level.currentText() == "L2-L3"
    press(qtbot, screen, "Shift-G")
    assert grades.current_level == "L1-L2"

    # W: a drag on the film sets window and level (right = wider, up = brighter), not the view
    layer = context.images[Film.NEUTRAL]
    limits = tuple(layer.contrast_limits)
    center = tuple(viewer.scene.camera.center)
    press(qtbot, screen, "W")
    assert widget.window_level.drag.isChecked()
    drag(qtbot, screen, (300, 300), (360, 270))
    low, high = layer.contrast_limits
    assert high - low > limits[1] - limits[0] and (low + high) / 2 < sum(limits) / 2
    assert tuple(viewer.scene.camera.center) == center
    assert not placement.positions  # the drag placed no corner
    press(qtbot, screen, "W")
    assert not widget.window_level.drag.isChecked() and viewer.scene.camera.mouse_pan


def _grades_to_type(folder: Path, form: Any) -> dict[tuple[str, str], str]:
    """What the reader types per (level, item): the study's grades and the subject's findings;
    every other finding 'no'."""
    truth = json.loads((folder / "ground_truth.json").read_text())["grades"]
    for level, findings in FINDINGS["DLBP-001"].items():
        truth.setdefault(level, {}).update(findings)
    return {
        (level, item.name): str(truth.get(level, {}).get(item.name, "no"))
        for level in form.levels
        for item in form.items_at(level)
    }


def _read_of(url: str, reading_id: str | None) -> tuple[Read, Any]:
    """The reader's read of the case ``reading_id`` in the store, and what it holds."""
    with ReadStore(url) as store, store.reading() as db:
        read = db.scalars(
            select(Read).join(Case, Read.case_pk == Case.id).where(Case.reading_id == reading_id)
        ).one()
        return read, read_content(db, read)


def test_the_main_reading_flow_by_clicks_and_keys_ends_on_the_next_case(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    two_cases: dict[str, Path],
    qtbot: Any,
) -> None:
    """Open the next case, click every corner, grade by keys, Control-Shift-Enter: the read is
    in the store as clicked and graded, and the workstation shows the next case."""
    viewer, widget = _shown_workstation(make_napari_viewer)
    context, worklist = widget.context, widget.worklist
    for folder in two_cases.values():
        assert worklist.register_folder(folder) == 1
    reading_ids = [_cell(worklist.table, row, 1) for row in range(2)]

    _click_tab(qtbot, widget, "Worklist")
    click_widget(qtbot, _button(worklist, "Open next case"))
    first = context.case_id
    assert first == reading_ids[0]  # the first case of the reader's order
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)
    session = context.session
    assert session is not None and session.grades is not None
    assert (session.subject, session.visit) == ("", "")  # blinded: the reading id only
    with ReadStore(context.store.url) as store, store.reading() as db:
        folder = two_cases[unblinding_map(db)[session.reading_id][1]]  # the test's own lookup
    screen = canvas(viewer)
    qtbot.waitUntil(lambda: widget.status.text() == f"Case {first} open", timeout=10000)

    press(qtbot, screen, "Control-Shift-Enter")  # nothing placed yet: refused, the case stays open
    assert "Not submitted" in widget.status.text() and context.case_id == first

    _click_tab(qtbot, widget, "Landmarks")
    wanted = _click_corners(qtbot, viewer, widget, Film.NEUTRAL, _neutral(folder))
    assert len(wanted) == 22 and widget.landmarks.prompt.text() == "All corners placed or skipped"

    _click_tab(qtbot, widget, "Grades")
    form, grades = session.grades, widget.grades
    typed = _grades_to_type(folder, form)
    for level in form.levels:
        assert grades.level.currentText() == level
        for item in form.items_at(level):
            type_text(qtbot, grades.combos[item.name], typed[(level, item.name)])
        press(qtbot, screen, "G")  # next disc to grade
        # a reader takes longer than this per disc: a combo box's keyboard search would
        # otherwise run on into the next level's key ('0' then 'I' searching for '0I')
        qtbot.wait(QApplication.keyboardInputInterval() + 50)
    assert dict(form.values) == typed
    assert grades.problems.text() == "Ready to submit"

    placed = dict(session.placements[Film.NEUTRAL].positions)
    click_widget(qtbot, screen)  # the reader clicks the film to give it the keyboard: nothing moves
    assert session.placements[Film.NEUTRAL].positions == placed

    press(qtbot, screen, "Control-Shift-Enter")
    second = reading_ids[1]
    assert context.case_id == second, widget.status.text()
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)

    # what the reader relies on: the read is in the store, as clicked and graded ...
    read, content = _read_of(workstation_env, first)
    assert (read.status, read.version, read.reader) == ("submitted", 1, "reader-a")
    assert dict(content.grades) == {key: code for key, code in typed.items()}
    stored = {f"{p.vertebra} {p.corner.replace('_', '-')}": p for p in content.landmarks.values()}
    assert set(stored) == set(wanted)
    for name, (pixel, tolerance) in wanted.items():
        point = stored[name]
        assert point.used == "click" and (point.click_row, point.click_col) == (
            point.row,
            point.col,
        )
        assert max(abs(point.row - pixel[0]), abs(point.col - pixel[1])) <= tolerance, name
    # ... and the workstation shows the next case, ready for its first corner
    images = [layer for layer in viewer.layers if layer._type_string == "image"]
    assert [layer.name for layer in images if layer.visible] == [f"{second} neutral"]
    assert widget.landmarks.prompt.text() == "Place L1 anterior-superior"
    assert context.session is not None and context.read_state.status == "to read"
    assert not context.session.placements[Film.NEUTRAL].positions
    assert worklist.progress.text() == "1 of 2 cases submitted"
    assert _cell(worklist.table, 0, 2) == "submitted"
    assert {item.row() for item in worklist.table.selectedItems()} == {1}  # the open case


def test_the_worklist_driven_by_clicks_and_submit_and_next_by_its_button(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    two_cases: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    qtbot: Any,
) -> None:
    """Register by the button, open a case by its row and button or by a double click, read it
    with every corner skipped and every level explained, submit and next by the button."""
    viewer, widget = _shown_workstation(make_napari_viewer)
    context, worklist, table = widget.context, widget.worklist, widget.worklist.table
    folders = iter(two_cases.values())
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_: str(next(folders)))
    for _ in two_cases:
        click_widget(qtbot, _button(worklist, "Register a study folder"))
    assert table.rowCount() == 2 and worklist.progress.text() == "0 of 2 cases submitted"
    reading_ids = [_cell(table, row, 1) for row in range(2)]

    def click_row(row: int, double: bool = False) -> None:
        viewport, item = table.viewport(), table.item(row, 1)
        assert viewport is not None and item is not None
        center = table.visualItemRect(item).center()
        click_widget(qtbot, viewport, center)
        if double:
            qtbot.mouseDClick(
                viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, center
            )

    def wait_for(reading_id: str) -> None:
        assert context.case_id == reading_id
        qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)

    click_row(1)
    click_widget(qtbot, _button(worklist, "Open / reopen selected"))
    wait_for(reading_ids[1])
    click_row(0, double=True)
    wait_for(reading_ids[0])
    shown = [layer.name for layer in viewer.layers if layer.visible]
    assert shown[0] == f"{reading_ids[0]} neutral"

    # every corner skipped with the reason typed in the Landmarks tab, by K
    screen, landmarks = canvas(viewer), widget.landmarks
    _click_tab(qtbot, widget, "Landmarks")
    reasons = landmarks.reasons.lineEdit()
    assert reasons is not None
    click_widget(qtbot, reasons)
    reasons.selectAll()
    type_text(qtbot, reasons, "film damaged")
    for _ in range(22):
        press(qtbot, screen, "K")
    assert landmarks.prompt.text() == "All corners placed or skipped"
    # every level not graded, the reason typed in the Grades tab; G moves on
    _click_tab(qtbot, widget, "Grades")
    grades = widget.grades
    assert context.session is not None and context.session.grades is not None
    for _level in context.session.grades.levels:
        click_widget(qtbot, grades.reason)
        type_text(qtbot, grades.reason, "no MRI at this visit")
        press(qtbot, grades.reason, "Enter")
        press(qtbot, screen, "G")
    assert grades.problems.text() == "Ready to submit"
    click_widget(qtbot, grades.submit_next)
    wait_for(reading_ids[1])

    read, content = _read_of(workstation_env, reading_ids[0])
    assert read.status == "submitted" and not content.landmarks and not content.grades
    assert "[skipped neutral L1 anterior_superior: film damaged]" in content.notes["L1-L2"]
    assert "[not graded: no MRI at this visit]" in content.notes["L5-S1"]
    assert worklist.progress.text() == "1 of 2 cases submitted"
    assert {item.row() for item in table.selectedItems()} == {1}
