"""Protocols name measures of the registry: a typo or a wrong unit is refused where written."""

from __future__ import annotations

from pathlib import Path

import pytest

from imaging.errors import ProtocolError
from imaging.measures import MEASURES
from imaging.protocol import MeasureRule, Role, load_protocol
from imaging.protocol.loader import DEFAULT_PROTOCOL

ANY_OF_RULE = """
[[eligibility.rules]]
id = "motion_or_slip"
role = "exclusion"
kind = "any_of"

[[eligibility.rules.rules]]
id = "large_angle"
kind = "measure_above"
measure = "angular_rom"
levels = "target"
threshold = 20

[[eligibility.rules.rules]]
id = "large_slip"
kind = "measure_above"
measure = "translaton_rom"
levels = "target"
threshold = 4
"""


def write_protocol(tmp_path: Path, old: str, new: str, extra: str = "") -> tuple[Path, str]:
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1) + extra
    path = tmp_path / "protocol.toml"
    path.write_text(text, encoding="utf-8")
    return path, text


def line_of(text: str, snippet: str) -> int:
    return text[: text.index(snippet)].count("\n") + 1


def refusal(path: Path) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    return caught.value


def test_a_misspelled_measure_is_refused_with_file_line_key_and_the_nearest_name(
    tmp_path: Path,
) -> None:
    typo = 'measure = "height_los_vs_adjacent_pct"'
    path, text = write_protocol(tmp_path, 'measure = "height_loss_vs_adjacent_pct"', typo)

    error = refusal(path)

    line = line_of(text, typo)
    assert (error.line, error.key) == (line, "eligibility.rules[2].measure")
    assert str(error).startswith(f"{path}: line {line} (eligibility.rules[2].measure): ")
    assert "unknown measure 'height_los_vs_adjacent_pct'" in str(error)
    assert "did you mean 'height_loss_vs_adjacent_pct'?" in str(error)
    assert "?." not in str(error)


def test_a_misspelled_measure_inside_any_of_names_the_sub_rule(tmp_path: Path) -> None:
    path, text = write_protocol(tmp_path, "", "", ANY_OF_RULE)

    error = refusal(path)

    assert error.line == line_of(text, 'measure = "translaton_rom"')
    assert error.key == f"eligibility.rules[{len(load_protocol().rules)}].rules[1].measure"
    assert "did you mean 'translation_rom'?" in str(error)


def test_a_name_like_no_measure_lists_the_known_ones(tmp_path: Path) -> None:
    path, _ = write_protocol(
        tmp_path, 'measure = "height_loss_vs_adjacent_pct"', 'measure = "bone_density"'
    )

    error = refusal(path)

    assert "unknown measure 'bone_density'" in str(error)
    assert "did you mean" not in str(error)
    assert all(name in str(error) for name in MEASURES)
    assert "docs/measures.md" in str(error)


def test_a_unit_other_than_the_registrys_is_refused(tmp_path: Path) -> None:
    path, text = write_protocol(tmp_path, 'unit = "%"', 'unit = "mm"')

    error = refusal(path)

    rule = text[text.index('id = "height_loss_target"') :]  # the first unit = "mm" of the rule
    line = line_of(text, rule) + line_of(rule, 'unit = "mm"') - 1
    assert (error.line, error.key) == (line, "eligibility.rules[2].unit")
    assert "unit 'mm' is not the unit of height_loss_vs_adjacent_pct, which is '%'" in str(error)


def test_a_rule_without_a_unit_takes_the_registrys(tmp_path: Path) -> None:
    path, _ = write_protocol(tmp_path, 'unit = "%"\n', "")

    (rule,) = [r for r in load_protocol(path).rules if isinstance(r, MeasureRule)]

    assert rule.unit == MEASURES["height_loss_vs_adjacent_pct"].unit == "%"


def test_a_rule_built_in_code_is_checked_too() -> None:
    with pytest.raises(ProtocolError, match="did you mean 'disc_height_mean'"):
        MeasureRule(
            id="low_disc",
            role=Role.INCLUSION,
            text="",
            measure="disc_heigth_mean",
            levels=("L4-L5",),
        )


def test_measurement_settings_are_checked_with_their_line(tmp_path: Path) -> None:
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    for wrong, expected in (
        ('loss_height = "disc_height_mean"', "did you mean"),
        ("normal = [1, 2]", "are not grades of"),
    ):
        bad = text.replace(
            wrong,
            'loss_height = "disc_heigth_mean"' if "loss" in wrong else "normal = [1, 9]",
        )
        path = tmp_path / "protocol.toml"
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ProtocolError) as error:
            load_protocol(path)
        message = str(error.value)
        assert expected in message and str(path) in message and "line " in message
