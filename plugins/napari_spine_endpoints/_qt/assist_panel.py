"""The Landmarks widget's assisted-measurement panel: refine corners, track them to another film.

Refine (button or Shift-R) offers a refined position for every click of the current film (off
the GUI thread); the proposals are listed with their confidence and drawn as rings. The reader
accepts them (selected ones, or every confident one), rejects them (the click stays), or drags
a ring to move the corner. With "auto", each vertebra is refined as soon as its corners are all
placed and the confident refinements are applied; low-confidence ones always wait. Track maps
the current film's corners onto the other dynamic film as proposals, reports poor matches and
shows the motion from the registration transforms next to the ROM from the corners. "Track to
flexion and extension" (Shift-D) does it from the neutral film to both dynamic films in one go,
using the confident corners (poor matches wait in the list, with the reason).
"""

from __future__ import annotations

from typing import Any

from qtpy.QtGui import QColor
from qtpy.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from imaging.anatomy import Film
from napari_spine_endpoints._model.placement import CornerLabel
from napari_spine_endpoints._model.proposals import CornerProposal, ProposalSet
from napari_spine_endpoints._model.shortcuts import SHORTCUT_BY_ACTION
from napari_spine_endpoints._model.tracking import (
    MotionRow,
    default_target,
    dynamic_targets,
    motion_rows,
)
from napari_spine_endpoints._qt.context import ReadingContext

MOTION_COLUMNS = (
    "Angle change, transforms (deg)",
    "Angle change, tracked corners (deg)",
    "Angular ROM, placed corners (deg)",
    "Translation change, tracked corners (mm)",
    "Translation ROM, placed corners (mm)",
    "Match",
)
_CONFIDENT, _DOUBTFUL = QColor("#40ff40"), QColor("#ffa000")


def _key(action: str) -> str:
    return SHORTCUT_BY_ACTION[action].key


