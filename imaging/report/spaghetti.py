"""Spaghetti plots: change from baseline by visit at one disc level, one figure per level.

Each subject is a labelled line (legend up to :data:`LEGEND_SUBJECTS`), a visit the subject lacks
an x at the bottom of the axes, the mean bold with its t-based 95 % CI
(:func:`imaging.report.statistics.mean_ci`), n under each visit, axes in the measure's unit.
Grades are never averaged (shift tables instead), so only continuous measures are drawn.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from imaging.report.data import ReportData
from imaging.report.figures import (
    MINIMUM_SPAN,
    Panel,
    at_least,
    change_from_baseline,
    delta_unit,
    panels,
    png,
    style_axis,
)
from imaging.report.statistics import level_key, mean_ci

LEGEND_SUBJECTS = 30
"""Up to this many subjects a plot names each in its legend."""


def plotted_levels(data: ReportData) -> list[str]:
    """The levels with a change from baseline to plot, in anatomical order."""
    table = data.endpoints
    changed = table.loc[table["change_from_baseline"].notna() & (table["level"] != ""), "level"]
    return sorted(changed.astype(str).unique(), key=level_key)


def level_changes(data: ReportData, level: str) -> list[tuple[Panel, pd.DataFrame]]:
    """Each continuous panel's visit x subject change frame at ``level`` that holds a value."""
    chosen = []
    for panel in panels(data):
        if panel.unit == "grade":
            continue
        changes = change_from_baseline(data.endpoints, panel.measure, level, data.visits)
        if changes.notna().to_numpy().any():
            chosen.append((panel, changes))
    return chosen


def level_figure(data: ReportData, level: str) -> bytes | None:
    """The spaghetti plot of ``level`` as a PNG; None without a change to plot."""
    chosen = level_changes(data, level)
    if not chosen or not data.visits:
        return None
    target = " (target level)" if level == data.target_level else ""
    rows = (len(chosen) + 1) // 2
    figure = Figure(figsize=(11, 3.3 * rows), layout="constrained")
    figure.suptitle(
        f"Change from {data.visit_label(data.visits[0])} at {level}{target}, all subjects read\n"
        "(bold black: mean with 95% CI; x at the bottom: visit missing)",
        fontsize=12,
        fontweight="bold",
    )
    axes = figure.subplots(rows, 2, squeeze=False).ravel()
    positions = np.arange(len(data.visits))
    colours = matplotlib.colormaps["tab10"]
    for axis, (panel, changes) in zip(axes, chosen, strict=False):
        bottom = blended_transform_factory(axis.transData, axis.transAxes)
        for index, subject in enumerate(changes.columns):
            colour = colours(index % 10)
            values = changes[subject].to_numpy(dtype=float)
            axis.plot(positions, values, color=colour, lw=1, marker=".", alpha=0.85, label=subject)
            gaps = positions[~np.isfinite(values)]
            axis.plot(gaps, np.full(len(gaps), 0.03), "x", color=colour, transform=bottom)
        bounds = [mean_ci(changes.loc[visit].dropna().to_numpy(float)) for visit in changes.index]
        mean = np.array([b[0] for b in bounds])
        low = np.nan_to_num(mean - np.array([b[1] for b in bounds]))
        high = np.nan_to_num(np.array([b[2] for b in bounds]) - mean)
        # Black: never the colour of a subject's line (tab10) nor of a level elsewhere.
        axis.errorbar(positions, mean, yerr=[low, high], color="black", lw=2.6, marker="o",
                      capsize=4, label="mean (95% CI)", zorder=4)  # fmt: skip
        axis.axhline(0, color="black", lw=0.8)
        at_least(axis, MINIMUM_SPAN.get(panel.unit, 1.0))
        count = changes.notna().sum(axis=1)
        labels = [
            f"{data.visit_label(visit)}\nn={n}" for visit, n in zip(data.visits, count, strict=True)
        ]
        style_axis(axis, f"{panel.title}: change", delta_unit(panel.unit), labels)
    handles, names = axes[0].get_legend_handles_labels()
    if len(names) <= LEGEND_SUBJECTS + 1:
        figure.legend(handles, names, loc="outside lower center", ncols=min(len(names), 6),
                      frameon=False, title="Subject")  # fmt: skip
    for axis in axes[len(chosen) :]:
        axis.set_visible(False)
    return png(figure)


def alt_text(data: ReportData, level: str) -> str:
    """What a reader who cannot see the plot of ``level`` is told it shows."""
    measures = ", ".join(panel.title for panel, _ in level_changes(data, level))
    target = " (the target level)" if level == data.target_level else ""
    return (
        f"Change from baseline by visit at {level}{target} ({measures}): one line per subject "
        "(legend), the mean with its 95% confidence interval in bold black, a missing visit as "
        "an x at the bottom, n under each visit; y axes in the measure's unit"
    )
