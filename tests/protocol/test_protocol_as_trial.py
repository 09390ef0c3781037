"""The AS trial's protocol: modified New York, complete spinal rigidity, [msasss] as data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imaging.errors import ProtocolError
from imaging.protocol import evaluate_eligibility, load_protocol
from imaging.protocol.loader import builtin_protocols

AS = load_protocol("as-ucmsc")
assert AS.msasss is not None
CORNERS = AS.msasss.sites
AS_FILE = builtin_protocols()["as-ucmsc"]


def grades(
    corners: dict[str, str], confirmation: str | None, joints: tuple[str, str] = ("2", "2")
) -> pd.DataFrame:
    rows = [
        {"subject": "AS-1", "visit": "baseline", "level": site, "item": "msasss", "code": code,
         "reader": "R1"}
        for site, code in corners.items()
    ] + [
        {"subject": "AS-1", "visit": "baseline", "level": side, "item": "sacroiliitis",
         "code": code, "reader": "R1"}
        for side, code in zip(("SIJ-left", "SIJ-right"), joints, strict=True)
    ]  # fmt: skip
    if confirmation is not None:
        rows.append(
            {"subject": "AS-1", "visit": "baseline", "level": "spine",
             "item": "complete_spinal_rigidity", "code": confirmation, "reader": "R1"}
        )  # fmt: skip
    return pd.DataFrame(rows)


def rigidity(frame: pd.DataFrame) -> tuple[str, str, str, str, str]:
    (subject,) = evaluate_eligibility(AS, frame)
    result = next(r for r in subject.results if r.rule_id == "complete_spinal_rigidity")
    return result.verdict.value, result.values, result.reason, subject.verdict.value, subject.reason


BRIDGED = dict.fromkeys(CORNERS, "3")


def line_of(text: str, snippet: str) -> int:
    return text[: text.index(snippet)].count("\n") + 1


def test_a_fully_bridged_spine_confirmed_by_the_reader_is_excluded_with_the_reason() -> None:
    verdict, values, reason, subject, why = rigidity(grades(BRIDGED, "yes"))
    assert (verdict, subject, why) == ("fail", "not eligible", "fails complete_spinal_rigidity")
    assert values == "all 24 scored corners msasss 3; complete_spinal_rigidity yes"
    assert reason == "every scorable corner bridged, confirmed by the reader"


def test_corners_that_cannot_be_scored_do_not_stop_a_bridged_spine_being_rigid() -> None:
    scorable = {k: v for k, v in BRIDGED.items() if k not in ("C2-lower", "C3-upper", "S1-upper")}
    verdict, values, *_ = rigidity(grades(scorable, "yes"))
    assert verdict == "fail" and values.startswith("all 21 scored corners msasss 3")


def test_a_spine_with_unbridged_corners_passes_and_the_subject_is_eligible() -> None:
    corners = BRIDGED | {"C5-lower": "2", "L4-upper": "0"}
    verdict, values, reason, subject, _ = rigidity(grades(corners, "no"))
    assert (verdict, subject) == ("pass", "eligible")
    assert values == (
        "2 of 24 scored corners below bridging (C5-lower 2, L4-upper 0); "
        "complete_spinal_rigidity no"
    )
    assert reason == "not rigid: corners below bridging, the reader agrees"


def test_without_the_readers_confirmation_the_subject_is_pending() -> None:
    verdict, _, reason, subject, why = rigidity(grades(dict.fromkeys(CORNERS, "1"), None))
    assert (verdict, subject) == ("not evaluable", "pending")
    assert reason == "spine complete_spinal_rigidity: not recorded"
    assert why.startswith("undecided: complete_spinal_rigidity (spine complete_spinal_rigidity")


@pytest.mark.parametrize(
    ("corners", "said", "wanted"),
    [
        (BRIDGED, "no", "every scorable corner is msasss 3 but the reader says "
         "complete_spinal_rigidity no: correct the scores or the confirmation"),
        (BRIDGED | {"T12-lower": "2"}, "yes", "the reader confirms complete_spinal_rigidity but "
         "1 of 24 scored corners below bridging (T12-lower 2): correct the scores or the "
         "confirmation"),
    ],
)  # fmt: skip
def test_scores_and_confirmation_that_disagree_leave_the_rule_undecided(
    corners: dict[str, str], said: str, wanted: str
) -> None:
    verdict, _, reason, subject, _ = rigidity(grades(corners, said))
    assert (verdict, reason, subject) == ("not evaluable", wanted, "pending")


def test_a_segment_with_more_corners_missing_than_the_rule_allows_is_undecided() -> None:
    corners = {k: v for k, v in BRIDGED.items() if k not in AS.msasss.cervical[:4]}  # type: ignore[union-attr]
    verdict, _, reason, *_ = rigidity(grades(corners, "yes"))
    assert verdict == "not evaluable"
    assert reason == (
        "4 of 12 cervical corners not scored (at most 3): the cervical spine is not scorable"
    )


def test_modified_new_york_fails_a_subject_whatever_the_spine() -> None:
    frame = grades(BRIDGED | {"L1-upper": "0"}, "no", joints=("1", "2"))
    (subject,) = evaluate_eligibility(AS, frame)
    assert (subject.verdict.value, subject.reason) == (
        "not eligible",
        "fails sacroiliitis_new_york",
    )


BAD_EDITS = [
    ("max_missing_per_segment = 3", "max_missing_per_segment = 12",
     "max_missing_per_segment = 12", "msasss.max_missing_per_segment must be 0 to 11, got 12"),
    ('    "C6-upper", "C6-lower", "C7-upper", "C7-lower", "T1-upper",\n]\nlumbar',
     '    "C6-upper", "C6-lower", "C7-upper", "C7-lower",\n]\nlumbar', "cervical = [",
     "msasss.cervical lists 11 different corners; mSASSS scores 12 per segment"),
    ("window_before = 0\nwindow_after = 90", "window_before = 30\nwindow_after = 90",
     'progression_visits = ["baseline", "month_24"]', "can be 700 days after baseline"),
    ('visit_schedule = "core_lab"', 'visit_schedule = "corelab"', 'visit_schedule = "corelab"',
     "visit_schedule must be one of protocol, core_lab, got 'corelab'"),
    ("bridged = [3]", "bridged = [4]", "bridged = [4]", "'4' is not a grade of the mSASSS scale"),
    ('confirmation = "complete_spinal_rigidity"', 'confirmation = "sacroiliitis"',
     'confirmation = "sacroiliitis"', "confirmation 'sacroiliitis' must be a finding"),
    ('paired_reading = true', 'paired_reading = "yes"', 'paired_reading = "yes"',
     "paired_reading must be true or false"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "where", "message"), BAD_EDITS)
def test_a_wrong_msasss_or_rigidity_setting_is_refused_with_its_line(
    tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    text = AS_FILE.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "as.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}: line ")
    assert caught.value.line == line_of(text, where)


def test_a_rigidity_rule_without_msasss_is_refused(tmp_path: Path) -> None:
    text = AS_FILE.read_text(encoding="utf-8")
    start, end = text.index("\n[msasss]\n"), text.index("\n[eligibility]\n")
    path = tmp_path / "as.toml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ProtocolError, match="reads the corner scores of \\[msasss\\]") as caught:
        load_protocol(path)
    assert "Add an [msasss] table" in str(caught.value)
