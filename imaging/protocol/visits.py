"""Which visit a study belongs to: by time point id when the file has one, else by its date.

(0012,0050) *Clinical Trial Time Point ID* decides when present. Otherwise the study date is
turned into a study day relative to day 0 (the treatment date when given; else the subject's
baseline study, taken to be at the baseline visit's nominal day) and matched against the visit
windows. A study outside every window, inside two windows, with an unknown time point id or with
nothing to date it by is flagged with the reason and never assigned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from imaging.protocol.model import Protocol, Visit


class AssignmentStatus(StrEnum):
    ASSIGNED = "assigned"
    OUT_OF_WINDOW = "out_of_window"
    AMBIGUOUS = "ambiguous"
    UNKNOWN_TIME_POINT = "unknown_time_point"
    NO_DATE = "no_date"


@dataclass(frozen=True)
class VisitAssignment:
    """The outcome for one study. ``visit`` is set exactly when ``status`` is ``assigned``.

    ``method`` is ``time_point_id`` or ``study_date``; ``study_day`` is the study's day relative to
    day 0 when a date was available; ``candidates`` lists the visits whose windows contain it
    (two or more when ambiguous); ``note`` carries a warning that did not block the assignment.
    """

    status: AssignmentStatus
    reason: str
    visit: Visit | None = None
    method: str = ""
    study_day: int | None = None
    candidates: tuple[str, ...] = ()
    note: str = ""

    @property
    def assigned(self) -> bool:
        return self.status is AssignmentStatus.ASSIGNED


def study_day(
    study_date: dt.date,
    protocol: Protocol,
    *,
    treatment_date: dt.date | None = None,
    baseline_date: dt.date | None = None,
) -> tuple[int, str] | None:
    """Study day relative to day 0 and how it was anchored, or None without an anchor."""
    if treatment_date is not None:
        return (study_date - treatment_date).days, f"treatment date {treatment_date.isoformat()}"
    if baseline_date is not None:
        day = (study_date - baseline_date).days + protocol.baseline.day
        return (
            day,
            f"baseline study date {baseline_date.isoformat()} taken as day {protocol.baseline.day}",
        )
    return None


def assign_visit(
    protocol: Protocol,
    *,
    time_point_id: str | None = None,
    study_date: dt.date | None = None,
    treatment_date: dt.date | None = None,
    baseline_date: dt.date | None = None,
) -> VisitAssignment:
    """Assign one study to a visit of ``protocol``; never guesses (see the module docstring)."""
    day_and_anchor = None
    if study_date is not None:
        day_and_anchor = study_day(
            study_date, protocol, treatment_date=treatment_date, baseline_date=baseline_date
        )
    day = None if day_and_anchor is None else day_and_anchor[0]

    time_point = (time_point_id or "").strip()
    if time_point:
        try:
            visit = protocol.visit(time_point)
        except ValueError:
            accepted = "; ".join(
                f"{v.id}: {', '.join((v.id, *v.time_point_ids))}" for v in protocol.visits
            )
            return VisitAssignment(
                AssignmentStatus.UNKNOWN_TIME_POINT,
                f"time point id {time_point!r} names no visit of protocol {protocol.id} "
                f"(accepted: {accepted}); add it to the visit's time_point_ids",
                method="time_point_id",
                study_day=day,
            )
        note = ""
        if day is not None and not visit.in_window(day):
            note = (
                f"study day {day} is outside the {visit.id} window ({visit.window_text()}); "
                f"assigned by time point id {time_point!r}"
            )
        return VisitAssignment(
            AssignmentStatus.ASSIGNED,
            f"time point id {time_point!r}",
            visit=visit,
            method="time_point_id",
            study_day=day,
            note=note,
        )

    if study_date is None:
        return VisitAssignment(
            AssignmentStatus.NO_DATE,
            "no time point id and no study date: nothing to assign a visit by",
        )
    if day_and_anchor is None:
        return VisitAssignment(
            AssignmentStatus.NO_DATE,
            f"no time point id, and study date {study_date.isoformat()} cannot be placed: no "
            "treatment date and no baseline study for this subject; give the treatment date",
            method="study_date",
        )
    day, anchor = day_and_anchor
    candidates = tuple(v for v in protocol.visits if v.in_window(day))
    if len(candidates) == 1:
        visit = candidates[0]
        return VisitAssignment(
            AssignmentStatus.ASSIGNED,
            f"study date {study_date.isoformat()} is day {day} ({anchor}), in the {visit.id} "
            f"window ({visit.window_text()})",
            visit=visit,
            method="study_date",
            study_day=day,
            candidates=(visit.id,),
        )
    if candidates:
        names = ", ".join(f"{v.id} ({v.window_text()})" for v in candidates)
        return VisitAssignment(
            AssignmentStatus.AMBIGUOUS,
            f"study date {study_date.isoformat()} is day {day} ({anchor}), inside the windows of "
            f"{names}; set the time point id or fix the windows",
            method="study_date",
            study_day=day,
            candidates=tuple(v.id for v in candidates),
        )
    nearest = min(protocol.visits, key=lambda v: min(abs(day - v.first_day), abs(day - v.last_day)))
    return VisitAssignment(
        AssignmentStatus.OUT_OF_WINDOW,
        f"study date {study_date.isoformat()} is day {day} ({anchor}), outside every visit "
        f"window; nearest: {nearest.id} ({nearest.window_text()})",
        method="study_date",
        study_day=day,
    )
