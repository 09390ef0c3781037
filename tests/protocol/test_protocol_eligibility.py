"""Eligibility rules per subject: pass, fail or not evaluable, with the values used."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from imaging.protocol import (
    SubjectVerdict,
    Verdict,
    eligibility_table,
    evaluate_eligibility,
    load_protocol,
)
from imaging.protocol.eligibility import GRADE_COLUMNS, RuleResult, split_grades
from imaging.protocol.loader import DEFAULT_PROTOCOL

LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")


FINDINGS = (
    ("L4-L5", "discography_single_painful_disc", "yes"), ("spine", "spondylitis", "no"),
    ("spine", "vertebral_fracture", "no"), ("spine", "severe_spinal_stenosis", "no"),
    ("spine", "severe_disc_herniation", "no"),
)  # fmt: skip
"""The reader-recorded findings of a subject the DLBP protocol may include."""
FINDINGS_PASS = {
    "discography_single_l4_l5": "pass", "spondylitis_or_fracture": "pass",
    "severe_stenosis_or_herniation": "pass",
}  # fmt: skip


def grades(subject: str, pfirrmann: str, cranial: str, caudal: str, **extra: str) -> list[dict]:
    """L4-L5 grades, and the findings of :data:`FINDINGS`."""
    reader = extra.get("reader", "R1")
    role = extra.get("role", "primary")
    cells = [("L4-L5", "pfirrmann", pfirrmann), ("L4-L5", "modic_cranial", cranial),
             ("L4-L5", "modic_caudal", caudal), *FINDINGS]  # fmt: skip
    return [
        {"subject": subject, "visit": extra.get("visit", "baseline"), "level": level,
         "item": item, "code": code, "reader": reader, "role": role}
        for level, item, code in cells
    ]  # fmt: skip


def measures(subject: str, loss: float, translation: float, angle: float) -> list[dict]:
    rows = [
        {"subject": subject, "visit": "BASELINE", "level": "L4-L5",
         "measure": "height_loss_vs_adjacent_pct", "value": loss, "unit": "%"}
    ]  # fmt: skip
    for level in LEVELS:
        t, a = (translation, angle) if level == "L4-L5" else (0.5, 6.0)
        rows.append({"subject": subject, "visit": "baseline", "level": level,
                     "measure": "translation_rom", "value": t, "unit": "mm"})  # fmt: skip
        rows.append({"subject": subject, "visit": "baseline", "level": level,
                     "measure": "angular_rom", "value": a, "unit": "deg"})  # fmt: skip
    return rows


def verdicts(result: object) -> dict[str, str]:
    return {r.rule_id: r.verdict.value for r in result.results}  # type: ignore[attr-defined]


def test_the_three_kinds_of_subject() -> None:
    grade_rows = (
        grades("DLBP-001", "4", "I", "I")
        + grades("DLBP-002", "4", "II", "0")
        + grades("DLBP-003", "2", "0", "0")
    )
    measure_rows = (
        measures("DLBP-001", 27.5, 1.2, 8.0)
        + measures("DLBP-002", 24.0, 4.1, 9.0)
        + measures("DLBP-003", 2.0, 1.0, 7.0)
    )
    results = {
        r.subject: r
        for r in evaluate_eligibility(
            load_protocol(), pd.DataFrame(grade_rows), pd.DataFrame(measure_rows)
        )
    }
    eligible = results["DLBP-001"]
    assert eligible.verdict is SubjectVerdict.ELIGIBLE
    assert verdicts(eligible) == {
        "modic_target": "pass", "pfirrmann_target": "pass", "height_loss_target": "pass",
        "dynamic_instability": "pass", **FINDINGS_PASS,
    }  # fmt: skip
    by_rule = {r.rule_id: r for r in eligible.results}
    loss = by_rule["height_loss_target"].values
    assert loss == "L4-L5 height_loss_vs_adjacent_pct 27.50 % (neutral film)"
    assert by_rule["pfirrmann_target"].values == "L4-L5 pfirrmann 4"
    assert "L4-L5 translation ROM 1.20 mm, angular ROM 8.00 deg" in (
        by_rule["dynamic_instability"].values
    )

    unstable = results["DLBP-002"]
    assert unstable.verdict is SubjectVerdict.NOT_ELIGIBLE
    assert verdicts(unstable)["dynamic_instability"] == "fail"
    assert unstable.reason == "fails dynamic_instability"

    healthy = results["DLBP-003"]
    assert healthy.verdict is SubjectVerdict.NOT_ELIGIBLE
    assert verdicts(healthy) == {
        "modic_target": "fail", "pfirrmann_target": "fail", "height_loss_target": "fail",
        "dynamic_instability": "pass", **FINDINGS_PASS,
    }  # fmt: skip


def test_missing_values_make_a_rule_not_evaluable_with_the_reason() -> None:
    measure_rows = measures("S", 25.0, 1.0, 5.0)
    measure_rows = [r for r in measure_rows if r["level"] != "L1-L2"]
    measure_rows[0] = {**measure_rows[0], "value": math.nan, "note": "missing L5 anterior_superior"}
    measure_rows.append({**measure_rows[0], "reader": "R2", "note": "film cut at L5"})
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(grades("S", "4", "I", "0")), pd.DataFrame(measure_rows)
    )
    assert result.verdict is SubjectVerdict.PENDING
    by_rule = {r.rule_id: r for r in result.results}
    assert by_rule["height_loss_target"].verdict is Verdict.NOT_EVALUABLE
    assert "not measured on the neutral film (film cut at L5; missing L5 anterior_superior)" in (
        by_rule["height_loss_target"].reason
    )
    assert by_rule["dynamic_instability"].verdict is Verdict.NOT_EVALUABLE
    assert "L1-L2 translation_rom: not measured" in by_rule["dynamic_instability"].reason


def test_instability_at_one_level_excludes_even_when_others_are_missing() -> None:
    rows = [r for r in measures("S", 25.0, 3.5, 5.0) if r["level"] in ("L4-L5",)]
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(grades("S", "4", "I", "0")), pd.DataFrame(rows)
    )
    assert verdicts(result)["dynamic_instability"] == "fail"
    assert result.verdict is SubjectVerdict.NOT_ELIGIBLE


def test_thresholds_are_strict_where_the_trial_says_so() -> None:
    rows = measures("S", 20.0, 3.0, 15.0)
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(grades("S", "3", "0", "II")), pd.DataFrame(rows)
    )
    assert verdicts(result) == {
        "modic_target": "pass", "pfirrmann_target": "pass", "height_loss_target": "pass",
        "dynamic_instability": "pass", **FINDINGS_PASS,
    }  # fmt: skip


def test_readers_who_disagree_need_adjudication_and_an_adjudicator_decides() -> None:
    rows = grades("S", "4", "I", "I", reader="R1") + grades("S", "2", "I", "I", reader="R2")
    measure_rows = pd.DataFrame(measures("S", 25.0, 1.0, 5.0))
    (result,) = evaluate_eligibility(load_protocol(), pd.DataFrame(rows), measure_rows)
    pfirrmann = next(r for r in result.results if r.rule_id == "pfirrmann_target")
    assert pfirrmann.verdict is Verdict.NOT_EVALUABLE
    assert "readers disagree (R1: 4, R2: 2); adjudication needed" in pfirrmann.reason
    rows += grades("S", "3", "I", "I", reader="R3", role="adjudicator")
    (result,) = evaluate_eligibility(load_protocol(), pd.DataFrame(rows), measure_rows)
    assert result.verdict is SubjectVerdict.ELIGIBLE


def test_only_the_eligibility_visit_counts() -> None:
    rows = grades("S", "2", "0", "0") + grades("S", "4", "I", "I", visit="month_6")
    (result,) = evaluate_eligibility(load_protocol(), pd.DataFrame(rows))
    assert verdicts(result)["pfirrmann_target"] == "fail"


@pytest.mark.parametrize("visit", [math.nan, None, 0, 6.0, "week 99", "Month 6"])
def test_rows_of_a_name_of_no_eligibility_visit_count_at_none(visit: object) -> None:
    # Not a string (a blank cell read as NaN or None, a number), or no visit of the protocol:
    # kept as written, so never taken for baseline; the baseline grade decides alone.
    rows = grades("S", "2", "0", "0") + grades("S", "4", "I", "I", visit=visit)  # type: ignore[arg-type]
    (result,) = evaluate_eligibility(load_protocol(), pd.DataFrame(rows))
    assert verdicts(result)["pfirrmann_target"] == "fail"
    assert verdicts(result)["modic_target"] == "fail"


@pytest.mark.parametrize("visit", ["Baseline", "BASELINE", " baseline "])
def test_a_visit_written_in_another_case_or_spacing_is_that_visit(visit: str) -> None:
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(grades("S", "4", "I", "I", visit=visit))
    )
    assert verdicts(result)["pfirrmann_target"] == "pass"


@pytest.mark.parametrize(
    ("left", "right", "verdict"),
    [("2", "2", "pass"), ("0", "3", "pass"), ("1", "2", "fail"), ("4", "", "pass"),
     ("2", "", "not evaluable")],
)  # fmt: skip
def test_modified_new_york_any_of_rule(left: str, right: str, verdict: str) -> None:
    rows = [
        {"subject": "AS-1", "visit": "baseline", "level": level, "item": "sacroiliitis",
         "code": code, "reader": "R1"}
        for level, code in (("SIJ-left", left), ("SIJ-right", right)) if code
    ]  # fmt: skip
    (result,) = evaluate_eligibility(load_protocol("as-ucmsc"), pd.DataFrame(rows))
    assert result.results[0].verdict.value == verdict


def test_eligibility_table_has_one_row_per_subject_and_rule() -> None:
    results = evaluate_eligibility(
        load_protocol(),
        pd.DataFrame(grades("A", "4", "I", "I") + grades("B", "1", "0", "0")),
        pd.DataFrame(measures("A", 30.0, 1.0, 5.0) + measures("B", 1.0, 1.0, 5.0)),
    )
    table = eligibility_table(results)
    assert list(table["subject"]) == ["A"] * 7 + ["B"] * 7
    assert list(table.columns[:6]) == ["subject", "visit", "rule", "role", "kind", "verdict"]
    assert set(table[table["subject"] == "A"]["subject_verdict"]) == {"eligible"}
    assert list(table["kind"][:7]) == [
        "grade_in", "grade_in", "measure_at_least", "instability", "finding", "finding", "finding",
    ]  # fmt: skip


def _loss_rows(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    """(film, reader, loss %, role) rows of S's L4-L5 height loss at baseline."""
    return pd.DataFrame(
        [
            {"subject": "S", "visit": "baseline", "level": "L4-L5", "film": film,
             "measure": "height_loss_vs_adjacent_pct", "value": value, "unit": "%",
             "reader": reader, "role": role, "calibration": "magnification-corrected"}
            for film, reader, value, role in rows
        ]
    )  # fmt: skip


