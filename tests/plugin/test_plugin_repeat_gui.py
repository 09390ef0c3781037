"""Intra-reader repeat reads in the workstation (issue 16), by real clicks and key presses: the
worklist lists the reader's repeat of a case once the protocol's interval has passed, the repeat
opens empty (blind to the first read, which stays closed until the repeat is submitted), and it
is read and submitted beside the first read, which is left as it was."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from real_input import canvas, click_widget, press, type_text
from sqlalchemy import select
from test_plugin_real_events_gui import _button, _cell

from imaging.anatomy import Film
from imaging.protocol.loader import DEFAULT_PROTOCOL
from imaging.store.reads import ReadContent, read_content, save_draft, start_read, submit
from imaging.store.schema import Read
from imaging.store.store import ReadStore
from imaging.store.worklist import case_for_reading

pytestmark = pytest.mark.gui
FIRST_GRADE = {("L4-L5", "pfirrmann"): "4"}


@pytest.fixture
def every_case_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workstation_env: str) -> Path:
    """The DLBP protocol with every case re-read 28 days after the first read."""
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8").replace("fraction = 0.1", "fraction = 1.0")
    path = tmp_path / "trial.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SPINE_ENDPOINTS_PROTOCOL", str(path))
    return path


def _first_read_30_days_ago(url: str, reading_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from imaging.protocol import load_protocol

    protocol = load_protocol()
    month_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    with monkeypatch.context() as patched, ReadStore(url) as store, store.writing() as db:
        patched.setattr("imaging.store.reads.utc_now", lambda: month_ago)
        read = start_read(db, case_for_reading(db, reading_id), "reader-a", actor="reader-a")
        save_draft(db, read, ReadContent(grades=FIRST_GRADE), protocol)
        submit(db, read, actor="reader-a")


def test_a_repeat_read_is_listed_opened_blind_read_and_submitted_by_clicks_and_keys(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    every_case_again: Path,
    study: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: Any,
) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    shutil.copy(study / "DX_lateral_neutral.dcm", folder)
    viewer = make_napari_viewer(show=True)
    widget = WorkstationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    context, worklist, table = widget.context, widget.worklist, widget.worklist.table
    assert worklist.register_folder(folder) == 1
    reading_id = _cell(table, 0, 1)
    _first_read_30_days_ago(workstation_env, reading_id, monkeypatch)
    click_widget(qtbot, _button(worklist, "Refresh"))

    rows = [[_cell(table, r, c) for c in (1, 2, 5)] for r in range(table.rowCount())]
    assert rows == [[reading_id, "submitted", "first"], [reading_id, "to read", "repeat"]]

    # the first read stays closed while its repeat is due: the reader cannot look it up
    viewport = table.viewport()
    first_row = table.item(0, 1)
    assert viewport is not None and first_row is not None
    click_widget(qtbot, viewport, table.visualItemRect(first_row).center())
    click_widget(qtbot, _button(worklist, "Open / reopen selected"))
    assert worklist.status.text().startswith(
        f"Not opened: case {reading_id}: your repeat read of it is due, and your first read "
        "stays out of view until the repeat is submitted"
    )
    assert context.session is None

    click_widget(qtbot, _button(worklist, "Open next case"))  # the repeat, the one still to read
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)
    session = context.session
    assert session is not None and (session.reading_id, session.repeat) == (reading_id, 1)
    assert session.label == f"{reading_id} (repeat read)"
    assert session.grades is not None and not dict(session.grades.values)  # blind: empty
    assert not session.placements[Film.NEUTRAL].positions
    assert {item.row() for item in table.selectedItems()} == {1}

    screen, landmarks = canvas(viewer), widget.landmarks
    reasons = landmarks.reasons.lineEdit()
    assert reasons is not None
    click_widget(qtbot, reasons)
    reasons.selectAll()
    type_text(qtbot, reasons, "film damaged")
    for _ in range(22):
        press(qtbot, screen, "K")
    grades = widget.grades
    for _level in session.grades.levels:
        click_widget(qtbot, grades.reason)
        type_text(qtbot, grades.reason, "no MRI at this visit")
        press(qtbot, grades.reason, "Enter")
        press(qtbot, screen, "G")
    assert grades.problems.text() == "Ready to submit"
    press(qtbot, screen, "Control-Shift-Enter")
    qtbot.waitUntil(lambda: "Worklist done" in worklist.status.text(), timeout=10000)

    with ReadStore(workstation_env) as store, store.reading() as db:
        reads = list(db.scalars(select(Read).order_by(Read.repeat)))
        contents = [read_content(db, read) for read in reads]
    assert [(r.reader, r.repeat, r.version, r.status) for r in reads] == [
        ("reader-a", 0, 1, "submitted"), ("reader-a", 1, 1, "submitted"),
    ]  # fmt: skip
    assert dict(contents[0].grades) == FIRST_GRADE  # the first read as it was
    assert not contents[1].grades  # the repeat: what the reader did now, nothing copied
    assert "[not graded: no MRI at this visit]" in contents[1].notes["L4-L5"]
    rows = [[_cell(table, r, c) for c in (2, 5)] for r in range(table.rowCount())]
    assert rows == [["submitted", "first"], ["submitted", "repeat"]]
