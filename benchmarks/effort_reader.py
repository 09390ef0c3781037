"""The reader of the reader-effort benchmark: real Qt events sent to the workstation, each
counted, with the software's CPU time split by what ran (:mod:`benchmarks.cpu_split`).

:class:`Reader` clicks, types and chooses as a person does, at once or at a person's pace (the
Keystroke-Level Model's times); :class:`Effort` adds up what one way of reading cost. The ways
of reading and the report are in :mod:`benchmarks.bench_reader_effort`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from benchmarks.cpu_split import CpuMeter, CpuSample

WAIT_S = 60.0
"""The longest an action's effects (a case opening, an assist job) are waited for."""
ZOOM = 2.0
"""Canvas pixels per film pixel while clicking corners."""
POINT_S, THINK_S, KEY_S = 1.1, 1.35, 0.28
"""The paced reader's time before an action, from the Keystroke-Level Model (Card, Moran and
Newell, Commun. ACM 23(7):396-410, 1980): P, pointing at a target with the mouse (a corner, a
button, a tab); M, mentally preparing (deciding a grade, to track, to submit); K, a key of an
average non-secretary typist (the keys that move in a list). The clicks and key presses
themselves are not added: the figures are the fewest seconds a person takes."""


@dataclass
class Effort:
    """What one way of reading cost; ``parts`` splits the software seconds by what ran."""

    name: str
    clicks: int = 0
    keys: int = 0
    handling_s: float = 0.0
    """The GUI thread outside repaints: events, handlers, layer updates, autosaves."""
    waited_s: float = 0.0
    """Background jobs the reader waits for (tracking, refinement), CPU counted in full."""
    overlapped_s: float = 0.0
    """Background jobs that ran while the reader went on (tracking during grading): reported,
    not counted; what is left of them when the reader needs the result is waited for."""
    drawing_gui_s: float = 0.0
    drawing_gl_s: float = 0.0
    """Drawing: the GUI thread repainting the window; the software GL's own threads."""
    parts: dict[str, float] = field(default_factory=dict)
    left_after_tracking: int = 0
    """Corners of the dynamic films tracking did not place (low confidence, poor match)."""

    def add(self, part: str, cpu: CpuSample, waited_for: bool = True) -> None:
        """Add an action's CPU; ``waited_for``: the reader waited for its background jobs."""
        handling, background = max(cpu.handling, 0.0), max(cpu.background, 0.0)
        waited = background if waited_for else 0.0
        self.handling_s += handling
        self.waited_s += waited
        self.overlapped_s += background - waited
        self.drawing_gui_s += max(cpu.gui_drawing, 0.0)
        self.drawing_gl_s += max(cpu.gl_threads, 0.0)
        self.parts[part] = self.parts.get(part, 0.0) + handling + waited

    @property
    def software_s(self) -> float:
        return self.handling_s + self.waited_s

    @property
    def drawing_s(self) -> float:
        return self.drawing_gui_s + self.drawing_gl_s

    @property
    def actions(self) -> int:
        return self.clicks + self.keys


