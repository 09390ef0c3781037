"""Guided corner placement on one lateral film: which corner comes next, and what is placed.

No Qt and no napari: the widget turns clicks into calls on :class:`PlacementState` and redraws
from it. Positions are (row, col) in pixels of the film (the Points layer shares the image's scale,
so its data are pixels too).

The reader works cranial to caudal, one vertebral body at a time, going round the body so the
cursor never crosses it: anterior-superior, posterior-superior, posterior-inferior,
anterior-inferior (S1: its two superior corners only). A corner that cannot be placed is skipped
with a reason; a read is complete when every corner is placed or skipped with a reason. Each
placed corner keeps a :class:`CornerRecord` (click, refinement, which position is used).
Placing, moving, skipping, removing and accepting proposals can be undone and redone
(:meth:`PlacementState.undo`, :meth:`PlacementState.redo`), per film.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from imaging.anatomy import Corner, DiscLevel, Vertebra
from napari_spine_endpoints._model.observable import Observable
from napari_spine_endpoints._model.provenance import CornerRecord, Point

CLICK_ORDER: tuple[Corner, ...] = (
    Corner.ANTERIOR_SUPERIOR,
    Corner.POSTERIOR_SUPERIOR,
    Corner.POSTERIOR_INFERIOR,
    Corner.ANTERIOR_INFERIOR,
)
"""Order of the corners within one vertebral body: round the body, starting front-top."""


UNDO_DEPTH = 200
"""Changes kept for undo, per film (a whole read is about 22 corners a film)."""


@dataclass(frozen=True)
class _Snapshot:
    """Everything a change can alter, to go back to."""

    positions: dict[CornerLabel, tuple[float, float]]
    records: dict[CornerLabel, CornerRecord]
    skipped: dict[CornerLabel, str]
    index: int | None


@dataclass(frozen=True)
class CornerLabel:
    """One corner of one vertebra, e.g. ``CornerLabel(Vertebra.L4, Corner.POSTERIOR_INFERIOR)``."""

    vertebra: Vertebra
    corner: Corner

    def __post_init__(self) -> None:
        object.__setattr__(self, "vertebra", Vertebra(self.vertebra))
        object.__setattr__(self, "corner", Corner(self.corner))

    @property
    def text(self) -> str:
        """What the reader sees, e.g. 'L4 posterior-inferior'."""
        return f"{self.vertebra.value} {self.corner.label}"

    @classmethod
    def parse(cls, text: str) -> CornerLabel:
        """Read 'L4 posterior-inferior', 'L4 posterior_inferior' or 'L4/posterior_inferior'."""
        vertebra, _, corner = text.strip().replace("/", " ").partition(" ")
        return cls(Vertebra(vertebra), Corner(corner.strip().replace("-", "_")))

    def __str__(self) -> str:
        return self.text


def vertebrae_for_levels(levels: Iterable[DiscLevel | str]) -> tuple[Vertebra, ...]:
    """The vertebrae bounding the given disc levels, cranial to caudal."""
    found = {
        vertebra
        for level in levels
        for vertebra in (DiscLevel(level).upper_vertebra, DiscLevel(level).lower_vertebra)
    }
    return tuple(sorted(found, key=lambda v: v.position))


def placement_sequence(vertebrae: Iterable[Vertebra | str]) -> tuple[CornerLabel, ...]:
    """Every corner to place, in click order: vertebrae cranial to caudal, round each body."""
    ordered = sorted({Vertebra(v) for v in vertebrae}, key=lambda v: v.position)
    return tuple(
        CornerLabel(vertebra, corner)
        for vertebra in ordered
        for corner in CLICK_ORDER
        if corner in vertebra.corners
    )


class PlacementState(Observable):
    """Corners placed, corners skipped (with reasons) and the corner the reader is asked for next.

    ``current`` is the corner the next click places, or None once every corner is placed or
    skipped. Listeners registered with :meth:`subscribe` are called (without arguments) after
    every change.
    """

    def __init__(self, labels: Sequence[CornerLabel]) -> None:
        """``labels`` in click order; none for a protocol that places no corners (grades only)."""
        if len(set(labels)) != len(labels):
            raise ValueError("the placement sequence names a corner twice")
        self.labels: tuple[CornerLabel, ...] = tuple(labels)
        self.positions: dict[CornerLabel, tuple[float, float]] = {}
        self.records: dict[CornerLabel, CornerRecord] = {}
        """Where each placed corner's position came from (same keys as ``positions``)."""
        self.skipped: dict[CornerLabel, str] = {}
        self._index: int | None = 0 if labels else None
        self._undo: list[_Snapshot] = []
        self._redo: list[_Snapshot] = []
        super().__init__()

    @classmethod
    def for_levels(cls, levels: Iterable[DiscLevel | str]) -> PlacementState:
        """The placement for the corners that the given disc levels need."""
        return cls(placement_sequence(vertebrae_for_levels(levels)))

    @property
    def current(self) -> CornerLabel | None:
        return None if self._index is None else self.labels[self._index]

    @property
    def prompt(self) -> str:
        """The instruction shown to the reader."""
        current = self.current
        if not self.labels:
            return "No corners to place in this protocol: grade in the Grades tab"
        if current is None:
            missing = self.missing()
            if missing:
                return f"{len(missing)} corner(s) still to place: select one to continue"
            return "All corners placed or skipped"
        if current in self.positions:
            return f"Re-place {current.text} (click to move it)"
        return f"Place {current.text}"

    @property
    def is_complete(self) -> bool:
        """Every corner placed, or skipped with a reason."""
        return not self.missing()

    def missing(self) -> list[CornerLabel]:
        """Corners neither placed nor skipped, in click order."""
        return [x for x in self.labels if x not in self.positions and x not in self.skipped]

    @property
    def progress(self) -> tuple[int, int]:
        """(corners placed or skipped, corners in the sequence)."""
        return len(self.labels) - len(self.missing()), len(self.labels)

    # --- the reader's actions ---------------------------------------------------------------
    def place(self, row: float, col: float) -> CornerLabel:
        """Put the current corner at (row, col) pixels and move on to the next open corner."""
        label = self.current
        if label is None:
            raise ValueError(
                "every corner is already placed or skipped; select a corner to move it"
            )
        self._remember()
        self.positions[label] = (float(row), float(col))
        self.records[label] = CornerRecord.clicked(self.positions[label])
        self.skipped.pop(label, None)
        self._index = self._next_open(self.labels.index(label))
        self._changed()
        return label

    def skip(self, reason: str) -> CornerLabel:
        """Mark the current corner as not placeable, with the reason, and move on."""
        label = self.current
        if label is None:
            raise ValueError("there is no current corner to skip")
        if not reason.strip():
            raise ValueError(
                f"skipping {label.text} needs a reason (e.g. 'not visible on the film')"
            )
        self._remember()
        self.positions.pop(label, None)
        self.records.pop(label, None)
        self.skipped[label] = reason.strip()
        self._index = self._next_open(self.labels.index(label))
        self._changed()
        return label

    def move(self, label: CornerLabel, row: float, col: float) -> None:
        """A placed corner was dragged to (row, col) pixels (see :meth:`CornerRecord.moved_to`)."""
        if label not in self.labels:
            raise ValueError(f"{label.text} is not in this placement")
        self._remember()
        point = (float(row), float(col))
        self.positions[label] = point
        record = self.records.get(label)
        self.records[label] = (
            CornerRecord.clicked(point) if record is None else record.moved_to(point)
        )
        self.skipped.pop(label, None)
        self._changed()

    def update(self, changes: Mapping[CornerLabel, tuple[Point, CornerRecord]]) -> None:
        """Set corners with their records at once (accepted proposals): one notification.

        The cursor stays where it is unless its corner was placed here: then it moves on to the
        next open corner.
        """
        unknown = [label.text for label in changes if label not in self.labels]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} not in this placement")
        if not changes:
            return
        self._remember()
        current = self.current
        was_open = current is not None and current not in self.positions
        for label, (point, record) in changes.items():
            self.positions[label] = (float(point[0]), float(point[1]))
            self.records[label] = record
            self.skipped.pop(label, None)
        if current is not None and was_open and current in changes:
            self._index = self._next_open(self.labels.index(current) - 1)
        self._changed()

    def remove(self, label: CornerLabel) -> None:
        """Forget a placed or skipped corner; it becomes the current corner again."""
        self._remember()
        self.positions.pop(label, None)
        self.records.pop(label, None)
        self.skipped.pop(label, None)
        self._index = self.labels.index(label)
        self._changed()

    def go_to(self, label: CornerLabel) -> None:
        """Make ``label`` the corner the next click places (placed corners are then moved)."""
        self._index = self.labels.index(label)
        self._changed()

    def next_corner(self) -> None:
        """Move the cursor one corner on (placed corners included); stays on the last one."""
        if not self.labels:
            return
        start = -1 if self._index is None else self._index
        self._index = min(start + 1, len(self.labels) - 1)
        self._changed()

    def previous_corner(self) -> None:
        """Move the cursor one corner back; from 'done' it goes to the last corner."""
        if not self.labels:
            return
        self._index = len(self.labels) - 1 if self._index is None else max(self._index - 1, 0)
        self._changed()

    def next_level(self) -> None:
        """Jump to the next vertebra down: its first open corner, else its first corner.

        With nothing left to place (every corner placed or skipped) it stays: G then only moves
        the grading on, and the click that gives the canvas the keyboard moves no corner.
        """
        current = self.current
        if current is None:
            return
        order = list(dict.fromkeys(x.vertebra for x in self.labels))
        position = order.index(current.vertebra)
        if position + 1 >= len(order):
            return
        vertebra = order[position + 1]
        own = [i for i, x in enumerate(self.labels) if x.vertebra is vertebra]
        open_ = [i for i in own if self.labels[i] in self.missing()]
        self._index = (open_ or own)[0]
        self._changed()

    def load(
        self,
        positions: Mapping[CornerLabel, tuple[float, float]],
        skipped: Mapping[CornerLabel, str] | None = None,
        records: Mapping[CornerLabel, CornerRecord] | None = None,
    ) -> None:
        """Replace everything with a saved state (a reopened draft); ignores unknown corners.

        Corners without a record are the reader's clicks.
        """
        known = set(self.labels)
        self.positions = {k: (float(v[0]), float(v[1])) for k, v in positions.items() if k in known}
        self.records = {
            k: (records or {}).get(k) or CornerRecord.clicked(p) for k, p in self.positions.items()
        }
        self.skipped = {
            k: v for k, v in (skipped or {}).items() if k in known and k not in positions
        }
        self._index = self._next_open(-1)
        self._undo.clear()  # a reopened draft starts a new history
        self._redo.clear()
        self._changed()

    # --- undo and redo ---------------------------------------------------------------------
    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        """Go back to before the last place, move, skip, remove or accepted proposal (the cursor
        too); False when there is nothing to undo."""
        if not self._undo:
            return False
        self._redo.append(self._snapshot())
        self._restore(self._undo.pop())
        return True

    def redo(self) -> bool:
        """Do again what :meth:`undo` took back; False when there is nothing to redo."""
        if not self._redo:
            return False
        self._undo.append(self._snapshot())
        self._restore(self._redo.pop())
        return True

    def _remember(self) -> None:
        """Before a change the reader may undo (a new change forgets what could be redone)."""
        self._undo.append(self._snapshot())
        del self._undo[:-UNDO_DEPTH]
        self._redo.clear()

    def _snapshot(self) -> _Snapshot:
        return _Snapshot(dict(self.positions), dict(self.records), dict(self.skipped), self._index)

    def _restore(self, snapshot: _Snapshot) -> None:
        self.positions = dict(snapshot.positions)
        self.records = dict(snapshot.records)
        self.skipped = dict(snapshot.skipped)
        self._index = snapshot.index
        self._changed()

    # --- helpers ---------------------------------------------------------------------------
    def _next_open(self, after: int) -> int | None:
        """Index of the first open corner after ``after``, wrapping round; None when all done."""
        count = len(self.labels)
        for step in range(1, count + 1):
            index = (after + step) % count
            label = self.labels[index]
            if label not in self.positions and label not in self.skipped:
                return index
        return None
