"""Measures drawn on the film, the scale bar, the corner cursor and a calibration line drawn by
the reader on an uncalibrated film, with real mouse events (run under Xvfb)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from napari_spine_endpoints._model.overlay import overlay_segments
from napari_spine_endpoints._qt import summary_action
from napari_spine_endpoints._qt.measure_labels import scale_bar
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from real_input import canvas, canvas_position, click_widget, drag, look_at, shown_workstation
from sqlalchemy import select

from imaging.anatomy import Film
from imaging.measures import MEASURES
from imaging.store.audit import audit_entries
from imaging.store.reads import read_content
from imaging.store.schema import Read
from imaging.store.store import ReadStore

pytestmark = pytest.mark.gui
HEIGHT = MEASURES["disc_height_mean"].heading


def _neutral(study: Path) -> dict[str, Any]:
    truth = json.loads((study / "ground_truth.json").read_text())
    return dict(next(i for i in truth["images"] if i.get("film") == "neutral"))


def _place(widget: WorkstationWidget, corners: dict[str, Any]) -> None:
    """Every corner where the truth has it, as a click in add mode adds it."""
    context = widget.context
    assert context.session is not None
    overlay, placement = context.overlay(Film.NEUTRAL), context.session.placements[Film.NEUTRAL]
    while placement.current is not None:
        label = placement.current
        point = corners[label.vertebra.value][label.corner.value]
        overlay.points.add([point["row"], point["col"]])


def test_each_level_shows_the_tables_height_and_angle_next_to_it_with_a_scale_bar(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path, qtbot: Any,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    viewer, widget = shown_workstation(make_napari_viewer)
    viewer.open(str(study / "DX_lateral_neutral.dcm"), plugin="spine-endpoints")
    context = widget.context
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays)
    # corners are placed with napari's crosshair cursor on the canvas
    qtbot.waitUntil(lambda: viewer.cursor.style == "crosshair")
    _place(widget, _neutral(study)["corners"])
    # the endplate lines and disc heights drawn: the model's segments, then rows not in use
    session = context.session
    segments = overlay_segments(session.placements[Film.NEUTRAL].positions, session.disc_levels)
    lines = context.overlay(Film.NEUTRAL).lines
    assert len(segments) == 11 + 3 * 5 and len(lines.data) >= len(segments)
    np.testing.assert_allclose(lines.data[: len(segments), 0], [s.start for s in segments])
    np.testing.assert_allclose(
        lines.data[: len(segments), 0] + lines.data[: len(segments), 1], [s.end for s in segments]
    )
    assert not lines.data[len(segments) :].any() and not lines.edge_color[len(segments) :, 3].any()
    panel = widget.landmarks.on_image
    layer = panel.labels.layers[Film.NEUTRAL]
    shown = [text for text in layer.features["text"] if text]  # (rows not in use: no text)
    texts = dict(zip((t.split()[0] for t in shown), shown, strict=True))
    assert set(texts) == {"L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"}
    table = widget.landmarks.measures
    angle = table.text("L4-L5", MEASURES["segmental_angle"].heading)
    assert texts["L4-L5"] == f"L4-L5  h {table.text('L4-L5', HEIGHT)} mm  {angle}\N{DEGREE SIGN}"
    assert layer.visible and scale_bar(viewer).visible  # magnification-corrected: mm at the patient
    click_widget(qtbot, panel.show_measures)
    assert not panel.show_measures.isChecked() and not layer.visible

    # the printable read summary, from the workstation's button
    monkeypatch.setenv("SPINE_ENDPOINTS_SUMMARIES", str(tmp_path))
    monkeypatch.setattr(summary_action, "OPEN_IN_BROWSER", False)
    click_widget(qtbot, widget.summary)
    (page,) = (p.read_text() for p in tmp_path.glob("*.html"))
    assert f">{table.text('L4-L5', HEIGHT)}<" in page
    assert page.count('src="data:image/jpeg;base64,') == 1 and "draft: not signed" in page


def test_a_50_mm_line_drawn_on_an_uncalibrated_film_gives_millimetres_kept_in_the_store(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path, qtbot: Any,
    tmp_path: Path, truth: dict[str, Any],
) -> None:  # fmt: skip
    film = tmp_path / "DX_lateral_neutral.dcm"
    shutil.copy(study / "DX_lateral_neutral.dcm", film)
    dataset = pydicom.dcmread(film)
    del dataset.ImagerPixelSpacing  # no spacing left: an uncalibrated film
    del dataset.EstimatedRadiographicMagnificationFactor
    dataset.save_as(film)
    neutral = _neutral(study)
    spacing = neutral["calibration"]["pixel_spacing_mm"][0]  # what the film really is

    viewer, widget = shown_workstation(make_napari_viewer)
    viewer.open(str(film), plugin="spine-endpoints")
    context = widget.context
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays)
    _place(widget, neutral["corners"])
    table = widget.landmarks.measures
    assert table.text("L4-L5", HEIGHT) == "-"  # no millimetres without a calibration
    assert not scale_bar(viewer).visible

    panel = widget.landmarks.on_image
    click_widget(qtbot, panel.draw)
    image = context.images[Film.NEUTRAL]
    start, end = (300.0, 100.0), (300.0, 100.0 + 50.0 / spacing)  # 50 mm apart on the film
    look_at(viewer, image, (300.0, 172.0), 2.0, (0.0, 0.0))
    a, b = (canvas_position(viewer, image, p) for p in (start, end))
    drag(qtbot, canvas(viewer), (round(a[0]), round(a[1])), (round(b[0]), round(b[1])))
    qtbot.waitUntil(lambda: context.session is not None and bool(context.session.user_calibrations))
    assert panel.length.value() == 50.0

    session = context.session
    assert session is not None
    calibration = session.films[Film.NEUTRAL].calibration
    assert calibration.user_supplied and calibration.source.value == "calibrated"
    assert calibration.pixel_spacing == pytest.approx((spacing, spacing), rel=0.01)
    expected = neutral["levels"]["L4-L5"]["disc_height_mean_mm"]
    assert float(table.text("L4-L5", HEIGHT)) == pytest.approx(expected, rel=0.01)
    assert image.scale[-1] == pytest.approx(spacing, rel=0.01)  # the canvas in mm too
    assert scale_bar(viewer).visible

    for level, items in truth["grades"].items():
        for item, value in items.items():
            assert session.grades is not None
            session.grades.set_grade(level, item, str(value))
    assert context.submit() == []
    with ReadStore(workstation_env) as store, store.reading() as db:
        read = db.scalars(select(Read)).one()
        stored = read_content(db, read)
        trail = [(e.field, e.new_value) for e in audit_entries(db) if e.field == "neutral film"]
    (record,) = stored.films.values()
    assert record.calibration == calibration  # user-supplied, with the marker in its detail
    assert record.calibration.detail.startswith("user-supplied: marker of 50 mm over ")
    ((_, value),) = trail
    assert "calibrated" in str(value) and "(user-supplied: marker of 50 mm over" in str(value)
