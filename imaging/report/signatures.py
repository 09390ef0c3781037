"""The report's signatures section: who signed which read version, when, meaning what.

``endpoints.signatures.csv`` beside the endpoint table (``batch --store`` writes it;
``spine-endpoints export --out DIR/endpoints.csv`` too: :func:`imaging.store.signatures.
signatures_path`) holds every signature of every read version and adjudication, as 21 CFR
11.50 asks it shown: the signer's printed name, the date and time (UTC) and the meaning (``read
completed``, ``adjudicated``, ``locked``), with the SHA-256 of what was signed (11.70;
``spine-endpoints verify`` rechecks them). Read like the batch's own tables
(:func:`imaging.report.data.read_table`: refused whole, naming the file and line, when damaged)
and shown row for row, every cell escaped. No file: no section.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from imaging.output_folder import ENDPOINTS_CSV
from imaging.report.data import read_table
from imaging.report.markup import html_table
from imaging.report.page import Section
from imaging.store.signatures import READ, SIGNATURE_COLUMNS, signatures_path

REQUIRED = tuple(c for c in SIGNATURE_COLUMNS if c not in ("repeat", "signs"))
"""A file written before repeat reads, or adjudication signatures, had their column is still
shown (its rows are read signatures)."""
HEADINGS = ("subject", "visit", "reading id", "reader", "version", "meaning", "signed by",
            "date and time (UTC)", "SHA-256 of the version", "signs")  # fmt: skip


def load_signatures(out_dir: str | Path) -> pd.DataFrame:
    """``out_dir/endpoints.signatures.csv`` as text cells (empty when there is none)."""
    return read_table(signatures_path(Path(out_dir) / ENDPOINTS_CSV), REQUIRED)


def signatures_section(table: pd.DataFrame) -> Section | None:
    """The section of a non-empty signatures table, else None."""
    if table.empty:
        return None
    records = table.to_dict("records")
    rows = [
        [
            r["subject"], r["visit"], r["reading_id"], r["reader"],
            _version(r), r["meaning"], f"{r['signer_name']} ({r['signer']})", r["signed_at"],
            r["content_sha256"], r.get("signs") or READ,
        ]
        for r in records
    ]  # fmt: skip
    name = signatures_path(Path(ENDPOINTS_CSV)).name
    text = (
        '<h2 id="signatures">Signatures</h2>\n'
        f"<p>{len(table)} electronic signatures from <code>{name}</code>: each read version "
        "signed when submitted (<em>read completed</em>; <em>adjudicated</em> for an "
        "adjudicator's read) and when its visit was locked (<em>locked</em>), and each "
        "submitted adjudication (<em>adjudicated</em>; reader and version name the two reads "
        "decided between), with the signer's printed name and login, the date and time (UTC) "
        "and the SHA-256 of the content it is bound to (21 CFR 11.50, 11.70). A correction is "
        "a new version "
        "with its own signature; <code>spine-endpoints verify</code> rechecks every hash "
        "against the store.</p>\n" + html_table(HEADINGS, rows)
    )
    return Section("signatures", f"Signatures ({len(table)})", text)


def _version(record: Mapping[Any, Any]) -> str:
    """'2', or '1 (repeat read)' for an intra-reader repeat's version."""
    repeat = str(record.get("repeat", "0") or "0")
    return str(record["read_version"]) + ("" if repeat == "0" else " (repeat read)")
