"""One page per subject (a *subject profile*), linked from the report's subject index.

``subjects/<subject>.html`` beside ``report.html``, each one self-contained file (inline CSS,
embedded images, no script): the subject's eligibility, visits (study day, films measured,
readers, calibration, failures), the films as thumbnails with the corners measured and their
endplate lines (:mod:`imaging.report.films`), the measures over visits (plot and numbers, change
from baseline) and the grades per level and visit.

Separate files rather than sections of ``report.html``: a trial's report stays one page a
statistician reads and prints whatever the number of subjects (1,000 subjects' films and plots
inline would make it hundreds of MB), while a medical monitor or a site gets the page of one
subject without the others'. ``SHA256SUMS`` lists every page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imaging.atomic import write_text_atomically
from imaging.measures import MEASURES
from imaging.report import figures
from imaging.report.data import ReportData
from imaging.report.films import FilmSource, FilmView
from imaging.report.markup import escape, html_table, img_tag, number_text
from imaging.report.page import CSS, Section
from imaging.report.statistics import level_key

FOLDER = "subjects"
PAGE_CSS = """
.films { display: flex; flex-wrap: wrap; gap: 0.8em; }
figure { margin: 0; } figcaption { font-size: 0.8em; color: #444; max-width: 260px; }
.films img { margin: 0; border: 1px solid #999; }
@media print { figure { break-inside: avoid; } h2 { break-before: auto; } }
"""
GRADE_MEASURES = ("pfirrmann", "modic_cranial", "modic_caudal")


def page_name(subject: str) -> str:
    """The file name of a subject's page: the id when it is file-name safe, else with a hash."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", subject).strip("-.") or "subject"
    if cleaned != subject:
        cleaned += "-" + hashlib.sha256(subject.encode()).hexdigest()[:8]
    return f"{cleaned}.html"


def write_subject_pages(data: ReportData, out_dir: str | Path) -> list[Path]:
    """Write ``out_dir/subjects/<subject>.html`` for every subject of the endpoint table (pages
    of subjects no longer in it are removed); returns the paths."""
    folder = Path(out_dir) / FOLDER
    folder.mkdir(exist_ok=True)
    films = FilmSource(data, out_dir)
    written = [
        write_text_atomically(folder / page_name(s), subject_page(data, s, films))
        for s in data.subjects
    ]
    for stale in set(folder.glob("*.html")) - set(written):
        stale.unlink()
    return written


def subject_index(data: ReportData) -> Section:
    """The report's subject section: one row per subject, linking to the subject's page."""
    verdicts = _verdicts(data)
    rows = []
    for subject in data.subjects:
        here = data.endpoints[data.endpoints["subject"] == subject]
        visits = [v for v in data.visits if v in set(here["visit"])]
        failures = int((data.failures["subject"] == subject).sum())
        rows.append(
            f'<tr><td><a href="{FOLDER}/{escape(page_name(subject))}">{escape(subject)}</a></td>'
            f"<td>{escape(', '.join(data.visit_label(v) for v in visits))}</td>"
            f"<td>{escape(verdicts.get(subject, '-'))}</td>"
            f'<td class="num">{failures}</td></tr>'
        )
    return Section(
        "subjects",
        f"Subjects ({len(data.subjects)})",
        f'<h2 id="subjects">Subjects ({len(data.subjects)})</h2>'
        "<p>Each subject's page (films with the corners measured, measures and grades over "
        f"visits) is a separate file in <code>{FOLDER}/</code>, listed in SHA256SUMS.</p>"
        "<table><tr><th>subject</th><th>visits read</th><th>eligibility</th><th>failures</th></tr>"
        + "".join(rows)
        + "</table>",
    )


def subject_page(data: ReportData, subject: str, films: FilmSource) -> str:
    """The whole page of one subject."""
    protocol = data.provenance.get("protocol", {})
    trial = protocol.get("name") or protocol.get("trial_id") or "Spine endpoints"
    verdict = _verdicts(data).get(subject, "not evaluated")
    views = list(films.views(subject))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Subject {escape(subject)}: {escape(trial)}</title>",
        f"<style>{CSS}{PAGE_CSS}</style></head><body>",
        f"<h1>Subject {escape(subject)}</h1>",
        f'<p class="meta">{escape(trial)}. Eligibility at baseline (imaging criteria): '
        f"<b>{escape(verdict)}</b>. "
        f'<a href="../report.html#subjects">Back to the report</a>.</p>',
        '<h2 id="visits">Visits</h2>',
        _visits(data, subject, views),
        '<h2 id="films">Films</h2>',
        _films(data, views, films.problem),
        '<h2 id="measures">Measures over visits</h2>',
        _measures(data, subject),
        '<h2 id="grades">Grades</h2>',
        _grades_table(data, subject) or "<p>No grades for this subject.</p>",
        _failures(data, subject),
        "</body></html>",
    ]
    return "\n".join(parts)


def _verdicts(data: ReportData) -> dict[str, str]:
    table = data.eligibility
    if table.empty or "subject_verdict" not in table.columns:
        return {}
    first = table.drop_duplicates("subject")
    return dict(
        zip(first["subject"].astype(str), first["subject_verdict"].astype(str), strict=True)
    )


def _visits(data: ReportData, subject: str, views: Sequence[FilmView]) -> str:
    table = data.endpoints[data.endpoints["subject"] == subject]
    rows: list[list[Any]] = []
    for visit in data.visits:
        here = table[table["visit"] == visit]
        if here.empty:
            continue
        days = pd.to_numeric(here["study_day"], errors="coerce").dropna()
        films = [
            f"{v.film.value} ({v.corners} corners; {_calibration(here, v.film.value)})"
            for v in views
            if v.visit == visit
        ]
        failed = (data.failures["subject"] == subject) & (data.failures["visit"] == visit)
        rows.append(
            [
                data.visit_label(visit),
                str(int(days.iloc[0])) if len(days) else "-",
                ", ".join(films) or "none",
                ", ".join(sorted({str(r) for r in here["reader"] if str(r)})),
                int(failed.sum()),
            ]
        )
    columns = ["visit", "study day", "films measured (corners; calibration)", "readers", "failures"]
    return html_table(columns, rows)


def _calibration(rows: pd.DataFrame, film: str) -> str:
    """Where the film's millimetres come from (``imaging.calibration``): its rows' calibration."""
    sources = set(rows.loc[rows["film"] == film, "calibration"].astype(str))
    return ", ".join(sorted(source or "none" for source in sources)) or "no rows"


def _films(data: ReportData, views: Sequence[FilmView], problem: str) -> str:
    if problem:
        return f"<p>{escape(problem)}.</p>"
    if not views:
        return "<p>No film of this subject was measured.</p>"
    out = [
        '<p class="small">Each film as measured: the corners (red) and endplate lines (yellow) '
        "the endpoint rows were computed from, after refinement or tracking when used.</p>"
    ]
    for visit in data.visits:
        here = [v for v in views if v.visit == visit]
        if not here:
            continue
        out.append(f'<h3>{escape(data.visit_label(visit))}</h3><div class="films">')
        for view in here:
            caption = f"{view.film.value}, reader {view.reader}, {view.corners} corners"
            alt = (
                f"{view.film.value} film of subject {view.subject} at {data.visit_label(visit)} "
                f"with the {view.corners} corners read by {view.reader} and their endplate lines"
            )
            if view.thumbnail is None:
                body = f'<p class="small">{escape(view.problem)}</p>'
            else:
                rows, cols = view.thumbnail.shape
                body = (
                    f'<img alt="{escape(alt)}" width="{cols}" height="{rows}" '
                    f'src="{view.thumbnail.data_uri}">'
                )
            out.append(
                f"<figure>{body}<figcaption>{escape(caption)}<br>{escape(view.image)}</figcaption></figure>"
            )
        out.append("</div>")
    return "\n".join(out)


def _measures(data: ReportData, subject: str) -> str:
    out = []
    note = figures.threshold_note(data)
    if note:
        out.append(f'<p class="small">{escape(note)}</p>')
    png = figures.subject_figure(data, subject)
    if png is None:
        return "<p>No measures to plot for this subject.</p>"
    out.append(img_tag(png, f"Measures over visits, subject {subject}"))
    out.append(_numbers(data, subject))
    return "\n".join(out)


def _numbers(data: ReportData, subject: str) -> str:
    """The plotted measures per level and visit: value, and change from baseline in brackets."""
    table = data.endpoints[data.endpoints["subject"] == subject]
    rows: list[list[Any]] = []
    for name in figures.MEASURE_PANELS:
        values = figures.measure_by_visit(table, name, data.visits)
        changes = figures.measure_by_visit(table, name, data.visits, "change_from_baseline")
        unit = MEASURES[name].unit
        for level in sorted(values.columns, key=level_key):
            cells: list[Any] = [MEASURES[name].title, level]
            value_of = values[level].to_numpy(dtype=float)
            change_of = (
                changes[level].to_numpy(dtype=float)
                if level in changes.columns
                else np.full(len(data.visits), np.nan)
            )
            for index, (value, change) in enumerate(zip(value_of, change_of, strict=True)):
                text = "-" if np.isnan(value) else f"{number_text(value)} {unit}"
                if index and not np.isnan(value) and not np.isnan(change):
                    text += f" ({change:+.2f})"
                cells.append(text)
            rows.append(cells)
    if not rows:
        return ""
    return (
        '<p class="small">Values per level and visit (neutral film; readers averaged), the '
        "change from baseline in brackets.</p>"
        + html_table(["measure", "level", *(data.visit_label(v) for v in data.visits)], rows)
    )


def _grades_table(data: ReportData, subject: str) -> str:
    table = data.endpoints[
        (data.endpoints["subject"] == subject) & data.endpoints["measure"].isin(GRADE_MEASURES)
    ]
    if table.empty:
        return ""
    levels = sorted(table["level"].unique(), key=level_key)
    rows = []
    for level in levels:
        cells: list[Any] = [level]
        for visit in data.visits:
            here = table[(table["level"] == level) & (table["visit"] == visit)]
            pfirrmann = _grade_text(here, "pfirrmann")
            modic = ", ".join(
                _grade_text(here, m) or "-" for m in ("modic_cranial", "modic_caudal")
            )
            cells.append("" if here.empty else f"P {pfirrmann or '-'} · M {modic}")
        rows.append(cells)
    return (
        '<p class="small">Grades per level and visit: Pfirrmann (P) and Modic (M: cranial '
        "endplate, caudal endplate); readers who disagree are separated by |.</p>"
        + html_table(["level", *(data.visit_label(v) for v in data.visits)], rows)
    )


def _grade_text(rows: pd.DataFrame, measure: str) -> str:
    """The grade of one item: Pfirrmann in Roman numerals (as the plots), others as coded.

    Several readers who disagree are all shown (``III|IV``).
    """
    chosen = rows[rows["measure"] == measure]
    texts = []
    for _, row in chosen.iterrows():
        value = row["value"]
        if (
            measure == "pfirrmann"
            and not pd.isna(value)
            and float(value) in figures.PFIRRMANN_TICKS
        ):
            texts.append(figures.PFIRRMANN_LABELS[int(value) - 1])
        elif "grade" in chosen.columns and str(row["grade"] or "").strip():
            texts.append(str(row["grade"]))
        elif not pd.isna(value):
            texts.append(number_text(value))
    return "|".join(dict.fromkeys(texts))


def _failures(data: ReportData, subject: str) -> str:
    chosen = data.failures[data.failures["subject"] == subject]
    if chosen.empty:
        return ""
    columns = ["visit", "file", "reason"]
    return '<h2 id="failures">Failures</h2>' + html_table(
        columns, chosen[columns].itertuples(index=False, name=None)
    )


__all__ = ["FOLDER", "page_name", "subject_index", "subject_page", "write_subject_pages"]
