"""``spine-endpoints measures`` prints the measure registry, as a table or as JSON."""

from __future__ import annotations

import json

import pytest

from imaging.cli import main
from imaging.measures import MEASURES


def test_measures_prints_every_measure_with_unit_title_method_and_source(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["measures"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["measure", "unit", "title", "method", "source"]
    assert len(lines) == 1 + len(MEASURES)
    for line, measure in zip(lines[1:], MEASURES.values(), strict=True):
        assert line.split()[:2] == [measure.name, measure.unit]
        for text in (measure.title, measure.method, measure.source):
            assert text in line


def test_measures_json_has_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["measures", "--json", "height_loss_vs_adjacent_pct", "angular_rom"]) == 0

    loss, rom = json.loads(capsys.readouterr().out)
    assert loss["name"] == "height_loss_vs_adjacent_pct"
    assert (loss["unit"], loss["decimals"], loss["kind"]) == ("%", 1, "disc")
    assert loss["heading"] == MEASURES["height_loss_vs_adjacent_pct"].heading
    assert rom["films"] == ["flexion-extension"]
    assert {"vertebra": "upper", "corner": "posterior_inferior"} in rom["corners"]
    assert rom["source"] == MEASURES["angular_rom"].source


def test_measures_refuses_a_misspelled_name_with_the_nearest_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["measures", "translaton_rom"]) == 2

    error = capsys.readouterr().err
    assert "unknown measure 'translaton_rom'; did you mean 'translation_rom'?" in error
