"""Scales are data: the built-in Pfirrmann, Modic and modified Pfirrmann files; bad scale files."""

from __future__ import annotations

from pathlib import Path

import pytest

from imaging.errors import ProtocolError
from imaging.protocol import load_protocol, load_scale
from imaging.protocol.loader import DEFAULT_PROTOCOL


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
