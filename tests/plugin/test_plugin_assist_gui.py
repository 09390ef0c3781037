"""Assisted reading in a real napari viewer (run under Xvfb): refine, track, suggest, submit.

Rough clicks (the ground truth moved up to 2 mm) are refined off the GUI thread, accepted and
submitted; the store must hold each click, its refined position and ``used = refined``, with
measures within 0.3 mm and 0.5 degrees of the truth.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from app_model.types import KeyBinding
from napari_spine_endpoints._model.shortcuts import SHORTCUT_BY_ACTION
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from rough_clicks import perturbed
from sqlalchemy import select

from imaging.anatomy import Film
from imaging.store.reads import read_content
from imaging.store.schema import Measurement, Read
from imaging.store.store import ReadStore

pytestmark = pytest.mark.gui


def _image(truth: dict[str, Any], film: Film) -> dict[str, Any]:
    return dict(next(i for i in truth["images"] if i.get("film") == film.value))


def _workstation(make_napari_viewer: Callable[..., Any], study: Path, *films: Film) -> Any:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    paths = [str(study / f"DX_lateral_{film.value}.dcm") for film in films]
    viewer.open(paths, plugin="spine-endpoints", stack=False)
    return viewer, widget


def _click_all(widget: Any, film: Film, points: Callable[[Any], tuple[float, float]]) -> None:
    context = widget.context
    context.select_film(film)
    overlay, placement = context.overlay(film), context.session.placements[film]
    while placement.current is not None:
        overlay.points.add(list(points(placement.current)))  # a click in add mode


def _key(viewer: Any, action: str) -> None:
    viewer.keymap[KeyBinding.from_str(SHORTCUT_BY_ACTION[action].key)](viewer)


def test_rough_clicks_refined_accepted_and_submitted(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer, widget = _workstation(make_napari_viewer, study, Film.NEUTRAL)
    context, assist = widget.context, widget.landmarks.assist
    image = _image(truth, Film.NEUTRAL)
    spacing = image["calibration"]["pixel_spacing_mm"][0]
    rng = np.random.default_rng(3)
    clicks: dict[tuple[str, str], tuple[float, float]] = {}

    def rough(label: Any) -> tuple[float, float]:
        corner = image["corners"][label.vertebra.value][label.corner.value]
        point = perturbed((corner["row"], corner["col"]), spacing, rng)
        clicks[(label.vertebra.value, label.corner.value)] = point
        return point

    _click_all(widget, Film.NEUTRAL, rough)
    assist.refine.click()
    qtbot.waitUntil(lambda: not context.assistant.busy, timeout=20000)
    assert assist.proposals.count() == 22
    overlay = context.overlay(Film.NEUTRAL)
    rings = overlay.proposals.layer
    assert viewer.layers.selection.active is overlay.points  # clicks still place corners
    assert overlay.points.mode == "add"
    assert len(rings.data) == 22
    assert all(text.startswith(("0.", "1.")) for text in rings.features["text"])
    assert "refined" in assist.proposals.item(0).text()
    _key(viewer, "accept_proposals")  # U: accept every confident proposal
    assert assist.proposals.count() == 0 and len(rings.data) == 0
    assert "refined" in widget.landmarks.corners.item(0).text()

    for index, items in enumerate(truth["grades"].values()):
        widget.grades.level.setCurrentIndex(index)
        widget.grades.level.activated.emit(index)
        for item, value in items.items():
            combo = widget.grades.combos[item]
            position = combo.findData(str(value))
            combo.setCurrentIndex(position)
            combo.activated.emit(position)
    assert widget.grades.on_submit() == []

    with ReadStore(workstation_env) as store, store.reading() as db:
        read = db.scalars(select(Read)).one()
        landmarks = read_content(db, read).landmarks.values()
        stored = {
            (m.level, m.measure): m.value
            for m in db.scalars(select(Measurement).where(Measurement.read_pk == read.id))
        }
    assert len(landmarks) == 22
    for point in landmarks:
        truth_point = image["corners"][point.vertebra][point.corner]
        assert point.used == "refined" and point.refinement_status == "refined"
        assert point.click == pytest.approx(clicks[(point.vertebra, point.corner)])
        assert point.refined == (point.row, point.col)
        error = math.dist(point.refined, (truth_point["row"], truth_point["col"])) * spacing
        assert error < 0.5, (point.vertebra, point.corner)
    for level, expected in image["levels"].items():
        for measure, key in (("disc_height_mean", "disc_height_mean_mm"),
                             ("disc_height_anterior", "disc_height_anterior_mm"),
                             ("disc_height_posterior", "disc_height_posterior_mm")):  # fmt: skip
            assert stored[(level, measure)] == pytest.approx(expected[key], abs=0.3), level
        assert stored[(level, "segmental_angle")] == pytest.approx(
            expected["segmental_angle_deg"], abs=0.5
        ), level


def test_auto_refine_applies_confident_refinements_as_vertebrae_are_completed(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    _, widget = _workstation(make_napari_viewer, study, Film.NEUTRAL)
    context, assist = widget.context, widget.landmarks.assist
    image = _image(truth, Film.NEUTRAL)
    spacing = image["calibration"]["pixel_spacing_mm"][0]
    rng = np.random.default_rng(5)
    assist.auto.setChecked(True)
    context.select_film(Film.NEUTRAL)
    overlay, placement = context.overlay(Film.NEUTRAL), context.session.placements[Film.NEUTRAL]
    for _ in range(4):  # L1's four corners
        label = placement.current
        corner = image["corners"][label.vertebra.value][label.corner.value]
        overlay.points.add(list(perturbed((corner["row"], corner["col"]), spacing, rng)))
    qtbot.waitUntil(lambda: not context.assistant.busy, timeout=20000)
    l1 = [x for x in placement.labels if x.vertebra.value == "L1"]
    assert {placement.records[x].used.value for x in l1} == {"refined"}
    assert placement.current is not None and placement.current.vertebra.value == "L2"
    assert all(placement.records[x].used.value == "click" for x in placement.positions
               if x not in l1)  # fmt: skip


def test_tracking_to_extension_offers_corners_reports_matches_and_rom(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer, widget = _workstation(make_napari_viewer, study, Film.FLEXION, Film.EXTENSION)
    context, assist = widget.context, widget.landmarks.assist
    flexion, extension = _image(truth, Film.FLEXION), _image(truth, Film.EXTENSION)

    def exact(label: Any) -> tuple[float, float]:
        corner = flexion["corners"][label.vertebra.value][label.corner.value]
        return (corner["row"], corner["col"])

    _click_all(widget, Film.FLEXION, exact)
    assert assist.target.currentData() is Film.EXTENSION
    _key(viewer, "track")  # Shift-T, from the flexion film
    qtbot.waitUntil(lambda: not context.assistant.busy, timeout=30000)
    assert "POOR" not in assist.matches.text() and "L4: matched" in assist.matches.text()
    context.select_film(Film.EXTENSION)
    assert assist.proposals.count() == 22
    rings = context.overlay(Film.EXTENSION).proposals.layer
    assert set(rings.features["text"]) == {"T"}
    moved = list(rings.features["label"]).index("L4 anterior-superior")
    data = rings.data.copy()
    true_l4 = extension["corners"]["L4"]["anterior_superior"]
    data[moved] = (true_l4["row"], true_l4["col"])
    rings.data = data  # the reader drags one ring to where the corner is
    assist.accept_confident.click()
    placement = context.session.placements[Film.EXTENSION]
    assert placement.is_complete
    used = {x.text: placement.records[x].used.value for x in placement.labels}
    assert used.pop("L4 anterior-superior") == "moved" and set(used.values()) == {"tracked"}
    expected = truth["rom"]["L4-L5"]["angular_rom_deg"]
    from_transforms = float(assist.motion_text("L4-L5", "Angle change, transforms (deg)"))
    from_corners = float(assist.motion_text("L4-L5", "Angular ROM, placed corners (deg)"))
    assert from_transforms == pytest.approx(expected, abs=0.5)
    assert from_corners == pytest.approx(expected, abs=0.5)
    assert assist.motion_text("L4-L5", "Match") == "ok"


def test_mr_suggestions_are_shown_and_set_a_grade_only_when_used(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    viewer.open([str(study / "MR_sag_T2"), str(study / "MR_sag_T1")], plugin="spine-endpoints",
                stack=False)  # fmt: skip
    panel, context = widget.grades.suggestions, widget.context
    assert "T2" in panel.t2.currentText() and "T1" in panel.t1.currentText()
    layer = panel.start_marking()
    assert layer is not None and context.session is not None
    t2 = next(i for i in truth["images"] if i.get("sequence") == "T2")
    middle = t2["mid_sagittal_slice_index"]
    centres = context.session.disc_centres
    assert centres is not None
    while centres.current is not None:
        assert panel.prompt.text().startswith(f"Click the centre of the {centres.current.value}")
        point = t2["disc_centres"][centres.current.value]
        layer.add([middle, point["row"] + 1.0, point["col"] + 1.0])  # a click on the slice
    assert len(layer.data) == 5
    panel.suggest.click()
    qtbot.waitUntil(lambda: not context.assistant.busy, timeout=20000)
    form = context.session.grades
    assert form is not None
    form.go_to("L4-L5")
    assert form.values == {}  # shown, not set
    expected = truth["grades"]["L4-L5"]
    assert f"suggestion: {expected['pfirrmann']} " in panel.titles["pfirrmann"].text()
    assert "MRI disc height" in panel.disc.text()
    assert widget.grades.combos["pfirrmann"].currentData() is None
    panel.use_buttons["pfirrmann"].click()
    assert form.values == {("L4-L5", "pfirrmann"): str(expected["pfirrmann"])}
    assert widget.grades.combos["pfirrmann"].currentData() == str(expected["pfirrmann"])
    assert ("L4-L5", "modic_cranial") not in form.values
    assert (
        context.session.suggestions.values[("L4-L5", "modic_cranial")].code
        == (expected["modic_cranial"])
    )
