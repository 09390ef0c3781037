"""The reading design a protocol pre-specifies (``[reading]``): the DLBP values a core lab uses,
and refusals that name the file, the line, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from imaging.errors import ProtocolError
from imaging.protocol import load_protocol
from imaging.protocol.loader import DEFAULT_PROTOCOL
from imaging.protocol.qualification import Qualification, QualificationLimit
from imaging.protocol.reading_design import GradeTrigger, MeasureTrigger, Repeats


def _refusal(tmp_path: Path, old: str, new: str) -> tuple[ProtocolError, str]:
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "trial.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    return caught.value, text


def _line(text: str, snippet: str) -> int:
    return text[: text.index(snippet)].count("\n") + 1


def test_the_dlbp_protocol_reads_twice_and_adjudicates_as_a_core_lab_does() -> None:
    design = load_protocol().reading_design

    assert design.reads_per_case == 2
    assert design.eligibility_items and design.eligibility_verdict
    assert design.grades == (
        GradeTrigger(("pfirrmann",), ("L4-L5",), apart=1),
        GradeTrigger(
            ("modic_cranial", "modic_caudal"), ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
        ),
    )
    assert design.measures == (
        MeasureTrigger("disc_height_mean", ("L4-L5",), 1.0, "mm", "neutral"),
    )
    assert design.repeats == Repeats(0.1, 28)


def test_a_protocol_without_a_design_reads_once() -> None:
    assert load_protocol("as-ucmsc").reading_design.reads_per_case == 1


def test_apart_on_a_nominal_scale_is_refused_where_it_is_written(tmp_path: Path) -> None:
    old = 'items = ["modic_cranial", "modic_caudal"]\nlevels = "all"'
    error, text = _refusal(tmp_path, old, old + "\napart = 1")

    assert error.path == str(tmp_path / "trial.toml")
    assert (error.line, error.key) == (
        _line(text, old) + 2,
        "reading.adjudication.grades[1].apart",
    )
    assert "item 'modic_cranial' is graded on the nominal scale 'modic'" in str(error)
    assert "Remove apart" in str(error)


def test_a_unit_other_than_the_measures_is_refused(tmp_path: Path) -> None:
    error, text = _refusal(tmp_path, 'more_than = 1.0\nunit = "mm"', 'more_than = 1.0\nunit = "%"')

    assert (error.line, error.key) == (
        _line(text, 'unit = "%"'),
        "reading.adjudication.measures[0].unit",
    )
    assert "disc_height_mean is measured in 'mm', not '%'" in str(error)


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("reads_per_case = 2", "reads_per_case = 3", "reading.reads_per_case",
         "reads_per_case must be 1 or 2, got 3"),
        ("reads_per_case = 2", "reads_per_case = 1", "reading.adjudication",
         "[reading.adjudication] needs two reads per case, but reads_per_case is 1"),
        ("fraction = 0.1", "fraction = 0", "reading.repeats.fraction",
         "fraction must be more than 0 and at most 1, got 0"),
        ("after_days = 28", "after_days = 0", "reading.repeats.after_days",
         "after_days must be 1 or more, got 0"),
        ('measure = "disc_height_mean"', 'measure = "disc_hieght"',
         "reading.adjudication.measures[0].measure", "unknown measure 'disc_hieght'"),
        ('items = ["pfirrmann"]\nlevels = "target"', 'items = ["pfirmann"]\nlevels = "target"',
         "reading.adjudication.grades[0].items[0]", "item 'pfirmann' is not declared"),
    ],
)  # fmt: skip
def test_a_wrong_design_is_refused_naming_the_key(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    error, _ = _refusal(tmp_path, old, new)

    assert error.key == key
    assert message in str(error)
    assert "trial.toml" in str(error)


QUALIFICATION = """after_days = 28

[reading.qualification]
id = "dlbp-q1"
subjects = ["QUAL-01", "QUAL-02", "QUAL-03"]
reference_reader = "reference"

[[reading.qualification.limits]]
name = "pfirrmann"
pooled = true
statistic = "percent_exact"
at_least = 80

[[reading.qualification.limits]]
name = "disc_height_mean"
levels = "target"
statistic = "bland_altman_bias"
at_most = 0.5
"""


def _qualifying(tmp_path: Path, old: str = "", new: str = "") -> Path:
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8").replace("after_days = 28", QUALIFICATION)
    assert old in text
    path = tmp_path / "trial.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_qualification_set_is_read_with_its_limits(tmp_path: Path) -> None:
    found = load_protocol(_qualifying(tmp_path)).reading_design.qualification

    assert found == Qualification(
        "dlbp-q1", ("QUAL-01", "QUAL-02", "QUAL-03"), "reference",
        (QualificationLimit("pfirrmann", "", ("all",), "percent_exact", 80.0, True),
         QualificationLimit("disc_height_mean", "neutral", ("L4-L5",), "bland_altman_bias", 0.5,
                            False)),
    )  # fmt: skip
    assert (
        found.limits[1].text("L4-L5")
        == "disc_height_mean (neutral) L4-L5 |bland_altman_bias| <= 0.5 mm"
    )
    assert load_protocol().reading_design.qualification is None  # the DLBP seed names none


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ('statistic = "percent_exact"', 'statistic = "icc"',
         "reading.qualification.limits[0].statistic",
         "unknown statistic 'icc' for pfirrmann. Statistics for pfirrmann: kappa, percent_exact"),
        ("at_most = 0.5", "at_least = 0.5", "reading.qualification.limits[1].at_least",
         "bland_altman_bias is limited from above: write at_most"),
        ('name = "pfirrmann"', 'name = "body_height_anterior"',
         "reading.qualification.limits[0].name",
         "'body_height_anterior' is neither a grading item"),
        ('subjects = ["QUAL-01", "QUAL-02", "QUAL-03"]', 'subjects = ["QUAL-01", "QUAL-01"]',
         "reading.qualification.subjects", "subjects lists a subject twice"),
        ('name = "pfirrmann"\npooled = true',
         'name = "modic_cranial"\npooled = true\nlevels = "all"',
         "reading.qualification.limits[0].levels", "pooled = true checks all levels at once"),
    ],
)  # fmt: skip
def test_a_wrong_qualification_is_refused_naming_file_line_and_key(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    path = _qualifying(tmp_path, old, new)
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)

    assert caught.value.key == key
    assert caught.value.path == str(path)
    written = path.read_text(encoding="utf-8")
    assert caught.value.line == _line(written, new) + new.count("\n")  # the new key's line
    assert message in str(caught.value)