def _loss_rule(rows: list[tuple[str, str, float, str]]) -> RuleResult:
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(grades("S", "4", "I", "0")), _loss_rows(rows)
    )
    return {r.rule_id: r for r in result.results}["height_loss_target"]


def test_height_loss_is_decided_on_the_neutral_film_averaged_over_readers_only() -> None:
    # The flexion film shows another loss: it must not enter the decision.
    one = _loss_rule([("neutral", "R1", 18.0, "primary"), ("flexion", "R1", 40.0, "primary"),
                      ("extension", "R1", 35.0, "primary")])  # fmt: skip
    assert one.verdict is Verdict.FAIL  # 18% on the standing film, below 20%
    assert one.values == "L4-L5 height_loss_vs_adjacent_pct 18.00 % (reader R1, neutral film)"
    two = _loss_rule([("neutral", "R1", 18.0, "primary"), ("neutral", "R2", 24.0, "primary"),
                      ("flexion", "R2", 60.0, "primary")])  # fmt: skip
    assert two.verdict is Verdict.PASS
    assert two.values == (
        "L4-L5 height_loss_vs_adjacent_pct 21.00 % (mean of 2 readers, neutral film)"
    )
    adjudicated = _loss_rule([("neutral", "R1", 18.0, "primary"),
                              ("neutral", "R2", 24.0, "secondary"),
                              ("neutral", "ADJ", 19.0, "adjudicator")])  # fmt: skip
    assert adjudicated.verdict is Verdict.FAIL
    assert "19.00 % (reader ADJ, neutral film)" in adjudicated.values


