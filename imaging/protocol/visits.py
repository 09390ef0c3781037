"""Which visit a study belongs to: by time point id when the file has one, else by its date.

(0012,0050) *Clinical Trial Time Point ID* decides when present. Otherwise the study date is
turned into a study day relative to day 0 (the treatment day) and matched against the visit
windows. With the treatment date known, the day is exact. Without it, the subject's baseline study
anchors the date: when the protocol states how long before treatment baseline imaging is done
(``baseline_to_treatment_days``, say 21 to 42 days), a study N days after the baseline study is
somewhere on day N - 42 to N - 21, and it is assigned only when every one of those days falls
in the same visit's window; when the visit depends on where day 0 falls, it is flagged
(``needs_treatment_date``) until the treatment date is given. Without that setting the baseline
study is taken to be at the baseline visit's nominal day. A study outside every window, inside two
windows, with an unknown time point id or with nothing to date it by is flagged with the reason
and never assigned.
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
    NEEDS_TREATMENT_DATE = "needs_treatment_date"


@dataclass(frozen=True)
class VisitAssignment:
    """The outcome for one study. ``visit`` is set exactly when ``status`` is ``assigned``.

    ``method`` is ``time_point_id`` or ``study_date``; ``study_day`` is the study's day relative to
    day 0 when it is known exactly; ``study_days`` the first and last day it can be (equal when
    known exactly); ``candidates`` lists the visits whose windows contain it (two or more when
    ambiguous; when the day is a range, every visit whose window it meets); ``note`` carries a
    warning that did not block the assignment.
    """

    status: AssignmentStatus
    reason: str
    visit: Visit | None = None
    method: str = ""
    study_day: int | None = None
    candidates: tuple[str, ...] = ()
    note: str = ""
    study_days: tuple[int, int] | None = None

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
    """Study day relative to day 0 and how it was anchored, or None without an anchor.

    Without a treatment date this is the day counted from the baseline study taken as the
    baseline visit's nominal day (the endpoint table's ``study_day``): when the protocol states a
    baseline-to-treatment interval, the true day is earlier by that interval, which is why visits
    are assigned by :func:`study_days` instead.
    """
    if treatment_date is not None:
        return (study_date - treatment_date).days, f"treatment date {treatment_date.isoformat()}"
    if baseline_date is not None:
        day = (study_date - baseline_date).days + protocol.baseline.day
        return (
            day,
            f"baseline study date {baseline_date.isoformat()} taken as day {protocol.baseline.day}",
        )
    return None


def study_days(
    study_date: dt.date,
    protocol: Protocol,
    *,
    treatment_date: dt.date | None = None,
    baseline_date: dt.date | None = None,
) -> tuple[int, int, str] | None:
    """The first and last day (relative to day 0) the study can be on, and how it was anchored;
    None without an anchor. Exact (first == last) with a treatment date, or from the baseline
    study when the protocol states no baseline-to-treatment interval."""
    interval = protocol.baseline_to_treatment_days
    if treatment_date is not None or baseline_date is None or interval is None:
        found = study_day(
            study_date, protocol, treatment_date=treatment_date, baseline_date=baseline_date
        )
        return None if found is None else (found[0], found[0], found[1])
    shortest, longest = interval
    after = (study_date - baseline_date).days
    return (
        after - longest,
        after - shortest,
        f"{after} days after the baseline study of {baseline_date.isoformat()}, which precedes "
        f"treatment by {_days_text(shortest, longest)}; no treatment date",
    )


def _days_text(first: int, last: int) -> str:
    return f"{first} days" if first == last else f"{first} to {last} days"


def _day_text(first: int, last: int) -> str:
    return f"day {first}" if first == last else f"day {first} to {last}"


def assign_visit(
    protocol: Protocol,
    *,
    time_point_id: str | None = None,
    study_date: dt.date | None = None,
    treatment_date: dt.date | None = None,
    baseline_date: dt.date | None = None,
) -> VisitAssignment:
    """Assign one study to a visit of ``protocol``; never guesses (see the module docstring)."""
    days = None
    if study_date is not None:
        days = study_days(
            study_date, protocol, treatment_date=treatment_date, baseline_date=baseline_date
        )
    span = None if days is None else (days[0], days[1])
    day = None if days is None or days[0] != days[1] else days[0]

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
                study_days=span,
            )
        note = ""
        if span is not None and (span[1] < visit.first_day or span[0] > visit.last_day):
            note = (
                f"study {_day_text(*span)} is outside the {visit.id} window "
                f"({visit.window_text()}); assigned by time point id {time_point!r}"
            )
        return VisitAssignment(
            AssignmentStatus.ASSIGNED,
            f"time point id {time_point!r}",
            visit=visit,
            method="time_point_id",
            study_day=day,
            note=note,
            study_days=span,
        )

    if study_date is None:
        return VisitAssignment(
            AssignmentStatus.NO_DATE,
            "no time point id and no study date: nothing to assign a visit by",
        )
    if days is None:
        return VisitAssignment(
            AssignmentStatus.NO_DATE,
            f"no time point id, and study date {study_date.isoformat()} cannot be placed: no "
            "treatment date and no baseline study for this subject; give the treatment date",
            method="study_date",
        )
    first, last, anchor = days
    where = f"study date {study_date.isoformat()} is {_day_text(first, last)} ({anchor})"
    meets = tuple(v for v in protocol.visits if v.first_day <= last and first <= v.last_day)
    holds = tuple(v for v in meets if v.first_day <= first and last <= v.last_day)

    def outcome(
        status: AssignmentStatus, reason: str, found: tuple[Visit, ...] = ()
    ) -> VisitAssignment:
        return VisitAssignment(
            status,
            reason,
            visit=found[0] if status is AssignmentStatus.ASSIGNED else None,
            method="study_date",
            study_day=day,
            candidates=tuple(v.id for v in found),
            study_days=span,
        )

    if len(meets) == 1 and holds:
        visit = holds[0]
        every = "" if first == last else "every one of them "
        return outcome(
            AssignmentStatus.ASSIGNED,
            f"{where}, {every}in the {visit.id} window ({visit.window_text()})",
            holds,
        )
    names = ", ".join(f"{v.id} ({v.window_text()})" for v in meets)
    if meets and len(holds) == len(meets):  # every possible day is in each of these windows
        return outcome(
            AssignmentStatus.AMBIGUOUS,
            f"{where}, inside the windows of {names}; set the time point id or fix the windows",
            meets,
        )
    if meets:
        return outcome(
            AssignmentStatus.NEEDS_TREATMENT_DATE,
            f"{where}: that meets the windows of {names}, so the visit depends on the "
            "treatment date: give it with spine-endpoints register --treatment-date "
            "SUBJECT=YYYY-MM-DD (or set the time point id)",
            meets,
        )
    nearest = min(
        protocol.visits,
        key=lambda v: min(abs(d - e) for d in (first, last) for e in (v.first_day, v.last_day)),
    )
    return outcome(
        AssignmentStatus.OUT_OF_WINDOW,
        f"{where}, outside every visit window; nearest: {nearest.id} ({nearest.window_text()})",
    )


def exact_study_day(
    study_date: dt.date,
    protocol: Protocol,
    *,
    treatment_date: dt.date | None = None,
    baseline_date: dt.date | None = None,
) -> int | None:
    """The study's day relative to day 0 when it is known exactly (the endpoint table's
    ``study_day``), else None: without a treatment date a protocol that states a
    baseline-to-treatment interval leaves day 0 unknown (:func:`study_days`)."""
    days = study_days(
        study_date, protocol, treatment_date=treatment_date, baseline_date=baseline_date
    )
    return days[0] if days is not None and days[0] == days[1] else None
