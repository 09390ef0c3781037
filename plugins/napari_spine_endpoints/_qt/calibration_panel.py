"""On-image measures, calibration drawn by the reader and the baseline beside, in the Landmarks
tab.

"Measures on the film" toggles each disc's height, loss and angle drawn next to the level
(:mod:`._qt.measure_labels`) and the scale bar. For a film without a usable spacing (or with a
spacing only at the detector) the reader draws a line over something of known size - a ruler,
or the diameter of a calibration ball - on the ``<film> calibration`` Shapes layer, types its
length in mm, and the film is measured with :meth:`imaging.calibration.Calibration.from_marker`:
source ``calibrated``, user-supplied, saved with the read and audited in the store when it is
submitted (the film's calibration is an audited value of the read). "Baseline beside" shows the
reader's own baseline read next to a follow-up where the protocol allows it
(:mod:`._qt.baseline_panel`).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
from napari.layers import Shapes
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from imaging.anatomy import Film
from imaging.calibration import Calibration
from imaging.errors import CalibrationError
from napari_spine_endpoints._layer_info import METADATA_KEY
from napari_spine_endpoints._qt.baseline_panel import BaselineButton
from napari_spine_endpoints._qt.context import ReadingContext
from napari_spine_endpoints._qt.measure_labels import MeasureLabels
from napari_spine_endpoints._qt.visibility import set_visible

MARKERS = {"known length": 50.0, "ball diameter": 25.0}
"""What the drawn line spans, with a typical size in mm (the reader types the real one)."""
LINE_COLOR = "#ff40ff"


class CalibrationPanel(QWidget):
    """Toggles for the on-image measures and the scale bar; drawing a calibration line."""

    def __init__(self, context: ReadingContext) -> None:
        super().__init__()
        self.context = context
        self.viewer = context.viewer
        self.labels = MeasureLabels(context)
        self.lines: dict[Film, Shapes] = {}
        self.show_measures = QCheckBox("Measures on the film (height, loss, angle per level)")
        self.show_measures.setChecked(True)
        self.show_measures.toggled.connect(self.labels.set_shown)
        self.show_scale = QCheckBox("Scale bar (mm at the patient)")
        self.show_scale.setChecked(True)
        self.show_scale.toggled.connect(self.labels.set_scale_bar)
        self.marker = QComboBox()
        self.marker.addItems(list(MARKERS))
        self.marker.activated.connect(self._on_marker)
        self.length = QDoubleSpinBox()
        self.length.setRange(1.0, 1000.0)
        self.length.setDecimals(1)
        self.length.setSuffix(" mm")
        self.length.setValue(MARKERS["known length"])
        self.length.valueChanged.connect(lambda _v: self.apply())
        self.baseline = BaselineButton(context)
        # A blinded protocol never shows it: its label alone would speak of time order.
        self.baseline.setVisible(context.protocol.show_own_baseline)
        self.draw = QPushButton("Draw calibration line")
        self.draw.clicked.connect(self.start_drawing)
        self.status = QLabel()
        self.status.setWordWrap(True)
        box = QGroupBox("Calibration drawn on the film")
        inner = QVBoxLayout(box)
        row = QHBoxLayout()
        row.addWidget(self.marker)
        row.addWidget(self.length)
        row.addWidget(self.draw)
        inner.addLayout(row)
        inner.addWidget(self.status)
        self.box = box
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.show_measures)
        layout.addWidget(self.show_scale)
        layout.addWidget(self.baseline)
        layout.addWidget(box)
        context.changed.connect(self.refresh)
        context.session_replaced.connect(self._on_session_replaced)
        self.refresh()

    # --- drawing the line ----------------------------------------------------------------------
    def _on_marker(self, index: int) -> None:
        self.length.setValue(MARKERS[self.marker.itemText(index)])

    def start_drawing(self) -> None:
        """Show the active film's calibration layer in line mode: press, drag, release."""
        film = self.context.active_film
        if film is None or film not in self.context.images:
            self.context.message.emit("Open a film to calibrate first")
            return
        layer = self.lines.get(film) or self._make_layer(film)
        set_visible(layer, True)
        self.viewer.layers.selection.active = layer
        layer.mode = "add_line"
        self.status.setText(
            f"Draw a line along the {self.marker.currentText()} on the {film.value} film "
            "(press, drag, release), then type its length"
        )

    def _make_layer(self, film: Film) -> Shapes:
        image = self.context.images[film]
        layer = self.viewer.add_shapes(
            name=f"{image.name} calibration",
            ndim=2,
            edge_color=LINE_COLOR,
            edge_width=2.0,
            scale=tuple(image.scale),
            translate=tuple(image.translate),
            units=tuple(str(u) for u in image.units),
            metadata={METADATA_KEY: {"kind": "overlay", "image_layer": image.name,
                                     "film": film.value}},
        )  # fmt: skip
        layer.mouse_drag_callbacks.append(self._after_drawing)
        self.lines[film] = layer
        return layer

    def _after_drawing(self, _layer: Any, event: Any) -> Generator[None, None, None]:
        """A line was drawn (mouse released): calibrate once napari has finished the shape."""
        yield
        while event.type == "mouse_move":
            yield
        QTimer.singleShot(0, self.apply)

    def drawn_line(self, film: Film) -> np.ndarray | None:
        """The film's last drawn line, (2, 2) (row, col) pixels; None without one."""
        layer = self.lines.get(film)
        if layer is None:
            return None
        kinds = layer.shape_type
        lines = [
            np.asarray(d)[:, -2:] for d, k in zip(layer.data, kinds, strict=True) if k == "line"
        ]
        return lines[-1] if lines else None

    def apply(self) -> None:
        """Calibrate the film of the last drawn line with the typed length."""
        session = self.context.session
        if session is None:
            return
        for film in self.lines:
            line = self.drawn_line(film)
            if line is None or film not in session.films:
                continue
            what = f"{self.marker.currentText()} of {self.length.value():g} mm"
            current = session.films[film].calibration
            aspect = current.pixel_spacing or (1.0, 1.0)  # only the pixel's shape is kept
            try:
                calibration = Calibration.from_marker(line[0], line[1], self.length.value(), aspect)
            except CalibrationError as error:
                self.status.setText(f"Not calibrated: {error}")
                continue
            if current == calibration:
                continue
            if current.source.at_the_patient and not current.user_supplied:
                self.status.setText(
                    f"The {film.value} film is already calibrated ({current.detail}); "
                    "the drawn line is not used"
                )
                continue
            session.calibrate(film, calibration)
            self.status.setText(f"{film.value} film: {what}: {calibration.detail}")
            self.context.message.emit(f"{film.value} film calibrated by the reader: {what}")

    # --- display -----------------------------------------------------------------------------
    def refresh(self) -> None:
        session, film = self.context.session, self.context.active_film
        if session is None or film is None or film not in session.films:
            self.box.setEnabled(False)
            return
        self.box.setEnabled(True)
        calibration = session.films[film].calibration
        if not self.status.text() or not self.lines:
            if calibration.user_supplied:
                self.status.setText(f"{film.value} film: {calibration.detail}")
            elif not calibration.source.at_the_patient:
                self.status.setText(
                    f"The {film.value} film has no millimetres at the patient "
                    f"({calibration.source.value}): draw a line over a marker of known size"
                )
            else:
                self.status.setText("")

    def _on_session_replaced(self) -> None:
        layers, self.lines = list(self.lines.values()), {}
        self.context.remove_layers(layers)
        self.status.setText("")
        self.refresh()
