"""Running work just after the window has put a frame on screen.

napari's File > Open runs Qt's event loop before the window composes its first frame, so a plain
0 ms timer fires before the film is visible. Waiting for the canvas's ``frameSwapped`` (Qt's
signal that a frame was composed) puts the film on screen first and whatever follows after.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from qtpy.QtCore import QTimer

FIRST_FRAME_WAIT_MS = 500
"""The longest a callback waits for the frame."""


def after_next_frame(viewer: Any, callback: Callable[[], None]) -> None:
    """Run ``callback`` once ``viewer``'s window has put its next frame on screen (0.5 s at
    most). Without a shown canvas (no window, or tests) it runs at the next turn of the event
    loop. The canvas is napari's ``window._qt_viewer.canvas.native`` (a QOpenGLWidget)."""
    canvas = getattr(getattr(getattr(viewer, "window", None), "_qt_viewer", None), "canvas", None)
    widget = getattr(canvas, "native", None)
    swapped = getattr(widget, "frameSwapped", None)
    if swapped is None or widget is None or not widget.isVisible():
        QTimer.singleShot(0, callback)
        return
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
