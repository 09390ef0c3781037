"""Visit assignment: time point id first, else the study date and the windows; never a guess."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from imaging.errors import ProtocolError
from imaging.protocol import AssignmentStatus, Visit, assign_visit, load_protocol
from imaging.protocol.loader import DEFAULT_PROTOCOL

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


BASELINE = dt.date(2023, 1, 10)


def after_baseline(days: int) -> dt.date:
    return BASELINE + dt.timedelta(days=days)


def test_the_dlbp_protocol_states_how_long_baseline_imaging_precedes_treatment() -> None:
    # liposuction 3 weeks before transplantation, baseline imaging before it (seed 000)
    assert load_protocol().baseline_to_treatment_days == (21, 42)


def test_a_week_1_study_with_an_unknown_treatment_date_is_flagged_not_put_in_month_1() -> None:
    """Baseline 21 days before treatment, 1-week scan 7 days after it: 28 days after baseline.
    Counted from the baseline study as day 0 that is day 28, in the month 1 window: a guess."""
    protocol = load_protocol()
    scan = after_baseline(28)
    result = assign_visit(protocol, study_date=scan, baseline_date=BASELINE)
    assert result.status is AssignmentStatus.NEEDS_TREATMENT_DATE
    assert result.visit is None and result.study_day is None
    assert result.study_days == (-14, 7)
    assert result.candidates == ("baseline", "week_1")
    assert "is day -14 to 7 (28 days after the baseline study of 2023-01-10" in result.reason
    assert "precedes treatment by 21 to 42 days" in result.reason
    assert "depends on the treatment date: give it with spine-endpoints register " in result.reason
    assert "--treatment-date" in result.reason
    treated = assign_visit(
        protocol, study_date=scan, baseline_date=BASELINE, treatment_date=after_baseline(21)
    )
    assert treated.visit is not None and treated.visit.id == "week_1"
    assert treated.study_day == 7 and treated.study_days == (7, 7)


@pytest.mark.parametrize(
    ("days_after_baseline", "visit"),
    [(0, "baseline"), (10, "baseline"), (21, "baseline"), (119, "month_3"), (126, "month_3"),
     (194, "month_6"), (210, "month_6"), (233, "month_6"), (407, "month_12")],
)  # fmt: skip
def test_a_date_is_assigned_when_every_possible_day_is_in_one_window(
    days_after_baseline: int, visit: str
) -> None:
    """Day 0 is 21 to 42 days after the baseline study: a study N days after it is on day
    N - 42 to N - 21; assigned only when that whole range lies in one visit's window."""
    result = assign_visit(
        load_protocol(), study_date=after_baseline(days_after_baseline), baseline_date=BASELINE
    )
    assert result.status is AssignmentStatus.ASSIGNED, result.reason
    assert result.visit is not None and result.visit.id == visit
    first, last = days_after_baseline - 42, days_after_baseline - 21
    assert result.study_days == (first, last) and result.study_day is None
    assert f"is day {first} to {last}" in result.reason
    assert f"every one of them in the {visit} window" in result.reason


@pytest.mark.parametrize(
    ("days_after_baseline", "candidates"),
    [(22, ("baseline",)), (30, ("baseline", "week_1")), (45, ("week_1", "month_1")),
     (118, ("month_3",)), (127, ("month_3",)), (193, ("month_6",)), (234, ("month_6",))],
)  # fmt: skip
def test_a_date_whose_visit_depends_on_the_treatment_date_is_flagged(
    days_after_baseline: int, candidates: tuple[str, ...]
) -> None:
    result = assign_visit(
        load_protocol(), study_date=after_baseline(days_after_baseline), baseline_date=BASELINE
    )
    assert result.status is AssignmentStatus.NEEDS_TREATMENT_DATE, result.reason
    assert result.visit is None and result.candidates == candidates


def test_a_date_outside_every_window_whatever_the_treatment_date_is_out_of_window() -> None:
    result = assign_visit(load_protocol(), study_date=after_baseline(300), baseline_date=BASELINE)
    assert result.status is AssignmentStatus.OUT_OF_WINDOW  # day 258 to 279
    assert "is day 258 to 279" in result.reason and "nearest: month_12" in result.reason


def test_time_point_ids_decide_whatever_the_unknown_treatment_date() -> None:
    result = assign_visit(
        load_protocol(), time_point_id="W1", study_date=after_baseline(28), baseline_date=BASELINE
    )
    assert result.assigned and result.visit.id == "week_1"  # type: ignore[union-attr]
    assert result.note == ""  # day -14 to 7 may be in the week 1 window: no warning
    late = assign_visit(
        load_protocol(), time_point_id="W1", study_date=after_baseline(90), baseline_date=BASELINE
    )
    assert late.assigned and "study day 48 to 69 is outside the week_1 window" in late.note


def test_without_an_interval_the_baseline_study_is_the_baseline_visits_day() -> None:
    protocol = dataclasses.replace(load_protocol(), baseline_to_treatment_days=None)
    result = assign_visit(protocol, study_date=after_baseline(181), baseline_date=BASELINE)
    assert result.visit is not None and result.visit.id == "month_6"
    assert result.study_day == 181
    assert "baseline study date 2023-01-10 taken as day 0" in result.reason


@pytest.mark.parametrize(
    ("interval", "message"),
    [((30, 21), "0 <= shortest <= longest, got [30, 21]"),
     ((-1, 21), "0 <= shortest <= longest"),
     ((21, 60), "puts the baseline study at day -60 to -21, outside the baseline window")],
)  # fmt: skip
def test_a_baseline_to_treatment_interval_must_fit_the_baseline_window(
    interval: tuple[int, int], message: str
) -> None:
    with pytest.raises(Exception, match=re.escape(message)):
        dataclasses.replace(load_protocol(), baseline_to_treatment_days=interval)


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


@pytest.mark.parametrize(
    ("written", "message"),
    [('"three weeks"', "must be a whole number of days or [shortest, longest], got 'three weeks'"),
     ("[21, 28, 42]", "must be a whole number of days or [shortest, longest]"),
     ("[21, 60]", "puts the baseline study at day -60 to -21, outside the baseline window"),
     ("[42, 21]", "0 <= shortest <= longest, got [42, 21]")],
)  # fmt: skip
def test_a_bad_interval_in_the_file_is_refused_with_its_line_and_key(
    tmp_path: Path, written: str, message: str
) -> None:
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    line = "baseline_to_treatment_days = [21, 42]"
    text = text.replace(line, f"baseline_to_treatment_days = {written}")
    path = tmp_path / "protocol.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    number = text[: text.index("baseline_to_treatment_days =")].count("\n") + 1
    assert str(caught.value).startswith(f"{path}: line {number} (baseline_to_treatment_days): ")
    assert message in str(caught.value)


def test_one_number_is_an_exact_interval(tmp_path: Path) -> None:
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8").replace(
        "baseline_to_treatment_days = [21, 42]", "baseline_to_treatment_days = 21"
    )
    path = tmp_path / "protocol.toml"
    path.write_text(text, encoding="utf-8")
    protocol = load_protocol(path)
    assert protocol.baseline_to_treatment_days == (21, 21)
    week_1 = assign_visit(protocol, study_date=after_baseline(28), baseline_date=BASELINE)
    assert week_1.visit is not None and week_1.visit.id == "week_1" and week_1.study_day == 7