class Reader:
    """Sends real Qt events to the workstation and counts them, timing the software's part."""

    def __init__(
        self, viewer: Any, widget: Any, effort: Effort, meter: CpuMeter, paced: bool = False
    ) -> None:
        from napari_spine_endpoints._qt.frames import canvas_widget

        self.viewer, self.widget, self.effort, self.meter = viewer, widget, effort, meter
        self.paced = paced
        """Take the Keystroke-Level Model's time before each action (the event loop runs
        meanwhile: autosaves, loading, tracking); otherwise act as soon as the software is idle,
        and save the draft after each action as a pause would."""
        self.context = widget.context
        self.part = ""
        """What the next actions are for, in the software seconds' split."""
        canvas = canvas_widget(viewer)
        if canvas is None:
            raise RuntimeError("the viewer shows no canvas")
        self.canvas = canvas

    def _settle(
        self, start: CpuSample, wait: bool = True, waited_until: CpuSample | None = None
    ) -> None:
        """Run the event loop until it is idle and (``wait``) no assist job runs; add the time,
        and that of the autosave a reader's pause would trigger. Without ``wait`` the reader
        goes on while the jobs run (their CPU is not counted as waited for). With
        ``waited_until``, the background jobs' CPU is counted up to that sample only (what
        they do after it, the reader does not wait for)."""
        from qtpy.QtWidgets import QApplication

        deadline = time.perf_counter() + WAIT_S
        QApplication.processEvents()
        while wait and self.context.assistant.busy:
            if time.perf_counter() > deadline:
                raise RuntimeError("an assist job never finished")
            QApplication.processEvents()
            time.sleep(0.0005)
        QApplication.processEvents()
        saving = self.meter.sample()
        spent = saving - start
        if waited_until is not None:
            spent = replace(spent, background=(waited_until - start).background)
        self.effort.add(self.part, spent, waited_for=wait)
        if self.paced:
            return  # the autosave comes in the pause before the next action
        self.context.pause_elapsed()  # the draft a reader's pause saves (on its thread)
        QApplication.processEvents()  # and the status line saying so
        self.effort.add("autosave", self.meter.sample() - saving, waited_for=wait)

    def think(self, seconds: float) -> None:
        """A paced reader's time before an action: the event loop runs; what the GUI thread
        does meanwhile (autosaves, images still loading) counts as software seconds, background
        jobs running meanwhile do not (the reader is not waiting for them)."""
        from qtpy.QtCore import QEventLoop, QTimer

        if not self.paced:
            return
        start = self.meter.sample()
        pause = QEventLoop()  # Qt's own event loop: it sleeps until an event or a timer is due
        QTimer.singleShot(round(seconds * 1000), pause.quit)
        pause.exec()
        self.effort.add("while the reader thinks", self.meter.sample() - start, waited_for=False)

    def open_case(self, button: Any, ready: Any) -> None:
        """Click "Open next case" and wait until ``ready()`` (the first film on screen with its
        corners to place): the loading worker's CPU until then is waited for, not what it
        decodes afterwards (the other images, while the reader points at the first corner)."""
        from qtpy.QtCore import Qt
        from qtpy.QtTest import QTest
        from qtpy.QtWidgets import QApplication

        self.think(POINT_S)
        start = self.meter.sample()
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[call-overload]
        self.effort.clicks += 1
        deadline = time.perf_counter() + WAIT_S
        while not ready():
            if time.perf_counter() > deadline:
                raise RuntimeError("the case never opened")
            QApplication.processEvents()
            time.sleep(0.0005)
        self._settle(start, waited_until=self.meter.sample())

    def wait_for_assist(self) -> None:
        """The reader needs the running jobs' result (no action: not counted as one)."""
        self._settle(self.meter.sample())

    def click(self, widget: Any, at: Any = None, before_s: float = POINT_S) -> None:
        """A left click on ``widget`` (at ``at``, its centre by default), after pointing at it."""
        from qtpy.QtCore import QPoint, Qt
        from qtpy.QtTest import QTest

        self.think(before_s)
        start = self.meter.sample()
        QTest.mouseClick(  # type: ignore[call-overload]
            widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
            at if at is not None else QPoint(),
        )  # fmt: skip
        self.effort.clicks += 1
        self._settle(start)

    def key(self, widget: Any, key: str, wait: bool = True, before_s: float = THINK_S) -> None:
        """A key as napari writes it: 'G', 'Shift-T', 'Control-Shift-Enter', 'Down'; ``wait``:
        the reader waits for the assist jobs it starts (see :meth:`_settle`); ``before_s``: the
        paced reader's time before it (deciding, by default)."""
        from qtpy.QtCore import Qt
        from qtpy.QtTest import QTest

        *modifiers, name = key.split("-")
        flags = Qt.KeyboardModifier.NoModifier
        for modifier in modifiers:
            flags |= getattr(Qt.KeyboardModifier, f"{modifier}Modifier")
        named = {"Enter": Qt.Key.Key_Return, "Down": Qt.Key.Key_Down, "Up": Qt.Key.Key_Up}
        code = named.get(name) or getattr(Qt.Key, f"Key_{name.upper()}")
        self.think(before_s)
        start = self.meter.sample()
        QTest.keyClick(widget, code, flags)  # type: ignore[call-overload]
        self.effort.keys += 1
        self._settle(start, wait)

    def click_pixel(self, layer: Any, pixel: tuple[float, float]) -> None:
        """Zoom to the pixel as a reader does (not counted: the wheel), then click on it."""
        import numpy as np
        from qtpy.QtCore import QPoint

        spacing = float(np.asarray(layer.scale)[-1])
        world = np.asarray(layer.data_to_world(pixel), dtype=float)[-2:]
        self.viewer.scene.camera.zoom = ZOOM / spacing
        self.viewer.scene.camera.center = (float(world[0]), float(world[1]))
        self.click(self.canvas, QPoint(self.canvas.width() // 2, self.canvas.height() // 2))

    def choose(self, combo: Any, index: int, typed: str = "") -> None:
        """Click the combo box (its list opens), then move to the entry ``index`` - by typing
        ``typed`` (the list's keyboard search) or by Down/Up keys - and press Enter."""
        self.click(combo)
        view = combo.view()
        if typed:
            for char in typed:
                self.key(view, char, before_s=KEY_S)
        else:
            current = combo.currentIndex()
            for _ in range(abs(index - current)):
                self.key(view, "Down" if index > current else "Up", before_s=KEY_S)
        self.key(view, "Enter", before_s=KEY_S)
        if combo.currentIndex() != index:
            raise RuntimeError(f"choosing entry {index} of a list did not take")
