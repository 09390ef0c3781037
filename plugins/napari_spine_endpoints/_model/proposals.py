"""Positions software offers for corners (refinement, tracking), waiting for the reader's word.

A :class:`CornerProposal` offers a position for one corner of one film, computed from where the
corner was at the time (``origin``; None when it was not placed). The reader

* accepts it: the corner goes there, ``used`` becomes ``refined`` or ``tracked``;
* rejects it: the corner stays (a refinement offered is still recorded with the corner);
* moves it: the corner goes where the reader drags the offered point, ``used`` is ``moved``.

A proposal whose corner has moved since it was computed no longer applies and is dropped.
"Accept confident" (and automatic refinement) applies only ``confident`` proposals: a
low-confidence refinement or a poorly matched vertebra is applied only by the reader accepting
that corner.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from imaging.store.vocabulary import LandmarkUse
from napari_spine_endpoints._model.observable import Observable
from napari_spine_endpoints._model.placement import CornerLabel, PlacementState
from napari_spine_endpoints._model.provenance import CornerRecord, Point

_DECIDED = (LandmarkUse.REFINED, LandmarkUse.MOVED)


@dataclass(frozen=True)
class CornerProposal:
    """One corner's offered position (``point`` None: nothing offered, ``reason`` says why)."""

    label: CornerLabel
    kind: LandmarkUse
    """``refined`` or ``tracked``: what the corner's ``used`` becomes when accepted."""
    origin: Point | None
    point: Point | None
    confident: bool
    confidence: float | None = None
    """Refinement confidence 0-1 (None for tracking)."""
    status: str | None = None
    """Refinement status (None for tracking)."""
    reason: str = ""
    distance_mm: float | None = None
    """How far the offered point lies from ``origin`` (None without calibration or origin)."""

    @property
    def offered(self) -> bool:
        return self.point is not None

    @property
    def summary(self) -> str:
        """One line for the reader, e.g. 'L4 anterior-superior: refined 1.2 mm, confidence
        0.93'."""
        head = f"{self.label.text}: "
        if self.point is None:
            return head + f"nothing offered ({self.reason})"
        distance = "" if self.distance_mm is None else f" {self.distance_mm:.1f} mm"
        if self.kind is LandmarkUse.TRACKED:
            quality = "" if self.confident else f" - POOR MATCH: {self.reason}"
            return head + f"tracked{distance}{quality}"
        confidence = 0.0 if self.confidence is None else self.confidence
        text = head + f"refined{distance}, confidence {confidence:.2f}"
        return text if self.confident else text + f" - LOW: {self.reason}"


@dataclass(frozen=True)
class OfferOutcome:
    """What became of proposals offered at once."""

    pending: tuple[CornerLabel, ...] = ()
    applied: tuple[CornerLabel, ...] = ()
    not_offered: tuple[CornerProposal, ...] = ()
    stale: tuple[CornerLabel, ...] = field(default=())
    """Corners that moved while the proposal was computed: the proposal was dropped."""


class ProposalSet(Observable):
    """The proposals of one film waiting for the reader, tied to the film's placement."""

    def __init__(self, placement: PlacementState) -> None:
        self.placement = placement
        self.pending: dict[CornerLabel, CornerProposal] = {}
        super().__init__()
        placement.subscribe(self._drop_stale)

    def ordered(self) -> list[CornerProposal]:
        """Pending proposals in click order."""
        return [self.pending[x] for x in self.placement.labels if x in self.pending]

    # --- offering --------------------------------------------------------------------------
    def offer(
        self, proposals: Iterable[CornerProposal], *, apply_confident: bool = False
    ) -> OfferOutcome:
        """Show proposals to the reader; with ``apply_confident`` the confident ones are applied
        at once (automatic refinement). A refinement is recorded with its corner either way."""
        placement = self.placement
        annotated: dict[CornerLabel, tuple[Point, CornerRecord]] = {}
        pending, not_offered, stale = [], [], []
        for proposal in proposals:
            label = proposal.label
            current = placement.positions.get(label)
            record = placement.records.get(label)
            decided = record is not None and record.used in _DECIDED
            if current != proposal.origin or (proposal.kind is LandmarkUse.REFINED and decided):
                stale.append(label)  # moved meanwhile, or refined/moved by the reader already
                continue
            if proposal.kind is LandmarkUse.REFINED and current is not None:
                record = record or CornerRecord.clicked(current)
                annotated[label] = (current, _with_refinement(record, proposal))
            if proposal.point is None:
                self.pending.pop(label, None)
                not_offered.append(proposal)
                continue
            self.pending[label] = proposal
            pending.append(label)
        placement.update(annotated)
        applied: list[CornerLabel] = []
        if apply_confident:
            applied = self.accept([x for x in pending if self.pending[x].confident])
        self._changed()
        kept = tuple(x for x in pending if x not in applied)
        return OfferOutcome(kept, tuple(applied), tuple(not_offered), tuple(stale))

    # --- the reader's decisions -----------------------------------------------------------
    def accept(self, labels: Iterable[CornerLabel]) -> list[CornerLabel]:
        """Apply these corners' proposals (whatever their confidence: the reader chose)."""
        changes: dict[CornerLabel, tuple[Point, CornerRecord]] = {}
        for label in labels:
            proposal = self.pending.pop(label, None)
            if proposal is None or proposal.point is None:
                continue
            changes[label] = (proposal.point, self._accepted_record(proposal))
        self.placement.update(changes)
        self._changed()
        return list(changes)

    def accept_confident(self) -> tuple[list[CornerLabel], list[CornerLabel]]:
        """Apply every confident proposal; returns (applied, left for the reader to decide)."""
        confident = [x for x, p in self.pending.items() if p.confident]
        applied = self.accept(confident)
        return applied, [x for x in self.placement.labels if x in self.pending]

    def reject(self, labels: Iterable[CornerLabel]) -> None:
        """Keep these corners where they are."""
        for label in labels:
            self.pending.pop(label, None)
        self._changed()

    def reject_all(self) -> None:
        self.reject(list(self.pending))

    def move(self, label: CornerLabel, row: float, col: float) -> None:
        """The reader dragged the offered point of ``label`` to (row, col): the corner goes
        there as ``moved``."""
        proposal = self.pending.pop(label, None)
        if proposal is None:
            raise ValueError(f"no proposal is waiting for {label.text}")
        record = replace(self._accepted_record(proposal), used=LandmarkUse.MOVED)
        self.placement.update({label: ((float(row), float(col)), record)})
        self._changed()

    # --- helpers ---------------------------------------------------------------------------
    def _accepted_record(self, proposal: CornerProposal) -> CornerRecord:
        record = self.placement.records.get(proposal.label)
        if proposal.kind is LandmarkUse.REFINED:
            base = record or CornerRecord()
            return replace(_with_refinement(base, proposal), used=LandmarkUse.REFINED)
        # Tracked: a click the reader made on this film is kept; an old refinement is not.
        click = None if record is None else record.click
        return CornerRecord(LandmarkUse.TRACKED, click)

    def _drop_stale(self) -> None:
        positions = self.placement.positions
        stale = [x for x, p in self.pending.items() if positions.get(x) != p.origin]
        for label in stale:
            del self.pending[label]
        if stale:
            self._changed()


def _with_refinement(record: CornerRecord, proposal: CornerProposal) -> CornerRecord:
    return replace(
        record, refined=proposal.point, confidence=proposal.confidence, status=proposal.status
    )
