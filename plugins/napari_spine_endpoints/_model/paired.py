"""A paired sitting: a subject's progression films scored set by set, time order concealed.

The store gives the paired case (:mod:`imaging.store.paired`: sets ``A``, ``B`` ... in the
reader's own random order, a reading id each, never a visit or date). Each set has its own grade
form of the paired item alone (the mSASSS corners: no item read at some visits only, which would
tell the time order) and its own :class:`GuidedScoring` over it, so the keys, the ring and the
missing-site reasons are the Scoring tab's. The sets are scored one after the other in the same
sitting; :meth:`PairedSitting.contents` is what :func:`imaging.store.paired.save_paired` stores
per set (grades, and the reasons as the read's ``[not graded: ...]`` notes).
"""

from __future__ import annotations

from collections.abc import Mapping

from imaging.protocol.model import Protocol
from imaging.store.paired import PairedCase
from imaging.store.reads import ReadContent
from imaging.store.vocabulary import ReadStatus
from napari_spine_endpoints._model.grading import GradeForm
from napari_spine_endpoints._model.observable import Observable
from napari_spine_endpoints._model.scoring import GuidedScoring
from napari_spine_endpoints._model.store_content import form_notes, split_note


class PairedSitting(Observable):
    """The sets of one paired case, the set being scored and its guided scoring."""

    def __init__(
        self, protocol: Protocol, case: PairedCase, saved: Mapping[str, ReadContent]
    ) -> None:
        self.case = case
        items = tuple(protocol.item(name) for name in case.items)
        self.scorings: dict[str, GuidedScoring] = {}
        for each in case.sets:
            form = GradeForm(items, case.sites)
            content = saved.get(each.label, ReadContent())
            reasons = {
                level: clause[-1]
                for level, note in content.notes.items()
                for clause in split_note(note)[1]
                if clause[0] == "not graded"
            }
            form.load(content.grades, reasons)
            scoring = GuidedScoring(form)
            scoring.go_to(
                next((n for n, st in enumerate(scoring.steps) if not scoring.is_scored(st)), 0)
            )
            scoring.subscribe(self._on_scoring)
            self.scorings[each.label] = scoring
        self.label = next((lb for lb, s in self.scorings.items() if not s.done), case.sets[0].label)
        """The set being scored."""
        self.editable = case.status is not ReadStatus.SUBMITTED
        """False once submitted: a later change would be a correction, not made here."""
        super().__init__()

    @property
    def scoring(self) -> GuidedScoring:
        """The guided scoring of the set being scored."""
        return self.scorings[self.label]

    @property
    def done(self) -> bool:
        """Every site of every set has a score or a reason."""
        return all(s.done for s in self.scorings.values())

    def go_to_set(self, label: str) -> None:
        if label not in self.scorings:
            raise ValueError(f"no set {label!r}; sets: {', '.join(self.scorings)}")
        self.label = label
        self._changed()

    def problems(self) -> list[str]:
        """What blocks the submit: per set, each corner without a score or a reason."""
        return [
            f"set {label}: {problem}"
            for label, s in self.scorings.items()
            for problem in s.form.problems()
        ]

    def contents(self) -> dict[str, ReadContent]:
        """Set label -> what the reader scored there, for ``save_paired``."""
        return {
            label: ReadContent(
                grades=dict(s.form.values),
                notes={lv: " ".join(parts) for lv, parts in form_notes(s.form).items()},
            )
            for label, s in self.scorings.items()
        }

    def _on_scoring(self) -> None:
        """A set finished: on to the next set not finished (the set's scores stay editable)."""
        if self.scoring.done and not self.done:
            self.label = next(lb for lb, s in self.scorings.items() if not s.done)
        self._changed()
