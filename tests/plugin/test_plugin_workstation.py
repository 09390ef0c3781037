"""The reading workstation in a real napari viewer (run under Xvfb): open, place, grade, submit.

The read made here with the ground-truth corners must land in the store with the measures that
the command line (``spine-endpoints heights`` and ``rom``) computes from the same corners.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from app_model.types import KeyBinding
from napari_spine_endpoints._model.shortcuts import SHORTCUT_BY_ACTION
from napari_spine_endpoints._model.window import Window
from napari_spine_endpoints._qt.layer_pool import SPARE_NAME
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from real_input import slice_sliders
from sqlalchemy import select

from imaging.anatomy import Film
from imaging.cli import main as cli
from imaging.measures import MEASURES
from imaging.store.reads import read_content
from imaging.store.schema import Measurement, Read
from imaging.store.store import ReadStore

pytestmark = pytest.mark.gui
FILMS = (Film.NEUTRAL, Film.FLEXION, Film.EXTENSION)


def _films(truth: dict[str, Any]) -> dict[Film, dict[str, Any]]:
    return {Film(i["film"]): i for i in truth["images"] if i["modality"] == "DX"}


def _open_films(viewer: Any, study: Path) -> None:
    paths = [str(study / f"DX_lateral_{film.value}.dcm") for film in FILMS]
    viewer.open(paths, plugin="spine-endpoints", stack=False)


def _cell(table: Any, row: int, column: int) -> str:
    item = table.item(row, column)
    return "" if item is None else str(item.text())


def _place_truth(widget: WorkstationWidget, truth: dict[str, Any]) -> None:
    """Click every corner where the ground truth has it, in the order the widget asks."""
    context = widget.context
    assert context.session is not None
    for film, image in _films(truth).items():
        context.select_film(film)
        overlay, placement = context.overlay(film), context.session.placements[film]
        while placement.current is not None:
            label = placement.current
            corner = image["corners"][label.vertebra.value][label.corner.value]
            overlay.points.add([corner["row"], corner["col"]])  # what a click in add mode does


def _grade_truth(widget: WorkstationWidget, truth: dict[str, Any]) -> None:
    grades = widget.grades
    for index, (level, items) in enumerate(truth["grades"].items()):
        grades.level.setCurrentIndex(index)
        grades.level.activated.emit(index)
        assert grades.form is not None and grades.form.current_level == level
        if level == "L4-L5":
            assert grades.labels["modic_cranial"].text() == "Modic cranial (L4 inferior endplate)"
        for item, value in items.items():
            combo = grades.combos[item]
            position = combo.findData(str(value))
            combo.setCurrentIndex(position)
            combo.activated.emit(position)


def test_reader_opens_a_study_with_mm_scale_window_and_mid_sagittal_slice(
    make_napari_viewer: Callable[..., Any], study: Path, truth: dict[str, Any]
) -> None:
    viewer = make_napari_viewer()
    viewer.open(str(study), plugin="spine-endpoints")
    films = {
        layer.metadata["spine_endpoints"]["film"]: layer
        for layer in viewer.layers
        if layer.ndim == 2
    }
    assert set(films) == {"neutral", "flexion", "extension"}
    for film, image in _films(truth).items():
        layer = films[film.value]
        spacing = image["calibration"]["pixel_spacing_mm"]
        np.testing.assert_allclose(layer.scale, spacing, rtol=1e-12)
        assert [str(u) for u in layer.units] == ["millimeter", "millimeter"]
        window = Window(image["window"]["center"], image["window"]["width"])
        np.testing.assert_allclose(layer.contrast_limits, window.contrast_limits)
        assert (
            layer.metadata["spine_endpoints"]["calibration"]["source"] == "magnification-corrected"
        )
        assert layer.metadata["spine_endpoints"]["sop_instance_uid"] == image["sop_instance_uid"]
    series = [layer for layer in viewer.layers if layer.ndim == 3]
    assert len(series) == 2 and all(layer.data.shape[0] == 11 for layer in series)
    assert series[0].scale[0] == pytest.approx(4.0)  # 11 slices every 4 mm
    assert viewer.dims.current_step[0] == 5  # instance 6 of 11: the mid-sagittal slice
    assert [layer.name for layer in viewer.layers if layer.visible] == [films["neutral"].name]


def test_a_read_from_clicks_to_the_store_matches_the_command_line(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    tmp_path: Path,
    qtbot: Any,
) -> None:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    _open_films(viewer, study)
    context = widget.context
    assert context.session is not None and set(context.images) == set(FILMS)
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays)  # a shown film gets its layers
    assert widget.landmarks.prompt.text() == "Place L1 anterior-superior"
    _place_truth(widget, truth)
    assert widget.landmarks.prompt.text() == "All corners placed or skipped"
    loss = truth["images"][0]["levels"]["L4-L5"]["height_loss_vs_adjacent_pct"]
    context.select_film(Film.NEUTRAL)
    heading = MEASURES["height_loss_vs_adjacent_pct"].heading
    # the normal reference discs are known once the discs are graded
    assert widget.landmarks.measures.text("L4-L5", heading) == "-"
    assert widget.landmarks.rom.isVisibleTo(widget.landmarks)
    _grade_truth(widget, truth)
    assert widget.landmarks.measures.text("L4-L5", heading) == f"{loss:.1f}"
    assert widget.grades.on_submit() == []
    assert context.read_state.status == "submitted"

    # the store holds the read, its grades, corners and measures
    with ReadStore(workstation_env) as store, store.reading() as db:
        read = db.scalars(select(Read)).one()
        assert (read.reader, read.status, read.version) == ("reader-a", "submitted", 1)
        content = read_content(db, read)
        stored = {
            (m.level, m.measure, m.film): m.value
            for m in db.scalars(select(Measurement).where(Measurement.read_pk == read.id))
        }
    expected_grades = {
        (level, item): str(value)
        for level, items in truth["grades"].items()
        for item, value in items.items()
    }
    assert dict(content.grades) == expected_grades
    assert len(content.landmarks) == 3 * 22

    # the command line on the same corners
    landmarks = tmp_path / "landmarks.csv"
    with landmarks.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["subject", "visit", "film", "image", "vertebra", "corner", "row", "col", "reader"]
        )
        for film, image in _films(truth).items():
            for vertebra, corners in image["corners"].items():
                for corner, point in corners.items():
                    path = study / f"DX_lateral_{film.value}.dcm"
                    writer.writerow(
                        [
                            "DLBP-001",
                            "baseline",
                            film.value,
                            path,
                            vertebra,
                            corner,
                            repr(point["row"]),
                            repr(point["col"]),
                            "reader-a",
                        ]
                    )
    grades = tmp_path / "grades.csv"  # the reader's Pfirrmann grades: the normal reference discs
    with grades.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["subject", "visit", "level", "reader", "pfirrmann"])
        for level, items in truth["grades"].items():
            if "pfirrmann" in items:
                writer.writerow(["DLBP-001", "baseline", level, "reader-a", items["pfirrmann"]])
    heights = tmp_path / "heights.parquet"
    assert cli(["heights", str(landmarks), "--grades", str(grades), "--out", str(heights)]) == 0
    assert cli(["rom", str(landmarks), "--out", str(tmp_path / "rom.parquet")]) == 0
    table = pd.concat(pd.read_parquet(tmp_path / f"{c}.parquet") for c in ("heights", "rom"))
    compared = 0
    records: list[dict[Any, Any]] = table.to_dict("records")
    for row in records:
        value = None if pd.isna(row["value"]) else float(row["value"])
        key = (row["level"], row["measure"], row["film"])
        assert stored[key] == value, key
        compared += 1
    assert compared > 100
    assert stored[("L4-L5", "height_loss_vs_adjacent_pct", "neutral")] == pytest.approx(
        loss, abs=1e-6
    )
    rom = truth["rom"]["L4-L5"]["angular_rom_deg"]
    assert stored[("L4-L5", "angular_rom", "flexion-extension")] == pytest.approx(rom, abs=1e-6)


def test_dragging_a_corner_updates_the_measures_and_the_draft_is_kept(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    viewer.open(str(study / "DX_lateral_neutral.dcm"), plugin="spine-endpoints")
    context = widget.context
    image = _films(truth)[Film.NEUTRAL]
    overlay = context.overlay(Film.NEUTRAL)
    assert context.session is not None
    placement = context.session.placements[Film.NEUTRAL]
    while placement.current is not None:
        label = placement.current
        corner = image["corners"][label.vertebra.value][label.corner.value]
        overlay.points.add([corner["row"], corner["col"]])
    before = widget.landmarks.measures.text("L4-L5", MEASURES["disc_height_anterior"].heading)
    assert before == f"{image['levels']['L4-L5']['disc_height_anterior_mm']:.2f}"

    # drag L5 anterior-superior 10 pixels down (the select-mode drag sets the layer data)
    labels = list(overlay.points.features["label"])
    index = labels.index("L5 anterior-superior")
    data = overlay.points.data.copy()
    data[index, 0] += 10.0
    overlay.points.data = data
    spacing = image["calibration"]["pixel_spacing_mm"][0]
    after = float(widget.landmarks.measures.text("L4-L5", MEASURES["disc_height_anterior"].heading))
    assert after == pytest.approx(float(before) + 10 * spacing, abs=0.05)  # nearly vertical disc

    # shortcuts are bound on the viewer: N moves on, K skips with the reason typed in the widget
    placement.go_to(placement.labels[0])
    viewer.keymap[KeyBinding.from_str(SHORTCUT_BY_ACTION["next_corner"].key)](viewer)
    assert placement.current == placement.labels[1]

    # autosave writes the draft; a new viewer on the same store gets it back
    qtbot.waitUntil(lambda: "Draft saved" in widget.status.text(), timeout=5000)
    second = make_napari_viewer()
    other = WorkstationWidget(second)
    second.open(str(study / "DX_lateral_neutral.dcm"), plugin="spine-endpoints")
    assert other.context.session is not None
    restored = other.context.session.placements[Film.NEUTRAL]
    assert restored.positions == placement.positions


def test_worklist_is_blinded_and_opens_cases_off_the_gui_thread(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path, qtbot: Any
) -> None:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    assert widget.worklist.register_folder(study) == 3 + 2 * 11
    table = widget.worklist.table
    assert table.rowCount() == 1
    shown = " ".join(_cell(table, 0, c) for c in range(table.columnCount()))
    assert "DLBP" not in shown and "baseline" not in shown and shown.split()[1].startswith("R-")
    worker = widget.worklist.open_row(0)
    qtbot.waitUntil(lambda: set(widget.context.images) == set(FILMS), timeout=20000)
    qtbot.waitUntil(lambda: not worker.is_running, timeout=5000)
    reading_id = _cell(table, 0, 1)
    names = [layer.name for layer in viewer.layers]
    assert all("DLBP" not in name for name in names)
    assert f"{reading_id} neutral" in names
    assert set(widget.context.images) == set(FILMS)


def test_window_level_presets_and_mouse_drag(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path, truth: dict[str, Any]
) -> None:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    viewer.open(str(study / "DX_lateral_neutral.dcm"), plugin="spine-endpoints")
    window_level = widget.window_level
    viewer.layers.selection.active = viewer.layers[0]
    window_level.refresh()
    assert window_level.presets.count() == 3  # the file's window, Auto, Full range
    layer = viewer.layers[0]
    layer.contrast_limits = (0.0, 100.0)
    window_level.presets.activated.emit(0)
    image = _films(truth)[Film.NEUTRAL]
    file_window = Window(image["window"]["center"], image["window"]["width"])
    np.testing.assert_allclose(layer.contrast_limits, file_window.contrast_limits)
    assert window_level.center_box.value() == pytest.approx(file_window.center, abs=0.05)
    start = Window.from_contrast_limits(layer.contrast_limits)

    class Drag:
        def __init__(self) -> None:
            self.type, self.pos, self.button = "mouse_press", (100.0, 100.0), 1

    widget.context.set_window_drag(True)
    assert viewer.scene.camera.mouse_pan is False and window_level.drag.isChecked()
    event = Drag()
    generator = window_level._on_mouse_drag(viewer, event)
    assert generator is not None
    next(generator)
    event.type, event.pos = "mouse_move", (150.0, 80.0)  # right 50 (wider), up 20 (brighter)
    next(generator)
    after = Window.from_contrast_limits(layer.contrast_limits)
    assert after.width > start.width and after.center < start.center
    widget.context.set_window_drag(False)
    assert viewer.scene.camera.mouse_pan is True


def test_flexion_and_extension_side_by_side(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path
) -> None:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    _open_films(viewer, study)
    landmarks = widget.landmarks
    landmarks.side_by_side.setChecked(True)
    assert viewer.canvas.grid.enabled and viewer.canvas.grid.stride == 4
    context = widget.context
    flexion, extension = context.overlay(Film.FLEXION), context.overlay(Film.EXTENSION)
    layers = viewer.layers
    assert layers.index(flexion.image) == 0 and layers.index(extension.points) == 6
    assert viewer.canvas.grid.position(layers.index(flexion.points), layers) == (0, 0)
    assert viewer.canvas.grid.position(layers.index(extension.points), layers) == (0, 1)
    assert not context.images[Film.NEUTRAL].visible

    class Click:
        type, viewbox = "mouse_press", (0, 1)

    landmarks._select_film_under_mouse(viewer, Click())  # a click in the right-hand film
    assert viewer.layers.selection.active is extension.points
    assert context.active_film is Film.EXTENSION
    landmarks.side_by_side.setChecked(False)
    assert not viewer.canvas.grid.enabled and context.images[Film.NEUTRAL].visible


def test_closing_napari_right_after_a_click_keeps_the_draft(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path, qtbot: Any
) -> None:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    viewer.open(str(study / "DX_lateral_neutral.dcm"), plugin="spine-endpoints")
    context = widget.context
    context.skip_reason = "outside the field of view"
    viewer.keymap[KeyBinding.from_str(SHORTCUT_BY_ACTION["skip_corner"].key)](viewer)
    context.overlay(Film.NEUTRAL).points.add([100.0, 100.0])  # L1 posterior-superior
    assert context._autosave.isActive()  # not yet written: the debounce is still running
    viewer.close()
    qtbot.waitUntil(lambda: not context._autosave.isActive(), timeout=5000)
    with ReadStore(workstation_env) as store, store.reading() as db:
        content = read_content(db, db.scalars(select(Read)).one())
    assert [(p.vertebra, p.corner, p.row) for p in content.landmarks.values()] == [
        ("L1", "posterior_superior", 100.0)
    ]
    assert (
        "[skipped neutral L1 anterior_superior: outside the field of view]"
        in content.notes["L1-L2"]
    )


def _two_visits(
    make_napari_viewer: Callable[..., Any], sample_root: Path
) -> tuple[Any, WorkstationWidget]:
    """A workstation with DLBP-001's baseline and month 6 on the worklist."""
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    for visit in ("baseline", "month_6"):
        widget.worklist.register_folder(sample_root / "DLBP-001" / visit)
    return viewer, widget


