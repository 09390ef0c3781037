"""The report's "Structural progression" section: mSASSS per subject and its change against the
readers' smallest detectable change, with the new syndesmophytes (AS protocol, issue 20).

From the endpoint table's spine scores (:mod:`imaging.endpoints.msasss`, level ``spine``): each
subject's mSASSS at baseline and the last visit with a total (several readers averaged), the
change from baseline classified against the SDC of ``msasss_total`` in ``agreement.csv``
(:mod:`imaging.report.sdc`), the new syndesmophytes, and the notes saying which corners were
given a segment's mean or why a total is missing. A waterfall shows the changes with the ±SDC
band. Nothing is shown for a table without spine scores (the DLBP trial).
"""

from __future__ import annotations

import pandas as pd

from imaging.endpoints.msasss import NEW_SYNDESMOPHYTES, SPINE, TOTAL
from imaging.report.data import ReportData
from imaging.report.figures import measure_by_visit
from imaging.report.markup import escape, html_table, img_tag
from imaging.report.page import Section
from imaging.report.sdc import changes_at, classify, find_sdc
from imaging.report.waterfall import AGREEMENT_HINT, last_visit, waterfall_figure

ANCHOR = "progression"


def progression_section(data: ReportData, agreement: pd.DataFrame) -> Section | None:
    """The section, or None when the endpoint table has no mSASSS total."""
    table = data.endpoints
    spine = table[(table["level"] == SPINE) & (table["measure"] == TOTAL)]
    if spine.empty:
        return None
    changes = changes_at(data, TOTAL, SPINE)
    visit = last_visit(changes) if not changes.empty else None
    sdc = find_sdc(agreement, table, TOTAL, SPINE)
    out = [
        f'<h2 id="{ANCHOR}">Structural progression (mSASSS)</h2>',
        "<p>mSASSS (Creemers 2005: 24 anterior vertebral corners, each 0-3, total 0-72) per "
        "subject and visit, several readers averaged; corners that cannot be scored are treated "
        "by the protocol's rule (the notes name them). Change from baseline against the "
        "smallest detectable change of the totals in <code>agreement.csv</code>; new "
        "syndesmophytes: corners scored 0 or 1 at baseline and 2 or 3 later.</p>",
    ]
    if sdc is None:
        out.append(
            "<p><b>No SDC of msasss_total in agreement.csv</b>: changes are not classified. "
            f"{AGREEMENT_HINT}</p>"
        )
    else:
        out.append(f"<p>SDC {sdc.value:.2f} ({escape(sdc.source)}).</p>")
    out.append(_subject_table(data, visit, changes, sdc.value if sdc else None))
    if visit is not None:
        label = data.visit_label(visit)
        band = f"the band is ±SDC {sdc.value:.2f}" if sdc else "no SDC known: no band"
        alt = (
            f"Waterfall of each subject's mSASSS change from baseline to {label}, one bar per "
            f"subject sorted largest first; {band}"
        )
        title = f"mSASSS: change from baseline to {label}"
        out.append(img_tag(waterfall_figure(changes[visit], title, "1", sdc), alt))
    return Section(ANCHOR, "Structural progression", "\n".join(out))


def _subject_table(
    data: ReportData, visit: str | None, changes: pd.DataFrame, sdc: float | None
) -> str:
    baseline = data.visits[0] if data.visits else ""
    header = ["subject", f"{data.visit_label(baseline)} mSASSS"]
    if visit is not None:
        header += [f"{data.visit_label(visit)} mSASSS", "change"]
        header += ["vs SDC"] if sdc is not None else []
        header += ["new syndesmophytes"]
    header.append("notes")
    rows = []
    for subject in data.subjects:
        own = data.endpoints[data.endpoints["subject"].astype(str) == subject]
        totals = measure_by_visit(own[own["level"] == SPINE], TOTAL, data.visits)
        new = measure_by_visit(own[own["level"] == SPINE], NEW_SYNDESMOPHYTES, data.visits)
        if totals.empty or SPINE not in totals.columns:
            continue
        row: list[object] = [subject, _cell(totals, baseline, SPINE)]
        if visit is not None:
            change = _cell(changes, subject, visit)
            row += [_cell(totals, visit, SPINE), change]
            row += [classify(change, sdc)] if sdc is not None else []
            row.append(_cell(new, visit, SPINE))
        notes = own[(own["level"] == SPINE) & (own["measure"] == TOTAL)]["note"]
        row.append("; ".join(sorted({str(n) for n in notes.dropna() if str(n)})))
        rows.append(row)
    return html_table(header, rows)


def _cell(frame: pd.DataFrame, row: str, column: str) -> float:
    """``frame``'s number at (row, column); NaN where it has none."""
    if column not in frame.columns:
        return float("nan")
    value = frame[column].to_dict().get(row)
    return float("nan") if value is None else float(value)