def test_a_slip_in_mm_on_an_uncorrected_scale_decides_nothing() -> None:
    rows = pd.DataFrame(
        [
            {"subject": "S", "visit": "baseline", "level": "L4-L5", "measure": measure,
             "value": value, "unit": unit, "film": "flexion-extension", "reader": "R1",
             "calibration": "detector"}
            for measure, value, unit in (("translation_rom", 3.2, "mm"),
                                         ("angular_rom", 6.0, "deg"))
        ]
    )  # fmt: skip
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(grades("S", "4", "I", "0")), rows
    )
    rule = {r.rule_id: r for r in result.results}["dynamic_instability"]
    assert rule.verdict is Verdict.NOT_EVALUABLE  # 3.2 "mm" may be 2.6 mm in the patient
    assert "detector pixel spacing, not corrected for magnification" in rule.reason
    assert "(the protocol names no accepted magnification factor)" in rule.reason
    # a pair of films: either film's uncorrected spacing makes the millimetres untrusted
    pair = rows.assign(calibration="magnification-corrected;detector")
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(grades("S", "4", "I", "0")), pair
    )
    rule = {r.rule_id: r for r in result.results}["dynamic_instability"]
    assert rule.verdict is Verdict.NOT_EVALUABLE
    corrected = rows.assign(calibration="magnification-corrected")
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(grades("S", "4", "I", "0")), corrected
    )
    rule = {r.rule_id: r for r in result.results}["dynamic_instability"]
    assert rule.verdict is Verdict.FAIL  # a trustworthy 3.2 mm slip excludes


