"""Landmarks widget: guided corner placement, the corner list and the live measures tables.

Click on the film to place the corner named in large type; it advances by itself. Drag a point
to move it (select mode), or pick a corner in the list to re-place it. Flexion and extension can
be shown side by side (napari grid), with angular and translation ROM below. The assisted
measurement panel (:mod:`._qt.assist_panel`) refines the clicks and tracks corners to the other
dynamic film; the corner list says where each corner came from.
"""

from __future__ import annotations

from typing import Any

from napari.layers import Image
from qtpy.QtGui import QColor, QFont
from qtpy.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QWidget,
)

from imaging.anatomy import Film
from imaging.errors import SpineEndpointsError
from imaging.store.vocabulary import LandmarkUse
from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._model.placement import CornerLabel, PlacementState
from napari_spine_endpoints._model.shortcuts import SHORTCUT_BY_ACTION, shortcut_help
from napari_spine_endpoints._qt.assist_panel import AssistPanel
from napari_spine_endpoints._qt.calibration_panel import CalibrationPanel
from napari_spine_endpoints._qt.context import ReadingContext, context_for
from napari_spine_endpoints._qt.tables import MeasureTable, scrolling_layout
from napari_spine_endpoints._qt.visibility import set_visible

SKIP_REASONS = (
    "not visible on the film",
    "outside the field of view",
    "overlapped (e.g. by the iliac crest)",
    "transitional vertebra",
)

_CURRENT, _PLACED, _OPEN = QColor("#40ff80"), QColor("#e0e0e0"), QColor("#909090")


def _key(action: str) -> str:
    return SHORTCUT_BY_ACTION[action].key


def _origin(placement: PlacementState, label: CornerLabel) -> str:
    """'click', 'refined 0.93', 'tracked', 'moved': where the corner's position came from."""
    record = placement.records[label]
    if record.used is LandmarkUse.REFINED and record.confidence is not None:
        return f"refined {record.confidence:.2f}"
    return record.used.value