def test_next_case_replaces_the_previous_one_and_keeps_its_draft(
    make_napari_viewer: Callable[..., Any], workstation_env: str, sample_root: Path, qtbot: Any
) -> None:
    viewer, widget = _two_visits(make_napari_viewer, sample_root)
    context = widget.context
    first = context.open_case(_cell(widget.worklist.table, 0, 1))
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)
    qtbot.waitUntil(lambda: not first.is_running, timeout=5000)
    context.overlay(Film.NEUTRAL).points.add([1000.0, 800.0])  # one corner, then the next case
    qtbot.waitUntil(lambda: set(context.images) == set(FILMS), timeout=5000)
    widget.landmarks.side_by_side.setChecked(True)  # flexion | extension in napari's grid
    assert viewer.canvas.grid.enabled
    old_layers = list(viewer.layers)
    second = context.open_case(_cell(widget.worklist.table, 1, 1))
    # at once: the previous case's layers removed, or kept hidden to be refilled for this case
    # (napari adds and removes a layer in 0.05-0.1 s), named and described as no case's
    kept = [layer for layer in old_layers if layer in viewer.layers]
    assert kept and all(
        not layer.visible and not layer.metadata and layer.name.startswith(SPARE_NAME)
        for layer in kept
    )
    assert not any(layer in viewer.layers for layer in old_layers if layer.ndim == 3)
    assert not viewer.canvas.grid.enabled and not widget.landmarks.side_by_side.isChecked()
    qtbot.waitUntil(lambda: not second.is_running, timeout=5000)
    qtbot.waitUntil(lambda: len(context.hanging.series) == 2, timeout=5000)
    # the series wait for the Grades step out of the viewer: no slice slider under the film
    assert all(context.case_id in layer.name for layer in context.hanging.series)
    assert slice_sliders(viewer) == []
    # the films not shown are held out of the viewer until the reader shows one
    images = [
        layer
        for layer in viewer.layers
        if layer._type_string == "image" and not layer.name.startswith(SPARE_NAME)
    ]
    assert [layer.name for layer in images] == [f"{context.case_id} neutral"]
    assert images[0] in old_layers  # the first case's neutral film layer, refilled
    for layer in viewer.layers:
        assert layer.visible == (layer.name.startswith(context.case_id) and layer.ndim == 2), (
            layer.name
        )
    assert images[0].visible and set(context.images) == set(FILMS)
    assert all(context.case_id in layer.name for layer in context.images.values())
    with ReadStore(workstation_env) as store, store.reading() as db:
        drafts = [read_content(db, read) for read in db.scalars(select(Read))]
    assert [(p.vertebra, p.corner, p.row) for d in drafts for p in d.landmarks.values()] == [
        ("L1", "anterior_superior", 1000.0)  # the first corner the widget asks for
    ]


