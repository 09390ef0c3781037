"""Small Qt helpers shared by the widgets: a measures table filled from a :class:`MeasureGrid`,
and a scrolling page for widgets taller than a dock."""

from __future__ import annotations

from qtpy.QtCore import QSize, Qt
from qtpy.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from napari_spine_endpoints._model.measures import MeasureGrid


class _VerticalScroll(QScrollArea):
    """Scrolls up and down only: as wide as its page wants, as tall as the dock allows."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self._with_bar(super().sizeHint(), self._page().sizeHint())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return self._with_bar(super().minimumSizeHint(), self._page().minimumSizeHint())

    def _page(self) -> QWidget:
        page = self.widget()
        assert page is not None
        return page

    def _with_bar(self, own: QSize, page: QSize) -> QSize:
        bar = self.verticalScrollBar()
        width = page.width() + (0 if bar is None else bar.sizeHint().width())
        return QSize(width, own.height())


def scrolling_layout(widget: QWidget) -> QVBoxLayout:
    """Give ``widget`` a vertically scrolling page; returns the page's layout to fill.

    The dock scrolls instead of growing past the screen (the Landmarks and Grades widgets are
    taller than a 1080-pixel screen with every panel open).
    """
    page = QWidget()
    scroll = _VerticalScroll()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(page)
    outer = QVBoxLayout(widget)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    return QVBoxLayout(page)


class MeasureTable(QTableWidget):
    """Measures down (with units), disc levels across, so it fits a dock without scrolling.

    A missing value shows '-' with its reason as the tooltip; a height loss shows its reference
    discs as the tooltip.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        horizontal, vertical = self.horizontalHeader(), self.verticalHeader()
        assert horizontal is not None and vertical is not None
        horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setWordWrap(False)

    def show_grid(self, grid: MeasureGrid | None) -> None:
        """Fill the table (or empty it for None)."""
        if grid is None:
            self.setRowCount(0)
            self.setColumnCount(0)
            return
        if self.rowCount() != len(grid.titles) or self.columnCount() != len(grid.levels):
            self.setRowCount(len(grid.titles))
            self.setColumnCount(len(grid.levels))
            self.setVerticalHeaderLabels(list(grid.titles))
            self.setHorizontalHeaderLabels(list(grid.levels))
        for column, cells in enumerate(grid.cells):
            for row, cell in enumerate(cells):
                item = self.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                    self.setItem(row, column, item)
                item.setText(cell.text)
                item.setToolTip(cell.note)
        self._fit_height()

    def _fit_height(self) -> None:
        """Tall enough to show every row: the dock scrolls, not the table."""
        vertical, horizontal = self.verticalHeader(), self.horizontalHeader()
        assert vertical is not None and horizontal is not None
        self.setMinimumHeight(vertical.length() + horizontal.height() + 2 * self.frameWidth())

    def text(self, level: str, title: str) -> str:
        """The text shown for ``level`` in the row titled ``title`` (for tests)."""
        titles = [_text(self.verticalHeaderItem(i)) for i in range(self.rowCount())]
        levels = [_text(self.horizontalHeaderItem(i)) for i in range(self.columnCount())]
        item = self.item(titles.index(title), levels.index(level))
        return "" if item is None else item.text()


def _text(item: QTableWidgetItem | None) -> str:
    return "" if item is None else item.text()
