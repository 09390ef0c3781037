"""The batch report: an endpoint table -> one self-contained HTML page with embedded plots.

``write_report(out_dir)`` reads what ``spine-endpoints batch`` wrote in ``out_dir`` and writes
``out_dir/report.html`` and a page per subject in ``out_dir/subjects/`` (films with the corners
measured, measures and grades over visits); cohort change from baseline by visit per level; each
subject's change at the target level against the smallest detectable change (waterfall); the
eligibility summary; reader agreement (``agreement.csv`` of ``spine-endpoints agreement``, when
present); the failures; provenance.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

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
from imaging.report.signatures import load_signatures, signatures_section
from imaging.report.subject_pages import subject_index, write_subject_pages
from imaging.report.waterfall import individual_section

__all__ = ["Delivery", "ReportData", "ReportInputError", "load", "render", "write_delivery",
           "write_report"]  # fmt: skip


class Delivery(NamedTuple):
    """The files a report run writes beside the endpoint table."""

    report: Path
    subject_pages: list[Path]
    dictionary: Path
    checksums: Path

    def lines(self) -> list[str]:
        """``name: path`` lines for a terminal (the subject pages as their folder and count)."""
        pages = self.subject_pages
        folder = pages[0].parent if pages else self.report.parent / "subjects"
        count = f"{len(pages)} subject{'' if len(pages) == 1 else 's'}"
        return [
            f"report: {self.report}",
            f"subject pages: {folder}{'/' if pages else ''} ({count})",
            f"data dictionary: {self.dictionary}",
            f"checksums: {self.checksums} (check with: cd {self.checksums.parent} && "
            "sha256sum -c SHA256SUMS)",
        ]


def write_report(out_dir: str | Path, path: str | Path | None = None) -> Path:
    """:func:`write_delivery` returning only the report's path."""
    return write_delivery(out_dir, path).report


def write_delivery(out_dir: str | Path, path: str | Path | None = None) -> Delivery:
    """Write the HTML report of a batch output folder and one page per subject
    (``subjects/``), then ``data-dictionary.csv`` and ``SHA256SUMS`` beside the endpoint table.

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
        signatures_section(load_signatures(out_dir)),  # endpoints.signatures.csv (store reads)
    ]
    target = Path(path) if path is not None else Path(out_dir) / "report.html"
    pages = write_subject_pages(data, out_dir)
    page = render(data, [s for s in sections if s], subject_index(data))
    write_text_atomically(target, page)
    dictionary = write_dictionary(data, out_dir)
    checksums = write_checksums(out_dir)  # last: over every delivered file, the pages too
    return Delivery(target, pages, dictionary, checksums)
