"""Hanging protocols, undo and keyboard grading driven by real clicks and keys (run under Xvfb).

Whatever loads after the film (the other films, the MR series decoded in a worker), the first
click on the canvas after "Open next case" places L1 anterior-superior: checked case after case,
clicking before and after the series have arrived. The Grades step shows the sagittal T2 on its
middle slice, the disc being graded highlighted, T1 one key away, grades typed as digits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from napari_spine_endpoints._qt.film_overlay import LABEL_OFFSET_PX
from napari_spine_endpoints._qt.suggest_panel import GRADED_COLOR
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from qtpy.QtWidgets import QPushButton, QWidget
from real_input import (
    canvas,
    click_pixel,
    click_tolerance,
    click_widget,
    press,
    shown_workstation,
    slice_sliders,
)

from imaging.anatomy import Film
from imaging.store.reads import read_content
from imaging.store.schema import Case, Read
from imaging.store.store import ReadStore
from imaging.store.worklist import unblinding_map

pytestmark = pytest.mark.gui
CASES = ("DLBP-001/baseline", "DLBP-002/baseline")


def _button(widget: QWidget, text: str) -> QPushButton:
    (found,) = [b for b in widget.findChildren(QPushButton) if b.text().startswith(text)]
    return found


def _truth(folder: Path, modality: str) -> dict[str, Any]:
    images = json.loads((folder / "ground_truth.json").read_text())["images"]
    wanted = "neutral" if modality == "DX" else "T2"
    return dict(next(i for i in images if wanted in (i.get("film"), i.get("sequence"))))


def _folder(url: str, reading_id: str, root: Path) -> Path:
    """The test's own unblinding: the study folder behind a reading id."""
    with ReadStore(url) as store, store.reading() as db:
        subject, visit = unblinding_map(db)[reading_id]
    return root / subject / visit


def _click_tab(qtbot: Any, widget: WorkstationWidget, title: str) -> None:
    bar = widget.tabs.tabBar()
    assert bar is not None
    index = next(i for i in range(widget.tabs.count()) if widget.tabs.tabText(i) == title)
    click_widget(qtbot, bar, bar.tabRect(index).center())


def test_the_first_click_after_open_next_case_places_l1_every_time_and_undo_takes_it_back(
    make_napari_viewer: Callable[..., Any], workstation_env: str, sample_root: Path, qtbot: Any
) -> None:
    viewer, widget = shown_workstation(make_napari_viewer)
    context, worklist = widget.context, widget.worklist
    for case in CASES:
        worklist.register_folder(sample_root / case)
    screen = canvas(viewer)
    opened = []
    for turn in range(3):  # case A, case B, case A again (its draft emptied by undo)
        click_widget(qtbot, _button(worklist, "Open next case"))
        opened.append(context.case_id)
        qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)
        assert widget.tabs.currentWidget() is widget.landmarks  # the case's first step
        assert context.session is not None
        image, placement = context.images[Film.NEUTRAL], context.session.placements[Film.NEUTRAL]
        truth = _truth(_folder(workstation_env, str(context.case_id), sample_root), "DX")
        corner = truth["corners"]["L1"]
        if turn == 1:  # the second time, a few seconds on: every film and series has arrived
            qtbot.waitUntil(lambda: len(context.hanging.series) == 2, timeout=20000)
            qtbot.waitUntil(lambda: len(context.images) == 3, timeout=20000)
            assert slice_sliders(viewer) == []  # no slice slider under the film
        pixel = (
            float(corner["anterior_superior"]["row"]),
            float(corner["anterior_superior"]["col"]),
        )
        click_pixel(qtbot, viewer, image, pixel)
        assert list(placement.positions) == [placement.labels[0]], (turn, viewer.layers.selection)
        assert placement.labels[0].text == "L1 anterior-superior"
        landed = placement.positions[placement.labels[0]]
        assert np.abs(np.subtract(landed, pixel)).max() <= click_tolerance(viewer, image)
        # the film fitted to the window: all of it on screen
        assert image.extent.world[1][0] - image.extent.world[0][0] <= (
            screen.height() / float(viewer.scene.camera.zoom)
        )
        points = context.overlay(Film.NEUTRAL).points
        assert viewer.layers.selection.active is points and points.mode == "add"
        # labels stay LABEL_OFFSET_PX screen pixels off their corners at any zoom
        offset = abs(float(points.text.translation[-1])) * viewer.scene.camera.zoom
        assert offset * float(image.scale[-1]) == pytest.approx(LABEL_OFFSET_PX)

        # undo restores the previous corner: L1 AS re-placed elsewhere, Control-Z puts it back
        corners = widget.landmarks.corners
        first, viewport = corners.item(0), corners.viewport()
        assert first is not None and viewport is not None
        click_widget(qtbot, viewport, corners.visualItemRect(first).center())
        assert widget.landmarks.prompt.text() == "Re-place L1 anterior-superior (click to move it)"
        click_pixel(qtbot, viewer, image, (pixel[0] + 40.0, pixel[1] + 25.0))
        assert placement.positions[placement.labels[0]] != landed
        press(qtbot, screen, "Control-Z")
        assert placement.positions[placement.labels[0]] == landed
        press(qtbot, screen, "Control-Shift-Z")  # redo, then undo twice: nothing placed
        assert placement.positions[placement.labels[0]] != landed
        press(qtbot, screen, "Control-Z")
        press(qtbot, screen, "Control-Z")
        assert not placement.positions and widget.landmarks.prompt.text() == (
            "Place L1 anterior-superior"
        )
        # "Read the selected film" with the lines layer selected: the film, never an error
        viewer.layers.selection.active = context.overlay(Film.NEUTRAL).lines
        click_widget(qtbot, _button(widget.landmarks, "Read the selected film"))
        assert viewer.layers.selection.active is points and points.mode == "add"
    assert opened[0] == opened[2] != opened[1]


