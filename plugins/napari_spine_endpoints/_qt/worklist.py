"""Worklist widget: the reader's cases from the store, blinded, with progress; open and reopen.

Cases appear under reading ids in an order of the reader's own (see
:mod:`imaging.store.worklist`); no subject, visit name or date is shown. The protocol's reading
design decides which: reads per case, the qualification set until the reader is qualified (the
reason is shown), then the reader's intra-reader repeats due (Read: ``repeat``, opened empty and
blind to the first read). Opening a case loads its images off the GUI thread. "Register a study
folder" adds DICOM files to the store's cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qtpy.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imaging.errors import SpineEndpointsError
from imaging.store.worklist import WorklistItem
from napari_spine_endpoints._qt.context import ReadingContext, context_for
from napari_spine_endpoints._sniff import candidate_files, is_dicom_file

COLUMNS = ("#", "Reading id", "Status", "Version", "Images", "Read")
READ_KINDS = ("first", "repeat")
"""The Read column: the reader's read of the case, or their intra-reader repeat of it."""


class WorklistWidget(QWidget):
    """The reader's blinded worklist."""

    def __init__(self, napari_viewer: Any) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.context: ReadingContext = context_for(napari_viewer)
        self.reader = QLineEdit(self.context.reader_id)
        self.reader.editingFinished.connect(self._on_reader)
        self.store_url = QLineEdit(self.context.store.url)
        self.store_url.editingFinished.connect(self._on_store)
        protocol = self.context.protocol
        blinding = "blinded reading" if protocol.blinded_reading else "unblinded"
        self.protocol = QLabel(f"{protocol.id} ({blinding})")
        self.protocol.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header, rows = self.table.horizontalHeader(), self.table.verticalHeader()
        assert header is not None and rows is not None
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        rows.setVisible(False)
        self.table.cellDoubleClicked.connect(lambda row, _: self.open_row(row))
        self.items: list[WorklistItem] = []
        """The rows' worklist items, in the table's order."""
        self.qualification = QLabel()
        self.qualification.setWordWrap(True)
        self.progress = QProgressBar()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.open_next_button = QPushButton("Open next case")
        self.open_next_button.clicked.connect(self.open_next)
        open_selected = QPushButton("Open / reopen selected")
        open_selected.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        register = QPushButton("Register a study folder...")
        register.clicked.connect(self._choose_folder)

        form = QFormLayout()
        form.addRow("Reader", self.reader)
        form.addRow("Store", self.store_url)
        form.addRow("Protocol", self.protocol)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.qualification)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        row = QHBoxLayout()
        row.addWidget(self.open_next_button)
        row.addWidget(open_selected)
        layout.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(refresh)
        row.addWidget(register)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.context.message.connect(self.status.setText)
        self.context.session_replaced.connect(self.refresh)
        self.context.changed.connect(self._refresh_if_state_changed)
        self._shown_state = self.context.read_state
        self.refresh()

    def refresh(self) -> None:
        """Reload the worklist from the store."""
        self._shown_state = self.context.read_state
        reader, protocol = self.context.reader_id, self.context.protocol
        try:
            items = self.context.store.worklist(reader, protocol)
            refused = self.context.store.trial_cases_refused(reader, protocol)
        except SpineEndpointsError as error:
            self.status.setText(f"Store not available: {error}")
            self.table.setRowCount(0)
            self.items = []
            return
        self.items = items
        self.qualification.setText(f"Qualification cases only: {refused}" if refused else "")
        self.qualification.setVisible(bool(refused))
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            values = (
                item.position,
                item.reading_id,
                item.status,
                item.version or "",
                item.image_count,
                READ_KINDS[min(item.repeat, 1)],
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(str(value)))
            session = self.context.session
            if session is not None and (session.reading_id, session.repeat) == (
                item.reading_id, item.repeat,
            ):  # fmt: skip
                self.table.selectRow(row)
        done = sum(item.status.done for item in items)
        self.progress.setRange(0, max(1, len(items)))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done} of {len(items)} cases submitted")

    def _refresh_if_state_changed(self) -> None:
        if self.context.read_state != self._shown_state:
            self.refresh()

    def open_row(self, row: int) -> Any:
        """Open the case in ``row`` (its first read or repeat read); returns the loading worker
        (or None, the reason shown)."""
        if not 0 <= row < len(self.items):
            self.status.setText("Select a case first")
            return None
        item = self.items[row]
        try:
            return self.context.open_case(item.reading_id, item.repeat)
        except SpineEndpointsError as error:
            self.status.setText(f"Not opened: {error}")
            return None

    def open_next(self) -> str | None:
        return self.context.open_next_case()

    def _on_reader(self) -> None:
        reader = self.reader.text().strip()
        if reader and reader != self.context.reader_id:
            self.context.close_session()
            self.context.reader_id = reader
            self.refresh()

    def _on_store(self) -> None:
        url = self.store_url.text().strip()
        if url != self.context.store.url:
            self.context.close_session()
            self.context.store.set_url(url)
            self.refresh()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Study folder to register")
        if folder:
            self.register_folder(Path(folder))

    def register_folder(self, folder: Path) -> int:
        """Register every DICOM file under ``folder`` with the store; returns how many."""
        files = [path for path in candidate_files(folder) if is_dicom_file(path)]
        try:
            count = self.context.store.register(
                files, self.context.protocol, self.context.reader_id
            )
        except SpineEndpointsError as error:
            self.status.setText(f"Not registered: {error}")
            return 0
        self.status.setText(f"Registered {count} image(s) from {folder}")
        self.refresh()
        return count