def test_measures_alone_or_grades_alone_are_evaluated() -> None:
    (only_measures,) = evaluate_eligibility(
        load_protocol(), measures=pd.DataFrame(measures("S", 25.0, 1.0, 5.0))
    )
    assert verdicts(only_measures)["height_loss_target"] == "pass"
    assert verdicts(only_measures)["pfirrmann_target"] == "not evaluable"
    (only_grades,) = evaluate_eligibility(load_protocol(), pd.DataFrame(grades("S", "4", "I", "0")))
    assert verdicts(only_grades)["pfirrmann_target"] == "pass"
    assert verdicts(only_grades)["height_loss_target"] == "not evaluable"


@pytest.mark.parametrize(
    ("table", "column", "message"),
    [
        ("grades", "code", "the grades table lacks columns ['code']"),
        ("measures", "value", "the measures table lacks columns ['value']"),
    ],
)
def test_a_table_without_a_column_is_refused_naming_it(
    table: str, column: str, message: str
) -> None:
    frames = {
        "grades": pd.DataFrame(grades("S", "4", "I", "0")),
        "measures": pd.DataFrame(measures("S", 25.0, 1.0, 5.0)),
    }
    frames[table] = frames[table].drop(columns=[column])
    with pytest.raises(ValueError) as info:
        evaluate_eligibility(load_protocol(), frames["grades"], frames["measures"])
    assert str(info.value) == message


def test_endpoint_rows_split_into_grades_and_measures() -> None:
    # Endpoint table rows (docs/endpoint-table.md): a grade row has a grade code, a measure row
    # an empty or missing one.
    rows = pd.DataFrame(
        [
            {"subject": "S", "visit": "baseline", "level": "L4-L5", "measure": "pfirrmann",
             "grade": "4", "value": math.nan, "unit": "", "reader": "R1", "role": "primary",
             "note": "dark disc"},
            {"subject": "S", "visit": "baseline", "level": "L4-L5", "measure": "angular_rom",
             "grade": math.nan, "value": 6.0, "unit": "deg", "reader": "R1", "role": "primary",
             "note": ""},
            {"subject": "S", "visit": "baseline", "level": "L4-L5",
             "measure": "translation_rom", "grade": "", "value": 1.0, "unit": "mm",
             "reader": "R1", "role": "primary", "note": ""},
        ]
    )  # fmt: skip
    grade_rows, measure_rows = split_grades(rows)
    assert list(grade_rows.columns) == [*GRADE_COLUMNS, "role", "note"]
    assert grade_rows.to_dict("records") == [
        {"subject": "S", "visit": "baseline", "level": "L4-L5", "item": "pfirrmann",
         "code": "4", "reader": "R1", "role": "primary", "note": "dark disc"}
    ]  # fmt: skip
    assert list(measure_rows["measure"]) == ["angular_rom", "translation_rom"]
    bare, _ = split_grades(rows.drop(columns=["role", "note"]))
    assert list(bare.columns) == list(GRADE_COLUMNS)


