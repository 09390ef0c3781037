"""Running work just after the window has put a frame on screen.

napari's File > Open runs Qt's event loop before the window composes its first frame, so a plain
0 ms timer fires before the film is visible. Waiting for the canvas's ``frameSwapped`` (Qt's
signal that a frame was composed) puts the film on screen first and whatever follows after.

Finding the canvas uses public API only. napari has no public handle on its canvas widget
(``window.qt_viewer`` is deprecated and ``window._qt_viewer`` is private; both go in napari 0.10),
so :func:`canvas_widget` starts from ``viewer.window.main_menu``, the window's menu bar (a public,
documented attribute of :class:`napari.qt.Window`), takes its top-level window with Qt's
``QWidget.window()`` and finds the canvas among its children as the largest visible
``QOpenGLWidget`` (vispy's Qt canvas is one). Qt's own API from there on, and one viewer's window
only, however many viewers are open.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from typing import Any

from qtpy.QtCore import QTimer
from qtpy.QtOpenGLWidgets import QOpenGLWidget
from qtpy.QtWidgets import QWidget

FIRST_FRAME_WAIT_MS = 500
"""The longest a callback waits for the frame."""


_FOUND: weakref.WeakKeyDictionary[QWidget, QOpenGLWidget] = weakref.WeakKeyDictionary()
"""Menu bar -> the canvas found in its window: searching the window takes about 20 ms, and the
canvas of a window does not change."""


def canvas_widget(viewer: Any) -> QOpenGLWidget | None:
    """The viewer's shown canvas (a ``QOpenGLWidget``), or None when there is none on screen
    (no window, a hidden window, or a viewer without Qt)."""
    menu_bar = getattr(getattr(viewer, "window", None), "main_menu", None)
    if not isinstance(menu_bar, QWidget):
        return None
    known = _FOUND.get(menu_bar)
    if known is not None:
        with contextlib.suppress(RuntimeError):  # RuntimeError: Qt deleted it
            if known.isVisible():
                return known
    window = menu_bar.window()
    if window is None:
        return None
    shown = [gl for gl in window.findChildren(QOpenGLWidget) if gl.isVisible()]
    if not shown:
        return None
    canvas = max(shown, key=lambda gl: gl.width() * gl.height())
    _FOUND[menu_bar] = canvas
    return canvas


def after_next_frame(viewer: Any, callback: Callable[[], None]) -> None:
    """Run ``callback`` once ``viewer``'s window has put its next frame on screen (0.5 s at
    most). Without a shown canvas (no window, or tests) it runs at the next turn of the event
    loop."""
    canvas = canvas_widget(viewer)
    if canvas is None:
        QTimer.singleShot(0, callback)
        return
    swapped = canvas.frameSwapped
    done: list[bool] = []

    def run() -> None:
        if done:  # the frame, or the time limit, whichever comes first
            return
        done.append(True)
        with contextlib.suppress(TypeError, RuntimeError):  # the canvas may be gone
            swapped.disconnect(run)
        QTimer.singleShot(0, callback)

    swapped.connect(run)
    QTimer.singleShot(FIRST_FRAME_WAIT_MS, run)
