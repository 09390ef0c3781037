"""Adjudication widget: both reads of a triggered case side by side; one taken per item, with a
reason.

The case's films are shown as a reader receives them (blinded: pixels and calibration, no path
or name), each reader's corners and endplate lines over them in the reader's own colour, one pair
per film (:data:`napari_spine_endpoints._model.adjudication.READER_COLOURS`); the table lists the
grades side by side and the films, triggered items marked. Select a row, write the reason, press
"Take <reader>"; "Submit adjudication" stores every choice. The logic is in
:mod:`napari_spine_endpoints._model.adjudication`.
"""

from __future__ import annotations

from typing import Any

from qtpy.QtGui import QColor
from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imaging.errors import SpineEndpointsError
from imaging.protocol.adjudication import DecisionKey, decision_text
from imaging.protocol.model import Protocol
from napari_spine_endpoints._layers import blinded_layer
from napari_spine_endpoints._model.adjudication import (
    AdjudicationDraft,
    SideBySide,
    empty_reason,
    load_case,
    worklist,
)
from napari_spine_endpoints._qt.context import context_for


class AdjudicationWidget(QWidget):
    """An adjudicator's worklist and side-by-side view of one case."""

    def __init__(
        self,
        napari_viewer: Any,
        url: str | None = None,
        protocol: Protocol | None = None,
        adjudicator: str | None = None,
    ) -> None:
        """Opened from napari's Plugins menu, the store, protocol and adjudicator are the
        workstation's (``$SPINE_ENDPOINTS_STORE``, ``$SPINE_ENDPOINTS_PROTOCOL``, the login)."""
        super().__init__()
        context = context_for(napari_viewer)
        self.viewer = napari_viewer
        self.url = url or context.store.url
        self.protocol = protocol or context.protocol
        self.adjudicator = adjudicator or context.reader_id
        self.draft: AdjudicationDraft | None = None
        self._keys: list[DecisionKey] = []
        self._layers: list[Any] = []
        self.cases = QComboBox()
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.table = QTableWidget(0, 1)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("reason for taking this read")
        self.takes = QHBoxLayout()
        self.submit_button = QPushButton("Submit adjudication")
        self.message = QLabel()
        layout = QVBoxLayout(self)
        for widget in (self.cases, self.reasons, self.table, self.reason):
            layout.addWidget(widget)
        layout.addLayout(self.takes)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.message)
        self.cases.currentIndexChanged.connect(self._open_selected)
        self.submit_button.clicked.connect(self.submit)
        self.refresh()

    def refresh(self) -> None:
        """Reload the worklist (triggered cases this adjudicator may adjudicate)."""
        items = worklist(self.url, self.protocol, self.adjudicator)
        self.cases.blockSignals(True)
        self.cases.clear()
        for item in items:
            self.cases.addItem(f"{item.reading_id} ({item.status})", item.reading_id)
        self.cases.blockSignals(False)
        if items:
            self.open(items[0].reading_id)
        else:
            self.message.setText(empty_reason(self.url))

    def _open_selected(self, index: int) -> None:
        if index >= 0:
            self.open(self.cases.itemData(index))

    def open(self, reading_id: str) -> None:
        """Show both reads of the case: layers per reader and film, grades side by side."""
        case = load_case(self.url, self.protocol, reading_id)
        self.draft = AdjudicationDraft(case, self.adjudicator)
        self.reasons.setText("Triggers: " + "; ".join(case.reasons))
        for layer in self._layers:
            if layer in self.viewer.layers:
                self.viewer.layers.remove(layer)
        self._layers = self._add_layers(case)
        self._fill_table(case)
        while self.takes.count():
            item = self.takes.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()  # type: ignore[union-attr]
        for reader in case.readers:
            button = QPushButton(f"Take {reader}")
            button.clicked.connect(lambda _=False, r=reader: self.take(r))
            self.takes.addWidget(button)
        self.message.setText(f"Case {reading_id}: {len(self._keys)} items")

    def _add_layers(self, case: SideBySide) -> list[Any]:
        layers = []
        for film, readers in case.films.items():
            image = case.images.get(film)
            shown: dict[str, Any] = {}
            if image is not None:  # the film under the corners, blinded as for a reader
                data, kwargs, _ = blinded_layer(image, case.reading_id)
                kwargs["visible"] = film == next(iter(case.films))
                layers.append(self.viewer.add_image(data, **kwargs))
                # corners are film pixels: drawn at the film's scale, whatever spacing a read
                # was measured with (e.g. imported with --mm-per-pixel)
                shown = {"scale": kwargs["scale"], "units": kwargs["units"]}
            for reader, corners in readers.items():
                scale = shown.get("scale", corners.spacing or (1.0, 1.0))
                colour = case.colour(reader)
                layers.append(
                    self.viewer.add_points(
                        corners.points, name=f"{reader} corners ({film})", size=6, scale=scale,
                        face_color=colour, border_color=colour,
                        features={"corner": list(corners.names)},
                    )
                )  # fmt: skip
                if len(corners.lines):
                    layers.append(
                        self.viewer.add_shapes(
                            list(corners.lines), shape_type="line", edge_color=colour,
                            edge_width=1.5, name=f"{reader} endplates ({film})", scale=scale,
                        )
                    )  # fmt: skip
        return layers

    def _fill_table(self, case: SideBySide) -> None:
        headers = ["item", *case.readers, "taken"]
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self._keys = case.items()
        self.table.setRowCount(len(self._keys))
        grades = {row.key: row for row in case.grades}
        for index, key in enumerate(self._keys):
            row = grades.get(key)
            if row is not None:
                cells, flagged = list(row.codes), row.triggered
            else:
                film = key[2]
                on = case.films[film]
                cells = [
                    f"{len(on[r].points)} corners" if r in on else "no corners"
                    for r in case.readers
                ]
                flagged = film in case.triggered_films
            texts = [decision_text(key) + (" *" if flagged else ""), *cells, ""]
            for column, text in enumerate(texts):
                cell = QTableWidgetItem(text)
                if 0 < column <= len(case.readers):
                    cell.setForeground(QColor(case.colour(case.readers[column - 1])))
                self.table.setItem(index, column, cell)

    def take(self, reader: str) -> None:
        """Take ``reader``'s read for the selected row, with the reason typed."""
        selection = self.table.selectionModel()
        rows = [] if selection is None else selection.selectedRows()
        if self.draft is None or not rows:
            self.message.setText("Select an item first")
            return
        index = rows[0].row()
        try:
            self.draft.take(self._keys[index], reader, self.reason.text())
        except ValueError as error:
            self.message.setText(str(error))
            return
        self.table.setItem(index, self.table.columnCount() - 1, QTableWidgetItem(reader))
        self.reason.clear()
        self.message.setText(f"{decision_text(self._keys[index])}: {reader}")

    def submit(self) -> None:
        """Store the choices and submit; refused (with the items) while a trigger is open."""
        if self.draft is None:
            return
        missing = self.draft.missing()
        if missing:
            self.message.setText("Still to decide: " + ", ".join(missing))
            return
        try:
            taken = self.draft.submit(self.url, self.protocol)
        except SpineEndpointsError as error:
            self.message.setText(str(error))
            return
        self.message.setText("Adjudicated: " + "; ".join(taken))
