"""The report's plots, drawn with matplotlib's object API (no pyplot state) and returned as PNG.

Visits are categorical on the x axis in protocol order; each disc level keeps one colour in every
plot, the trial's target level drawn thicker. A value missing at a visit (not read, or refused for
want of calibration) is a gap in the line, never a zero.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from imaging.anatomy import DiscLevel
from imaging.measures import MEASURES
from imaging.report.data import ReportData
from imaging.report.statistics import level_key, preferred_film

LEVEL_COLOURS = dict(
    zip(
        [level.value for level in DiscLevel],
        ["#7f7f7f", "#1f77b4", "#2ca02c", "#9467bd", "#d62728", "#ff7f0e"],
        strict=True,
    )
)
PFIRRMANN_TICKS = (1, 2, 3, 4, 5)
PFIRRMANN_LABELS = ("I", "II", "III", "IV", "V")
MINIMUM_SPAN = {"mm": 1.0, "%": 5.0, "deg": 2.0, "grade": 2.0}
"""Smallest y range of a change-from-baseline panel, in the panel's unit."""
MEASURE_PANELS = (
    "disc_height_mean",
    "height_loss_vs_adjacent_pct",
    "angular_rom",
    "translation_rom",
)
"""The measures plotted per subject and for the cohort (titles and units from the registry)."""
PANEL_THRESHOLDS = {
    "height_loss_vs_adjacent_pct": "height_loss_pct",
    "angular_rom": "instability_angle_deg",
    "translation_rom": "instability_translation_mm",
}
"""The protocol's ``[thresholds]`` entry drawn on a measure's panel, when the protocol sets it."""


@dataclass(frozen=True)
class Panel:
    """One measure to plot: its name in the table, a title, the axis unit and a threshold.

    ``threshold_name`` is the protocol's ``[thresholds]`` entry the panel shows; ``threshold`` its
    value in the protocol recorded with the batch, None when that protocol sets none.
    """

    measure: str
    title: str
    unit: str
    threshold: float | None = None
    threshold_name: str = ""

    @classmethod
    def of_measure(cls, data: ReportData, name: str) -> Panel:
        """The panel of a registry measure, with its threshold from the batch's protocol."""
        measure = MEASURES[name]
        key = PANEL_THRESHOLDS.get(name, "")
        return cls(name, measure.title, measure.unit, data.threshold(key) if key else None, key)

    @property
    def threshold_label(self) -> str:
        """'height_loss_pct 20 %'; '' without a threshold."""
        if self.threshold is None:
            return ""
        return f"{self.threshold_name} {self.threshold:g} {self.unit}"

    @property
    def threshold_missing(self) -> bool:
        """The panel has a threshold to show but the protocol sets none."""
        return bool(self.threshold_name) and self.threshold is None


PFIRRMANN_PANEL = Panel("pfirrmann", "Pfirrmann grade (T2 MRI)", "grade")
NO_THRESHOLD = "no threshold in the protocol"


def panels(data: ReportData) -> tuple[Panel, ...]:
    """The per-subject panels, thresholds from the protocol recorded in the provenance."""
    return (*(Panel.of_measure(data, name) for name in MEASURE_PANELS), PFIRRMANN_PANEL)


def threshold_note(data: ReportData) -> str:
    """Which threshold lines the plots draw, and which the batch's protocol does not set."""
    chosen = [p for p in panels(data) if p.threshold_name]
    drawn = [f"{p.title}: {p.threshold_label}" for p in chosen if p.threshold is not None]
    missing = [p for p in chosen if p.threshold_missing]
    sentences = []
    if drawn:
        sentences.append(f"Dashed lines: the protocol's thresholds ({'; '.join(drawn)}).")
    if missing:
        names = ", ".join(p.threshold_name for p in missing)
        titles = ", ".join(p.title for p in missing)
        sentences.append(
            f"The protocol recorded with this batch sets no {names} in [thresholds]: no "
            f"threshold line is drawn on {titles}."
        )
    return " ".join(sentences)


def measure_by_visit(
    table: pd.DataFrame, measure: str, visits: Sequence[str], column: str = "value"
) -> pd.DataFrame:
    """``column`` of one measure as a visit x level frame (visits in order, NaN where missing).

    When a measure was taken on several films of a visit the neutral film wins; several readers
    are averaged.
    """
    rows = preferred_film(table[table["measure"] == measure])
    if rows.empty:
        return pd.DataFrame(index=list(visits))
    frame = rows.pivot_table(index="visit", columns="level", values=column, aggfunc="mean")
    levels = sorted(frame.columns, key=level_key)
    return frame.reindex(index=list(visits), columns=levels)


def subject_figure(data: ReportData, subject: str) -> bytes | None:
    """Per-subject measures over visits as a PNG, one panel per measure; None when none."""
    figure = subject_plot(data, subject)
    return None if figure is None else png(figure)