def test_a_submitted_read_is_corrected_as_a_new_version_with_its_reason(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    _open_films(viewer, study)
    context = widget.context
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays)
    _place_truth(widget, truth)
    _grade_truth(widget, truth)
    assert widget.grades.on_submit() == []
    assert not widget.grades.correct.isHidden()  # offered once submitted

    points = context.overlay(Film.NEUTRAL).points
    moved = points.data.copy()
    index = list(points.features["label"]).index("L5 anterior-superior")
    moved[index, 0] += 10.0
    points.data = moved  # an edit to a submitted read is not saved ...
    context.save_draft()
    assert "Not saved: this read is submitted (v1)" in widget.status.text()
    assert widget.grades.on_correct("")[0].startswith("a correction needs a reason.")
    assert widget.grades.on_correct("L5 corner on the osteophyte tip") == []  # ... until now
    assert (context.read_state.status, context.read_state.version) == ("draft", 2)
    assert widget.grades.correct.isHidden()
    assert widget.grades.on_submit() == []

    with ReadStore(workstation_env) as store, store.reading() as db:
        reads = db.scalars(select(Read).order_by(Read.version)).all()
        assert [(r.version, r.status, r.reason) for r in reads] == [
            (1, "submitted", None),
            (2, "submitted", "L5 corner on the osteophyte tip"),
        ]
        first, second = (read_content(db, read) for read in reads)
        heights = {
            read.version: db.scalars(
                select(Measurement.value).where(
                    Measurement.read_pk == read.id,
                    Measurement.level == "L4-L5",
                    Measurement.measure == "disc_height_anterior",
                    Measurement.film == "neutral",
                )
            ).one()
            for read in reads
        }
    rows = [
        next(
            p.row
            for p in content.landmarks.values()
            if (p.film, p.vertebra, p.corner) == ("neutral", "L5", "anterior_superior")
        )
        for content in (first, second)
    ]
    assert rows[1] == pytest.approx(rows[0] + 10.0)
    assert heights[2] != heights[1]  # the measures follow the corrected corner


