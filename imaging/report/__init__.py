"""The batch report: an endpoint table -> one self-contained HTML page with embedded plots.

``write_report(out_dir)`` reads what ``spine-endpoints batch`` wrote in ``out_dir`` and writes
``out_dir/report.html``: per subject, disc height and height loss over visits at each level, ROM at
each visit, Pfirrmann and Modic over visits; cohort change from baseline by visit per level; each
subject's change at the target level against the smallest detectable change (waterfall); the
eligibility summary; reader agreement (``agreement.csv`` of ``spine-endpoints agreement``, when
present); the failures; provenance.
"""

from __future__ import annotations

from pathlib import Path

from imaging.atomic import write_text_atomically
from imaging.report.agreement import agreement_section, load_agreement
from imaging.report.checksums import write_checksums
from imaging.report.continuous import continuous_section
from imaging.report.data import ReportData, ReportInputError, load
from imaging.report.dictionary import write_dictionary
from imaging.report.drift import drift_section, load_drift
from imaging.report.page import render
from imaging.report.progression import progression_section
from imaging.report.shift_section import shift_section
from imaging.report.waterfall import individual_section

__all__ = ["ReportData", "ReportInputError", "load", "render", "write_report"]


def write_report(out_dir: str | Path, path: str | Path | None = None) -> Path:
    """Write the HTML report of a batch output folder, then ``data-dictionary.csv`` and
    ``SHA256SUMS`` beside the endpoint table; returns the report's path.

    ``path`` defaults to ``out_dir/report.html``. Raises :class:`ReportInputError` when the folder
    has no endpoint table.
    """
    data = load(out_dir)
    agreement = load_agreement(out_dir)
    sections = [
        agreement_section(agreement),  # agreement.csv, when there is one
        drift_section(load_drift(out_dir)),  # drift.csv (agreement --by-month), when there is one
        continuous_section(data),
        shift_section(data),
        individual_section(data, agreement),  # changes against the SDC of agreement.csv
        progression_section(data, agreement),  # mSASSS (AS protocol), when the table has it
    ]
    target = Path(path) if path is not None else Path(out_dir) / "report.html"
    write_text_atomically(target, render(data, [s for s in sections if s]))
    write_dictionary(data, out_dir)
    write_checksums(out_dir)  # last: over every delivered file, the report and dictionary too
    return target
