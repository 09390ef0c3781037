"""Visit assignment: time point id first, else the study date and the windows; never a guess."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from imaging.protocol import AssignmentStatus, Visit, assign_visit, load_protocol

TREATMENT = dt.date(2024, 3, 1)


def day(n: int) -> dt.date:
    return TREATMENT + dt.timedelta(days=n)


def test_time_point_id_decides_when_present() -> None:
    protocol = load_protocol()
    result = assign_visit(protocol, time_point_id="M06")
    assert result.status is AssignmentStatus.ASSIGNED
    assert result.visit is not None and result.visit.id == "month_6"
    assert result.method == "time_point_id"
    assert assign_visit(protocol, time_point_id=" baseline ").visit.id == "baseline"  # type: ignore[union-attr]


def test_time_point_id_wins_over_a_date_outside_its_window_with_a_note() -> None:
    result = assign_visit(
        load_protocol(), time_point_id="M12", study_date=day(200), treatment_date=TREATMENT
    )
    assert result.assigned and result.visit.id == "month_12"  # type: ignore[union-attr]
    assert result.study_day == 200
    assert "outside the month_12 window (day 320 to 410" in result.note


def test_an_unknown_time_point_id_is_flagged_not_assigned() -> None:
    result = assign_visit(load_protocol(), time_point_id="M07", study_date=day(213),
                          treatment_date=TREATMENT)  # fmt: skip
    assert result.status is AssignmentStatus.UNKNOWN_TIME_POINT
    assert result.visit is None
    assert "time point id 'M07' names no visit" in result.reason


@pytest.mark.parametrize(
    ("study_day", "visit"),
    [(-20, "baseline"), (0, "baseline"), (9, "week_1"), (30, "month_1"), (160, "month_6"),
     (212, "month_6"), (700, "month_24")],
)  # fmt: skip
def test_by_date_in_window_relative_to_the_treatment_date(study_day: int, visit: str) -> None:
    result = assign_visit(load_protocol(), study_date=day(study_day), treatment_date=TREATMENT)
    assert result.status is AssignmentStatus.ASSIGNED, result.reason
    assert result.visit is not None and result.visit.id == visit
    assert result.method == "study_date" and result.study_day == study_day
    assert f"is day {study_day} (treatment date 2024-03-01)" in result.reason


def test_by_date_relative_to_the_baseline_study_without_a_treatment_date() -> None:
    baseline = dt.date(2023, 1, 10)
    result = assign_visit(
        load_protocol(), study_date=baseline + dt.timedelta(days=181), baseline_date=baseline
    )
    assert result.visit is not None and result.visit.id == "month_6"
    assert "baseline study date 2023-01-10 taken as day 0" in result.reason


@pytest.mark.parametrize("study_day", [-43, 3, 250, 800])
def test_out_of_window_is_flagged_with_the_nearest_visit(study_day: int) -> None:
    result = assign_visit(load_protocol(), study_date=day(study_day), treatment_date=TREATMENT)
    assert result.status is AssignmentStatus.OUT_OF_WINDOW
    assert result.visit is None
    assert f"day {study_day}" in result.reason and "outside every visit window" in result.reason
    assert "nearest:" in result.reason


def test_a_date_in_two_windows_is_ambiguous() -> None:
    protocol = load_protocol()
    wide = tuple(
        dataclasses.replace(v, window_after=90) if v.id == "month_3" else v for v in protocol.visits
    )
    protocol = dataclasses.replace(protocol, visits=wide)
    result = assign_visit(protocol, study_date=day(160), treatment_date=TREATMENT)
    assert result.status is AssignmentStatus.AMBIGUOUS
    assert result.visit is None
    assert result.candidates == ("month_3", "month_6")
    assert "inside the windows of month_3" in result.reason


def test_nothing_to_date_by_is_flagged() -> None:
    protocol = load_protocol()
    assert assign_visit(protocol).status is AssignmentStatus.NO_DATE
    no_anchor = assign_visit(protocol, study_date=day(180))
    assert no_anchor.status is AssignmentStatus.NO_DATE
    assert "no treatment date and no baseline study" in no_anchor.reason


def test_a_visit_is_never_invalid() -> None:
    with pytest.raises(Exception, match="window_before must be 0 or more days"):
        Visit("month_6", "6 months", 182, window_before=-1)
    with pytest.raises(Exception, match="visit id 'month 6' must start with a letter"):
        Visit("month 6", "6 months", 182)
