"""The report's "Individual change" section: each subject's change at the target level against the
smallest detectable change (:mod:`imaging.report.sdc`), as a table and a waterfall plot.

Per continuous measure: a table of every subject's change at each follow-up visit with its class
(beyond the SDC upwards or downwards, within it, missing), and a waterfall of the changes at the
last follow-up visit (one bar per subject, sorted, the ±SDC band shaded). Without an SDC the
section says so: bars without a band, no class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from imaging.report import sdc as sdc_module
from imaging.report.data import ReportData
from imaging.report.figures import delta_unit, panels, png
from imaging.report.markup import escape, html_table, img_tag
from imaging.report.page import Section
from imaging.report.sdc import Sdc, changes_at, classification, find_sdc

CLASS_COLOURS = {
    sdc_module.INCREASE: "#1f77b4",
    sdc_module.DECREASE: "#d62728",
    sdc_module.WITHIN: "#9e9e9e",
}
NO_SDC_COLOUR = "#607d8b"
AGREEMENT_HINT = (
    "Write it from the double reads with <code>spine-endpoints agreement --out "
    "DIR/agreement.csv</code> and rerun <code>spine-endpoints report DIR</code>."
)


def last_visit(changes: pd.DataFrame) -> str | None:
    """The last follow-up visit at which some subject has a change."""
    present = [visit for visit in changes.columns if changes[visit].notna().any()]
    return str(present[-1]) if present else None


def waterfall_figure(changes: pd.Series, title: str, unit: str, sdc: Sdc | None) -> bytes:
    """One bar per subject with a change (largest first), the ±SDC band when known, as a PNG."""
    values = changes.dropna().sort_values(ascending=False)
    figure = Figure(figsize=(max(5.0, 1.0 + 0.35 * len(values)), 3.6), layout="constrained")
    axis = figure.subplots()
    positions = np.arange(len(values))
    if sdc is None:
        colours = [NO_SDC_COLOUR] * len(values)
    else:
        colours = [CLASS_COLOURS[sdc_module.classify(float(v), sdc.value)] for v in values]
        axis.axhspan(-sdc.value, sdc.value, color="#fff3c4", zorder=0, label=sdc.label)
        for edge in (-sdc.value, sdc.value):
            axis.axhline(edge, color="#b8860b", ls="--", lw=0.9)
    axis.bar(positions, values.to_numpy(float), color=colours, zorder=2)
    axis.axhline(0, color="black", lw=0.8)
    axis.set_xticks(
        positions, [str(s) for s in values.index], rotation=90 if len(values) > 8 else 0
    )
    axis.set_xlabel(f"subject (n={len(values)})")
    axis.set_ylabel(delta_unit(unit))
    axis.set_title(title, fontsize=11, loc="left")
    if sdc is not None:
        axis.legend(loc="upper right", frameon=False, fontsize=8)
    axis.spines[["top", "right"]].set_visible(False)
    return png(figure)


def individual_section(data: ReportData, agreement: pd.DataFrame) -> Section:
    """The section: per measure at the target level, classification table and waterfall."""
    level = data.target_level
    out = ['<h2 id="individual">Individual change against measurement error</h2>']
    if level is None:
        out.append(
            "<p>The protocol recorded with this batch names no target level: no individual "
            "change is classified.</p>"
        )
        return Section("individual", "Individual change", "\n".join(out))
    out.append(
        f"<p>Each subject's change from baseline at the target level {escape(level)} against the "
        "smallest detectable change (SDC = 1.96 × √2 × SEM) of <code>agreement.csv</code>: a "
        "change whose absolute value exceeds the SDC is larger than the readers' disagreement "
        "(95%); one that does not is within measurement error. Inter-reader SDC preferred, the "
        "largest over reader pairs.</p>"
    )
    if agreement.empty:
        out.append(
            "<p><b>No agreement.csv in this output: the SDC is not known</b>, so no change is "
            f"classified and the waterfalls carry no band. {AGREEMENT_HINT}</p>"
        )
    for panel in panels(data):
        if panel.unit == "grade":
            continue
        changes = changes_at(data, panel.measure, level)
        visit = last_visit(changes) if not changes.empty else None
        if visit is None:
            continue
        known = find_sdc(agreement, data.endpoints, panel.measure, level)
        out.append(_measure_part(data, panel.title, panel.unit, changes, visit, known))
    return Section("individual", "Individual change", "\n".join(out))


def _measure_part(
    data: ReportData,
    title: str,
    unit: str,
    changes: pd.DataFrame,
    visit: str,
    sdc: Sdc | None,
) -> str:
    level = data.target_level
    label = data.visit_label(visit)
    out = [f"<h3>{escape(title)}</h3>"]
    if sdc is None:
        out.append(
            f"<p>No SDC for {escape(title)} at {escape(level)} in agreement.csv: "
            "no classification, no band.</p>"
        )
    else:
        out.append(f"<p>SDC {sdc.value:.2f} {escape(sdc.unit)} ({escape(sdc.source)}).</p>")
    missing = [str(s) for s in changes.index if pd.isna(changes.loc[s, visit])]
    band = f"the band is ±SDC {sdc.value:.2f} {sdc.unit}" if sdc else "no SDC known: no band"
    figure_title = f"{title} at {level}:\nchange from baseline to {label}"
    alt = (
        f"Waterfall of each subject's change in {title} from baseline to {label} at {level}, "
        f"one bar per subject sorted largest first, {delta_unit(unit)}; {band}"
        + (f"; missing: {', '.join(missing)}" if missing else "")
    )
    out.append(img_tag(waterfall_figure(changes[visit], figure_title, unit, sdc), alt))
    if missing:
        out.append(
            f'<p class="small">No change at {escape(label)}: {escape(", ".join(missing))}.</p>'
        )
    visits = [str(v) for v in changes.columns]
    classes = classification(changes, sdc) if sdc is not None else None
    header = ["subject"]
    for v in visits:
        header.append(f"{data.visit_label(v)} change ({delta_unit(unit)})")
        if classes is not None:
            header.append(f"{data.visit_label(v)} vs SDC")
    rows = []
    for subject in changes.index:
        row: list[object] = [str(subject)]
        for v in visits:
            row.append(float(changes.loc[subject, v]))
            if classes is not None:
                row.append(classes.loc[subject, v])
        rows.append(row)
    out.append(html_table(header, rows))
    if classes is not None:
        counts = [
            f"{escape(data.visit_label(v))}: "
            + ", ".join(f"{n} {escape(c)}" for c, n in classes[v].value_counts().items())
            for v in visits
        ]
        out.append('<p class="small">' + "; ".join(counts) + ".</p>")
    return "\n".join(out)