def test_not_assessable_findings_quote_every_readers_comment_in_the_table() -> None:
    rows = []
    for reader, note in (
        ("R1", "film cut off at L3"), ("R2", "only L3-S1 shown"), ("R3", math.nan)
    ):  # fmt: skip
        for row in grades("S", "4", "I", "0", reader=reader):  # other rows: no note (NaN)
            spondylitis = row["item"] == "spondylitis"
            rows.append({**row, "code": "not_assessable", "note": note} if spondylitis else row)
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(rows), pd.DataFrame(measures("S", 25.0, 1.0, 5.0))
    )
    why = "spine spondylitis: not assessable (R1: 'film cut off at L3'; R2: 'only L3-S1 shown')"
    table = eligibility_table([result])
    assert table[table["rule"] == "spondylitis_or_fracture"].to_dict("records") == [
        {"subject": "S", "visit": "baseline", "rule": "spondylitis_or_fracture",
         "role": "exclusion", "kind": "finding", "verdict": "not evaluable",
         "values": "spine spondylitis not_assessable; spine vertebral_fracture no",
         "reason": why, "subject_verdict": "pending",
         "subject_reason": f"undecided: spondylitis_or_fracture ({why})",
         "text": result.results[5].text}
    ]  # fmt: skip
    assert table["text"].str.len().min() > 20  # every rule's own words, never empty


OTHER_LEVELS_ROM = "translation ROM 0.50 mm, angular ROM 6.00 deg"
FINDINGS_VALUES = {
    "discography_single_l4_l5": (
        "pass", "L4-L5 discography_single_painful_disc yes", "any of the findings recorded yes: met"
    ),
    "spondylitis_or_fracture": (
        "pass", "spine spondylitis no; spine vertebral_fracture no",
        "any of the findings recorded yes: not met",
    ),
    "severe_stenosis_or_herniation": (
        "pass", "spine severe_spinal_stenosis no; spine severe_disc_herniation no",
        "any of the findings recorded yes: not met",
    ),
}  # fmt: skip


def _rom_values(l45: str, skip_l12: bool = False) -> str:
    levels = [(lv, OTHER_LEVELS_ROM) for lv in LEVELS if not (skip_l12 and lv == "L1-L2")]
    return "; ".join(f"{lv} {l45 if lv == 'L4-L5' else rom}" for lv, rom in levels)


def test_the_eligibility_table_says_which_values_decided_and_why() -> None:
    """Every rule's verdict, values and reason as the eligibility table shows them."""
    grade_rows = (
        grades("A", "4", "I", "I") + grades("B", "4", "II", "0") + grades("C", "2", "0", "0")
        + grades("D", "4", "I", "I", reader="R1") + grades("D", "2", "I", "I", reader="R2")
        + grades("E", "4", "I", "0")
    )  # fmt: skip
    e_rows = [r for r in measures("E", 25.0, 1.0, 5.0) if r["level"] != "L1-L2"]
    e_rows[0] = {**e_rows[0], "value": math.nan, "note": "missing L5 anterior_superior"}
    measure_rows = (
        measures("A", 27.5, 1.2, 8.0) + measures("B", 24.0, 4.1, 9.0)
        + measures("C", 2.0, 1.0, 16.0) + measures("D", 25.0, 1.0, 5.0) + e_rows
    )  # fmt: skip
    table = eligibility_table(
        evaluate_eligibility(load_protocol(), pd.DataFrame(grade_rows), pd.DataFrame(measure_rows))
    )
    got = {(r.subject, r.rule): (r.verdict, r.values, r.reason) for r in table.itertuples()}
    modic, pfirrmann = (
        "any of the grades in [I, II, I/II, II/III]",
        "any of the grades in [3, 4, 5]",
    )
    loss, rom = (
        "height_loss_vs_adjacent_pct >= 20 %",
        "translation ROM > 3 mm or angular ROM > 15 deg",
    )
    expected = {
        "A": {
            "modic_target": (
                "pass", "L4-L5 modic_cranial I; L4-L5 modic_caudal I", f"{modic}: met"
            ),
            "pfirrmann_target": ("pass", "L4-L5 pfirrmann 4", f"{pfirrmann}: met"),
            "height_loss_target": (
                "pass", "L4-L5 height_loss_vs_adjacent_pct 27.50 % (neutral film)", f"{loss}: met"
            ),
            "dynamic_instability": (
                "pass", _rom_values("translation ROM 1.20 mm, angular ROM 8.00 deg"),
                f"{rom}: not met",
            ),
        },
        "B": {
            "modic_target": (
                "pass", "L4-L5 modic_cranial II; L4-L5 modic_caudal 0", f"{modic}: met"
            ),
            "dynamic_instability": (
                "fail", _rom_values("translation ROM 4.10 mm, angular ROM 9.00 deg"), f"{rom}: met"
            ),
        },
        "C": {
            "modic_target": (
                "fail", "L4-L5 modic_cranial 0; L4-L5 modic_caudal 0", f"{modic}: not met"
            ),
            "pfirrmann_target": ("fail", "L4-L5 pfirrmann 2", f"{pfirrmann}: not met"),
            "height_loss_target": (
                "fail", "L4-L5 height_loss_vs_adjacent_pct 2.00 % (neutral film)",
                f"{loss}: not met",
            ),
            "dynamic_instability": (
                "fail", _rom_values("translation ROM 1.00 mm, angular ROM 16.00 deg"), f"{rom}: met"
            ),
        },
        "D": {
            "pfirrmann_target": (
                "not evaluable", "",
                "L4-L5 pfirrmann: readers disagree (R1: 4, R2: 2); adjudication needed",
            ),
        },
        "E": {
            "height_loss_target": (
                "not evaluable", "",
                "L4-L5 height_loss_vs_adjacent_pct: not measured on the neutral film (missing L5 "
                "anterior_superior)",
            ),
            "dynamic_instability": (
                "not evaluable",
                _rom_values("translation ROM 1.00 mm, angular ROM 5.00 deg", skip_l12=True),
                "L1-L2 translation_rom: not measured on the flexion-extension film; L1-L2 "
                "angular_rom: not measured on the flexion-extension film",
            ),
        },
    }  # fmt: skip
    for subject, rules in expected.items():
        for rule, row in rules.items():
            assert got[(subject, rule)] == row, (subject, rule)
        for rule, row in FINDINGS_VALUES.items():
            assert got[(subject, rule)] == row, (subject, rule)