def subject_plot(data: ReportData, subject: str) -> Figure | None:
    """The figure of :func:`subject_figure`."""
    table = data.endpoints[data.endpoints["subject"] == subject]
    chosen = [(p, measure_by_visit(table, p.measure, data.visits)) for p in panels(data)]
    chosen = [(p, f) for p, f in chosen if f.notna().to_numpy().any()]
    if not chosen:
        return None
    columns = 2
    rows = (len(chosen) + columns - 1) // columns
    figure = Figure(figsize=(11, 3.3 * rows), layout="constrained")
    figure.suptitle(f"Subject {subject}", fontsize=14, fontweight="bold")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis, (panel, frame) in zip(axes, chosen, strict=False):
        _plot_levels(axis, frame, panel, data.target_level)
        style_axis(axis, panel.title, panel.unit, [data.visit_label(v) for v in data.visits])
    for axis in axes[len(chosen) :]:
        axis.set_axis_off()
    # One legend for all panels, in the spare panel or below them, so it never hides a value.
    labels: dict[str, Any] = {}
    for axis in axes[: len(chosen)]:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            labels.setdefault(label, handle)
    ordered = sorted(labels, key=lambda label: level_key(label.split()[0]))
    handles = [labels[label] for label in ordered]
    if len(chosen) < len(axes):
        axes[-1].legend(handles, ordered, loc="center", title="Disc level", frameon=False)
    else:
        figure.legend(
            handles, ordered, loc="outside lower center", ncols=len(ordered), frameon=False
        )
    return figure


def change_from_baseline(
    table: pd.DataFrame, measure: str, level: str, visits: Sequence[str]
) -> pd.DataFrame:
    """Visit x subject frame of the table's ``change_from_baseline`` (computed once, by
    :mod:`imaging.endpoints.baseline`) for one measure and level."""
    rows = table[(table["measure"] == measure) & (table["level"] == level)]
    if rows.empty or not visits:
        return pd.DataFrame(index=list(visits))
    per_subject = {
        subject: measure_by_visit(group, measure, visits, "change_from_baseline").get(level)
        for subject, group in rows.groupby("subject")
    }
    frame = pd.DataFrame({s: v for s, v in per_subject.items() if v is not None})
    return frame.reindex(index=list(visits))


def _plot_levels(axis: Axes, frame: pd.DataFrame, panel: Panel, target: str | None) -> None:
    positions = np.arange(len(frame.index))
    # Grades are few discrete values: offset the levels a little so that equal grades stay visible.
    offsets = np.linspace(-0.12, 0.12, len(frame.columns)) if panel.unit == "grade" else None
    for index, level in enumerate(frame.columns):
        values = frame[level].to_numpy(dtype=float)
        if offsets is not None:
            values = values + offsets[index]
        if not np.isfinite(values).any():
            continue
        is_target = level == target
        axis.plot(
            positions,
            values,
            color=LEVEL_COLOURS.get(level, "black"),
            lw=2.8 if is_target else 1.3,
            marker="o",
            ms=6 if is_target else 4,
            label=f"{level} (target)" if is_target else level,
            zorder=3 if is_target else 2,
        )
    if panel.threshold_missing:
        # Above the plot, where it never hides a value.
        axis.set_title(NO_THRESHOLD, loc="right", fontsize=8, color="#757575", style="italic")
    if panel.threshold is not None:
        axis.axhline(panel.threshold, color="#b22222", ls="--", lw=1)
        axis.annotate(
            panel.threshold_label,
            (1, panel.threshold),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 3),
            textcoords="offset points",
            ha="right",
            fontsize=8,
            color="#b22222",
        )
    if panel.measure == "pfirrmann":
        axis.set_yticks(PFIRRMANN_TICKS, PFIRRMANN_LABELS)
        axis.set_ylim(0.5, 5.5)


def style_axis(axis: Axes, title: str, unit: str, visits: Sequence[str]) -> None:
    axis.set_title(title, fontsize=11, loc="left")
    axis.set_ylabel(unit)
    axis.set_xticks(np.arange(len(visits)), [str(v) for v in visits], rotation=25, ha="right")
    axis.set_xlim(-0.4, max(len(visits) - 0.6, 0.4))
    axis.grid(axis="y", color="#e0e0e0", lw=0.8)
    axis.spines[["top", "right"]].set_visible(False)


def at_least(axis: Axes, span: float) -> None:
    """Widen the y axis to ``span`` around its data, so rounding noise is not drawn as change."""
    low, high = axis.get_ylim()
    if high - low < span:
        middle = (low + high) / 2
        axis.set_ylim(middle - span / 2, middle + span / 2)


def delta_unit(unit: str) -> str:
    return {"%": "percentage points", "grade": "grades"}.get(unit, unit)


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()