def test_a_film_chosen_in_the_list_is_shown_alone_and_takes_the_clicks(
    make_napari_viewer: Callable[..., Any], workstation_env: str, sample_root: Path, qtbot: Any
) -> None:
    """Flexion chosen, then neutral again: each time that film and its corners and lines are
    the only ones on screen (the other film's image never covers it) and a click places its
    first corner. A film not shown yet is held out of the viewer."""
    viewer, widget = shown_workstation(make_napari_viewer)
    context = widget.context
    widget.worklist.register_folder(sample_root / CASES[0])
    click_widget(qtbot, _button(widget.worklist, "Open next case"))
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)
    qtbot.waitUntil(lambda: len(context.images) == 3, timeout=20000)
    films_in_viewer = [layer for layer in viewer.layers if layer in context.images.values()]
    assert films_in_viewer == [context.images[Film.NEUTRAL]]
    folder = _folder(workstation_env, str(context.case_id), sample_root)
    truth = json.loads((folder / "ground_truth.json").read_text())["images"]
    films = widget.landmarks.films
    for film in (Film.FLEXION, Film.NEUTRAL):
        click_widget(qtbot, films)
        current, wanted = films.currentIndex(), films.findData(film)
        for _ in range(abs(wanted - current)):
            press(qtbot, films.view(), "Down" if wanted > current else "Up")
        press(qtbot, films.view(), "Enter")
        image, overlay = context.images[film], context.overlay(film)
        for each, other in context.images.items():
            mine = [other, *context.overlays[each].layers] if each in context.overlays else []
            assert all(layer.visible is (each is film) for layer in mine), (film, each)
        shown_images = [x for x in viewer.layers if x in context.images.values() and x.visible]
        assert shown_images == [image]
        corner = next(i for i in truth if i.get("film") == film.value)["corners"]["L1"]
        pixel = (
            float(corner["anterior_superior"]["row"]),
            float(corner["anterior_superior"]["col"]),
        )
        click_pixel(qtbot, viewer, image, pixel)
        placement = context.session.placements[film]
        assert list(placement.positions) == [placement.labels[0]], film
        assert viewer.layers.selection.active is overlay.points