def test_an_any_of_condition_names_what_met_or_what_is_missing() -> None:
    codes = {"AS-1": ("2", "3"), "AS-2": ("1", "2"), "AS-3": ("2", "")}
    rows = [
        {"subject": subject, "visit": "baseline", "level": level, "item": "sacroiliitis",
         "code": code, "reader": "R1"}
        for subject, pair in codes.items()
        for level, code in zip(("SIJ-left", "SIJ-right"), pair, strict=True) if code
    ]  # fmt: skip
    table = eligibility_table(evaluate_eligibility(load_protocol("as-ucmsc"), pd.DataFrame(rows)))
    table = table[table["rule"] == "sacroiliitis_new_york"]
    both = "SIJ-left sacroiliitis {0}; SIJ-right sacroiliitis {1}"
    missing = "SIJ-right sacroiliitis: not graded"
    assert [(r.verdict, r.values, r.reason) for r in table.itertuples()] == [
        ("pass", "; ".join([both.format("2", "3")] * 2),
         "met by bilateral_grade_2, unilateral_grade_3"),
        ("fail", "; ".join([both.format("1", "2")] * 2),
         "none of bilateral_grade_2, unilateral_grade_3 met"),
        ("not evaluable", "SIJ-left sacroiliitis 2; SIJ-left sacroiliitis 2",
         f"bilateral_grade_2: {missing}; unilateral_grade_3: {missing}"),
    ]  # fmt: skip
    assert set(table["visit"]) == {"baseline"}


def test_an_empty_eligibility_table_keeps_its_columns() -> None:
    assert list(eligibility_table([]).columns) == [
        "subject", "visit", "rule", "role", "kind", "verdict", "values", "reason",
        "subject_verdict", "subject_reason", "text",
    ]  # fmt: skip


def test_a_readers_repeated_values_count_once_in_the_mean() -> None:
    # R1 measured twice (18 and 22: 20), R2 once (24): the mean of the readers is 22, not 21.3.
    rule = _loss_rule([("neutral", "R1", 18.0, "primary"), ("neutral", "R1", 22.0, "primary"),
                       ("neutral", "R2", 24.0, "primary")])  # fmt: skip
    assert rule.values == (
        "L4-L5 height_loss_vs_adjacent_pct 22.00 % (mean of 2 readers, neutral film)"
    )


