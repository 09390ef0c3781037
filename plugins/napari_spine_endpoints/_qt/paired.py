"""Paired tab: a subject's progression films scored together, time order concealed (issue 20).

A thin view of :class:`~napari_spine_endpoints._model.paired.PairedSitting`. The list holds the
reader's paired cases (``P-`` ids, :func:`imaging.store.paired.paired_worklist`); opening one
closes the open read and loads every set's films, named ``set A film 1`` ... (no reading id,
visit or date in a name or in the layers' metadata). The current set's film of the current
corner is shown and the corner ringed; keys as on the Scoring tab (digits score, X cannot be
scored with the reason, B back; bound on each film, the current one selected), a click places
the corner. Drafts are saved as the reader goes; "Submit all sets" submits them together
(:func:`imaging.store.paired.save_paired`).
"""

from __future__ import annotations

from typing import Any

from napari.layers import Image
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (
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
from imaging.store.blinding import BlindedImage
from imaging.store.paired import paired_case, paired_content, paired_worklist, save_paired
from napari_spine_endpoints._layers import blinded_layer
from napari_spine_endpoints._model.paired import PairedSitting
from napari_spine_endpoints._model.scoring import FilmShape, assign_views
from napari_spine_endpoints._model.shortcuts import SHORTCUT_BY_ACTION
from napari_spine_endpoints._qt.context import AUTOSAVE_DELAY_MS, ReadingContext, context_for
from napari_spine_endpoints._qt.reader_actions import key_handler
from napari_spine_endpoints._qt.site_scoring import (
    DEFAULT_REASON,
    SiteRing,
    bind_scoring_keys,
    place_on_click,
)
from napari_spine_endpoints._qt.visibility import set_visible

PAIRED_METADATA = "spine_endpoints_paired"
RING = "paired site"


class PairedWidget(QWidget):
    """The reader's paired cases and the sitting open."""

    def __init__(self, napari_viewer: Any) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.context: ReadingContext = context_for(napari_viewer)
        self.sitting: PairedSitting | None = None
        self.films: dict[tuple[str, str], Image] = {}
        """(set label, view) -> film layer."""
        self.ring = SiteRing(napari_viewer, RING)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Paired case", "Status"])
        self.step = QLabel()
        self.step.setWordWrap(True)
        self.definitions = QLabel()
        self.definitions.setWordWrap(True)
        self.reason = QLineEdit(DEFAULT_REASON)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.open_button = QPushButton("Open selected paired case")
        self.open_button.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        self.submit_button = QPushButton("Submit all sets")
        self.submit_button.clicked.connect(lambda: self.save(submit=True))
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self.save)
        row = QHBoxLayout()
        row.addWidget(self.open_button)
        row.addWidget(self.submit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A subject's films of every visit, in random order, no dates:"))
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.step)
        layout.addWidget(self.definitions)
        layout.addWidget(QLabel("Reason a corner cannot be scored:"))
        layout.addWidget(self.reason)
        layout.addWidget(self.status)
        self.viewer.mouse_drag_callbacks.append(self._on_mouse)
        self.context.session_replaced.connect(self._on_case)
        self.context.message.connect(self.status.setText)
        self.refresh()

    # --- the worklist ------------------------------------------------------------------------
    def refresh(self) -> None:
        """The reader's paired cases from the store."""
        try:
            with self.context.store.store.reading() as db:
                cases = paired_worklist(db, self.context.protocol, self.context.reader_id)
        except SpineEndpointsError as error:
            self.context.message.emit(f"No paired cases: {error}")
            cases = []
        self.table.setRowCount(len(cases))
        for row, case in enumerate(cases):
            for column, value in enumerate((case.paired_id, case.status.value)):
                self.table.setItem(row, column, QTableWidgetItem(value))

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        """The tab chosen: the paired cases as the store has them now."""
        super().showEvent(event)
        if self.sitting is None:
            self.refresh()

    def open_row(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is None:
            self.context.message.emit("Select a paired case first")
            return
        self.open(item.text())

    def open(self, key: str) -> None:
        """Close the open read and any sitting; load every set's films and its draft."""
        self.context.close_session()
        self.close_sitting()
        protocol, reader = self.context.protocol, self.context.reader_id
        try:
            with self.context.store.store.reading() as db:
                case = paired_case(db, protocol, reader, key)
                saved = paired_content(db, protocol, reader, key)
            loaded = {s.label: self.context.store.images(s.reading_id) for s in case.sets}
            images = {label: each.films() for label, each in loaded.items()}
        except SpineEndpointsError as error:
            self.context.message.emit(f"Not opened: {error}")
            return
        self.sitting = PairedSitting(protocol, case, saved)
        views = {step.view for scoring in self.sitting.scorings.values() for step in scoring.steps}
        for label, films in images.items():
            shapes = [
                FilmShape(str(n), image.patient_orientation, _height_mm(image))
                for n, image in enumerate(films)
            ]
            for view, number in assign_views(shapes).items():
                if view in views:  # only the paired item's films: a film read at one visit
                    self._add_film(label, view, films[int(number)])  # would tell the order
        self.sitting.subscribe(self._on_change)
        problems = [f"- set {label}: {p}" for label, each in loaded.items() for p in each.problems]
        left_out = f"\n{len(problems)} image(s) left out:\n" + "\n".join(problems)
        sets = ", ".join(s.label for s in case.sets)
        self.context.message.emit(f"{key} open: sets {sets}" + (left_out if problems else ""))
        self._show()

    def _add_film(self, label: str, view: str, image: BlindedImage) -> None:
        """The set's film of ``view`` as a hidden layer named by set and view alone."""
        data, kwargs, _ = blinded_layer(image, "")
        name = f"set {label} {view.replace('_', ' ')}"
        kwargs.update(name=name, visible=False, metadata={PAIRED_METADATA: label})
        layer = self.viewer.add_image(data, **kwargs)
        self.films[(label, view)] = layer
        self._bind_keys(layer)

    def close_sitting(self) -> None:
        """Save the sitting's draft and take its films away."""
        if self.sitting is not None and self._autosave.isActive():
            self._autosave.stop()
            self.save()
        self.sitting = None
        layers, self.films = list(self.films.values()), {}
        for layer in layers:
            if layer in self.viewer.layers:
                self.viewer.layers.remove(layer)
        self.ring.remove()

    def save(self, submit: bool = False) -> None:
        """The sitting's scores into each set's read: a draft, or ``submit`` all together."""
        sitting = self.sitting
        if sitting is None or not sitting.editable:
            return
        self._autosave.stop()
        key = sitting.case.paired_id
        problems = sitting.problems() if submit else []
        if problems:
            self.context.message.emit("Not submitted:\n" + "\n".join(problems))
            return
        try:
            with self.context.store.store.writing() as db:
                save_paired(
                    db, self.context.protocol, self.context.reader_id, key,
                    sitting.contents(), submit=submit,
                )  # fmt: skip
        except (SpineEndpointsError, ValueError) as error:
            self.context.message.emit(f"Not {'submitted' if submit else 'saved'}: {error}")
            return
        sitting.editable = not submit
        self.context.message.emit(f"{key}: {'submitted' if submit else 'draft saved'}")
        self.refresh()

    # --- the reader's keys and clicks ----------------------------------------------------------
    def _bind_keys(self, layer: Image) -> None:
        """The scoring keys and submit (all sets) on a film."""
        bind_scoring_keys(layer, self)
        submit = SHORTCUT_BY_ACTION["submit_next"].key
        layer.bind_key(submit, key_handler(lambda: self.save(submit=True)), overwrite=True)

    def score_key(self, key: str) -> None:
        if self.sitting is not None and self.sitting.editable:
            code = self.sitting.scoring.keys().get(key.upper())
            if code is not None:
                self.sitting.scoring.score(code)

    def cannot_score(self) -> None:
        if self.sitting is not None and self.sitting.editable:
            self.sitting.scoring.cannot_score(self.reason.text() or DEFAULT_REASON)

    def back(self) -> None:
        if self.sitting is not None:
            self.sitting.scoring.back()

    def _on_mouse(self, viewer: Any, event: Any) -> Any:
        """A click (no drag) on the current film places the current corner."""
        film = self._current_film()
        if film is None or viewer.layers.selection.active is not film:
            return
        yield from place_on_click(film, event, self._place)

    def _place(self, position: tuple[float, float]) -> None:
        if self.sitting is not None:
            self.sitting.scoring.place(position)

    # --- model -> view -------------------------------------------------------------------------
    def _on_change(self) -> None:
        self._autosave.start()
        self._show()

    def _on_case(self) -> None:
        """A worklist case opened: the sitting closes."""
        if self.context.session is not None and self.sitting is not None:
            self.close_sitting()
            self._show()

    def _current_film(self) -> Image | None:
        sitting = self.sitting
        if sitting is None:
            return None
        return self.films.get((sitting.label, sitting.scoring.current.view or ""))

    def _show(self) -> None:
        sitting = self.sitting
        if sitting is None:
            self.step.setText("Open a paired case.")
            self.definitions.setText("")
            return
        scoring, film = sitting.scoring, self._current_film()
        step = scoring.current
        state = "all sets scored: Submit all sets" if sitting.done else ""
        state = state if sitting.editable else "submitted"
        where = (step.view or "").replace("_", " ")
        self.step.setText(
            f"Set {sitting.label} ({len(sitting.scorings)} sets), corner {scoring.index + 1}/"
            f"{len(scoring.steps)}: {step.site}, {where} film"
            f"{'' if film is not None else ' (not open)'}. {state}"
        )
        given = scoring.form.values.get((step.site, step.item))
        scale = scoring.form.scale_of(step.item)
        self.definitions.setText(
            "\n".join(
                f"{'> ' if code == given else ''}{key}: {scale.grade(code).label} - "
                f"{scale.grade(code).meaning}"
                for key, code in scoring.keys().items()
            )
        )
        for layer in self.films.values():
            set_visible(layer, layer is film)
        self.ring.show(film, scoring.position())
        if film is not None:
            self.viewer.layers.selection.active = film


def _height_mm(image: BlindedImage) -> float | None:
    spacing = image.calibration.pixel_spacing
    return None if spacing is None else image.shape[0] * spacing[0]
