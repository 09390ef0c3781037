"""Real Qt input for the GUI tests: mouse clicks on napari's canvas at an image pixel, key presses.

The events go through Qt (pytest-qt's ``qtbot``, that is ``QTest``) to the canvas widget the
plugin itself finds (:func:`napari_spine_endpoints._qt.frames.canvas_widget`), then through
vispy and napari's own mouse and key handling, as a reader's would. Where to click is computed
from napari's public model only: a layer maps data (row, col) pixels to world (mm) coordinates
(``Layer.data_to_world``), and the 2-D camera puts ``camera.center`` (world) at the canvas
centre with ``camera.zoom`` canvas pixels per world unit (napari's ``Camera`` model). A click
lands on a whole canvas pixel, so it reaches a wanted image pixel to within half a canvas
pixel, that is ``0.5 / canvas pixels per image pixel`` image pixels (:func:`click_tolerance`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from napari_spine_endpoints._qt.frames import canvas_widget
from napari_spine_endpoints._qt.workstation import WorkstationWidget
from qtpy.QtCore import QPoint, Qt
from qtpy.QtWidgets import QApplication, QWidget

_MODIFIERS = {
    "Control": Qt.KeyboardModifier.ControlModifier,
    "Shift": Qt.KeyboardModifier.ShiftModifier,
    "Alt": Qt.KeyboardModifier.AltModifier,
}
_KEYS = {
    "Enter": Qt.Key.Key_Return, "Escape": Qt.Key.Key_Escape,
    "Down": Qt.Key.Key_Down, "Up": Qt.Key.Key_Up,
}  # fmt: skip


def canvas(viewer: Any) -> QWidget:
    """The viewer's shown canvas widget (the viewer must be shown)."""
    found = canvas_widget(viewer)
    assert found is not None, "the viewer has no canvas on screen: make it with show=True"
    return found


def look_at(
    viewer: Any, layer: Any, pixel: tuple[float, float], zoom: float, offset: tuple[float, float]
) -> None:
    """Pan and zoom as a reader would: ``zoom`` canvas pixels per image pixel, the camera
    centred ``offset`` image pixels (row, col) away from ``pixel`` of ``layer``."""
    spacing = float(np.asarray(layer.scale)[-1])
    world = np.asarray(layer.data_to_world(np.add(pixel, offset)), dtype=float)[-2:]
    viewer.scene.camera.zoom = zoom / spacing
    viewer.scene.camera.center = (float(world[0]), float(world[1]))


def canvas_position(viewer: Any, layer: Any, pixel: tuple[float, float]) -> tuple[float, float]:
    """Where (x, y, canvas pixels) the image ``pixel`` (row, col) of ``layer`` is on screen."""
    widget = canvas(viewer)
    world = np.asarray(layer.data_to_world(pixel), dtype=float)[-2:]
    center = np.asarray(viewer.scene.camera.center, dtype=float)[-2:]
    zoom = float(viewer.scene.camera.zoom)
    y, x = (world - center) * zoom + np.array([widget.height(), widget.width()]) / 2.0
    assert 0 <= x < widget.width() and 0 <= y < widget.height(), "the pixel is not on screen"
    return float(x), float(y)


def slice_sliders(viewer: Any) -> list[int]:
    """The axes napari shows a slider for under the canvas: those not displayed with more than
    one step (napari's ``Dims`` model; its Qt dims widget hides the others)."""
    dims = viewer.dims
    return [axis for axis in dims.not_displayed if dims.nsteps[axis] > 1]


def click_tolerance(viewer: Any, layer: Any) -> float:
    """How far (image pixels) a click can land from a wanted pixel: half a canvas pixel, plus
    the float32 rounding of the Points layer's data."""
    per_image_pixel = float(viewer.scene.camera.zoom) * float(np.asarray(layer.scale)[-1])
    return 0.5 / per_image_pixel + 1e-3


def click_pixel(qtbot: Any, viewer: Any, layer: Any, pixel: tuple[float, float]) -> None:
    """A left click (press and release) on the canvas where ``pixel`` of ``layer`` is shown."""
    x, y = canvas_position(viewer, layer, pixel)
    qtbot.mouseClick(
        canvas(viewer), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
        QPoint(round(x), round(y)),
    )  # fmt: skip
    QApplication.processEvents()


def click_widget(qtbot: Any, widget: QWidget, at: QPoint | None = None) -> None:
    """A left click on a Qt widget (its centre unless ``at``)."""
    where = QPoint() if at is None else at  # QPoint(): the centre
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    QApplication.processEvents()


def press(qtbot: Any, widget: QWidget, key: str) -> None:
    """Press and release a key given as napari writes it: 'G', 'Shift-N', 'Control-Shift-Enter'."""
    *modifiers, name = key.split("-")
    flags = Qt.KeyboardModifier.NoModifier
    for modifier in modifiers:
        flags |= _MODIFIERS[modifier]
    code = _KEYS.get(name) or getattr(Qt.Key, f"Key_{name.upper()}")
    qtbot.keyClick(widget, code, flags)
    QApplication.processEvents()


def type_text(qtbot: Any, widget: QWidget, text: str) -> None:
    """Type ``text`` into a widget (a combo box's keyboard search, a line edit)."""
    qtbot.keyClicks(widget, text)
    QApplication.processEvents()


def drag(
    qtbot: Any, widget: QWidget, start: tuple[int, int], end: tuple[int, int], steps: int = 4
) -> None:
    """A left-button drag on a widget from ``start`` to ``end`` (x, y) in a few moves."""
    qtbot.mousePress(
        widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*start)
    )
    for step in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * step / steps
        y = start[1] + (end[1] - start[1]) * step / steps
        qtbot.mouseMove(widget, QPoint(round(x), round(y)))
        QApplication.processEvents()
    qtbot.mouseRelease(
        widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*end)
    )
    QApplication.processEvents()


def shown_workstation(make_napari_viewer: Callable[..., Any]) -> tuple[Any, WorkstationWidget]:
    """A viewer on screen (1400 x 900) with the reading workstation docked."""
    viewer = make_napari_viewer(show=True)
    widget = WorkstationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    viewer.window.resize(1400, 900)
    return viewer, widget
