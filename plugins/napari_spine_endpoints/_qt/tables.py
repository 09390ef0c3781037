"""Small Qt helpers shared by the widgets: a measures table filled from a :class:`MeasureGrid`."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from napari_spine_endpoints._model.measures import MeasureGrid


class MeasureTable(QTableWidget):
    """Levels down, measures across; a missing value shows '-' with its reason as tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            assert header is not None
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setWordWrap(False)

    def show_grid(self, grid: MeasureGrid | None) -> None:
        """Fill the table (or empty it for None)."""
        if grid is None:
            self.setRowCount(0)
            self.setColumnCount(0)
            return
        if self.columnCount() != len(grid.titles) or self.rowCount() != len(grid.levels):
            self.setColumnCount(len(grid.titles))
            self.setRowCount(len(grid.levels))
            self.setHorizontalHeaderLabels(list(grid.titles))
            self.setVerticalHeaderLabels(list(grid.levels))
        for row, cells in enumerate(grid.cells):
            for column, cell in enumerate(cells):
                item = self.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                    self.setItem(row, column, item)
                item.setText(cell.text)
                item.setToolTip(cell.note)

    def text(self, level: str, title: str) -> str:
        """The text shown for ``level`` under the column titled ``title`` (for tests)."""
        titles = [_text(self.horizontalHeaderItem(i)) for i in range(self.columnCount())]
        levels = [_text(self.verticalHeaderItem(i)) for i in range(self.rowCount())]
        item = self.item(levels.index(level), titles.index(title))
        return "" if item is None else item.text()


def _text(item: QTableWidgetItem | None) -> str:
    return "" if item is None else item.text()
