"""The files of a batch output folder (docs/batch.md): written by :mod:`imaging.batch`, read by
:mod:`imaging.report` (two siblings of one layer, so the names live below both)."""

from __future__ import annotations

ENDPOINTS_CSV, ENDPOINTS_PARQUET = "endpoints.csv", "endpoints.parquet"
CORNERS_CSV = "corners.csv"
FAILURES_CSV = "failures.csv"
ELIGIBILITY_CSV = "eligibility.csv"
PROVENANCE_JSON = "provenance.json"

FAILURE_COLUMNS: tuple[str, ...] = ("file", "subject", "visit", "reason")
"""``failures.csv``: the image (or landmark file) concerned, its subject and visit, and why."""