def test_the_grades_step_shows_the_t2_with_the_level_highlighted_and_grades_by_keys(
    make_napari_viewer: Callable[..., Any], workstation_env: str, sample_root: Path, qtbot: Any
) -> None:
    viewer, widget = shown_workstation(make_napari_viewer)
    context, panel = widget.context, widget.grades.suggestions
    widget.worklist.register_folder(sample_root / CASES[0])
    click_widget(qtbot, _button(widget.worklist, "Open next case"))
    qtbot.waitUntil(lambda: len(context.hanging.series) == 2, timeout=20000)
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)
    reading_id = str(context.case_id)
    truth = _truth(_folder(workstation_env, reading_id, sample_root), "MR")

    _click_tab(qtbot, widget, "Grades")
    t2 = context.hanging.shown_mr
    assert t2 is not None and t2.name == f"{reading_id} MR T2 sagittal" and t2.visible
    # the suggestion's selectors: the T2 series for T2, the T1 series for T1 (from the headers)
    assert panel.t2.currentData() is t2 and panel.t2.currentText().endswith("MR T2 sagittal")
    assert panel.t1.currentText() == f"{reading_id} MR T1 sagittal"
    assert viewer.dims.current_step[0] == truth["mid_sagittal_slice_index"]
    films = [*context.images.values(), context.overlay(Film.NEUTRAL).lines]
    assert not any(layer.visible for layer in films)  # no radiograph lines over the MR
    assert viewer.layers.extent.units is not None  # one unit for every layer: no toast

    # the disc centres, clicked on the mid-sagittal T2 as prompted (its layer is active)
    centres = panel.centres_layer
    assert centres is not None and viewer.layers.selection.active is centres
    middle = truth["mid_sagittal_slice_index"]
    for level in ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"):
        assert panel.prompt.text().startswith(f"Click the centre of the {level} disc")
        point = truth["disc_centres"][level]
        click_pixel(qtbot, viewer, t2, (middle, float(point["row"]), float(point["col"])))
    assert len(centres.data) == 5 and viewer.layers.selection.active is t2  # all marked
    assert panel.highlighted_level == "L1-L2"
    assert np.allclose(centres.face_color[0][:3], np.array([0xFF, 0xE0, 0x40]) / 255)
    assert GRADED_COLOR == "#ffe040"

    screen = canvas(viewer)
    session = context.session
    assert session is not None and session.grades is not None
    for key in ("3", "0", "1"):  # L1-L2: Pfirrmann III, Modic 0 (cranial), I (caudal)
        press(qtbot, screen, key)
    assert session.grades.current_level == "L2-L3" and panel.highlighted_level == "L2-L3"
    press(qtbot, screen, "Shift-G")  # back: the highlight follows the level
    assert panel.highlighted_level == "L1-L2"
    t1 = context.hanging.t1
    assert t1 is not None and t1 not in viewer.layers  # only the series shown is in the viewer
    press(qtbot, screen, "Shift-M")  # T1 for Modic, on the same slice
    shown = context.hanging.shown_mr
    assert shown is t1 and shown.name.endswith("MR T1 sagittal") and shown.visible
    assert t1 in viewer.layers
    assert not t2.visible and viewer.dims.current_step[0] == middle
    press(qtbot, screen, "Shift-M")
    assert t2.visible

    context.save_draft()
    with ReadStore(workstation_env) as store, store.reading() as db:
        read = (
            db.query(Read)
            .join(Case, Read.case_pk == Case.id)
            .filter(Case.reading_id == reading_id)
            .one()
        )
        content = read_content(db, read)
    assert {k: v for k, v in content.grades.items() if k[0] == "L1-L2"} == {
        ("L1-L2", "pfirrmann"): "3", ("L1-L2", "modic_cranial"): "0",
        ("L1-L2", "modic_caudal"): "I",
    }  # fmt: skip

    _click_tab(qtbot, widget, "Landmarks")  # back to the film: the MR leaves with its slider
    assert slice_sliders(viewer) == [] and context.images[Film.NEUTRAL].visible
    assert viewer.layers.selection.active is context.overlay(Film.NEUTRAL).points


