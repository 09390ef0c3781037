"""Findings the reader records (yes / no / not assessable): items per case or per level, read at
some visits only, and the eligibility rules that rest on them (issue 12 item 9)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from imaging.errors import GradeValueError, ProtocolError
from imaging.protocol import (
    CASE_SITE,
    FindingRule,
    Role,
    SubjectVerdict,
    Verdict,
    evaluate_eligibility,
    load_protocol,
)
from imaging.protocol.grade_forms import columns, grade_csv_text, long_grades, parse_grade_csv

DEFAULT = Path(load_protocol().source)
MET = {
    ("L4-L5", "pfirrmann"): "4", ("L4-L5", "modic_cranial"): "I", ("L4-L5", "modic_caudal"): "0",
    ("L4-L5", "discography_single_painful_disc"): "yes", ("spine", "spondylitis"): "no",
    ("spine", "vertebral_fracture"): "no", ("spine", "severe_spinal_stenosis"): "no",
    ("spine", "severe_disc_herniation"): "no",
}  # fmt: skip
"""Every graded or recorded criterion of the DLBP protocol met."""


def grade_rows(cells: dict[tuple[str, str], str], notes: dict[str, str] | None = None) -> list:
    return [
        {"subject": "S", "visit": "baseline", "level": level, "item": item, "code": code,
         "reader": "R1", "role": "primary", "note": (notes or {}).get(level, "")}
        for (level, item), code in cells.items()
    ]  # fmt: skip


def measure_rows(loss: float = 25.0, translation: float = 1.0) -> list:
    rows = [
        {"subject": "S", "visit": "baseline", "level": "L4-L5", "film": "neutral",
         "measure": "height_loss_vs_adjacent_pct", "value": loss, "unit": "%", "reader": "R1",
         "calibration": "magnification-corrected"}
    ]  # fmt: skip
    for level in load_protocol().levels:
        for measure, value, unit in (("translation_rom", translation, "mm"),
                                     ("angular_rom", 5.0, "deg")):  # fmt: skip
            rows.append(
                {"subject": "S", "visit": "baseline", "level": level, "film": "flexion-extension",
                 "measure": measure, "value": value if level == "L4-L5" else 0.5, "unit": unit,
                 "reader": "R1", "calibration": "magnification-corrected"}
            )  # fmt: skip
    return rows


def evaluate(cells: dict[tuple[str, str], str], **kwargs: object) -> object:
    notes = kwargs.pop("notes", None)
    (result,) = evaluate_eligibility(
        load_protocol(),
        pd.DataFrame(grade_rows(cells, notes)),  # type: ignore[arg-type]
        pd.DataFrame(measure_rows(**kwargs)),  # type: ignore[arg-type]
    )
    return result


def by_rule(result: object) -> dict[str, object]:
    return {r.rule_id: r for r in result.results}  # type: ignore[attr-defined]


def test_the_dlbp_protocol_holds_every_imaging_criterion_of_the_seed() -> None:
    protocol = load_protocol()
    findings = [r for r in protocol.rules if isinstance(r, FindingRule)]
    assert [(r.id, r.role, r.items, r.levels) for r in findings] == [
        ("discography_single_l4_l5", Role.INCLUSION, ("discography_single_painful_disc",),
         ("L4-L5",)),
        ("spondylitis_or_fracture", Role.EXCLUSION, ("spondylitis", "vertebral_fracture"),
         (CASE_SITE,)),
        ("severe_stenosis_or_herniation", Role.EXCLUSION,
         ("severe_spinal_stenosis", "severe_disc_herniation"), (CASE_SITE,)),
    ]  # fmt: skip
    texts = {r.id: r.text for r in findings}  # the protocol's own words, quoted
    assert "only one disc of L4-5 level with similar pain as usual" in texts[findings[0].id]
    assert '"Patients with spondylitis or vertebral fractures."' in texts["spondylitis_or_fracture"]
    assert "severe lumbar spinal stenosis or prolapse of the lumbar NP resulting in severe nerve " \
        "compression" in texts["severe_stenosis_or_herniation"]  # fmt: skip
    for name in ("discography_single_painful_disc", "spondylitis", "vertebral_fracture"):
        item = protocol.item(name)
        assert item.scale.id == "finding" and not item.scale.ordered
        assert item.scale.codes == ("yes", "no", "not_assessable")
        assert item.visits == ("baseline",) and item.visits_text() == "baseline only"
    assert protocol.sites == (*protocol.levels, "spine")
    assert protocol.level("SPINE") == "spine"
    assert [i.name for i in protocol.items_at_visit("month_6")] == [
        "pfirrmann", "modic_cranial", "modic_caudal",
    ]  # fmt: skip


def test_every_criterion_met_and_decided_is_eligible() -> None:
    result = evaluate(MET)
    assert result.verdict is SubjectVerdict.ELIGIBLE  # type: ignore[attr-defined]
    assert result.reason == "meets every imaging criterion"  # type: ignore[attr-defined]
    rules = by_rule(result)
    assert rules["discography_single_l4_l5"].values == (  # type: ignore[attr-defined]
        "L4-L5 discography_single_painful_disc yes"
    )


def test_discography_not_assessable_leaves_the_subject_pending_naming_it() -> None:
    cells = {**MET, ("L4-L5", "discography_single_painful_disc"): "not_assessable"}
    result = evaluate(cells, notes={"L4-L5": "discography report not received"})
    assert result.verdict is SubjectVerdict.PENDING  # type: ignore[attr-defined]
    rule = by_rule(result)["discography_single_l4_l5"]
    assert rule.verdict is Verdict.NOT_EVALUABLE  # type: ignore[attr-defined]
    assert rule.reason == (  # type: ignore[attr-defined]
        "L4-L5 discography_single_painful_disc: not assessable "
        "(R1: 'discography report not received')"
    )
    reason = result.reason  # type: ignore[attr-defined]
    assert reason.startswith("undecided: discography_single_l4_l5 (L4-L5 discography")
    assert "meets every imaging criterion" not in reason
    others = [r for r in result.results if r.rule_id != "discography_single_l4_l5"]  # type: ignore[attr-defined]
    assert {r.verdict for r in others} == {Verdict.PASS}


def test_a_finding_not_recorded_leaves_the_subject_pending() -> None:
    cells = {k: v for k, v in MET.items() if k[0] != "spine"}
    result = evaluate(cells)
    assert result.verdict is SubjectVerdict.PENDING  # type: ignore[attr-defined]
    assert "spondylitis_or_fracture (spine spondylitis: not recorded; spine vertebral_fracture: " \
        "not recorded)" in result.reason  # type: ignore[attr-defined]  # fmt: skip
    assert "severe_stenosis_or_herniation" in result.reason  # type: ignore[attr-defined]


def test_a_fracture_excludes_whatever_else_is_undecided() -> None:
    cells = {**MET, ("spine", "vertebral_fracture"): "yes"}
    del cells[("L4-L5", "discography_single_painful_disc")]
    result = evaluate(cells, loss=float("nan"))
    assert result.verdict is SubjectVerdict.NOT_ELIGIBLE  # type: ignore[attr-defined]
    assert result.reason == "fails spondylitis_or_fracture"  # type: ignore[attr-defined]
    rule = by_rule(result)["spondylitis_or_fracture"]
    assert rule.verdict is Verdict.FAIL  # type: ignore[attr-defined]
    assert rule.values == "spine spondylitis no; spine vertebral_fracture yes"  # type: ignore[attr-defined]


def test_a_negative_discography_fails_the_inclusion() -> None:
    result = evaluate({**MET, ("L4-L5", "discography_single_painful_disc"): "no"})
    assert result.verdict is SubjectVerdict.NOT_ELIGIBLE  # type: ignore[attr-defined]
    assert result.reason == "fails discography_single_l4_l5"  # type: ignore[attr-defined]


def test_readers_disagreeing_on_a_finding_need_adjudication() -> None:
    rows = grade_rows(MET) + [
        {**row, "reader": "R2", "code": "yes" if row["item"] == "spondylitis" else row["code"]}
        for row in grade_rows(MET)
    ]
    (result,) = evaluate_eligibility(
        load_protocol(), pd.DataFrame(rows), pd.DataFrame(measure_rows())
    )
    assert result.verdict is SubjectVerdict.PENDING
    assert "spine spondylitis: readers disagree (R1: no, R2: yes)" in result.reason


FORM = ",".join(columns(load_protocol())) + "\n"


def parse(text: str) -> list:
    return parse_grade_csv(io.StringIO(text), load_protocol(), "grades.csv")


def test_a_finding_graded_at_a_visit_where_it_is_not_read_is_refused() -> None:
    text = FORM + "DLBP-001,month_6,spine,R1,,,,,yes,,,,fracture healed\n"
    with pytest.raises(GradeValueError) as caught:
        parse(text)
    assert caught.value.problems == [
        (2, "spondylitis 'yes': spondylitis is read at baseline only, not at month_6")
    ]
    wrong_level = FORM + "DLBP-001,baseline,L3-L4,R1,,,,yes,,,,,\n"
    with pytest.raises(GradeValueError) as caught:
        parse(wrong_level)
    assert caught.value.problems == [
        (2, "discography_single_painful_disc 'yes': discography_single_painful_disc is not read "
            "at L3-L4"),
    ]  # fmt: skip


def test_a_findings_form_round_trips_in_canonical_spelling() -> None:
    text = (
        "subject,visit,level,reader,discography_single_painful_disc,spondylitis,"
        "vertebral_fracture,severe_spinal_stenosis,severe_disc_herniation,comment\n"
        "DLBP-001,BASELINE,spine,R1,,No,n,Not assessable,absent,no axial T2\n"
        "DLBP-001,baseline,L4-5,R1,Y,,,,,\n"
    )
    rows = parse(text)
    assert [r.level for r in rows] == ["spine", "L4-L5"]
    assert rows[0].grades == (
        ("spondylitis", "no"), ("vertebral_fracture", "no"),
        ("severe_spinal_stenosis", "not_assessable"), ("severe_disc_herniation", "no"),
    )  # fmt: skip
    assert not rows[0].carries("pfirrmann") and rows[0].carries("comment")
    assert list(long_grades(rows)["note"]) == ["no axial T2"] * 4 + [""]
    written = grade_csv_text(rows, load_protocol())
    assert written.splitlines()[1:] == [
        "DLBP-001,baseline,L4-L5,R1,,,,yes,,,,,",
        "DLBP-001,baseline,spine,R1,,,,,no,no,not_assessable,no,no axial T2",
    ]
    assert grade_csv_text(parse(written), load_protocol()) == written


def _protocol_text(old: str, new: str) -> str:
    text = DEFAULT.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _refusal(tmp_path: Path, text: str) -> ProtocolError:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    return caught.value


def test_protocol_mistakes_about_findings_are_refused_with_the_key(tmp_path: Path) -> None:
    error = _refusal(tmp_path, _protocol_text('visits = ["baseline"]', 'visits = ["screening"]'))
    assert "visits ['screening'] are not visits of the protocol" in error.reason
    assert error.key is not None and error.key.endswith(".visits")

    error = _refusal(tmp_path, _protocol_text('levels = ["spine"]', 'levels = ["thorax"]'))
    assert "level 'thorax' is not among the levels read" in error.reason
    assert error.fix is not None and "'spine' (once per case)" in error.fix

    error = _refusal(
        tmp_path,
        _protocol_text('items = ["discography_single_painful_disc"]', 'items = ["pfirrmann"]'),
    )
    assert "item 'pfirrmann' is graded on Pfirrmann, which has no grade 'yes' or 'no'" in (
        error.reason
    )

    eligibility = '[eligibility]\nvisit = "baseline"'
    error = _refusal(
        tmp_path, _protocol_text(eligibility, eligibility.replace("baseline", "month_1"))
    )
    assert "is read at baseline only, not at the eligibility visit 'month_1'" in error.reason
