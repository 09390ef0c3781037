"""The Grades widget's MR suggestion panel: disc centres on T2, then suggested grades.

The reader picks the T2 series (and T1, if open), clicks "Mark disc centres" and clicks one point
per disc on the mid-sagittal slice, as prompted ("Click the centre of the L4-L5 disc"); Suggest
quantifies the discs off the GUI thread. For the level being graded the panel shows each item's
suggestion, labelled as such, with the decision questions answered (Pfirrmann) or the marrow
signal (Modic), next to the reader's own grade. A suggestion becomes a grade only when the reader
clicks its "Use suggestion" button.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from napari.layers import Image, Points
from napari.layers.base import ActionType
from napari.utils.events import Event
from qtpy.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from imaging.anatomy import DiscLevel
from napari_spine_endpoints._layer_info import METADATA_KEY, ImageInfo
from napari_spine_endpoints._model.hanging import Step, mr_hanging
from napari_spine_endpoints._model.suggestions import DiscCentres
from napari_spine_endpoints._qt.context import ReadingContext
from napari_spine_endpoints._qt.hanging import bind_grade_keys

CENTRE_COLOR = "#00e0ff"
GRADED_COLOR = "#ffe040"
"""The disc being graded, highlighted on the MR."""
CENTRE_PX = 10.0
"""Disc-centre markers' diameter in screen pixels (the disc being graded: twice as large)."""


def mr_series(viewer: Any) -> list[Image]:
    """The MR series layers the plugin opened."""
    found = []
    for layer in viewer.layers:
        info = ImageInfo.from_metadata(layer.metadata)
        if (
            isinstance(layer, Image)
            and info is not None
            and info.kind == "series"
            and info.modality.upper() == "MR"
            and layer.ndim == 3
        ):
            found.append(layer)
    return found


