"""The adjudicator's side-by-side view, driven by real clicks and key presses under Xvfb: both
reads of the triggered sample case in their readers' colours, one read taken per item with a
reason, the adjudication submitted and the store's endpoint rows using it."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from napari_spine_endpoints._model.adjudication import READER_COLOURS
from napari_spine_endpoints._qt.adjudication import AdjudicationWidget
from qtpy.QtWidgets import QPushButton, QWidget
from real_input import click_widget, type_text

from imaging.cli import main
from imaging.protocol import load_protocol
from imaging.store.export import stored_rows
from imaging.store.store import ReadStore

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"


def _reads(folder: Path) -> str:
    """DLBP-001's baseline read by reader-1 (as the samples) and reader-2 (Pfirrmann 3 at L4-L5,
    the L4 inferior corners 10 px higher), imported from files at 0.16 mm per pixel."""
    corners = pd.read_csv(SAMPLES / "landmarks.csv", dtype=str, keep_default_na=False)
    corners = corners[(corners["subject"] == "DLBP-001") & (corners["visit"] == "baseline")]
    grades = pd.read_csv(SAMPLES / "grades.csv", dtype=str, keep_default_na=False)
    grades = grades[(grades["subject"] == "DLBP-001") & (grades["visit"] == "baseline")]
    url = f"sqlite:///{folder / 'reads.db'}"
    for reader in ("reader-1", "reader-2"):
        mine, graded = corners.copy(), grades.copy()
        mine["reader"], graded["reader"] = reader, reader
        if reader == "reader-2":
            at = (mine["film"] == "neutral") & (mine["vertebra"] == "L4")
            at &= mine["corner"].str.endswith("_inferior")
            mine.loc[at, "row"] = [str(float(r) - 10.0) for r in mine.loc[at, "row"]]
            graded.loc[graded["level"] == "L4-L5", "pfirrmann"] = "3"
        mine.to_csv(folder / f"{reader}.csv", index=False)
        graded.to_csv(folder / f"{reader}-grades.csv", index=False)
        for argv in (
            ["grades", "import", str(folder / f"{reader}-grades.csv"), "--register-unknown"],
            ["landmarks", "import", str(folder / f"{reader}.csv"), "--mm-per-pixel", "0.16"],
        ):
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                assert main([*argv, "--store", url, "--actor", reader]) == 0
    return url


def _button(widget: QWidget, text: str) -> QPushButton:
    found = [b for b in widget.findChildren(QPushButton) if b.text() == text]
    assert len(found) == 1, [b.text() for b in widget.findChildren(QPushButton)]
    return found[0]


def _text(table: Any, row: int, column: int) -> str:
    item = table.item(row, column)
    return "" if item is None else str(item.text())


def _click_row(qtbot: Any, widget: AdjudicationWidget, text: str) -> None:
    table = widget.table
    row = next(r for r in range(table.rowCount()) if _text(table, r, 0) == text)
    viewport = table.viewport()
    assert viewport is not None
    click_widget(qtbot, viewport, table.visualItemRect(table.item(row, 0)).center())
    selection = table.selectionModel()
    assert selection is not None and selection.selectedRows()[0].row() == row


def test_the_adjudicator_takes_one_read_per_item_by_clicks_and_the_endpoint_uses_it(
    make_napari_viewer: Callable[..., Any], qtbot: Any, tmp_path: Path
) -> None:
    if not (SAMPLES / "landmarks.csv").is_file():
        pytest.skip("sample_dicom/ has not been generated")
    url, protocol = _reads(tmp_path), load_protocol()
    viewer = make_napari_viewer(show=True)
    widget = AdjudicationWidget(viewer, url, protocol, "adj-1")
    viewer.window.add_dock_widget(widget)
    viewer.window.resize(1400, 900)

    # both reads together: each reader's corners and endplate lines in the reader's colour
    one, two = (
        viewer.layers["reader-1 corners (neutral)"],
        viewer.layers["reader-2 corners (neutral)"],
    )
    assert np.allclose(one.face_color[0][:3], [0, 191 / 255, 1])  # READER_COLOURS[0], sky blue
    assert np.allclose(two.face_color[0][:3], [1, 140 / 255, 0])  # READER_COLOURS[1], orange
    assert READER_COLOURS[:2] == ("#00bfff", "#ff8c00")
    assert len(viewer.layers["reader-2 endplates (neutral)"].data) > 0
    moved = np.abs(one.data - two.data).max(axis=1) > 1e-6
    assert list(np.array(one.features["corner"])[moved]) == [
        "L4 anterior_inferior",
        "L4 posterior_inferior",
    ]
    # grades side by side, the triggered ones marked
    table = widget.table
    row = next(r for r in range(table.rowCount()) if _text(table, r, 0) == "L4-L5 pfirrmann *")
    assert [_text(table, row, c) for c in (1, 2)] == ["4", "3"]
    assert (
        "L4-L5 pfirrmann differs by >= 1 grade (reader-1: 4, reader-2: 3)" in widget.reasons.text()
    )

    _click_row(qtbot, widget, "L4-L5 pfirrmann *")
    click_widget(qtbot, _button(widget, "Take reader-1"))  # no reason yet: refused
    assert widget.message.text() == "taking reader-1's read for L4-L5 pfirrmann needs a reason"
    click_widget(qtbot, widget.reason)
    type_text(qtbot, widget.reason, "annulus and nucleus still distinct")
    click_widget(qtbot, _button(widget, "Take reader-1"))
    click_widget(qtbot, widget.submit_button)  # the neutral film is still open
    assert widget.message.text() == "Still to decide: neutral film"
    _click_row(qtbot, widget, "neutral film *")
    click_widget(qtbot, widget.reason)
    type_text(qtbot, widget.reason, "L4 endplate is the lower contour")
    click_widget(qtbot, _button(widget, "Take reader-2"))
    click_widget(qtbot, widget.submit_button)

    assert widget.message.text() == (
        "Adjudicated: neutral film: reader-2; L4-L5 pfirrmann: reader-1"
    )
    with ReadStore(url) as store, store.reading() as session:
        rows = {(r.level, r.measure, r.film): r for r in stored_rows(session, protocol)}
    grade = rows[("L4-L5", "pfirrmann", "")]
    assert (grade.grade, grade.origin, grade.reader) == ("4", "adjudication", "reader-1")
    assert grade.note.endswith("adjudicated by adj-1: annulus and nucleus still distinct")
    height = rows[("L4-L5", "disc_height_mean", "neutral")]
    assert (height.origin, height.reader) == ("adjudication", "reader-2")


def test_the_adjudication_view_opens_from_the_plugins_menu_with_the_film_under_both_readers(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if not (SAMPLES / "landmarks.csv").is_file():
        pytest.skip("sample_dicom/ has not been generated")
    url = _reads(tmp_path)
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        study = SAMPLES / "DLBP-001" / "baseline"
        assert main(["register", str(study), "--store", url, "--actor", "adj-1"]) == 0
    monkeypatch.setenv("SPINE_ENDPOINTS_STORE", url)
    monkeypatch.setenv("SPINE_ENDPOINTS_READER", "adj-1")
    viewer = make_napari_viewer()
    # the manifest's widget contribution, as Plugins > Spine Endpoints > Adjudication opens it
    _, widget = viewer.window.add_plugin_dock_widget("spine-endpoints", "Adjudication")
    assert isinstance(widget, AdjudicationWidget) and widget.adjudicator == "adj-1"
    reading_id = widget.draft.case.reading_id if widget.draft else ""
    film = viewer.layers[f"{reading_id} neutral"]
    corners = viewer.layers["reader-1 corners (neutral)"]
    names = [layer.name for layer in viewer.layers]
    assert names.index(film.name) < names.index(corners.name)  # the film under the corners
    assert np.allclose(film.scale, corners.scale)  # corners land on the film's pixels, in mm
    data = film.metadata["spine_endpoints"]
    assert data["path"] == "" and data["sop_instance_uid"] == "" and data["subject"] == ""
    assert "DLBP" not in " ".join(names)
