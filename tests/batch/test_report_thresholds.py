"""The report's measures, titles and units come from the registry; thresholds only from the
protocol recorded with the batch: none recorded, no line drawn, and the report says so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from imaging.measures import MEASURES
from imaging.report import load, write_report
from imaging.report.figures import NO_THRESHOLD, Panel, panels, subject_plot

PROTOCOL_THRESHOLDS = {
    "height_loss_pct": 20.0,
    "instability_translation_mm": 3.0,
    "instability_angle_deg": 15.0,
}


def record_thresholds(folder: Path, thresholds: dict[str, float] | None) -> Path:
    """Rewrite provenance.json as if the batch's protocol had these [thresholds] (or none)."""
    path = folder / "provenance.json"
    provenance = json.loads(path.read_text())
    provenance["protocol"].pop("thresholds", None)
    if thresholds is not None:
        provenance["protocol"]["thresholds"] = thresholds
    path.write_text(json.dumps(provenance))
    return folder


def panel(folder: Path, measure: str) -> Panel:
    (found,) = [p for p in panels(load(folder)) if p.measure == measure]
    return found


def dashed_lines(axis: Axes) -> list[float]:
    """The heights of the dashed horizontal lines (thresholds) of a panel."""
    dashed = [line for line in axis.get_lines() if line.get_linestyle() == "--"]
    return [float(np.asarray(line.get_ydata())[0]) for line in dashed]


def axis_titled(folder: Path, title: str) -> Axes:
    figure = subject_plot(load(folder), "S001")
    assert figure is not None
    (axis,) = [a for a in figure.axes if a.get_title(loc="left") == title]
    return axis


def test_panels_take_title_and_unit_from_the_registry(fake_batch_output: Path) -> None:
    for found in panels(load(fake_batch_output)):
        if found.measure in MEASURES:
            measure = MEASURES[found.measure]
            assert (found.title, found.unit) == (measure.title, measure.unit)


def test_thresholds_are_the_recorded_protocols(fake_batch_output: Path) -> None:
    record_thresholds(fake_batch_output, {**PROTOCOL_THRESHOLDS, "height_loss_pct": 25.0})

    assert panel(fake_batch_output, "height_loss_vs_adjacent_pct").threshold == 25.0
    assert panel(fake_batch_output, "angular_rom").threshold == 15.0
    assert panel(fake_batch_output, "translation_rom").threshold == 3.0
    title = MEASURES["height_loss_vs_adjacent_pct"].title
    assert dashed_lines(axis_titled(fake_batch_output, title)) == [25.0]
    write_report(fake_batch_output)
    page = (fake_batch_output / "subjects" / "S001.html").read_text(encoding="utf-8")
    assert "Dashed lines: the protocol&#x27;s thresholds" in page
    assert f"{title}: height_loss_pct 25 %" in page
    assert "sets no" not in page


def test_without_protocol_thresholds_no_line_is_drawn_and_the_report_says_so(
    fake_batch_output: Path,
) -> None:
    record_thresholds(fake_batch_output, None)

    for measure in ("height_loss_vs_adjacent_pct", "angular_rom", "translation_rom"):
        found = panel(fake_batch_output, measure)
        assert found.threshold is None and found.threshold_missing
    for measure in ("height_loss_vs_adjacent_pct", "angular_rom"):
        axis = axis_titled(fake_batch_output, MEASURES[measure].title)
        assert dashed_lines(axis) == []
        assert axis.get_title(loc="right") == NO_THRESHOLD
    write_report(fake_batch_output)
    page = (fake_batch_output / "subjects" / "S001.html").read_text(encoding="utf-8")
    assert (
        "The protocol recorded with this batch sets no height_loss_pct, instability_angle_deg, "
        "instability_translation_mm in [thresholds]: no threshold line is drawn" in page
    )
    assert "Dashed lines" not in page


def test_a_protocol_setting_some_thresholds_draws_only_those(fake_batch_output: Path) -> None:
    record_thresholds(fake_batch_output, {"height_loss_pct": 20.0})

    loss = MEASURES["height_loss_vs_adjacent_pct"].title
    rom = MEASURES["angular_rom"].title
    assert dashed_lines(axis_titled(fake_batch_output, loss)) == [20.0]
    assert axis_titled(fake_batch_output, loss).get_title(loc="right") == ""
    assert dashed_lines(axis_titled(fake_batch_output, rom)) == []
    assert axis_titled(fake_batch_output, rom).get_title(loc="right") == NO_THRESHOLD
    write_report(fake_batch_output)
    page = (fake_batch_output / "subjects" / "S001.html").read_text(encoding="utf-8")
    assert f"{loss}: height_loss_pct 20 %" in page
    assert "sets no instability_angle_deg, instability_translation_mm in [thresholds]" in page