class AssistPanel(QGroupBox):
    """Refinement and tracking controls for the read of one :class:`ReadingContext`."""

    def __init__(self, context: ReadingContext) -> None:
        super().__init__("Assisted measurement (proposals: you decide)")
        self.context = context
        self.assistant = context.assistant
        self.refine = QPushButton(f"Refine ({_key('refine')})")
        self.refine.clicked.connect(lambda: self.assistant.refine())
        self.auto = QCheckBox("auto: refine each vertebra when placed")
        self.auto.setToolTip(
            "Confident refinements are applied at once; low-confidence ones wait for you"
        )
        self.auto.toggled.connect(self._on_auto)
        self.proposals = QListWidget()
        self.proposals.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.proposals.setMaximumHeight(110)
        self.proposals.itemDoubleClicked.connect(lambda item: self._decide(True, [item]))
        self.accept_selected = QPushButton("Accept selected")
        self.accept_selected.clicked.connect(lambda: self._decide(True))
        self.reject_selected = QPushButton("Reject selected")
        self.reject_selected.clicked.connect(lambda: self._decide(False))
        self.accept_confident = QPushButton(f"Accept confident ({_key('accept_proposals')})")
        self.accept_confident.clicked.connect(lambda: self.assistant.accept_confident())
        self.reject_all = QPushButton(f"Reject all ({_key('reject_proposals')})")
        self.reject_all.clicked.connect(lambda: self.assistant.reject_all())
        self.drag = QPushButton("Drag rings")
        self.drag.setToolTip("Select the proposals layer to drag a ring: the corner is 'moved'")
        self.drag.clicked.connect(self._drag_rings)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.track = QPushButton(f"Track to ({_key('track')})")
        self.track.clicked.connect(self._track)
        self.track_dynamic = QPushButton(
            f"Track to flexion and extension ({_key('track_dynamic')})"
        )
        self.track_dynamic.setToolTip(
            "From the neutral film's corners, in the background: the confident ones used, poorly "
            "matched vertebrae wait for you. On to the Grades step meanwhile"
        )
        self.track_dynamic.clicked.connect(lambda: self.assistant.track_dynamic())
        self.target = QComboBox()
        self.matches = QLabel()
        self.matches.setWordWrap(True)
        self.motion = QTableWidget(0, len(MOTION_COLUMNS))
        self.motion.setHorizontalHeaderLabels(list(MOTION_COLUMNS))
        self.motion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.motion.setVisible(False)
        self._listed: list[CornerProposal] = []
        self._tracking_shown: tuple[Any, ...] = ()
        self.in_view = True
        """The Landmarks step is shown: the tracking table (ROM measures) is kept up to date."""
        """What the tracking text and table show, so a refresh that changes nothing sets
        nothing (every grade key and click refreshes this panel)."""

        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(self.refine)
        row.addWidget(self.auto, 1)
        layout.addLayout(row)
        layout.addWidget(self.proposals)
        layout.addWidget(self.summary)
        for buttons in (
            (self.accept_selected, self.reject_selected, self.drag),
            (self.accept_confident, self.reject_all),
            (self.track, self.target),
        ):
            row = QHBoxLayout()
            for button in buttons:
                row.addWidget(button)
            layout.addLayout(row)
        layout.addWidget(self.track_dynamic)
        layout.addWidget(self.matches)
        layout.addWidget(self.motion)
        context.changed.connect(self.refresh)
        context.session_replaced.connect(self.refresh)
        self.assistant.tracked.connect(self.refresh)
        self.assistant.busy_changed.connect(self._on_busy)
        self.refresh()

    # --- actions -----------------------------------------------------------------------------
    def _proposal_set(self) -> ProposalSet | None:
        session, film = self.context.session, self.context.active_film
        if session is None or film is None:
            return None
        return session.proposals.get(film)

    def _decide(self, accept: bool, items: list[QListWidgetItem] | None = None) -> None:
        proposals = self._proposal_set()
        if proposals is None:
            return
        chosen = items if items is not None else self.proposals.selectedItems()
        labels = [CornerLabel.parse(str(item.data(256))) for item in chosen]
        if accept:
            proposals.accept(labels)
        else:
            proposals.reject(labels)

    def _on_auto(self, enabled: bool) -> None:
        self.assistant.auto_refine = enabled
        if enabled:
            self.context.changed.emit()  # refine what is already complete

    def _drag_rings(self) -> None:
        film = self.context.active_film
        if film is None or film not in self.context.images:
            return
        layer = self.context.overlay(film).proposals.ensure_layer()
        self.context.viewer.layers.selection.active = layer
        layer.mode = "select"

    def _track(self) -> Any:
        target = self.target.currentData()
        return self.assistant.track(self.context.active_film, target)

    def _on_busy(self, busy: bool) -> None:
        for button in (self.refine, self.track, self.track_dynamic):
            button.setEnabled(not busy)
        if busy:
            self.summary.setText("Working (the workstation stays usable) ...")

    # --- display -----------------------------------------------------------------------------
    def set_in_view(self, shown: bool) -> None:
        """Out of view (another step shown) the tracking table waits for the step's return."""
        self.in_view = shown
        if shown:
            self.refresh()

    def refresh(self) -> None:
        self._refresh_targets()
        proposals = self._proposal_set()
        pending = [] if proposals is None else proposals.ordered()
        if pending != self._listed:  # a corner dragged changes nothing here: keep the list
            self._listed = pending
            self.proposals.clear()
            for proposal in pending:
                item = QListWidgetItem(proposal.summary)
                item.setData(256, proposal.label.text)
                item.setForeground(_CONFIDENT if proposal.confident else _DOUBTFUL)
                self.proposals.addItem(item)
        self.proposals.setVisible(bool(pending))
        for button in (self.accept_selected, self.reject_selected, self.drag,
                       self.accept_confident, self.reject_all):  # fmt: skip
            button.setEnabled(bool(pending))
        doubtful = sum(not p.confident for p in pending)
        if not self.assistant.busy:
            self.summary.setText(
                "No proposal waiting"
                if not pending
                else f"{len(pending)} proposal(s) waiting; {doubtful} low-confidence or poorly "
                "matched: only your own accept applies those"
            )
        if self.in_view:  # its ROM measures: computed when seen
            self._refresh_tracking()

    def _refresh_targets(self) -> None:
        source = self.context.active_film
        films = [f for f in self.context.images if f is not source]
        chosen = self.target.currentData()
        self.target.blockSignals(True)
        if [self.target.itemData(i) for i in range(self.target.count())] != films:
            self.target.clear()
            for film in films:
                self.target.addItem(film.value, film)
        preferred = chosen if chosen in films else None
        if preferred is None and source is not None:
            preferred = default_target(source, set(self.context.images))
        if preferred is not None and preferred in films:
            self.target.setCurrentIndex(films.index(preferred))
        self.target.blockSignals(False)
        self.track.setEnabled(bool(films) and not self.assistant.busy)
        dynamic = Film.NEUTRAL in self.context.images and dynamic_targets(set(self.context.images))
        self.track_dynamic.setEnabled(bool(dynamic) and not self.assistant.busy)

    def _refresh_tracking(self) -> None:
        outcome, session = self.assistant.tracking, self.context.session
        if outcome is None or session is None:
            self._tracking_shown = ()
            self.matches.setText("")
            self.motion.setVisible(False)
            return
        rows = motion_rows(outcome, session.measures().pair)
        if self._tracking_shown == (outcome, rows):
            return
        self._tracking_shown = (outcome, rows)
        lines = [f"Tracked {outcome.source.value} -> {outcome.target.value} ({outcome.anchor})"]
        lines += [m.text for m in outcome.matches]
        self.matches.setText("\n".join(lines))
        self.matches.setStyleSheet("color: #ff6060" if outcome.poor_matches else "")
        self.motion.setRowCount(len(rows))
        self.motion.setVerticalHeaderLabels([r.level for r in rows])
        for index, row in enumerate(rows):
            for column, text in enumerate(_motion_texts(row)):
                self.motion.setItem(index, column, QTableWidgetItem(text))
        self.motion.setVisible(bool(rows))

    def motion_text(self, level: str, column: str) -> str:
        """The text shown for ``level`` in ``column`` (for tests)."""
        for index in range(self.motion.rowCount()):
            header = self.motion.verticalHeaderItem(index)
            if header is not None and header.text() == level:
                item = self.motion.item(index, MOTION_COLUMNS.index(column))
                return "" if item is None else item.text()
        return ""


def _motion_texts(row: MotionRow) -> list[str]:
    def number(value: float | None, decimals: int) -> str:
        return "-" if value is None else f"{value:.{decimals}f}"

    return [
        number(row.angle_from_transforms, 1),
        number(row.angle_from_tracked_corners, 1),
        number(row.angle_from_placed_corners, 1),
        number(row.translation_from_tracked_corners, 2),
        number(row.translation_from_placed_corners, 2),
        "POOR" if row.poor_match else "ok",
    ]