class LandmarksWidget(QWidget):
    """Guided placement of the vertebral corners on the open films, with live measures."""

    def __init__(self, napari_viewer: Any) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.context: ReadingContext = context_for(napari_viewer)
        self.context.watch(self)
        self._visibility: dict[Any, bool] = {}
        self.in_view = True
        """No other step (Grades) is shown: the measures are kept up to date (with the Grades
        step shown, a grade key computes no measure nobody sees; see :meth:`set_in_view`)."""
        self.case_label = QLabel()
        self.films = QComboBox()
        self.films.activated.connect(self._on_film_chosen)
        self.read_film = QPushButton("Read the selected film")
        self.read_film.clicked.connect(self._read_selected_film)
        self.side_by_side = QPushButton("Flexion | extension side by side")
        self.side_by_side.setCheckable(True)
        self.side_by_side.toggled.connect(self.show_side_by_side)
        self.prompt = QLabel()
        font = QFont()
        font.setPointSize(font.pointSize() + 4)
        font.setBold(True)
        self.prompt.setFont(font)
        self.progress = QProgressBar()
        self.previous = QPushButton(f"Previous ({_key('previous_corner')})")
        self.next = QPushButton(f"Next ({_key('next_corner')})")
        self.next_level = QPushButton(f"Next vertebra ({_key('next_level')})")
        self.reasons = QComboBox()
        self.reasons.setEditable(True)
        self.reasons.addItems(SKIP_REASONS)
        self.reasons.currentTextChanged.connect(self._on_reason)
        self.skip = QPushButton(f"Skip ({_key('skip_corner')})")
        self.corners = QListWidget()
        self.corners.setMaximumHeight(120)
        self.corners.itemClicked.connect(self._on_corner_clicked)
        self.calibration = QLabel()
        self.calibration.setWordWrap(True)
        self.errors = QLabel()
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet("color: #ff6060")
        self.measures = MeasureTable()
        self.rom_title = QLabel("Range of motion (flexion vs extension)")
        self.rom = MeasureTable()
        self.assist = AssistPanel(self.context)
        self.on_image = CalibrationPanel(self.context)  # measures on the film, drawn calibration
        help_text = QLabel("Shortcuts (canvas focused):\n" + shortcut_help())
        help_text.setStyleSheet("font-family: monospace; font-size: 8pt")
        actions = self.context.actions
        self.previous.clicked.connect(lambda: actions.placement_action("previous_corner"))
        self.next.clicked.connect(lambda: actions.placement_action("next_corner"))
        self.next_level.clicked.connect(lambda: actions.placement_action("next_level"))
        self.skip.clicked.connect(actions.skip_corner)

        layout = scrolling_layout(self)
        layout.addWidget(self.case_label)
        row = QHBoxLayout()
        row.addWidget(self.films, 1)
        row.addWidget(self.read_film)
        layout.addLayout(row)
        layout.addWidget(self.side_by_side)
        layout.addWidget(self.prompt)
        layout.addWidget(self.progress)
        row = QHBoxLayout()
        for button in (self.previous, self.next, self.next_level):
            row.addWidget(button)
        layout.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.reasons, 1)
        row.addWidget(self.skip)
        layout.addLayout(row)
        layout.addWidget(self.corners)
        layout.addWidget(self.assist)
        layout.addWidget(self.calibration)
        layout.addWidget(self.on_image)
        layout.addWidget(self.errors)
        layout.addWidget(self.measures)
        layout.addWidget(self.rom_title)
        layout.addWidget(self.rom)
        layout.addStretch(1)
        layout.addWidget(help_text)
        self.context.changed.connect(self.refresh)
        self.context.session_replaced.connect(self._on_session_replaced)
        self.viewer.layers.selection.events.active.connect(self._on_active_layer)
        self.viewer.mouse_drag_callbacks.append(self._select_film_under_mouse)
        self.refresh()

    # --- actions -----------------------------------------------------------------------------
    def _read_selected_film(self) -> None:
        """Read corners on the selected film; with anything else selected (an MR series, a
        line layer), on the read's film shown. Never raises: what is wrong goes to the status."""
        layer, context = self.viewer.layers.selection.active, self.context
        info = ImageInfo.from_metadata(layer.metadata) if isinstance(layer, Image) else None
        if isinstance(layer, Image) and info is not None and info.kind == "radiograph":
            try:
                film: Film | None = context.attach_film(layer)
            except (ValueError, SpineEndpointsError) as error:
                context.message.emit(f"{layer.name}: not read: {error}")
                return
        elif context.images:
            film = context.active_film
        else:
            context.message.emit("Select a film (a radiograph layer) to read, or open a case")
            return
        context.hanging.show_landmarks(film)

    def _on_film_chosen(self, index: int) -> None:
        film = self.films.itemData(index)
        if film is not None:
            self.context.select_film(film)

    def _on_reason(self, text: str) -> None:
        self.context.skip_reason = text

    def _on_corner_clicked(self, item: QListWidgetItem) -> None:
        placement = self._placement()
        if placement is not None:
            placement.go_to(placement.labels[self.corners.row(item)])

    def _on_active_layer(self, _event: Any = None) -> None:
        self.refresh()

    def _on_session_replaced(self) -> None:
        if self.side_by_side.isChecked():  # the grid was for the previous read's films
            self._visibility = {}  # its layers are going: nothing to show again
            self.side_by_side.setChecked(False)
        self.refresh()

    def show_side_by_side(self, enabled: bool) -> None:
        """Flexion left and extension right, each with its corners and lines (napari grid)."""
        viewer, context = self.viewer, self.context
        if not enabled:
            viewer.canvas.grid.enabled = False
            for layer, visible in self._visibility.items():
                if layer in viewer.layers:
                    set_visible(layer, visible)
            return
        if Film.FLEXION not in context.images or Film.EXTENSION not in context.images:
            self.context.message.emit("Side by side needs a flexion and an extension film")
            self.side_by_side.setChecked(False)
            return
        self._visibility = {layer: layer.visible for layer in viewer.layers}
        ordered = [
            layer
            for film in (Film.FLEXION, Film.EXTENSION)
            for overlay in (context.overlay(film),)
            for layer in (
                overlay.image, overlay.lines, overlay.points, overlay.proposals.ensure_layer()
            )
        ]  # fmt: skip
        for position, layer in enumerate(ordered):
            viewer.layers.move(viewer.layers.index(layer), position)
        for layer in viewer.layers:
            set_visible(layer, layer in ordered)
        viewer.canvas.grid.stride = 4
        viewer.canvas.grid.shape = (1, 2)
        viewer.canvas.grid.enabled = True
        viewer.reset_view()
        self.context.select_film(Film.FLEXION)

    def _select_film_under_mouse(self, viewer: Any, event: Any) -> None:
        """In side-by-side mode a click goes to the corners of the film it lands on."""
        if not viewer.canvas.grid.enabled or getattr(event, "type", "") != "mouse_press":
            return
        for film, overlay in self.context.overlays.items():
            index = viewer.layers.index(overlay.points)
            if viewer.canvas.grid.position(index, viewer.layers) == tuple(event.viewbox):
                if viewer.layers.selection.active is not overlay.points:
                    mode = getattr(viewer.layers.selection.active, "mode", "add")
                    self.context.select_film(film)
                    overlay.points.mode = mode if mode in ("add", "select", "pan_zoom") else "add"
                return

    # --- display -----------------------------------------------------------------------------
    def set_in_view(self, shown: bool) -> None:
        """The workstation shows this step (or another one): out of view, the measures tables
        and the tracking table wait, and are brought up to date when the step is shown again."""
        if shown == self.in_view:
            return
        self.in_view = shown
        self.assist.set_in_view(shown)
        if shown:
            self.refresh()

    def _placement(self) -> PlacementState | None:
        film, session = self.context.active_film, self.context.session
        if film is None or session is None:
            return None
        return session.placements.get(film)

    def refresh(self) -> None:
        """Redraw everything from the model."""
        context, session = self.context, self.context.session
        if session is None:
            self.case_label.setText("No read open: open a case from the worklist, or a film")
        else:
            self.case_label.setText(
                f"Case {session.label} - reader {session.reader} - {context.lifecycle.status_text}"
            )
        self._refresh_films()
        placement = self._placement()
        self._refresh_placement(placement)
        if self.in_view:
            self._refresh_measures()
        corners = session is None or context.places_corners  # a grades-only protocol: no corners
        for widget in (
            self.side_by_side,
            self.progress,
            self.previous,
            self.next,
            self.next_level,
            self.reasons,
            self.skip,
            self.corners,
            self.assist,
        ):
            widget.setVisible(corners)  # fmt: skip

    def _refresh_films(self) -> None:
        """The film list; rebuilt only when the films changed (a click changes none)."""
        active = self.context.active_film
        films = [
            (film, f"{film.value}: {image.name}") for film, image in self.context.images.items()
        ]
        shown = [
            (self.films.itemData(i), self.films.itemText(i)) for i in range(self.films.count())
        ]
        self.films.blockSignals(True)
        if films != shown:
            self.films.clear()
            for film, text in films:
                self.films.addItem(text, film)
        for index, (film, _) in enumerate(films):
            if film is active and self.films.currentIndex() != index:
                self.films.setCurrentIndex(index)
        self.films.blockSignals(False)

    def _refresh_placement(self, placement: PlacementState | None) -> None:
        """The prompt, the progress and the corner list; only what changed is set."""
        if placement is None:
            self.prompt.setText("Open a film to start")
            _set_progress(self.progress, 0, 1, "")
            self.corners.clear()
            return
        self.prompt.setText(placement.prompt)
        done, total = placement.progress
        _set_progress(self.progress, done, total, f"{done} of {total} corners")
        if self.corners.count() != len(placement.labels):
            self.corners.clear()
            self.corners.addItems([label.text for label in placement.labels])
        for row, label in enumerate(placement.labels):
            item = self.corners.item(row)
            if item is None:
                continue
            if label in placement.positions:
                row_px, col_px = placement.positions[label]
                text = f"{label.text}   ({row_px:.1f}, {col_px:.1f}) {_origin(placement, label)}"
            elif label in placement.skipped:
                text = f"{label.text}   skipped: {placement.skipped[label]}"
            else:
                text = f"{label.text}   -"
            current = label == placement.current
            text = ("> " if current else "   ") + text
            if item.text() != text:
                item.setText(text)
                color = _CURRENT if current else _PLACED if label in placement.positions else _OPEN
                item.setForeground(color)

    def _refresh_measures(self) -> None:
        session, film = self.context.session, self.context.active_film
        if session is None or film is None:
            self.measures.show_grid(None)
            self.rom.show_grid(None)
            self.calibration.setText("")
            self.errors.setText("")
            return
        info = session.films[film]
        calibration = info.calibration
        if calibration.has_millimetres:
            self.calibration.setText(
                f"Calibration: {calibration.source.value} ({calibration.detail})"
            )
        else:
            self.calibration.setText(
                f"Uncalibrated ({calibration.detail}): lengths withheld, angles and ratios shown"
            )
        measures = session.measures()
        self.measures.show_grid(measures.films.get(film))
        self.rom.show_grid(measures.pair)
        self.rom.setVisible(measures.pair is not None)
        self.rom_title.setVisible(measures.pair is not None)
        self.errors.setText("\n".join(f"{k}: {v}" for k, v in measures.errors.items()))


def _set_progress(bar: QProgressBar, done: int, total: int, text: str) -> None:
    """Set the bar with its repaint left to the window's next one: QProgressBar.setValue
    repaints at once, which recomposes the whole window (its canvas is OpenGL) on every click."""
    if (bar.value(), bar.maximum(), bar.format()) == (done, total, text):
        return
    bar.setUpdatesEnabled(False)
    try:
        bar.setRange(0, total)
        bar.setValue(done)
        bar.setFormat(text)
    finally:
        bar.setUpdatesEnabled(True)  # schedules the bar's repaint
