"""A worklist case opens blinded (issue 16): no layer's metadata, no widget text and no object of
the read in progress holds the subject, the visit, the study date, a file path, the patient's
name or the study, series or institution description of the sample study."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from qtpy.QtWidgets import QAbstractButton, QComboBox, QLabel, QLineEdit, QTableWidget

from imaging.anatomy import Film
from imaging.protocol.model import GradingItem, Protocol

pytestmark = pytest.mark.gui


def _strings(value: Any, seen: set[int]) -> Iterator[str]:
    """Every string reachable from ``value`` (attributes, dataclass fields, mappings, sequences);
    the protocol's own definitions (visit and item names) are not case data and are skipped."""
    if id(value) in seen or isinstance(value, Protocol | GradingItem | np.ndarray | Enum):
        return
    seen.add(id(value))
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, seen)
            yield from _strings(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item, seen)
    elif dataclasses.is_dataclass(value) or hasattr(value, "__dict__"):
        module = type(value).__module__
        if module.startswith(("napari_spine_endpoints", "imaging")):
            for item in vars(value).values():
                yield from _strings(item, seen)


def _widget_texts(widget: WorkstationWidget) -> Iterator[str]:
    for label in widget.findChildren(QLabel):
        yield label.text()
    for line in widget.findChildren(QLineEdit):
        yield line.text()
    for button in widget.findChildren(QAbstractButton):
        yield button.text()
    for combo in widget.findChildren(QComboBox):
        yield from (combo.itemText(i) for i in range(combo.count()))
    for table in widget.findChildren(QTableWidget):
        for row in range(table.rowCount()):
            for column in range(table.columnCount()):
                item = table.item(row, column)
                yield "" if item is None else item.text()


def test_a_worklist_case_reaches_the_reader_as_a_reading_id_and_pixels(
    make_napari_viewer: Callable[..., Any], workstation_env: str, study: Path, qtbot: Any
) -> None:
    header = pydicom.dcmread(study / "DX_lateral_neutral.dcm", stop_before_pixels=True)
    secrets = {
        "subject": "DLBP-001",
        "visit": "baseline",
        "study date": str(header.StudyDate),
        "path": str(study),
        "file name": "DX_lateral_neutral",
        "patient name": str(header.PatientName).split("^")[-1],
        "study description": str(header.StudyDescription),
        "series description": str(header.SeriesDescription),
        "institution": str(header.InstitutionName),
    }
    viewer = make_napari_viewer()
    widget = WorkstationWidget(viewer)
    context = widget.context
    widget.worklist.register_folder(study)
    worker = widget.worklist.open_row(0)
    qtbot.waitUntil(lambda: set(context.images) == set(Film), timeout=20000)
    qtbot.waitUntil(lambda: not worker.is_running, timeout=20000)
    qtbot.waitUntil(lambda: len(context.hanging.series) == 2, timeout=5000)  # for Grades
    context.overlay(Film.NEUTRAL).points.add([1000.0, 800.0])
    context.save_draft()
    session = context.session
    assert session is not None and session.reading_id == context.case_id
    assert session.placements[Film.NEUTRAL].positions  # the read is kept under its reading id

    seen: set[int] = set()
    layers = [*viewer.layers, *context.hanging.series]
    found = {
        "layer metadata": [s for layer in layers for s in _strings(layer.metadata, seen)],
        "layer names": [layer.name for layer in layers],
        "widget text": list(_widget_texts(widget)),
        "session": list(_strings(session, set())),
        "session draft": list(_strings(session.draft(), set())),
    }
    leaks = [
        f"{what} in {where}: {text!r}"
        for where, texts in found.items()
        for text in texts
        for what, secret in secrets.items()
        if secret.lower() in text.lower()
    ]
    assert leaks == []
    assert found["layer metadata"] and found["session"]  # the search did see them
    neutral = context.images[Film.NEUTRAL]
    assert neutral.metadata["spine_endpoints"]["reference"].startswith("img-")
    assert neutral.scale[0] == pytest.approx(neutral.metadata["spine_endpoints"]["calibration"]
                                             ["pixel_spacing_mm"][0])  # fmt: skip
