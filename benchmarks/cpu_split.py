"""Where the CPU seconds of a Qt application went: the GUI thread handling input, the GUI thread
drawing the window, the software OpenGL's own threads, and background jobs.

For a benchmark that drives napari with real events (``bench_reader_effort.py``):

- **handling**: the GUI thread's CPU time (``time.thread_time``) outside window repaints: the
  input events, our handlers, napari's layer updates, the store writes they trigger;
- **drawing (GUI thread)**: the GUI thread inside the top-level window's ``UpdateRequest``, Qt's
  repaint of the window: the widgets painted, the napari canvas drawn (vispy's ``paintGL``) and
  the window composed with OpenGL, as a QOpenGLWidget in the window requires. Timed by an event
  filter on the window that delivers the event itself (public Qt API only);
- **drawing (GL threads)**: the CPU time of Mesa's llvmpipe rasteriser threads (named
  ``llvmpipe-N`` on Linux): OpenGL done in software, as under Xvfb; a GPU does this work;
- **background**: every other thread of the process (napari workers, SimpleITK's threads).

Thread times come from ``/proc/self/task`` (Linux, 10 ms ticks); elsewhere the threads other than
the GUI thread are one figure, counted as background (``split_threads`` is False). A thread that
ends takes its seconds with it: a difference of samples may then be negative, and callers clamp
it at zero.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TASKS = Path("/proc/self/task")
GL_THREAD_PREFIX = "llvmpipe"


@dataclass(frozen=True)
class CpuSample:
    """Cumulative CPU seconds since the meter started, by where they ran."""

    gui: float
    gui_drawing: float
    gl_threads: float
    background: float

    def __sub__(self, other: CpuSample) -> CpuSample:
        return CpuSample(
            self.gui - other.gui,
            self.gui_drawing - other.gui_drawing,
            self.gl_threads - other.gl_threads,
            self.background - other.background,
        )

    @property
    def handling(self) -> float:
        """The GUI thread outside window repaints."""
        return max(self.gui - self.gui_drawing, 0.0)

    @property
    def drawing(self) -> float:
        """Drawing the window: on the GUI thread and in the software GL's threads."""
        return self.gui_drawing + self.gl_threads


class CpuMeter:
    """Samples the split of the process's CPU time; create and sample on the GUI thread.

    ``window`` is the top-level QWidget whose repaints count as drawing (napari's main window).
    """

    def __init__(self, window: Any) -> None:
        from qtpy.QtCore import QEvent, QObject

        self.gui_thread = threading.get_native_id()
        self.split_threads = TASKS.is_dir()
        self._drawing = 0.0
        self._sampling = 0.0
        """The GUI thread's seconds spent sampling (left out of its figure)."""
        meter = self

        class _Repaints(QObject):
            def __init__(self) -> None:
                super().__init__()
                self.inside = False

            def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 (Qt's name)
                if self.inside or event.type() != QEvent.Type.UpdateRequest:
                    return False
                self.inside = True
                start = time.thread_time()
                try:
                    watched.event(event)
                finally:
                    meter._drawing += time.thread_time() - start
                    self.inside = False
                return True

        self._filter = _Repaints()
        window.installEventFilter(self._filter)
        self._window = window
        self._zero = CpuSample(0.0, 0.0, 0.0, 0.0)
        self._zero = self.sample()

    def close(self) -> None:
        self._window.removeEventFilter(self._filter)

    def sample(self) -> CpuSample:
        """The split now; the GUI thread's figure leaves out the meter's own reading of
        ``/proc`` (about 1 ms a sample: a benchmark samples twice per action)."""
        start = time.thread_time()
        gl_threads = background = 0.0
        if self.split_threads:
            ticks = os.sysconf("SC_CLK_TCK")
            for task in TASKS.iterdir():
                if task.name == str(self.gui_thread):
                    continue
                try:
                    stat = (task / "stat").read_text()
                except OSError:  # the thread ended meanwhile
                    continue
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2 :].split()
                seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
                if name.startswith(GL_THREAD_PREFIX):
                    gl_threads += seconds
                else:
                    background += seconds
        else:
            background = max(time.process_time() - start, 0.0)
        self._sampling += time.thread_time() - start
        gui = time.thread_time() - self._sampling
        return CpuSample(gui, self._drawing, gl_threads, background) - self._zero
