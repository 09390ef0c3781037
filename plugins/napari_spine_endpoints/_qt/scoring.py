"""Scoring tab of the AS protocol: joint by joint, corner by corner, on the film of each site.

A thin view of :class:`~napari_spine_endpoints._model.scoring.GuidedScoring`: the current site is
ringed on its film (the film shown, the others hidden), each score's definition and drawn example
are listed with its key, and the keys score (digits), say the site cannot be scored (X, with the
reason typed here) or go back (B). A click on the film places the current site. The keys are bound
on the viewer and on each film (a layer's own binding comes before napari's layer-mode digits);
the current film is the selected layer. Grades go into the read's grade form: drafts, submit and
the store are the workstation's.
"""

from __future__ import annotations

from typing import Any

from napari.layers import Image
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._model.scoring import (
    FilmShape,
    GuidedScoring,
    assign_views,
    has_guided_scoring,
    rigidity_preview,
)
from napari_spine_endpoints._qt.context import ReadingContext, context_for
from napari_spine_endpoints._qt.scoring_examples import example
from napari_spine_endpoints._qt.site_scoring import (
    BACK_KEY,
    CANNOT_SCORE_KEY,
    DEFAULT_REASON,
    SiteRing,
    bind_scoring_keys,
    place_on_click,
)
from napari_spine_endpoints._qt.visibility import set_visible

HIGHLIGHT = "scoring site"