def test_a_grades_only_protocol_reads_without_corners(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: Any,
) -> None:
    """The AS trial grades sacroiliac joints and mSASSS corners: no disc corners to place."""
    monkeypatch.setenv("SPINE_ENDPOINTS_PROTOCOL", "as-ucmsc")
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    viewer.open(str(study / "DX_lateral_neutral.dcm"), plugin="spine-endpoints")
    context = widget.context
    assert context.protocol.id == "AS-UCMSC" and context.session is not None
    qtbot.wait(50)  # when corner layers would come
    assert not context.overlays and [layer.ndim for layer in viewer.layers] == [2]
    assert widget.landmarks.prompt.text().startswith("No corners to place in this protocol")
    assert widget.landmarks.skip.isHidden()
    form = widget.grades.form
    assert form is not None and form.levels[:2] == ("SIJ-left", "SIJ-right")
    given = {"sacroiliitis": "3", "sacroiliitis_modality": "xray", "msasss": "0"}
    for level in form.levels:
        for item in form.items_at(level):
            form.set_grade(level, item.name, given.get(item.name, "no"))
    assert widget.grades.on_submit() == []
    with ReadStore(workstation_env) as store, store.reading() as db:
        content = read_content(db, db.scalars(select(Read)).one())
    assert content.grades[("SIJ-left", "sacroiliitis")] == "3"
    assert content.grades[("SIJ-right", "sacroiliitis_modality")] == "xray"
    assert content.grades[("spine", "complete_spinal_rigidity")] == "no"
    assert len(content.grades) == 2 * 2 + 24 + 1 and not content.landmarks


