"""Hanging protocols: what the canvas shows at each step of a read, decided without Qt.

A read has two steps. **Landmarks**: the film to read, alone, fitted to the window, its corner
layer active in add mode (the first click places the first corner); the MR series are kept out
of the viewer, so no slice slider sits under the 2-D film and no hidden series can take the
clicks. **Grades**: the mid-sagittal slice of the T2 series (chosen from the headers by
:func:`imaging.dicom.mr_weighting.series_to_grade`; the reader can pick another), the T1 series
one key away for Modic, the films and their lines hidden (no radiograph overlay on the MR), the
disc being graded highlighted on the MR.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from imaging.dicom.mr_weighting import Weighting, series_to_grade


class Step(StrEnum):
    """The steps of a read, each with its own hanging."""

    LANDMARKS = "landmarks"
    GRADES = "grades"


def first_step(places_corners: bool, has_films: bool) -> Step:
    """Where a newly opened case starts: its corners when it has any to place on a film."""
    return Step.LANDMARKS if places_corners and has_films else Step.GRADES


@dataclass(frozen=True)
class MrHanging:
    """Which of the read's MR series (indices) the Grades step shows: T2 (None: none found)
    and T1 (one key away), and whether T1 is the one on screen."""

    t2: int | None
    t1: int | None
    showing_t1: bool = False

    @property
    def shown(self) -> int | None:
        """The series on screen (T1 only when asked for and present)."""
        return self.t1 if self.showing_t1 and self.t1 is not None else self.t2

    def toggled(self) -> MrHanging:
        """T2 <-> T1 (stays on T2 without a T1)."""
        return MrHanging(self.t2, self.t1, not self.showing_t1 and self.t1 is not None)


def mr_hanging(series: Sequence[tuple[str, str]], chosen_t2: int | None = None) -> MrHanging:
    """The hanging of (weighting, plane) per MR series: the sagittal T2 and T1 from the headers;
    ``chosen_t2`` is the reader's own pick of the series to grade on, which wins."""
    t2 = chosen_t2 if chosen_t2 is not None else series_to_grade(series, Weighting.T2)
    t1 = series_to_grade(series, Weighting.T1)
    return MrHanging(t2, None if t1 == t2 else t1)


def middle_slice(slices: int) -> int:
    """The mid-sagittal slice of a sagittal series of ``slices`` slices (instance 6 of 11)."""
    return (slices - 1) // 2
