"""The grade form of one read: a grade per (level, item) the protocol asks for, checked on entry.

Items and scales come from the protocol (:class:`imaging.protocol.model.GradingItem`): for the
DLBP trial ``pfirrmann`` per disc and ``modic_cranial`` / ``modic_caudal`` per endplate, and at
baseline the findings the reader records (yes / no / not assessable: the discography at L4-L5,
the exclusions once per case at the level ``spine``); a new scale or item is a protocol edit,
not a change here. The session gives the form only the items read at its visit. Values are
stored as the scale's canonical codes; what the reader types (``IV``, ``4``, ``4.0``) is
normalised by the scale.

Before submit, :meth:`GradeForm.problems` lists every grade missing without a reason: a level
that cannot be graded (motion artefact, not in the field of view) needs the reason written down.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from imaging.protocol.model import GradingItem
from imaging.protocol.scales import Grade, Scale
from napari_spine_endpoints._model.observable import Observable


class GradeForm(Observable):
    """Grades, reasons and comments per level, with the level the reader is on."""

    def __init__(self, items: Sequence[GradingItem], levels: Sequence[str] | None = None) -> None:
        if not items:
            raise ValueError("a grade form needs at least one grading item from the protocol")
        self.items: tuple[GradingItem, ...] = tuple(items)
        wanted = levels if levels is not None else [lv for i in items for lv in i.levels]
        self.levels: tuple[str, ...] = tuple(
            dict.fromkeys(lv for lv in wanted if any(lv in i.levels for i in self.items))
        )
        if not self.levels:
            raise ValueError("none of the protocol's grading items is read at these levels")
        self.values: dict[tuple[str, str], str] = {}
        self.reasons: dict[str, str] = {}
        self.comments: dict[str, str] = {}
        self._level_index = 0
        self._item_index = 0
        """The item of the current level that a grade key sets (keyboard grading)."""
        super().__init__()

    @property
    def current_level(self) -> str:
        return self.levels[self._level_index]

    @property
    def current_item(self) -> GradingItem:
        """The item of the current level the next grade key sets."""
        items = self.items_at(self.current_level)
        return items[min(self._item_index, len(items) - 1)]

    def items_at(self, level: str) -> tuple[GradingItem, ...]:
        """The items graded at ``level``, in protocol order."""
        return tuple(i for i in self.items if level in i.levels)

    def item(self, name: str) -> GradingItem:
        for item in self.items:
            if item.name == name:
                return item
        raise ValueError(f"{name!r} is not a grading item here; items: {self._item_names()}")

    def scale_of(self, name: str) -> Scale:
        return self.item(name).scale

    def grade(self, level: str, item: str) -> Grade | None:
        """The grade given, with its label and criteria, or None."""
        code = self.values.get((level, item))
        return None if code is None else self.scale_of(item).grade(code)

    # --- the reader's actions ---------------------------------------------------------------
    def go_to(self, level: str) -> None:
        self._level_index = self._index_of(level)
        self._item_index = 0
        self._changed()

    def next_level(self) -> None:
        """Move to the next level (stays on the last)."""
        self._level_index = min(self._level_index + 1, len(self.levels) - 1)
        self._item_index = 0
        self._changed()

    def previous_level(self) -> None:
        self._level_index = max(self._level_index - 1, 0)
        self._item_index = 0
        self._changed()

    def grade_by_key(self, key: str) -> tuple[str, str, Grade]:
        """A grade key (``"4"``: Pfirrmann IV; ``"0"``-``"3"``: Modic) for the current item of
        the current level; then the next item, and after the level's last item the next level.
        Returns (level, item, grade); ValueError (nothing set) for a key not on the scale."""
        level, item = self.current_level, self.current_item
        grade = item.scale.grade(key)
        self.values[(level, item.name)] = grade.code
        if self._item_index + 1 < len(self.items_at(level)):
            self._item_index += 1
        elif self._level_index + 1 < len(self.levels):
            self._level_index += 1
            self._item_index = 0
        self._changed()
        return level, item.name, grade

    def set_grade(self, level: str, item: str, value: object | None) -> None:
        """Set (or with None / '' clear) a grade; ValueError for a value not on the scale."""
        self._index_of(level)
        graded = self.item(item)
        if level not in graded.levels:
            raise ValueError(f"{item} is not graded at {level} in this protocol")
        if value is None or (isinstance(value, str) and not value.strip()):
            self.values.pop((level, item), None)
        else:
            self.values[(level, item)] = graded.scale.grade(value).code
        self._changed()

    def decide(self, level: str, item: str, answers: Sequence[bool]) -> Grade:
        """Grade by the scale's decision questions ("first yes sets the grade") and set it."""
        grade = self.scale_of(item).decide(answers)
        self.set_grade(level, item, grade.code)
        return grade

    def set_reason(self, level: str, reason: str) -> None:
        """Why grades at ``level`` are missing (empty clears)."""
        self._index_of(level)
        if reason.strip():
            self.reasons[level] = reason.strip()
        else:
            self.reasons.pop(level, None)
        self._changed()

    def set_comment(self, level: str, comment: str) -> None:
        self._index_of(level)
        if comment.strip():
            self.comments[level] = comment.strip()
        else:
            self.comments.pop(level, None)
        self._changed()

    def load(
        self,
        values: Mapping[tuple[str, str], str],
        reasons: Mapping[str, str] | None = None,
        comments: Mapping[str, str] | None = None,
    ) -> None:
        """Replace everything with saved grades (a reopened draft); unknown entries are ignored."""
        known = {(lv, i.name) for lv in self.levels for i in self.items_at(lv)}
        self.values = {
            key: self.scale_of(key[1]).grade(code).code
            for key, code in values.items()
            if key in known
        }
        self.reasons = {k: v for k, v in (reasons or {}).items() if k in self.levels and v}
        self.comments = {k: v for k, v in (comments or {}).items() if k in self.levels and v}
        self._changed()

    # --- validation -----------------------------------------------------------------------
    def missing(self, level: str) -> list[str]:
        """Items without a grade at ``level``."""
        return [i.name for i in self.items_at(level) if (level, i.name) not in self.values]

    def problems(self) -> list[str]:
        """Everything that blocks a submit, one sentence each; empty when the form is complete."""
        found = []
        for level in self.levels:
            missing = self.missing(level)
            if missing and level not in self.reasons:
                found.append(
                    f"{level}: no {', '.join(missing)} grade; grade it or give the reason it "
                    "cannot be graded"
                )
        return found

    @property
    def is_complete(self) -> bool:
        return not self.problems()

    def rows(self) -> list[dict[str, str | None]]:
        """Per level: ``level``, a column per item (code or None), ``reason``, ``comment``."""
        rows = []
        for level in self.levels:
            row: dict[str, str | None] = {"level": level}
            for item in self.items:
                row[item.name] = self.values.get((level, item.name))
            row["reason"] = self.reasons.get(level)
            row["comment"] = self.comments.get(level)
            rows.append(row)
        return rows

    # --- helpers ---------------------------------------------------------------------------
    def _index_of(self, level: str) -> int:
        if level not in self.levels:
            raise ValueError(f"{level!r} is not graded here; levels: {', '.join(self.levels)}")
        return self.levels.index(level)

    def _item_names(self) -> str:
        return ", ".join(i.name for i in self.items)