def test_a_second_film_of_the_same_kind_is_shown_but_not_read(
    make_napari_viewer: Callable[..., Any], workstation_env: str
) -> None:
    """Two lateral films of one patient and no trial attributes: the second is only shown."""
    from pydicom.data import get_testdata_file

    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    first, second = (str(get_testdata_file(name)) for name in ("RG1_UNCR.dcm", "RG1_J2KR.dcm"))
    viewer.open(first, plugin="spine-endpoints")
    assert "Nothing of this read will be saved: the film names no subject or visit" in (
        widget.status.text()
    )
    viewer.open(second, plugin="spine-endpoints")  # does not fail
    images = [layer for layer in viewer.layers if layer._type_string == "image"]
    assert len(images) == 2 and list(widget.context.images) == [Film.NEUTRAL]
    assert "shown, not added to the read: this read already has a neutral film" in (
        widget.status.text()
    )


def test_a_damaged_mr_slice_is_reported_at_open_naming_its_file(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path, tmp_path: Path,
    qtbot: Any,
) -> None:  # fmt: skip
    """File > Open decodes series in the background: a bad slice is named before it is shown."""
    copy = tmp_path / "study"
    shutil.copytree(study, copy)
    damaged = sorted((copy / "MR_sag_T2").iterdir())[3]
    data = bytearray(damaged.read_bytes())
    start = data.find(b"\xff\xd8\xff")  # the JPEG-LS stream's first marker
    assert start > 0
    data[start : start + 64] = bytes(64)
    damaged.write_bytes(bytes(data))
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    viewer.open(str(copy), plugin="spine-endpoints")  # opens: the slice is not decoded yet
    assert len([layer for layer in viewer.layers if layer.ndim == 3]) == 2
    qtbot.waitUntil(lambda: damaged.name in widget.status.text(), timeout=10000)
    assert "cannot be decoded" in widget.status.text()