class SuggestPanel(QGroupBox):
    """MR disc quantification and suggested grades for the read of one context."""

    def __init__(self, context: ReadingContext) -> None:
        super().__init__("MR suggestions (not grades until you use them)")
        self.context = context
        self.viewer = context.viewer
        self.centres_layer: Points | None = None
        self.t2, self.t1 = QComboBox(), QComboBox()
        self.t2.activated.connect(lambda _: self.context.hanging.choose_t2(self.t2.currentData()))
        self.mark = QPushButton("Mark disc centres")
        self.mark.clicked.connect(self.start_marking)
        self.clear = QPushButton("Clear")
        self.clear.clicked.connect(self._clear)
        self.suggest = QPushButton("Suggest")
        self.suggest.clicked.connect(self.run)
        self.prompt = QLabel()
        self.prompt.setWordWrap(True)
        self.disc = QLabel()
        self.disc.setWordWrap(True)
        self.items = QWidget()
        self.grid = QGridLayout(self.items)
        self.use_buttons: dict[str, QPushButton] = {}
        self.titles: dict[str, QLabel] = {}
        self._shown: tuple[Any, ...] = ()

        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        for text, combo in (("T2", self.t2), ("T1", self.t1)):
            row.addWidget(QLabel(text))
            row.addWidget(combo, 1)
        layout.addLayout(row)
        row = QHBoxLayout()
        for button in (self.mark, self.clear, self.suggest):
            row.addWidget(button)
        layout.addLayout(row)
        layout.addWidget(self.prompt)
        layout.addWidget(self.disc)
        layout.addWidget(self.items)
        self.viewer.layers.events.inserted.connect(self._refresh_series)
        self.viewer.layers.events.removed.connect(self._refresh_series)
        context.changed.connect(self.refresh)
        context.session_replaced.connect(self._on_new_session)
        context.assistant.suggested.connect(self.refresh)
        context.hanging.changed.connect(self._on_hanging)
        self._highlighted: tuple[Any, ...] = ()
        self._refresh_series()
        self.refresh()

    # --- series and disc centres -------------------------------------------------------------
    def _refresh_series(self, _event: Any = None) -> None:
        """The read's MR series (held for the Grades step, or in the viewer), the T2 and T1
        chosen from their headers (:func:`imaging.dicom.mr_weighting.series_to_grade`)."""
        hanging = self.context.hanging
        series = list(dict.fromkeys([*hanging.mr_layers(), *mr_series(self.viewer)]))
        picked = mr_hanging([(_weighting(x), _plane(x)) for x in series])
        t2 = hanging.t2 if hanging.t2 in series else _at(series, picked.t2)
        for combo, guess, none in ((self.t2, t2, False), (self.t1, _at(series, picked.t1), True)):
            chosen = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            if none:
                combo.addItem("none", None)
            for layer in series:
                combo.addItem(layer.name, layer)
            keep = guess if combo is self.t2 or chosen not in series else chosen
            if keep is not None:
                combo.setCurrentIndex(combo.findData(keep))
            combo.blockSignals(False)

    def _centres(self) -> DiscCentres | None:
        session = self.context.session
        return None if session is None else session.disc_centres

    def _on_hanging(self) -> None:
        """The Grades step shows the MR: the disc centres over it, active while some are still
        to mark (else the MR, for the grade keys)."""
        self._refresh_series()
        hanging = self.context.hanging
        shown = hanging.t2 is not None and hanging.t2 in self.viewer.layers
        if hanging.step is Step.GRADES and shown and self.context.session is not None:
            self.start_marking(hang=False)

    def start_marking(self, hang: bool = True) -> Points | None:
        """Activate the disc-centre layer over the T2 series, in add mode (``hang``: the Grades
        step's images first); with every centre marked, the MR stays the active layer."""
        t2 = self.t2.currentData()
        if t2 is None:
            self.context.message.emit("Suggest: open the sagittal T2 series first")
            return None
        if not self._ensure_session(t2):
            return None
        hanging = self.context.hanging
        if hang and (hanging.step is not Step.GRADES or t2 not in self.viewer.layers):
            if t2 not in hanging.series:
                hanging.hold(t2)
            hanging.choose_t2(t2)
            hanging.show_grades()  # calls back here (hang=False) once the MR is on screen
            return self.centres_layer
        if self.centres_layer is None:
            layer = self.context.pool.make(  # the last read's disc centres, refilled
                "centres",
                "points",
                np.empty((0, 3)),
                {
                    "ndim": 3,
                    "name": f"{t2.name} disc centres",
                    "metadata": {METADATA_KEY: {"kind": "overlay", "image_layer": t2.name}},
                    "scale": tuple(t2.scale),
                    "translate": tuple(t2.translate),
                    "units": tuple(str(u) for u in t2.units),  # as the MR's: no unit mismatch
                    "features": {"level": np.array([], dtype=object)},
                    "text": {
                        "string": "{level}",
                        "size": 10,
                        "color": CENTRE_COLOR,
                        "anchor": "upper_left",
                    },
                    "size": 1.0,
                    "canvas_size_limits": (CENTRE_PX, 2 * CENTRE_PX),
                    "face_color": CENTRE_COLOR,
                    "border_color": "black",
                },
            )
            assert isinstance(layer, Points)
            self.centres_layer = layer
            self.centres_layer.events.data.connect(self._on_centre)
            hanging.add_mr_overlay(self.centres_layer)
            bind_grade_keys(self.centres_layer, self.context)
        elif self.centres_layer not in self.viewer.layers:
            self.viewer.layers.append(self.centres_layer)
        centres = self._centres()
        if centres is not None and centres.current is not None:
            self.viewer.layers.selection.active = self.centres_layer
            self.centres_layer.mode = "add"
        self._redraw_centres()
        return self.centres_layer

    def _ensure_session(self, t2: Image) -> bool:
        """A read must be open for the series' subject and visit (started when none is)."""
        info = ImageInfo.from_metadata(t2.metadata)
        assert info is not None
        session = self.context.session
        if session is None:
            self.context.new_session(info.subject, self.context.visit_id(info.visit))
            return True
        if not self.context.same_case(info):
            self.context.message.emit(
                f"Suggest: {t2.name} is another case than the open read ({session.label})"
            )
            return False
        return True

    def _on_centre(self, event: Event) -> None:
        centres, layer = self._centres(), self.centres_layer
        if getattr(event, "action", None) != ActionType.ADDED or layer is None:
            return
        if centres is not None and len(layer.data):
            slice_index, row, col = (float(v) for v in layer.data[-1][-3:])
            try:
                centres.place(row, col, round(slice_index))
            except ValueError as error:
                self.context.message.emit(f"Disc centre not marked: {error}")
        self._redraw_centres()
        self.refresh()
        shown = self.context.hanging.shown_mr
        if centres is not None and centres.current is None and shown in self.viewer.layers:
            self.viewer.layers.selection.active = shown  # every disc marked: on to grading

    def _redraw_centres(self) -> None:
        """The marked centres; the disc being graded highlighted (larger, yellow)."""
        centres, layer = self._centres(), self.centres_layer
        if layer is None:
            return
        marked = [] if centres is None else list(centres.centres.items())
        slice_index = 0 if centres is None or centres.slice_index is None else centres.slice_index
        session = self.context.session
        graded = None if session is None or session.grades is None else session.grades.current_level
        self._highlighted = (graded, tuple(marked))
        layer.events.data.disconnect(self._on_centre)
        try:
            data = np.array([(slice_index, *p) for _, p in marked], dtype=float).reshape(-1, 3)
            levels = [lv.value for lv, _ in marked]
            shown = list(layer.features["level"]) if len(layer.features) else []
            if shown != levels or not np.array_equal(layer.data, data):  # (a set: 10 ms)
                layer.data = data
                layer.features = {"level": np.array(levels, dtype=object)}
            if marked:
                layer.face_color = [
                    GRADED_COLOR if lv.value == graded else CENTRE_COLOR for lv, _ in marked
                ]
                layer.size = [2.0 if lv.value == graded else 1.0 for lv, _ in marked]
        finally:
            layer.events.data.connect(self._on_centre)

    @property
    def highlighted_level(self) -> str | None:
        """The disc highlighted on the MR (the one being graded, when its centre is marked)."""
        graded, marked = self._highlighted or (None, ())
        return graded if any(lv.value == graded for lv, _ in marked) else None

    def _clear(self) -> None:
        centres = self._centres()
        if centres is not None:
            centres.clear()
        self._redraw_centres()
        self.refresh()

    def run(self) -> Any:
        """Quantify the marked discs (the started worker, or None)."""
        t2, t1 = self.t2.currentData(), self.t1.currentData()
        if t2 is None:
            self.context.message.emit("Suggest: open the sagittal T2 series first")
            return None
        return self.context.assistant.suggest(t2, t1)

    def _on_new_session(self) -> None:
        """Another read: its disc centres are its own (the old layer goes)."""
        layer, self.centres_layer = self.centres_layer, None
        if layer is not None:
            layer.events.data.disconnect(self._on_centre)
            self.context.retire([layer])
        self.refresh()

    # --- suggestions of the level being graded -----------------------------------------------
    def refresh(self) -> None:
        session, centres = self.context.session, self._centres()
        grading = (
            None if session is None or session.grades is None else session.grades.current_level
        )
        if self.centres_layer is not None and self._highlighted[:1] != (grading,):
            self._redraw_centres()  # the disc being graded moved on
        self.prompt.setText(
            "Open a read and the T2 series, then mark one point per disc centre"
            if centres is None
            else centres.prompt
        )
        form = None if session is None else session.grades
        level = None if form is None else form.current_level
        shown = [] if session is None or level is None else session.suggestions.at(level)
        grades = (
            {}
            if form is None or level is None
            else {s.item: form.values.get((level, s.item)) for s in shown}
        )
        if (session, level, shown, grades) == self._shown:
            return  # nothing of the level changed (e.g. a corner was dragged)
        self._shown = (session, level, shown, grades)
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = None if item is None else item.widget()
            if widget is not None:  # off screen now, not at the next turn of the event loop
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        self.use_buttons.clear()
        self.titles.clear()
        if session is None or form is None or level is None:
            self.disc.setText("")
            return
        self.disc.setText(_disc_text(session.suggestions.discs.get(level)))
        for row, suggestion in enumerate(session.suggestions.at(level)):
            own = form.values.get((level, suggestion.item))
            title = QLabel(
                f"<b>{suggestion.item}</b> {suggestion.title}; your grade: "
                f"{own if own is not None else 'not set'}"
            )
            evidence = QLabel(suggestion.evidence_text)
            evidence.setWordWrap(True)
            evidence.setStyleSheet("color: #a0a0a0; font-size: 8pt")
            use = QPushButton("Use suggestion")
            use.setEnabled(own != suggestion.code)
            use.clicked.connect(lambda _=False, lv=level, item=suggestion.item: self.use(lv, item))
            self.use_buttons[suggestion.item] = use
            self.titles[suggestion.item] = title
            self.grid.addWidget(title, 2 * row, 0)
            self.grid.addWidget(use, 2 * row, 1)
            self.grid.addWidget(evidence, 2 * row + 1, 0, 1, 2)

    def use(self, level: str, item: str) -> None:
        """The reader adopts one suggestion as the grade."""
        session = self.context.session
        if session is not None and session.grades is not None:
            grade = session.suggestions.use(level, item, session.grades)
            self.context.message.emit(f"{level} {item}: grade {grade.code} from the suggestion")


def _weighting(layer: Image) -> str:
    info = ImageInfo.from_metadata(layer.metadata)
    return "unknown" if info is None or not info.weighting else info.weighting


def _plane(layer: Image) -> str:
    return str(layer.metadata.get(METADATA_KEY, {}).get("orientation", ""))


def _at(series: list[Image], index: int | None) -> Image | None:
    return None if index is None else series[index]


def _disc_text(disc: Any) -> str:
    if disc is None:
        return ""
    parts = [f"{DiscLevel(disc.level).value} (suggestion):"]
    if disc.height_mm is not None:
        parts.append(f"MRI disc height {disc.height_mm:.1f} mm")
    if disc.nucleus_csf_ratio is not None:
        parts.append(f"nucleus/CSF T2 {disc.nucleus_csf_ratio:.2f}")
    parts.extend(disc.notes)
    return " ".join(parts[:1]) + " " + "; ".join(parts[1:])
