"""Assemble the report as one self-contained HTML page: inline CSS, PNGs as base64 data URIs.

No script, no external file, no font download: the page reads the same from an e-mail attachment,
a file share or an archive years later, without spine-endpoints installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from imaging.report import spaghetti
from imaging.report.data import ReportData
from imaging.report.markup import escape, html_table, img_tag

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1d;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #d0d7de; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.6em; }
.meta { color: #555; font-size: 0.92em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #d0d7de; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { background: #e3f4e1; } .fail { background: #fbe0de; }
.na { background: #f1f1f1; color: #666; }
img { max-width: 100%; height: auto; display: block; margin: 0.5em 0; }
nav a { margin-right: 1em; }
.small { font-size: 0.85em; color: #555; }
code { font-size: 0.9em; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  nav { display: none; }
  h2 { break-before: page; }
  h2, h3, h4 { break-after: avoid; }
  table, img { break-inside: avoid; }
  .pass, .fail, .na, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

VERDICT_CLASS = {"pass": "pass", "fail": "fail", "eligible": "pass", "not eligible": "fail"}


class Section(NamedTuple):
    """A section made elsewhere (e.g. :mod:`imaging.report.agreement`), its HTML escaped."""

    anchor: str
    label: str
    html: str


def render(
    data: ReportData, sections: Sequence[Section] = (), subjects: Section | None = None
) -> str:
    """The whole page as a string; ``sections`` follow the eligibility section, ``subjects``
    (the index of the subject pages, :mod:`imaging.report.subject_pages`) the cohort plots."""
    protocol = data.provenance.get("protocol", {})
    trial = protocol.get("name") or protocol.get("trial_id") or "Spine endpoints"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(trial)}: imaging endpoints</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(trial)}: imaging endpoints</h1>",
        _header(data),
        "<nav>"
        + "".join(
            f'<a href="#{anchor}">{label}</a>'
            for anchor, label in (
                ("eligibility", "Eligibility"),
                *((section.anchor, section.label) for section in sections),
                ("cohort", "Cohort"),
                ("subjects", f"Subjects ({len(data.subjects)})"),
                ("failures", f"Failures ({len(data.failures)})"),
                ("provenance", "Provenance"),
            )
        )
        + "</nav>",
        _eligibility(data),
        *(section.html for section in sections),
        _cohort(data),
        subjects.html if subjects else '<h2 id="subjects">Subjects</h2><p>No subject pages.</p>',
        _failures(data),
        _provenance(data),
        "</body></html>",
    ]
    return "\n".join(parts)


def _header(data: ReportData) -> str:
    provenance = data.provenance
    counts = provenance.get("counts", {})
    software = provenance.get("software", {})
    visits = len(data.endpoints[["subject", "visit"]].drop_duplicates())
    lines = [
        f"{len(data.subjects)} subjects, {visits} subject-visits, {len(data.endpoints)} endpoint "
        f"rows, {len(data.failures)} failure(s).",
    ]
    if provenance:
        lines.append(
            f"Batch run {escape(provenance.get('started', '?'))} to "
            f"{escape(provenance.get('finished', '?'))}"
            f" with spine-endpoints {escape(software.get('spine-endpoints', '?'))}"
            + (f"; {counts.get('studies', 0)} studies" if counts else "")
            + "."
        )
    if data.visits:
        lines.append("Visits: " + ", ".join(escape(data.visit_label(v)) for v in data.visits) + ".")
    return '<p class="meta">' + "<br>".join(lines) + "</p>"


def _eligibility(data: ReportData) -> str:
    out = ['<h2 id="eligibility">Eligibility (imaging criteria)</h2>']
    table = data.eligibility
    if table.empty:
        out.append(
            "<p>No eligibility evaluation in this output (no protocol rules or no reads).</p>"
        )
        return "\n".join(out)
    key = "rule" if "rule" in table.columns else "criterion"
    rules = list(dict.fromkeys(table[key]))
    visit = ", ".join(sorted(set(table["visit"]))) if "visit" in table.columns else ""
    if "subject_verdict" in table.columns:
        overall = table.drop_duplicates("subject")["subject_verdict"].value_counts()
        at = escape(data.visit_label(visit)) if visit else "the eligibility visit"
        out.append(
            f"<p>Evaluated at {at}: "
            + ", ".join(f"<b>{int(n)}</b> {escape(verdict)}" for verdict, n in overall.items())
            + ".</p>"
        )
    texts = table.drop_duplicates(key).set_index(key)
    counts = table.groupby(key)["verdict"].value_counts().unstack(fill_value=0)
    verdicts = [v for v in ("pass", "fail", "not evaluable") if v in counts.columns]
    out.append(
        html_table(
            ["rule", "role", "criterion", *verdicts],
            [
                [
                    rule,
                    texts.loc[rule].get("role", ""),
                    texts.loc[rule].get("text", ""),
                    *(int(counts.loc[rule, v]) for v in verdicts),
                ]
                for rule in rules
            ],
        )
    )
    header = "<tr><th>subject</th><th>overall</th>" + "".join(
        f"<th>{escape(rule)}</th>" for rule in rules
    )
    body = []
    for subject, group in table.groupby("subject", sort=True):
        first = group.iloc[0]
        verdict = str(first.get("subject_verdict", ""))
        cells = [_verdict_cell(verdict, str(first.get("subject_reason", "")))]
        by_rule = {row[key]: row for _, row in group.iterrows()}
        for rule in rules:
            row = by_rule.get(rule)
            if row is None:
                cells.append('<td class="na">-</td>')
                continue
            detail = "; ".join(
                str(row[c]) for c in ("values", "reason") if c in row.index and str(row[c])
            )
            cells.append(_verdict_cell(str(row["verdict"]), detail))
        body.append(f"<tr><td>{escape(subject)}</td>{''.join(cells)}</tr>")
    out.append(f"<table>{header}</tr>{''.join(body)}</table>")
    return "\n".join(out)


def _verdict_cell(verdict: str, detail: str) -> str:
    css = VERDICT_CLASS.get(verdict, "na")
    note = f'<br><span class="small">{escape(detail)}</span>' if detail else ""
    return f'<td class="{css}">{escape(verdict)}{note}</td>'


def _cohort(data: ReportData) -> str:
    out = ['<h2 id="cohort">Cohort: change from baseline by visit, per level</h2>']
    levels = spaghetti.plotted_levels(data)
    images = [(level, spaghetti.level_figure(data, level)) for level in levels]
    if not any(png for _, png in images):
        out.append("<p>Not enough follow-up data to plot change from baseline.</p>")
        return "\n".join(out)
    for level, png in images:
        if png is not None:
            out.append(f'<h3 id="cohort-{escape(level)}">{escape(level)}</h3>')
            out.append(img_tag(png, spaghetti.alt_text(data, level)))
    out.append(
        '<p class="small">The numbers behind these plots (n, mean, SD, median, IQR, change with '
        'its 95% CI, per population) are in <a href="#continuous">Continuous endpoints</a>; '
        'grades in <a href="#grades">Grade shifts</a>.</p>'
    )
    return "\n".join(out)


def _failures(data: ReportData) -> str:
    out = [f'<h2 id="failures">Failures ({len(data.failures)})</h2>']
    if data.failures.empty:
        out.append("<p>None: every input was computed.</p>")
        return "\n".join(out)
    out.append(
        "<p>Inputs the batch could not use, and why. Everything else was computed; fix the input "
        "and rerun the batch (unchanged studies are not recomputed).</p>"
    )
    columns = ["subject", "visit", "file", "reason"]
    out.append(html_table(columns, data.failures[columns].itertuples(index=False, name=None)))
    return "\n".join(out)


def _provenance(data: ReportData) -> str:
    provenance = data.provenance
    out = ['<h2 id="provenance">Provenance</h2>']
    if not provenance:
        out.append("<p>No provenance.json in this output.</p>")
        return "\n".join(out)
    inputs = provenance.get("inputs", {})
    rows: list[list[Any]] = []
    for name, value in inputs.items():
        if name == "images":
            rows.append(["images", f"{len(value)} files (SHA-256 of each in provenance.json)"])
        elif isinstance(value, dict):
            rows.append([name, f"{value.get('path', '')}  sha256 {value.get('sha256', '')[:16]}…"])
        elif value is not None:
            rows.append([name, str(value)])
    software = provenance.get("software", {})
    rows.append(["execution", str(provenance.get("execution", ""))])
    rows.append(["python", str(software.get("python", ""))])
    libraries = software.get("libraries", {})
    rows.append(["libraries", ", ".join(f"{k} {v}" for k, v in libraries.items() if v)])
    out.append(html_table(["item", "value"], rows))
    return "\n".join(out)