def test_an_earlier_levels_suggestion_text_leaves_with_its_level(
    make_napari_viewer: Callable[..., Any], workstation_env: str
) -> None:
    """The suggestion panel shows the level being graded only: the previous level's texts are
    gone at once, not stacked under the new ones until Qt deletes them."""
    from napari_spine_endpoints._model.suggestions import ItemSuggestion
    from qtpy.QtWidgets import QLabel

    widget = WorkstationWidget(make_napari_viewer())
    context, panel = widget.context, widget.grades.suggestions
    session = context.new_session("DLBP-001", "baseline")
    assert session.grades is not None
    session.suggestions.show(
        {},
        [
            ItemSuggestion("L1-L2", "pfirrmann", "2", "II", ("first level's evidence",)),
            ItemSuggestion("L2-L3", "pfirrmann", "4", "IV", ("second level's evidence",)),
        ],
    )
    texts = [label.text() for label in panel.items.findChildren(QLabel)]
    assert "first level's evidence" in texts
    session.grades.next_level()
    texts = [label.text() for label in panel.items.findChildren(QLabel)]
    assert "second level's evidence" in texts and "first level's evidence" not in texts


def test_the_next_cases_grades_step_shows_its_own_mr_in_the_last_reads_layers(
    make_napari_viewer: Callable[..., Any], workstation_env: str, sample_root: Path, qtbot: Any
) -> None:
    """A case graded, then the next one: its films get no slice slider although the last
    read's MR layer waits hidden in the viewer, and its Grades step shows its own T2 (the last
    read's layers refilled: napari adds a volume in about 0.25 s), on its middle slice, with
    its disc centres clicked into the store's read."""
    viewer, widget = shown_workstation(make_napari_viewer)
    context, panel = widget.context, widget.grades.suggestions
    for case in CASES:
        widget.worklist.register_folder(sample_root / case)
    read = []
    for _ in CASES:
        click_widget(qtbot, _button(widget.worklist, "Open next case"))
        qtbot.waitUntil(lambda: len(context.hanging.series) == 2, timeout=20000)
        qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)
        assert slice_sliders(viewer) == []  # the film alone, no slider under it
        reading_id = str(context.case_id)
        folder = _folder(workstation_env, reading_id, sample_root)
        corner = _truth(folder, "DX")["corners"]["L1"]["anterior_superior"]
        placement = context.session.placements[Film.NEUTRAL]
        click_pixel(qtbot, viewer, context.images[Film.NEUTRAL], (corner["row"], corner["col"]))
        assert list(placement.positions) == [placement.labels[0]]  # L1 anterior-superior

        _click_tab(qtbot, widget, "Grades")
        t2, centres = context.hanging.shown_mr, panel.centres_layer
        assert t2 is not None and centres is not None
        truth = _truth(folder, "MR")
        middle = truth["mid_sagittal_slice_index"]
        assert t2.name == f"{reading_id} MR T2 sagittal" and t2.visible
        assert t2.data.shape[0] == truth["slices"] and slice_sliders(viewer) == [0]
        mid_file = pydicom.dcmread(sample_root / truth["mid_sagittal_file"])
        np.testing.assert_array_equal(t2.data[middle], mid_file.pixel_array)  # this case's MR
        assert viewer.dims.current_step[0] == middle and panel.t2.currentData() is t2
        assert centres.name == f"{t2.name} disc centres" and len(centres.data) == 0
        point = truth["disc_centres"]["L1-L2"]
        click_pixel(qtbot, viewer, t2, (middle, float(point["row"]), float(point["col"])))
        disc_centres = context.session.disc_centres
        assert disc_centres is not None and list(disc_centres.centres) == ["L1-L2"]
        press(qtbot, canvas(viewer), "Shift-M")  # T1, in the viewer too from now on
        assert context.hanging.shown_mr is context.hanging.t1 and not t2.visible
        read.append((reading_id, t2, centres, [*viewer.layers]))

    (first_id, first_t2, first_centres, _), (second_id, second_t2, second_centres, layers) = read
    assert first_id != second_id
    assert second_t2 is first_t2 and second_centres is first_centres  # refilled, not added
    assert sum(layer.ndim == 3 for layer in layers) == 3  # T2, T1, disc centres: no spare left