def test_a_case_opened_while_another_loads_stops_that_loading(
    make_napari_viewer: Callable[..., Any], workstation_env: str, sample_root: Path, qtbot: Any
) -> None:
    _, widget = _two_visits(make_napari_viewer, sample_root)
    context = widget.context
    first = context.open_case(_cell(widget.worklist.table, 0, 1))
    second = context.open_case(_cell(widget.worklist.table, 1, 1))  # at once: the first loads
    assert first.abort_requested  # its series are not decoded for nobody
    qtbot.waitUntil(lambda: not first.is_running and not second.is_running, timeout=20000)
    qtbot.waitUntil(lambda: len(context.hanging.series) == 2, timeout=5000)
    case = context.case_id
    assert case == _cell(widget.worklist.table, 1, 1)
    assert all(case in layer.name for layer in [*context.hanging.series, *context.images.values()])
    qtbot.waitUntil(lambda: widget.status.text() == f"Case {case} open", timeout=5000)
    qtbot.wait(300)
    assert widget.status.text() == f"Case {case} open"  # nothing said of the first case since


def test_a_case_with_a_film_cut_short_opens_and_says_which_image_is_left_out(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    sample_root: Path,
    tmp_path: Path,
    qtbot: Any,
) -> None:
    copy = tmp_path / "DLBP-001" / "month_6"
    shutil.copytree(sample_root / "DLBP-001" / "month_6", copy)
    widget = WorkstationWidget(make_napari_viewer())
    widget.worklist.register_folder(copy)
    flexion = copy / "DX_lateral_flexion.dcm"
    flexion.write_bytes(flexion.read_bytes()[: flexion.stat().st_size // 2])  # after registering
    context = widget.context
    worker = context.open_case(_cell(widget.worklist.table, 0, 1))
    qtbot.waitUntil(lambda: not worker.is_running and len(context.hanging.series) == 2)
    case = context.case_id
    qtbot.waitUntil(lambda: widget.status.text().startswith(f"Case {case} open; "), timeout=5000)
    said = widget.status.text()
    assert said.startswith(f"Case {case} open; 1 image(s) left out:\n- case {case}: img-")
    assert "truncated" in said and str(copy) not in said and "flexion" not in said
    assert set(context.images) == {Film.NEUTRAL, Film.EXTENSION}  # the rest is read as usual