class ScoringWidget(QWidget):
    """Step-by-step scoring of the open read's joints and corners."""

    def __init__(self, napari_viewer: Any) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.context: ReadingContext = context_for(napari_viewer)
        self.scoring: GuidedScoring | None = None
        self.films: dict[str, Image] = {}
        self.swapped = False
        """The reader swapped the cervical and lumbar films of this case."""
        self.ring = SiteRing(napari_viewer, HIGHLIGHT)
        self.step = QLabel()
        self.step.setWordWrap(True)
        self.definitions = QGridLayout()
        self.reason = QLineEdit(DEFAULT_REASON)
        self.modality = QComboBox()
        self.modality.addItems(["xray", "ct"])
        self.modality.currentTextChanged.connect(self._on_modality)
        cannot = QPushButton(f"Cannot score ({CANNOT_SCORE_KEY})")
        cannot.clicked.connect(self.cannot_score)
        back = QPushButton(f"Back ({BACK_KEY})")
        back.clicked.connect(self.back)
        swap = QPushButton("Swap cervical / lumbar films")
        swap.clicked.connect(self.swap_spine_films)
        row = QHBoxLayout()
        for button in (back, cannot):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step)
        layout.addLayout(self.definitions)
        layout.addWidget(QLabel("Reason a site cannot be scored:"))
        layout.addWidget(self.reason)
        layout.addLayout(row)
        layout.addWidget(QLabel("Joint grades given on:"))
        layout.addWidget(self.modality)
        layout.addWidget(swap)
        layout.addStretch(1)
        bind_scoring_keys(self.viewer, self)
        self.viewer.mouse_drag_callbacks.append(self._on_mouse)
        self.context.films_changed.connect(self._on_films)  # a film put in (or refilled), gone
        self.context.session_replaced.connect(self._on_session)
        self.context.watch(self)
        self._on_session()

    # --- the reader's actions ------------------------------------------------------------------
    def score_key(self, key: str) -> None:
        """Score the current site with the grade of ``key`` (ignored when it is none)."""
        scoring = self.scoring
        if scoring is None or not self.context.lifecycle.editable:
            return
        code = scoring.keys().get(key.upper())
        if code is not None:
            scoring.score(code)

    def cannot_score(self) -> None:
        if self.scoring is not None and self.context.lifecycle.editable:
            self.scoring.cannot_score(self.reason.text() or DEFAULT_REASON)

    def back(self) -> None:
        if self.scoring is not None:
            self.scoring.back()

    def swap_spine_films(self) -> None:
        """The reader says the lateral films are the other way round (kept for this case)."""
        self.swapped = not self.swapped
        self._assign_films()
        self._show()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        """The tab chosen: hang the current site's film."""
        super().showEvent(event)
        if self.scoring is not None:
            self._assign_films()
            self._show()

    # --- model -> view -------------------------------------------------------------------------
    def _on_session(self) -> None:
        session = self.context.session
        form = None if session is None else session.grades
        self.scoring = (
            GuidedScoring(form) if form is not None and has_guided_scoring(form) else None
        )
        self.films, self.swapped = {}, False
        if self.scoring is not None:
            self.scoring.subscribe(self._show)
            self._assign_films()
        self._show()

    def _on_films(self) -> None:
        if self.scoring is not None:
            self._assign_films()
            QTimer.singleShot(0, self._show)

    def _assign_films(self) -> None:
        shapes, layers = [], {}
        for layer in self.viewer.layers:
            info = ImageInfo.from_metadata(layer.metadata)
            if info is None or info.kind != "radiograph" or not self.context.same_case(info):
                continue
            spacing = info.calibration.pixel_spacing
            height = None if spacing is None else float(layer.data.shape[0]) * spacing[0]
            shapes.append(FilmShape(layer.name, info.patient_orientation, height))
            layers[layer.name] = layer
        self.films = {view: layers[key] for view, key in assign_views(shapes).items()}
        cervical, lumbar = self.films.get("lateral_cervical"), self.films.get("lateral_lumbar")
        if self.swapped and cervical is not None and lumbar is not None:
            self.films["lateral_cervical"], self.films["lateral_lumbar"] = lumbar, cervical
        for film in self.films.values():
            bind_scoring_keys(film, self)

    def _show(self) -> None:
        scoring = self.scoring
        self._clear_definitions()
        if scoring is None:
            self.step.setText("No guided scoring in this protocol (joints and corners only).")
            self.ring.show(None, None)
            return
        step = scoring.current
        film = self.films.get(step.view or "")
        where = step.view.replace("_", " ") + " film" if step.view else "once per case"
        state = "all scored: submit with Control-Shift-Enter" if scoring.done else ""
        preview = "" if step.view else rigidity_preview(self.context.protocol, scoring.form)
        self.step.setText(
            f"Step {scoring.index + 1}/{len(scoring.steps)}: {step.site} ({step.item}), "
            f"{where}{'' if film is not None or not step.view else ' (not open)'}. {state}"
            + (f"\nThe corner scores say: {preview}" if preview else "")
        )
        given = scoring.form.values.get((step.site, step.item))
        site_kind = scoring.form.scale_of(step.item).site
        for row, (key, code) in enumerate(scoring.keys().items()):
            grade = scoring.form.scale_of(step.item).grade(code)
            pixmap = example(site_kind, code)
            picture = QLabel()
            if pixmap is not None:
                picture.setPixmap(pixmap)
            mark = "> " if code == given else ""
            text = QLabel(f"{mark}{key}: {grade.label} - {grade.meaning}")
            text.setWordWrap(True)
            self.definitions.addWidget(picture, row, 0)
            self.definitions.addWidget(text, row, 1)
        if film is not None:
            for view, layer in self.films.items():
                set_visible(layer, view == step.view)
        self.ring.show(film, scoring.position())
        if film is not None:  # the keys bound on it, not its modes; clicks place the site
            self.viewer.layers.selection.active = film
        else:
            self.viewer.layers.selection.clear()  # the keys to the viewer

    def _clear_definitions(self) -> None:
        while self.definitions.count():
            item = self.definitions.takeAt(0)
            widget = None if item is None else item.widget()
            if widget is not None:
                widget.deleteLater()

    def _on_modality(self, text: str) -> None:
        if self.scoring is not None:
            self.scoring.modality = text

    def _on_mouse(self, viewer: Any, event: Any) -> Any:
        """A click (no drag) on the current site's film places the site."""
        scoring = self.scoring
        film = None if scoring is None else self.films.get(scoring.current.view or "")
        active = viewer.layers.selection.active
        if scoring is None or film is None or not (active is None or isinstance(active, Image)):
            return  # a click meant for another layer (its points, shapes ...)
        yield from place_on_click(film, event, scoring.place)
