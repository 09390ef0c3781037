"""The reading workstation: worklist, landmarks, grades and window/level in one dock, as tabs.

The Landmarks and Grades tabs are the read's steps: choosing one hangs its images
(:mod:`._qt.hanging`: the film with its corners active; the mid-sagittal T2); a case opened from
the worklist starts on its first step, and moves on to Grades by itself as soon as "Track to
flexion and extension" starts (tracking runs while the reader grades), and again once corners
tracking left to the reader are all decided.
"""

from __future__ import annotations

from typing import Any

from qtpy.QtWidgets import QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget

from napari_spine_endpoints._model.hanging import Step, first_step
from napari_spine_endpoints._qt.context import ReadingContext, context_for
from napari_spine_endpoints._qt.grades import GradesWidget
from napari_spine_endpoints._qt.landmarks import LandmarksWidget
from napari_spine_endpoints._qt.paired import PairedWidget
from napari_spine_endpoints._qt.scoring import ScoringWidget
from napari_spine_endpoints._qt.summary_action import write_read_summary
from napari_spine_endpoints._qt.window_level import WindowLevelWidget
from napari_spine_endpoints._qt.worklist import WorklistWidget


class WorkstationWidget(QWidget):
    """Every workstation widget on one viewer, sharing one :class:`ReadingContext`."""

    def __init__(self, napari_viewer: Any) -> None:
        super().__init__()
        self.context: ReadingContext = context_for(napari_viewer)
        self.worklist = WorklistWidget(napari_viewer)
        self.landmarks = LandmarksWidget(napari_viewer)
        self.grades = GradesWidget(napari_viewer)
        self.window_level = WindowLevelWidget(napari_viewer)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.worklist, "Worklist")
        self.tabs.addTab(self.landmarks, "Landmarks")
        self.tabs.addTab(self.grades, "Grades")
        self.scoring = ScoringWidget(napari_viewer)  # AS: joints and corners step by step
        self.tabs.addTab(self.scoring, "Scoring")
        msasss = self.context.protocol.msasss
        self.paired = PairedWidget(napari_viewer) if msasss and msasss.paired_reading else None
        if self.paired is not None:  # AS: a subject's visits together, time order concealed
            self.tabs.addTab(self.paired, "Paired")
        self.tabs.addTab(self.window_level, "Window")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.context.message.connect(self.status.setText)
        self.summary = QPushButton("Read summary... (printable page)")
        self.summary.clicked.connect(lambda: write_read_summary(self.context))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.status)
        if self.context.images:
            self.tabs.setCurrentWidget(self.landmarks)
        self.landmarks.set_in_view(self.tabs.currentWidget() is not self.grades)
        self.tabs.currentChanged.connect(self._on_tab)
        self.context.session_replaced.connect(self._on_case)
        self.context.assistant.films_finished.connect(self._on_films_finished)
        self.context.assistant.dynamic_tracking_started.connect(self._on_tracking_started)

    def _on_tab(self, _index: int = 0) -> None:
        """The Landmarks and Grades tabs hang their step's images; the Landmarks measures wait
        while the Grades step is shown (each grade key would compute them for nobody). A draft
        waiting for the autosave is written first."""
        self.context.flush()
        self.landmarks.set_in_view(self.tabs.currentWidget() is not self.grades)
        if self.tabs.currentWidget() is self.landmarks:
            self.context.hanging.show_landmarks()
        elif self.tabs.currentWidget() is self.grades:
            self.context.hanging.show_grades()

    def _on_case(self) -> None:
        """A case opened: its first step (corners on its films, else grades)."""
        if self.context.session is None:
            return
        step = first_step(self.context.places_corners, has_films=True)
        tab = self.landmarks if step is Step.LANDMARKS else self.grades
        if self.tabs.currentWidget() is not tab:
            self.tabs.setCurrentWidget(tab)  # hangs it (_on_tab)

    def _on_tracking_started(self) -> None:
        """Tracking the neutral read onto the dynamic films runs in the background: the reader
        grades meanwhile (a poorly matched vertebra is named in the status when it lands)."""
        session = self.context.session
        if session is None or session.grades is None or self.tabs.currentWidget() is self.grades:
            return
        self.tabs.setCurrentWidget(self.grades)  # hangs it (_on_tab)
        self.context.message.emit(
            "Tracking flexion and extension in the background: grade the discs on the MR"
        )

    def _on_films_finished(self) -> None:
        """Every corner placed or accepted after tracking: the Grades step, when there is one."""
        session = self.context.session
        if session is None or session.grades is None:
            return
        if self.tabs.currentWidget() is self.landmarks:
            self.tabs.setCurrentWidget(self.grades)  # hangs it (_on_tab)
            self.context.message.emit("Every corner placed: grade the discs on the MR")
