"""Grades widget: per level, every item the protocol grades (Pfirrmann, Modic per endplate ...)
and the findings the reader records (yes / no / not assessable, the reason in the comment).

The scale's criteria stay in view as a table, and its decision questions ("first yes sets the
grade") can be answered one by one to set the grade. A level that cannot be graded takes a reason.
MR suggestions (:mod:`._qt.suggest_panel`) are shown beside the grades and set none unless the
reader uses one. Submit checks the whole read (corners and grades) and lists what is missing.
"""

from __future__ import annotations

from typing import Any

from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imaging.anatomy import DiscLevel
from imaging.protocol.scales import Scale
from napari_spine_endpoints._model.grading import GradeForm
from napari_spine_endpoints._model.shortcuts import SHORTCUT_BY_ACTION
from napari_spine_endpoints._qt.context import ReadingContext, context_for
from napari_spine_endpoints._qt.suggest_panel import SuggestPanel
from napari_spine_endpoints._qt.tables import scrolling_layout

NO_GRADE = "-"


class GradesWidget(QWidget):
    """Grade entry per level with the scales' criteria and decision questions at hand."""

    def __init__(self, napari_viewer: Any) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.context: ReadingContext = context_for(napari_viewer)
        self.context.watch(self)
        self.level = QComboBox()
        self.level.activated.connect(self._on_level)
        previous = QPushButton(f"Previous ({SHORTCUT_BY_ACTION['previous_level'].key})")
        following = QPushButton(f"Next level ({SHORTCUT_BY_ACTION['next_level'].key})")
        previous.clicked.connect(self.context.actions.previous_level)
        following.clicked.connect(self.context.actions.next_level)
        self.items_box = QGroupBox("Grades")
        self.items_form = QFormLayout(self.items_box)
        self.combos: dict[str, QComboBox] = {}
        self.labels: dict[str, QLabel] = {}
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why this level cannot be graded (leave empty if graded)")
        self.reason.editingFinished.connect(self._on_reason)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("Comment on this level")
        self.comment.editingFinished.connect(self._on_comment)
        self.suggestions = SuggestPanel(self.context)
        self.criteria_scale = QComboBox()
        self.criteria_scale.activated.connect(lambda _: self._show_criteria())
        self.criteria = QTableWidget()
        self.criteria.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.criteria.setWordWrap(True)
        self.question = QLabel()
        self.question.setWordWrap(True)
        self.yes, self.no, self.restart = (
            QPushButton("Yes"),
            QPushButton("No"),
            QPushButton("Restart"),
        )
        self.yes.clicked.connect(lambda: self._answer(True))
        self.no.clicked.connect(lambda: self._answer(False))
        self.restart.clicked.connect(self._restart_questions)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #ffb040")
        self.submit = QPushButton("Submit read")
        self.submit_next = QPushButton(
            f"Submit and next case ({SHORTCUT_BY_ACTION['submit_next'].key})"
        )
        self.correct = QPushButton("Correct submitted read...")
        self.correct.setToolTip(
            "Reopen your submitted read as a new version; the reason goes to the audit trail"
        )
        self.submit.clicked.connect(self.on_submit)
        self.submit_next.clicked.connect(self.context.actions.submit_and_next)
        self.correct.clicked.connect(self.on_correct)
        self._answers: list[bool] = []

        layout = scrolling_layout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Level"))
        row.addWidget(self.level, 1)
        row.addWidget(previous)
        row.addWidget(following)
        layout.addLayout(row)
        layout.addWidget(self.items_box)
        layout.addWidget(self.reason)
        layout.addWidget(self.comment)
        layout.addWidget(self.suggestions)
        criteria_box = QGroupBox("Criteria")
        box = QVBoxLayout(criteria_box)
        box.addWidget(self.criteria_scale)
        box.addWidget(self.criteria, 1)
        box.addWidget(self.question)
        row = QHBoxLayout()
        for button in (self.yes, self.no, self.restart):
            row.addWidget(button)
        box.addLayout(row)
        layout.addWidget(criteria_box, 1)
        layout.addWidget(self.problems)
        row = QHBoxLayout()
        row.addWidget(self.submit)
        row.addWidget(self.submit_next)
        layout.addLayout(row)
        layout.addWidget(self.correct)
        self.context.changed.connect(self.refresh)
        self.context.session_replaced.connect(self._rebuild)
        self._rebuild()

    # --- model access --------------------------------------------------------------------------
    @property
    def form(self) -> GradeForm | None:
        session = self.context.session
        return None if session is None else session.grades

    def _rebuild(self) -> None:
        """New read: new levels and items."""
        form = self.form
        while self.items_form.rowCount():
            self.items_form.removeRow(0)
        self.combos.clear()
        self.labels.clear()
        self.level.clear()
        self.criteria_scale.clear()
        if form is None:
            self.refresh()
            return
        self.level.addItems(list(form.levels))
        for item in form.items:
            combo = QComboBox()
            combo.addItem(NO_GRADE, None)
            for grade in item.scale.grades:
                combo.addItem(f"{grade.code}  {grade.label}", grade.code)
                combo.setItemData(combo.count() - 1, _criteria_text(grade.criteria), 3)  # tooltip
            combo.activated.connect(lambda _, name=item.name: self._on_grade(name))
            combo.setToolTip(item.description)
            self.combos[item.name] = combo
            label = QLabel(item.name.replace("_", " ").capitalize())
            label.setToolTip(item.description)
            self.labels[item.name] = label
            self.items_form.addRow(label, combo)
        for scale in dict.fromkeys(item.scale for item in form.items):
            self.criteria_scale.addItem(scale.name, scale.id)
        self._restart_questions()
        self.refresh()

    def refresh(self) -> None:
        form = self.form
        enabled = form is not None
        for widget in (self.items_box, self.reason, self.comment, self.submit, self.submit_next):
            widget.setEnabled(enabled)
        self.correct.setVisible(self.context.lifecycle.correctable)
        if form is None:
            self.problems.setText("No read open")
            return
        level = form.current_level
        self.level.setCurrentIndex(form.levels.index(level))
        at_level = {item.name for item in form.items_at(level)}
        for name, combo in self.combos.items():
            combo.setEnabled(name in at_level)
            combo.setVisible(name in at_level)  # e.g. the findings only at their level
            self.labels[name].setVisible(name in at_level)
            keyed = "> " if name == form.current_item.name else ""  # what a grade key sets
            self.labels[name].setText(keyed + _item_label(name, level))
            code = form.values.get((level, name))
            combo.setCurrentIndex(max(0, combo.findData(code)) if code is not None else 0)
        _set_text(self.reason, form.reasons.get(level, ""))
        _set_text(self.comment, form.comments.get(level, ""))
        session = self.context.session
        problems = session.problems() if session is not None else []
        self.problems.setText(
            "Ready to submit" if not problems else "Before submit:\n- " + "\n- ".join(problems)
        )
        self._show_criteria()

    # --- actions -----------------------------------------------------------------------------
    def _on_level(self, index: int) -> None:
        if self.form is not None:
            self.form.go_to(self.form.levels[index])
            self._restart_questions()

    def _on_grade(self, item: str) -> None:
        form = self.form
        if form is not None:
            form.set_grade(form.current_level, item, self.combos[item].currentData())

    def _on_reason(self) -> None:
        if self.form is not None:
            self.form.set_reason(self.form.current_level, self.reason.text())

    def _on_comment(self) -> None:
        if self.form is not None:
            self.form.set_comment(self.form.current_level, self.comment.text())

    def on_submit(self) -> list[str]:
        """Submit the read; shows and returns what blocks it."""
        self._on_reason()
        self._on_comment()
        problems = self.context.submit()
        if problems:
            self.problems.setText("Not submitted:\n- " + "\n- ".join(problems))
        return problems

    def on_correct(self, reason: str | None = None) -> list[str]:
        """Ask for the reason (unless given) and start a correction; returns what blocks it."""
        if reason is None:
            reason, ok = QInputDialog.getText(
                self, "Correct the submitted read", "Reason for the correction (audit trail):"
            )
            if not ok:
                return ["cancelled"]
        problems = self.context.start_correction(reason)
        if problems:
            self.problems.setText("Not corrected:\n- " + "\n- ".join(problems))
        return problems

    # --- criteria and decision questions ----------------------------------------------------
    def _scale(self) -> Scale | None:
        form, scale_id = self.form, self.criteria_scale.currentData()
        if form is None or scale_id is None:
            return None
        return next((i.scale for i in form.items if i.scale.id == scale_id), None)

    def _decided_item(self) -> str | None:
        """The item of the current level that the decision questions grade."""
        scale, form = self._scale(), self.form
        if scale is None or form is None:
            return None
        return next((i.name for i in form.items_at(form.current_level) if i.scale == scale), None)

    def _show_criteria(self) -> None:
        scale = self._scale()
        if scale is None:
            self.criteria.setRowCount(0)
            return
        features = list(dict.fromkeys(f for g in scale.grades for f, _ in g.criteria))
        self.criteria.setColumnCount(len(features))
        self.criteria.setRowCount(len(scale.grades))
        self.criteria.setHorizontalHeaderLabels([f.capitalize() for f in features])
        self.criteria.setVerticalHeaderLabels([g.code for g in scale.grades])
        for row, grade in enumerate(scale.grades):
            texts = dict(grade.criteria)
            for column, feature in enumerate(features):
                self.criteria.setItem(row, column, QTableWidgetItem(texts.get(feature, "")))
        self.criteria.resizeRowsToContents()
        self._show_question()

    def _show_question(self) -> None:
        scale = self._scale()
        asking = scale is not None and bool(scale.decision) and self._decided_item() is not None
        for button in (self.yes, self.no, self.restart):
            button.setVisible(asking)
        if not asking or scale is None:
            self.question.setText("")
            return
        step = min(len(self._answers), len(scale.decision) - 1)
        number = f"{step + 1}/{len(scale.decision)}"
        self.question.setText(f"Decision question {number}: {scale.decision[step].question}")

    def _answer(self, yes: bool) -> None:
        scale, form, item = self._scale(), self.form, self._decided_item()
        if scale is None or form is None or item is None:
            return
        self._answers.append(yes)
        try:
            grade = form.decide(form.current_level, item, self._answers)
        except ValueError:
            self._show_question()  # no grade yet: ask the next question
            return
        self._answers = []
        self.question.setText(f"{item}: grade {grade.code} ({grade.label}) set from the answers")

    def _restart_questions(self) -> None:
        self._answers = []
        self._show_question()


def _item_label(item: str, level: str) -> str:
    """'Modic cranial (L4 inferior endplate)': which endplate an endplate item is, at this disc."""
    text = item.replace("_", " ").capitalize()
    try:
        disc = DiscLevel(level)
    except ValueError:
        return text
    if item.endswith("_cranial"):
        return f"{text} ({disc.upper_vertebra.value} inferior endplate)"
    if item.endswith("_caudal"):
        return f"{text} ({disc.lower_vertebra.value} superior endplate)"
    return text


def _criteria_text(criteria: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(f"{feature}: {text}" for feature, text in criteria)


def _set_text(line: QLineEdit, text: str) -> None:
    if not line.hasFocus() and line.text() != text:
        line.setText(text)
