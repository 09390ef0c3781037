"""Where a placed corner's position came from, as the store records it.

Every placed corner has a :class:`CornerRecord`: which position is used (the reader's ``click``,
a ``refined`` position the reader accepted, a position ``tracked`` from another film, or one the
reader ``moved`` by hand after software offered another), the click itself, and the last
refinement offered for the corner (refined point, confidence, status), accepted or not.
Positions are (row, col) pixels of the film.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from imaging.endpoints.corner_labels import corners_label
from imaging.store.vocabulary import LandmarkUse

Point = tuple[float, float]


@dataclass(frozen=True)
class CornerRecord:
    """How one corner came to be where it is (see the module docstring)."""

    used: LandmarkUse = LandmarkUse.CLICK
    click: Point | None = None
    refined: Point | None = None
    confidence: float | None = None
    status: str | None = None
    """A refinement status (:class:`imaging.assist.RefinementStatus` value), None when the
    corner was never refined."""

    @classmethod
    def clicked(cls, point: Point) -> CornerRecord:
        return cls(LandmarkUse.CLICK, (float(point[0]), float(point[1])))

    def moved_to(self, point: Point) -> CornerRecord:
        """The reader dragged the corner to ``point``.

        A click dragged is still the reader's click (at its new place; a refinement of the old
        click no longer applies); a refined or tracked corner dragged is ``moved``.
        """
        if self.used is LandmarkUse.CLICK:
            return CornerRecord.clicked(point)
        return replace(self, used=LandmarkUse.MOVED)

    @property
    def attempted(self) -> bool:
        """A refinement of this corner's current position has been made."""
        return self.status is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the session draft)."""
        return {
            "used": self.used.value,
            "click": None if self.click is None else list(self.click),
            "refined": None if self.refined is None else list(self.refined),
            "confidence": self.confidence,
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], position: Point) -> CornerRecord:
        """Inverse of :meth:`to_dict`; a draft written before records existed holds clicks."""
        if "used" not in data:
            return cls.clicked(position)
        return cls(
            LandmarkUse(data["used"]),
            _point(data.get("click")),
            _point(data.get("refined")),
            None if data.get("confidence") is None else float(data["confidence"]),
            data.get("status"),
        )


def _point(value: Any) -> Point | None:
    return None if value is None else (float(value[0]), float(value[1]))


def corners_obtained(records: Iterable[CornerRecord]) -> str:
    """How a film's corners were obtained, as the endpoint table's ``corners`` column says it
    (:func:`imaging.endpoints.corners_label`: ``click``, ``refined 18/22, click 4``...)."""
    return corners_label(record.used for record in records)
