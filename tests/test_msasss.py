"""mSASSS: the arithmetic with the missing-corner rule, hand-computed; the endpoint table's rows."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from imaging.endpoints import complete_rows
from imaging.endpoints.msasss import msasss_rows, msasss_scores, new_syndesmophytes
from imaging.endpoints.rows import GRADE_UNIT, EndpointRow
from imaging.measures import MEASURES, MeasureKind
from imaging.protocol import load_protocol

NAN = math.nan
AS = load_protocol("as-ucmsc")
assert AS.msasss is not None
RULE = AS.msasss
CERVICAL, LUMBAR = RULE.cervical, RULE.lumbar
SEGMENTS = [0] * 12 + [1] * 12


def test_a_fully_scored_spine_sums_its_24_corners() -> None:
    cervical = [0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0]  # 6
    result = msasss_scores(cervical + [3] * 12, SEGMENTS, 3)
    assert result.segment_totals.tolist() == [[6.0, 36.0]]
    assert result.total.tolist() == [42.0]
    assert result.missing.tolist() == [[0, 0]] and not result.imputed.any()


def test_up_to_three_missing_corners_take_the_mean_of_their_segment() -> None:
    # cervical: 10 scored, sum 6, mean 0.6 -> 6 + 2 x 0.6 = 7.2
    cervical = [0, 1, 2, 3, 0, 0, 0, 0, 0, 0, NAN, NAN]
    # lumbar: 9 scored at 2, 3 missing -> 9 x 2 + 3 x 2 = 24
    lumbar = [2] * 9 + [NAN] * 3
    result = msasss_scores(cervical + lumbar, SEGMENTS, 3)
    assert result.segment_totals[0].tolist() == pytest.approx([7.2, 24.0])
    assert result.total[0] == pytest.approx(31.2)
    assert result.missing.tolist() == [[2, 3]] and result.imputed.tolist() == [[True, True]]


def test_four_missing_corners_leave_the_segment_and_the_total_missing() -> None:
    cervical = [1] * 8 + [NAN] * 4
    result = msasss_scores(cervical + [0] * 12, SEGMENTS, 3)
    assert math.isnan(result.segment_totals[0, 0]) and result.segment_totals[0, 1] == 0.0
    assert math.isnan(result.total[0]) and result.missing.tolist() == [[4, 0]]


def test_the_rule_allows_what_the_protocol_states_and_never_a_segment_with_no_score() -> None:
    nothing_cervical = [NAN] * 12 + [1] * 12
    assert math.isnan(msasss_scores(nothing_cervical, SEGMENTS, 11).total[0])
    one_missing = [1] * 11 + [NAN] + [1] * 12
    assert math.isnan(msasss_scores(one_missing, SEGMENTS, 0).total[0])
    assert msasss_scores(one_missing, SEGMENTS, 1).total[0] == 24.0


def test_many_reads_are_scored_at_once() -> None:
    reads = np.array([[0] * 24, [3] * 24, [1] * 23 + [NAN]], dtype=float)
    assert msasss_scores(reads, SEGMENTS, 3).total.tolist() == [0.0, 72.0, 24.0]


def test_a_new_syndesmophyte_is_a_corner_going_from_0_or_1_to_2_or_3() -> None:
    before = [0, 1, 2, 1, NAN, 0, 3]
    after = [2, 3, 3, 1, 3, NAN, 3]
    # new: 0 -> 2, 1 -> 3; already one: 2 -> 3, 3 -> 3; not compared: NaN either side
    new, compared = new_syndesmophytes(before, after)
    assert new.tolist() == [2] and compared.tolist() == [5]


def test_the_scores_are_registered_measures_of_the_whole_spine() -> None:
    for name in ("msasss_cervical", "msasss_lumbar", "msasss_total", "new_syndesmophytes"):
        assert MEASURES[name].kind is MeasureKind.SPINE and MEASURES[name].unit == "1"


def corner_rows(visit: str, scores: dict[str, int], reader: str = "R1") -> list[EndpointRow]:
    return [
        EndpointRow("AS-1", visit, site, "msasss", float(code), GRADE_UNIT, grade=str(code),
                    reader=reader)
        for site, code in scores.items()
    ]  # fmt: skip


def test_the_endpoint_table_gives_totals_change_and_new_syndesmophytes() -> None:
    baseline = dict.fromkeys((*CERVICAL, *LUMBAR), 0) | {"C5-lower": 1, "L3-upper": 2}
    del baseline["C7-lower"]  # not scored: given the cervical mean 1/11
    later = dict(baseline) | {"C5-lower": 2, "L4-lower": 3, "L3-upper": 3}
    rows = complete_rows([*corner_rows("baseline", baseline), *corner_rows("month_24", later)], AS)
    spine = {(r.visit, r.measure): r for r in rows if r.level == "spine"}
    first = spine[("baseline", "msasss_total")]
    assert first.value == pytest.approx(1 + 1 / 11 + 2)
    assert "C7-lower" in first.note and "cervical mean 0.09" in first.note
    second = spine[("month_24", "msasss_total")]
    assert second.value == pytest.approx(2 + 2 / 11 + 3 + 3)
    assert second.change_from_baseline == pytest.approx(5 + 1 / 11)
    assert spine[("month_24", "msasss_lumbar")].value == 6.0
    new = spine[("month_24", "new_syndesmophytes")]
    assert new.value == 2.0  # C5-lower 1 -> 2, L4-lower 0 -> 3; L3-upper was already 2
    assert (
        new.note == "23 of 24 corners scored at both visits; new: C5-lower 1 -> 2, L4-lower 0 -> 3"
    )
    assert ("baseline", "new_syndesmophytes") not in spine
    assert new.film == "lateral cervical and lumbar" and new.reader == "R1"


def test_a_read_too_incomplete_for_a_total_says_why() -> None:
    scores = dict.fromkeys(CERVICAL[:8], 1) | dict.fromkeys(LUMBAR, 0)
    rows = complete_rows(corner_rows("baseline", scores), AS)
    total = next(r for r in rows if r.measure == "msasss_total")
    assert total.value is None
    assert total.note.startswith(
        "4 of 12 cervical corners not scored (C6-lower, C7-upper, C7-lower, T1-upper), more "
        "than 3: no cervical total (Ramiro S et al."
    )


def test_a_dlbp_table_gets_no_spine_scores() -> None:
    row = EndpointRow("S", "baseline", "L4-L5", "pfirrmann", 3.0, GRADE_UNIT, grade="3")
    assert [r.measure for r in complete_rows([row], load_protocol())] == ["pfirrmann"]


def test_each_reader_gets_their_own_totals_and_new_syndesmophytes() -> None:
    first = dict.fromkeys((*CERVICAL, *LUMBAR), 0)
    second = dict.fromkeys((*CERVICAL, *LUMBAR), 1)
    rows = complete_rows(
        [
            *corner_rows("baseline", first, "R1"),
            *corner_rows("baseline", second, "R2"),
            *corner_rows("month_24", first | {"L4-lower": 2}, "R1"),
            *corner_rows("month_24", second, "R2"),
        ],
        AS,
    )
    spine = {(r.visit, r.reader, r.measure): r.value for r in rows if r.level == "spine"}
    assert spine[("baseline", "R1", "msasss_total")] == 0.0
    assert spine[("baseline", "R2", "msasss_total")] == 24.0
    assert spine[("month_24", "R1", "msasss_total")] == 2.0
    assert spine[("month_24", "R1", "new_syndesmophytes")] == 1.0
    assert spine[("month_24", "R2", "new_syndesmophytes")] == 0.0


def test_a_follow_up_read_of_one_corner_is_compared_on_that_corner() -> None:
    baseline = dict.fromkeys((*CERVICAL, *LUMBAR), 0)
    rows = complete_rows(
        [*corner_rows("baseline", baseline), *corner_rows("month_24", {"L4-lower": 3})], AS
    )
    new = next(r for r in rows if r.measure == "new_syndesmophytes")
    assert (new.visit, new.value) == ("month_24", 1.0)
    assert new.note == "1 of 24 corners scored at both visits; new: L4-lower 0 -> 3"


def test_scores_and_labels_given_as_text_score_as_numbers() -> None:
    # A spreadsheet or CSV read as strings: scores and segment labels.
    cervical = ["0", "1", "2", "3", "0", "0", "0", "0", "0", "0", "nan", "0"]
    result = msasss_scores([cervical + ["3"] * 12], [str(s) for s in SEGMENTS], 3)
    assert result.segment_totals.tolist() == [[pytest.approx(6 / 11 * 12), 36.0]]
    new, compared = new_syndesmophytes(["0", "1", "2"], ["2", "1", "3"])
    assert new.tolist() == [1] and compared.tolist() == [3]


def test_scores_that_do_not_match_the_corners_are_refused_with_both_counts() -> None:
    with pytest.raises(ValueError, match=r"^24 corner scores per read but 23 segment labels$"):
        msasss_scores([1.0] * 24, SEGMENTS[:-1], 3)


def test_one_segment_or_none_is_scored_as_such() -> None:
    # A rule with only the lumbar segment's 12 corners: one segment, its total the total.
    lumbar = msasss_scores([2.0] * 11 + [NAN], [0] * 12, 3)
    assert lumbar.segment_totals.tolist() == [[24.0]] and lumbar.total.tolist() == [24.0]
    assert msasss_scores(np.empty((1, 0)), [], 3).segment_totals.shape == (1, 0)


def test_missing_corners_are_counted_and_imputed_only_when_the_rule_allows() -> None:
    one_missing = [1] * 11 + [NAN] + [1] * 12
    result = msasss_scores(one_missing, SEGMENTS, 1)
    assert result.imputed.tolist() == [[True, False]]
    assert result.missing.tolist() == [[1, 0]] and result.missing.dtype == np.int64
    # One scored corner stands for its segment when the rule allows 11 missing ...
    alone = msasss_scores([2] + [NAN] * 11 + [0] * 12, SEGMENTS, 11)
    assert alone.segment_totals.tolist() == [[24.0, 0.0]]
    # ... but a segment with none scored is never imputed, even when 12 may be missing.
    nothing = msasss_scores([NAN] * 12 + [1] * 12, SEGMENTS, 12)
    assert math.isnan(nothing.total[0]) and nothing.imputed.tolist() == [[False, False]]


def test_the_rows_carry_the_read_they_come_from_and_a_note_only_when_a_corner_is_missing() -> None:
    read = dict(read_version=3, source_image="AS-1/baseline/lateral-c.dcm", study_day=-12,
                protocol="as-ucmsc@2", software_version="1.4.0")  # fmt: skip
    corners = [row.but(**read) for row in corner_rows("baseline", dict.fromkeys(RULE.sites, 1))]
    rows = complete_rows(corners, AS)
    spine = [r for r in rows if r.level == "spine"]
    assert [r.measure for r in spine] == ["msasss_cervical", "msasss_lumbar", "msasss_total"]
    for row in spine:
        assert (row.unit, row.note, row.reader) == ("1", "", "R1")
        assert {key: getattr(row, key) for key in read} == read


def test_every_missing_corner_is_named_in_the_segment_and_total_notes() -> None:
    scores = dict.fromkeys(RULE.sites, 1)
    for site in ("C3-upper", "C7-lower", "L1-upper"):
        del scores[site]
    rows = {r.measure: r for r in complete_rows(corner_rows("baseline", scores), AS)}
    rule = RULE.missing_rule
    cervical = (
        f"2 cervical corners not scored (C3-upper, C7-lower): each given the cervical mean 1.00 "
        f"({rule})"
    )
    lumbar = f"1 lumbar corners not scored (L1-upper): each given the lumbar mean 1.00 ({rule})"
    assert rows["msasss_cervical"].note == cervical and rows["msasss_lumbar"].note == lumbar
    assert rows["msasss_total"].note == f"{cervical}; {lumbar}"
    assert rows["msasss_total"].value == 24.0


def test_another_item_graded_at_the_same_corners_never_enters_the_total() -> None:
    scored = corner_rows("baseline", dict.fromkeys(RULE.sites, 0))
    other = EndpointRow("AS-1", "baseline", "C5-lower", "image_quality", 3.0, GRADE_UNIT, grade="3")
    total = msasss_rows(RULE, [*scored, other])[-1]
    assert (total.measure, total.value) == ("msasss_total", 0.0)
    assert msasss_rows(RULE, [other]) == []


def test_a_follow_up_read_without_a_baseline_read_of_its_reader_has_no_new_syndesmophytes() -> None:
    rows = complete_rows(
        [
            *corner_rows("baseline", dict.fromkeys(RULE.sites, 0), "R1"),
            *corner_rows("month_24", dict.fromkeys(RULE.sites, 3), "R2"),
        ],
        AS,
    )
    new = next(r for r in rows if r.measure == "new_syndesmophytes")
    assert (new.visit, new.reader, new.level, new.value) == ("month_24", "R2", "spine", None)
    assert new.note == "no baseline corner scores to compare" and new.unit == "1"


def test_a_protocol_counting_only_bridging_counts_only_new_bridges() -> None:
    bridging = replace(AS, msasss=replace(RULE, syndesmophyte=("3",)))
    baseline = dict.fromkeys(RULE.sites, 0) | {"C5-lower": 1}
    later = baseline | {"C5-lower": 2, "L4-lower": 3}  # 1 -> 2 is no bridge; 0 -> 3 is one
    rows = complete_rows(
        [*corner_rows("baseline", baseline), *corner_rows("month_24", later)], bridging
    )
    new = next(r for r in rows if r.measure == "new_syndesmophytes")
    assert new.value == 1.0
    assert new.note == "24 of 24 corners scored at both visits; new: L4-lower 0 -> 3"
