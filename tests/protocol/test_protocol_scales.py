"""Scales are data: the built-in Pfirrmann, Modic and modified Pfirrmann files; bad scale files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imaging.errors import ProtocolError
from imaging.protocol import evaluate_eligibility, load_protocol, load_scale
from imaging.protocol.loader import DEFAULT_PROTOCOL
from imaging.protocol.scales import BUILTIN_SCALES

BUILTIN_PFIRRMANN = BUILTIN_SCALES / "pfirrmann.toml"


def test_pfirrmann_has_the_five_grades_of_the_2001_paper_with_their_criteria() -> None:
    scale = load_scale("pfirrmann")
    assert scale.codes == ("1", "2", "3", "4", "5")
    assert [g.label for g in scale.grades] == ["Grade I", "Grade II", "Grade III", "Grade IV",
                                               "Grade V"]  # fmt: skip
    assert [g.score for g in scale.grades] == [1.0, 2.0, 3.0, 4.0, 5.0]
    criteria = {g.code: dict(g.criteria) for g in scale.grades}
    assert criteria["1"]["structure"] == "homogeneous, bright white"
    assert criteria["3"]["nucleus annulus distinction"] == "unclear"
    assert criteria["4"]["disc height"] == "normal to moderately decreased"
    assert criteria["5"]["disc height"] == "collapsed disc space"
    assert "Spine 2001" in scale.reference


@pytest.mark.parametrize(
    ("answers", "grade"),
    [
        ([True], "1"),
        ([False, True], "2"),
        ([False, False, True], "3"),
        ([False, False, False, False], "4"),
        ([False, False, False, True], "5"),
    ],
)
def test_pfirrmann_decision_algorithm_first_yes_sets_the_grade(
    answers: list[bool], grade: str
) -> None:
    scale = load_scale("pfirrmann")
    assert len(scale.decision) == 4
    assert scale.decision[0].question.startswith("Is the disc a homogeneous, bright white")
    assert scale.decide(answers).code == grade


# The questions of the Pfirrmann (2001) algorithm read literally against one grade's row of the
# table (written here independently of the scale file's own yes_when).
LITERAL_ANSWERS = {
    "Is the disc a homogeneous, bright white structure?": (
        lambda row: row["structure"] == "homogeneous, bright white"
    ),
    "Is the disc an inhomogeneous white structure, with or without horizontal bands?": (
        lambda row: (
            row["structure"].startswith("inhomogeneous")
            and row["signal intensity"].startswith("hyperintense")
        )  # white
    ),
    "Is the distinction between nucleus and annulus unclear (still there, but not clear; "
    "not lost)?": lambda row: row["nucleus annulus distinction"] == "unclear",
    "Is the disc space collapsed?": lambda row: "collapsed" in row["disc height"],
}


def decision_paths(steps: int) -> list[list[bool]]:
    """Every way through a "first yes sets the grade" algorithm of ``steps`` questions."""
    return [[False] * n + [True] for n in range(steps)] + [[False] * steps]


def test_pfirrmann_questions_answered_literally_from_each_row_reach_that_row() -> None:
    scale = load_scale("pfirrmann")
    assert [step.question for step in scale.decision] == list(LITERAL_ANSWERS)
    reached = {}
    for path in decision_paths(len(scale.decision)):
        grade = scale.decide(path)
        # the rows whose literal answers take this path: exactly the grade it leads to
        rows = [
            g.code
            for g in scale.grades
            if [LITERAL_ANSWERS[s.question](dict(g.criteria)) for s in scale.decision][: len(path)]
            == path
        ]
        assert rows == [grade.code], (path, grade.label)
        reached[grade.code] = path
        # the scale file says the same of every question it asks on this path
        assert [s.answer(grade) for s in scale.decision[: len(path)]] == path
    assert sorted(reached) == list(scale.codes)  # every path walked, every grade reached
    assert reached["3"] == [False, False, True]  # unclear distinction: grade III
    row_1 = dict(scale.grade(1).criteria)
    assert not LITERAL_ANSWERS[scale.decision[2].question](row_1)  # clear is not grade III


def test_a_question_contradicting_the_table_is_refused(tmp_path: Path) -> None:
    """The 2001 table's grade III has an unclear distinction: asking "clear?" -> III is wrong."""
    text = BUILTIN_PFIRRMANN.read_text("utf-8")
    wrong = text.replace(
        'question = "Is the distinction between nucleus and annulus unclear (still there, but '
        'not clear; not lost)?"\ncriterion = "nucleus_annulus_distinction"\nyes_when = '
        '["unclear"]',
        'question = "Is there a clear distinction between nucleus and annulus?"\n'
        'criterion = "nucleus_annulus_distinction"\nyes_when = ["clear"]',
    )
    assert wrong != text
    path = tmp_path / "pfirrmann.toml"
    path.write_text(wrong, "utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_scale(path)
    message = str(caught.value)
    assert "answered literally from Grade III's criteria" in message
    assert "nucleus annulus distinction 'unclear': no" in message
    assert "lead to Grade IV" in message
    assert caught.value.line == line_of(wrong, "[[decision]]")


def test_a_yes_description_no_grade_gives_is_refused(tmp_path: Path) -> None:
    text = BUILTIN_PFIRRMANN.read_text("utf-8").replace(
        'yes_when = ["collapsed disc space"]', 'yes_when = ["collapsed"]'
    )
    path = tmp_path / "pfirrmann.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(ProtocolError, match=r"answers yes for \['collapsed'\]") as caught:
        load_scale(path)
    assert "'collapsed disc space'" in str(caught.value)  # the descriptions to choose from
    assert caught.value.line == line_of(text, 'yes_when = ["collapsed"]')


def test_grades_accept_their_spellings_and_refuse_others() -> None:
    pfirrmann, modic = load_scale("pfirrmann"), load_scale("modic")
    assert pfirrmann.grade("IV").code == "4"
    assert pfirrmann.grade(4).code == "4"
    assert pfirrmann.grade(4.0).code == "4"
    assert modic.grade("i/ii").code == "I/II"
    assert modic.grade("2").code == "II"
    with pytest.raises(ValueError, match=r"'6' is not a grade of the Pfirrmann scale"):
        pfirrmann.grade(6)
    with pytest.raises(ValueError, match=r"'IV' is not a grade of the Modic scale; valid: 0, I"):
        modic.grade("IV")


def test_modic_is_nominal_with_the_mixed_types() -> None:
    modic = load_scale("modic")
    assert modic.codes == ("0", "I", "II", "III", "I/II", "II/III")
    assert not modic.ordered
    assert all(g.score is None for g in modic.grades)
    assert modic.site == "endplate"
    assert dict(modic.grade("I").criteria) == {"T1": "hypointense", "T2": "hyperintense"}


@pytest.mark.parametrize(
    ("cranial", "caudal", "verdict"),
    [("II/III", "0", "pass"), ("0", "I/II", "pass"), ("III", "0", "fail"), ("0", "0", "fail")],
)
def test_dlbp_counts_mixed_modic_types_with_a_type_i_or_ii_component(
    cranial: str, caudal: str, verdict: str
) -> None:
    protocol = load_protocol()
    rule = next(r for r in protocol.rules if r.id == "modic_target")
    assert "mixed type with a type I or II component (I/II, II/III) counts" in rule.text
    grades = pd.DataFrame(
        [
            {"subject": "S", "visit": "baseline", "level": "L4-L5", "item": item, "code": code,
             "reader": "R1", "role": "primary"}
            for item, code in (("modic_cranial", cranial), ("modic_caudal", caudal))
        ]
    )  # fmt: skip
    (result,) = evaluate_eligibility(protocol, grades)
    by_rule = {r.rule_id: r for r in result.results}
    assert by_rule["modic_target"].verdict.value == verdict


def test_a_new_scale_is_a_protocol_edit_not_a_code_change(tmp_path: Path) -> None:
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    text = text.replace('pfirrmann = "pfirrmann"', 'pfirrmann = "modified-pfirrmann"')
    text = text.replace("values = [3, 4, 5]", "values = [5, 6, 7, 8]")
    path = tmp_path / "modified.toml"
    path.write_text(text, encoding="utf-8")
    protocol = load_protocol(path)
    scale = protocol.item("pfirrmann").scale
    assert scale.id == "modified-pfirrmann"
    assert scale.codes == tuple(str(n) for n in range(1, 9))
    assert scale.grade(8).code == "8"
    rule = next(r for r in protocol.rules if r.id == "pfirrmann_target")
    assert rule.values == ("5", "6", "7", "8")  # type: ignore[union-attr]


SCALE = """id = "demo"
name = "Demo"
[[grades]]
code = 1
label = "one"
score = 1
aliases = ["A"]
[[grades]]
code = 2
label = "two"
score = 2
aliases = ["B"]
"""


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (('aliases = ["B"]', 'aliases = ["A"]'), None, "spelling 'A' of grade '2' is already used"),
        (("score = 2", "score = 1"), None, "scores must increase"),
        (('label = "two"', 'label = "two"\ncolor = 3'), "color = 3", "unknown key 'color'"),
        (("score = 2", 'score = "2"'), 'score = "2"', "score must be a number"),
        (("code = 2", "code = [2]"), "code = [2]", "a grade needs a code"),
        (("[[grades]]\ncode = 2", "[[grades]\ncode = 2"), "[[grades]\n", "not valid TOML"),
    ],
)
def test_bad_scale_files_are_refused_with_the_line_and_the_reason(
    tmp_path: Path, edit: tuple[str, str], where: str | None, message: str
) -> None:
    text = SCALE.replace(*edit)
    path = tmp_path / "demo.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_scale(path)
    assert message in str(caught.value)
    assert caught.value.path == str(path)
    if where is not None:
        assert caught.value.line == line_of(text, where)
        assert f"line {caught.value.line}" in str(caught.value)


def line_of(text: str, snippet: str) -> int:
    """1-based line on which ``snippet`` starts."""
    return text[: text.index(snippet)].count("\n") + 1


def test_a_decision_question_leading_to_no_grade_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "demo.toml"
    text = SCALE + '[[decision]]\nquestion = "Dark?"\nyes = 3\nno = 1\n'
    path.write_text(text, "utf-8")
    with pytest.raises(ProtocolError, match="leads to unknown grade '3'") as caught:
        load_scale(path)
    assert caught.value.line == line_of(text, "[[decision]]")


def test_unknown_builtin_scale_names_the_builtins() -> None:
    with pytest.raises(ProtocolError, match=r"no built-in scale named 'pfirman'.*modic"):
        load_scale("pfirman")