def test_an_all_of_rule_over_two_levels_names_each_missing_grade(tmp_path: Path) -> None:
    # pfirrmann_target over L3-L4 and L4-L5, every level required; height loss at either level.
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    for old, new in (
        ('levels = ["L4-L5"]\nvalues = [3, 4, 5]', 'levels = ["L3-L4", "L4-L5"]\nmatch = "all"\n'
                                                   "values = [3, 4, 5]"),
        ('"height_loss_vs_adjacent_pct"\nlevels = "target"',
         '"height_loss_vs_adjacent_pct"\nlevels = ["L3-L4", "L4-L5"]'),
    ):  # fmt: skip
        assert old in text
        text = text.replace(old, new, 1)
    (tmp_path / "protocol.toml").write_text(text, encoding="utf-8")
    l34 = {"visit": "baseline", "level": "L3-L4", "item": "pfirrmann", "reader": "R1"}
    # C: L4-L5 Pfirrmann an empty cell (NaN), spondylitis not recorded, L4-L5 angle not measured
    c_grades = [
        {**r, "code": math.nan} if r["item"] == "pfirrmann" else r
        for r in grades("C", "", "I", "0") if r["item"] != "spondylitis"
    ]  # fmt: skip
    grade_rows = [
        *grades("A", "4", "I", "0"), {**l34, "subject": "A", "code": "3"},
        *grades("B", "4", "I", "0"), {**l34, "subject": "B", "code": "2"}, *c_grades,
    ]  # fmt: skip
    measure_rows = [
        *measures("A", 25.0, 1.0, 5.0), *measures("B", 25.0, 3.5, 20.0),
        *[r for r in measures("C", 25.0, 1.0, 5.0)
          if (r["level"], r["measure"]) != ("L4-L5", "angular_rom")],
    ]  # fmt: skip
    results = evaluate_eligibility(
        load_protocol(tmp_path / "protocol.toml"),
        pd.DataFrame(grade_rows),
        pd.DataFrame(measure_rows),
    )
    table = eligibility_table(results).set_index(["subject", "rule"])
    decided = [(s, r, *table.loc[(s, r), ["verdict", "values", "reason"]]) for s, r in (
        ("A", "pfirrmann_target"), ("B", "pfirrmann_target"), ("C", "pfirrmann_target"),
        ("A", "height_loss_target"), ("C", "spondylitis_or_fracture"),
    )]  # fmt: skip
    assert decided == [
        ("A", "pfirrmann_target", "pass", "L3-L4 pfirrmann 3; L4-L5 pfirrmann 4",
         "all of the grades in [3, 4, 5]: met everywhere"),
        ("B", "pfirrmann_target", "fail", "L3-L4 pfirrmann 2; L4-L5 pfirrmann 4",
         "all of the grades in [3, 4, 5]: not met everywhere"),
        ("C", "pfirrmann_target", "not evaluable", "",
         "L3-L4 pfirrmann: not graded; L4-L5 pfirrmann: not graded"),
        # L3-L4 not measured: L4-L5 still decides (any of the two levels)
        ("A", "height_loss_target", "pass",
         "L4-L5 height_loss_vs_adjacent_pct 25.00 % (neutral film)",
         "height_loss_vs_adjacent_pct >= 20 %: met"),
        # a finding not recorded adds no value; the one recorded is listed
        ("C", "spondylitis_or_fracture", "not evaluable", "spine vertebral_fracture no",
         "spine spondylitis: not recorded"),
    ]  # fmt: skip
    verdict, values, reason = table.loc[
        ("C", "dynamic_instability"), ["verdict", "values", "reason"]
    ]
    assert verdict == "not evaluable"
    assert "; L4-L5 translation ROM 1.00 mm; L5-S1" in str(values)  # the angle unknown
    assert reason == "L4-L5 angular_rom: not measured on the flexion-extension film"
    subjects = {s.subject: (s.verdict.value, s.reason) for s in results}
    assert subjects["A"] == ("eligible", "meets every imaging criterion")
    assert subjects["B"] == ("not eligible", "fails pfirrmann_target, dynamic_instability")
    assert subjects["C"] == (
        "pending",
        "undecided: pfirrmann_target (L3-L4 pfirrmann: not graded; L4-L5 pfirrmann: not graded); "
        "dynamic_instability (L4-L5 angular_rom: not measured on the flexion-extension film); "
        "spondylitis_or_fracture (spine spondylitis: not recorded)",
    )
