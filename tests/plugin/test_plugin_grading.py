"""The grade form: normalised values, validation before submit, decision questions; no display."""

from __future__ import annotations

import pytest
from napari_spine_endpoints._model.grading import GradeForm

from imaging.protocol.model import GradingItem
from imaging.protocol.scales import load_scale

LEVELS = ("L3-L4", "L4-L5", "L5-S1")


@pytest.fixture
def form() -> GradeForm:
    pfirrmann, modic = load_scale("pfirrmann"), load_scale("modic")
    return GradeForm(
        [
            GradingItem("pfirrmann", pfirrmann, LEVELS),
            GradingItem("modic_cranial", modic, LEVELS),
            GradingItem("modic_caudal", modic, LEVELS),
        ]
    )


def _fill(form: GradeForm, level: str) -> None:
    form.set_grade(level, "pfirrmann", 3)
    form.set_grade(level, "modic_cranial", "0")
    form.set_grade(level, "modic_caudal", "0")


def test_values_are_normalised_to_scale_codes(form: GradeForm) -> None:
    form.set_grade("L4-L5", "pfirrmann", "IV")
    form.set_grade("L4-L5", "modic_cranial", "i/ii")
    assert form.values[("L4-L5", "pfirrmann")] == "4"
    assert form.values[("L4-L5", "modic_cranial")] == "I/II"
    grade = form.grade("L4-L5", "pfirrmann")
    assert grade is not None and grade.label == "Grade IV"
    assert dict(grade.criteria)["disc height"] == "normal to moderately decreased"


def test_values_off_the_scale_are_refused(form: GradeForm) -> None:
    with pytest.raises(ValueError, match="not a grade of the Pfirrmann scale"):
        form.set_grade("L4-L5", "pfirrmann", 6)
    with pytest.raises(ValueError, match="not a grade of the Modic"):
        form.set_grade("L4-L5", "modic_caudal", "IV")
    with pytest.raises(ValueError, match="not graded here"):
        form.set_grade("L1-L2", "pfirrmann", 2)
    assert form.values == {}


def test_submit_is_blocked_until_every_grade_is_given_or_explained(form: GradeForm) -> None:
    assert len(form.problems()) == 3
    _fill(form, "L3-L4")
    _fill(form, "L4-L5")
    form.set_grade("L5-S1", "pfirrmann", 2)
    assert form.problems() == [
        "L5-S1: no modic_cranial, modic_caudal grade; grade it or give the reason it cannot be "
        "graded"
    ]
    form.set_reason("L5-S1", "endplates outside the field of view")
    assert form.is_complete
    form.set_grade("L4-L5", "pfirrmann", None)
    assert not form.is_complete


def test_decision_questions_set_the_grade(form: GradeForm) -> None:
    # Homogeneous bright white? no. Inhomogeneous white with bands? no. Unclear distinction of
    # nucleus and annulus? no (lost). Collapsed disc space? yes -> V (Pfirrmann 2001 algorithm)
    grade = form.decide("L4-L5", "pfirrmann", [False, False, False, True])
    assert grade.code == "5"
    assert form.values[("L4-L5", "pfirrmann")] == "5"


def test_levels_move_and_rows_come_out_in_protocol_order(form: GradeForm) -> None:
    assert form.current_level == "L3-L4"
    form.next_level()
    form.next_level()
    form.next_level()
    assert form.current_level == "L5-S1"
    form.previous_level()
    assert form.current_level == "L4-L5"
    _fill(form, "L4-L5")
    form.set_comment("L4-L5", "annular fissure")
    rows = form.rows()
    assert [r["level"] for r in rows] == list(LEVELS)
    assert rows[1] == {
        "level": "L4-L5",
        "pfirrmann": "3",
        "modic_cranial": "0",
        "modic_caudal": "0",
        "reason": None,
        "comment": "annular fissure",
    }


def test_load_restores_a_draft(form: GradeForm) -> None:
    form.load({("L4-L5", "pfirrmann"): "IV", ("T12-L1", "pfirrmann"): "2"}, {"L5-S1": "artefact"})
    assert form.values == {("L4-L5", "pfirrmann"): "4"}
    assert form.reasons == {"L5-S1": "artefact"}


def test_grade_keys_set_the_current_item_then_move_on(form: GradeForm) -> None:
    """1-5 Pfirrmann, 0-3 Modic: each key sets the current item and moves to the next; after a
    level's last item the next level; a key off the scale sets nothing and says why."""
    assert form.current_item.name == "pfirrmann"
    assert form.grade_by_key("4")[2].code == "4"  # Pfirrmann grade IV
    assert form.current_item.name == "modic_cranial"
    with pytest.raises(ValueError, match="'7' is not a grade of the Modic"):
        form.grade_by_key("7")
    assert form.current_item.name == "modic_cranial" and len(form.values) == 1
    form.grade_by_key("1")
    assert form.grade_by_key("0")[:2] == ("L3-L4", "modic_caudal")
    assert form.values == {
        ("L3-L4", "pfirrmann"): "4", ("L3-L4", "modic_cranial"): "I",
        ("L3-L4", "modic_caudal"): "0",
    }  # fmt: skip
    assert (form.current_level, form.current_item.name) == ("L4-L5", "pfirrmann")
    form.previous_level()  # G / Shift-G start a level at its first item
    assert (form.current_level, form.current_item.name) == ("L3-L4", "pfirrmann")
