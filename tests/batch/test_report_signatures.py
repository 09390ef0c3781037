"""The report's signatures section (21 CFR 11.50): from ``endpoints.signatures.csv`` beside the
endpoint table, each signature's subject, reader, version (a repeat read's marked), meaning,
signer's printed name and login, date and time and hash; escaped; a damaged file refused naming
the file and line; no file, no section."""

from __future__ import annotations

from pathlib import Path

import pytest

from imaging.report.data import ReportInputError
from imaging.report.signatures import load_signatures, signatures_section

HEADER = (
    "subject,visit,reading_id,reader,read_version,repeat,meaning,signer,signer_name,signed_at,"
    "content_sha256\n"
)
SHA = "9f" * 32


def test_each_signature_is_a_row_with_its_name_time_meaning_and_hash(tmp_path: Path) -> None:
    (tmp_path / "endpoints.signatures.csv").write_text(
        HEADER + f"DLBP-001,baseline,R-1,reader-1,2,0,read completed,ann,Ann <Reader>,"
        f"2027-01-14T09:30:00Z,{SHA}\n"
        + f"DLBP-001,baseline,R-1,reader-1,1,1,read completed,ann,Ann <Reader>,"
        f"2027-02-14T09:30:00Z,{SHA}\n",
        encoding="utf-8",
    )
    section = signatures_section(load_signatures(tmp_path))

    assert section is not None and section.label == "Signatures (2)"
    assert (
        "<td>DLBP-001</td><td>baseline</td><td>R-1</td><td>reader-1</td><td>2</td>"
        "<td>read completed</td><td>Ann &lt;Reader&gt; (ann)</td><td>2027-01-14T09:30:00Z</td>"
        f"<td>{SHA}</td>"
    ) in section.html
    assert "<td>1 (repeat read)</td>" in section.html


def test_no_file_no_section_and_a_damaged_file_is_refused_naming_its_line(tmp_path: Path) -> None:
    assert signatures_section(load_signatures(tmp_path)) is None
    (tmp_path / "endpoints.signatures.csv").write_text(
        HEADER + "DLBP-001,baseline,R-1,reader-1\n", encoding="utf-8"
    )
    with pytest.raises(ReportInputError, match=r"endpoints.signatures.csv.*line 2: 4 cell"):
        load_signatures(tmp_path)
