"""The AS trial through the command line (issue 20): grade forms of two readers in, the mSASSS
endpoint with change and new syndesmophytes out, the rigidity exclusion with its reason, ICC of
the totals and weighted kappa of joint grades and corner scores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imaging.cli import main
from imaging.protocol import load_protocol

AS = load_protocol("as-ucmsc")
assert AS.msasss is not None
SITES = AS.msasss.sites
HEADER = "subject,visit,level,reader,sacroiliitis,sacroiliitis_modality,msasss,"
HEADER += "complete_spinal_rigidity,comment\n"


def corner(subject: int, site: int, visit: str, reader: str) -> int:
    """A spread of scores: subject 4 fully bridged; others progress at every fifth corner;
    reader R2 scores one more at the first corner of odd subjects at 24 months."""
    if subject == 4:
        return 3
    score = (subject + site) % 3
    if visit == "month_24":
        score = min(3, score + (site % 5 == 0) + (reader == "R2" and site == 0 and subject % 2))
    return score


def form(reader: str) -> str:
    lines = [HEADER]
    for subject in range(1, 5):
        sid = f"AS-{subject}"
        left, right = ("3", "1") if subject == 4 else ("2", "2")
        modality = "ct" if subject == 3 else "xray"
        rigid = "yes" if subject == 4 else "no"
        lines.append(f"{sid},baseline,SIJ-left,{reader},{left},{modality},,,\n")
        lines.append(f"{sid},baseline,SIJ-right,{reader},{right},{modality},,,\n")
        lines.append(f"{sid},baseline,spine,{reader},,,,{rigid},\n")
        for visit in ("baseline", "month_24"):
            for index, site in enumerate(SITES):
                score = corner(subject, index, visit, reader)
                lines.append(f"{sid},{visit},{site},{reader},,,{score},,\n")
    return "".join(lines)


@pytest.fixture
def as_store(tmp_path: Path, store_url: str) -> str:
    """Reader R1's reads (the protocol reads each case once)."""
    path = tmp_path / "R1.csv"
    path.write_text(form("R1"), encoding="utf-8")
    imported = main(["grades", "import", "--register-unknown", str(path), "--store",
                     store_url, "--protocol", "as-ucmsc"])  # fmt: skip
    assert imported == 0
    return store_url


def test_export_gives_the_msasss_endpoint_per_reader_and_visit(
    as_store: str, tmp_path: Path
) -> None:
    out = tmp_path / "endpoints.csv"
    assert main(["export", "--store", as_store, "--protocol", "as-ucmsc", "--out", str(out)]) == 0
    table = pd.read_csv(out, dtype={"grade": str})
    spine = table[(table["level"] == "spine") & (table["reader"] == "R1")]
    got = spine.set_index(["subject", "visit", "measure"])["value"]
    # AS-1 baseline: (1 + j) % 3 over 24 corners = 8 x (1 + 2 + 0) = 24; every fifth corner
    # (j = 0, 5, 10, 15, 20) gains one unless it was 3 already: scores 1, 0, 2, 1, 0 -> +5
    assert got[("AS-1", "baseline", "msasss_total")] == 24.0
    assert got[("AS-1", "month_24", "msasss_total")] == 29.0
    assert got[("AS-4", "baseline", "msasss_total")] == 72.0
    change = spine.set_index(["subject", "visit", "measure"])["change_from_baseline"]
    assert change[("AS-1", "month_24", "msasss_total")] == 5.0
    # new: corners scored 0 or 1 reaching 2 or 3: j = 0 (1 -> 2) and j = 15 (1 -> 2)
    assert got[("AS-1", "month_24", "new_syndesmophytes")] == 2.0


def test_eligibility_excludes_the_rigid_spine_and_names_the_modality_graded_on(
    as_store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eligibility.csv"
    assert main(["eligibility", "--store", as_store, "--protocol", "as-ucmsc",
                 "--out", str(out)]) == 0  # fmt: skip
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    verdicts = table.drop_duplicates("subject").set_index("subject")["subject_verdict"]
    assert verdicts.to_dict() == {
        "AS-1": "eligible", "AS-2": "eligible", "AS-3": "eligible", "AS-4": "not eligible"
    }  # fmt: skip
    rigid = table[(table["subject"] == "AS-4") & (table["rule"] == "complete_spinal_rigidity")]
    assert rigid["verdict"].tolist() == ["fail"]
    assert rigid["values"].tolist() == [
        "all 24 scored corners msasss 3; complete_spinal_rigidity yes"
    ]
    assert "AS-4: not eligible (fails complete_spinal_rigidity)" in capsys.readouterr().out


def test_agreement_gives_icc_of_the_totals_and_weighted_kappa_of_grades(tmp_path: Path) -> None:
    both = tmp_path / "double-read.csv"
    both.write_text(form("R1") + form("R2").removeprefix(HEADER), encoding="utf-8")
    out = tmp_path / "agreement.csv"
    assert main(["agreement", "--grades", str(both), "--protocol", "as-ucmsc",
                 "--out", str(out)]) == 0  # fmt: skip
    table = pd.read_csv(out, keep_default_na=False)
    totals = table[(table["name"] == "msasss_total") & (table["level"] == "spine")]
    statistics = set(totals["statistic"])
    assert {"ICC(2,1)", "sdc"} <= statistics
    # two readers differ by 1 at one corner of AS-1 and AS-3 at 24 months
    bias = totals.loc[totals["statistic"] == "bland_altman_bias", "estimate"].item()
    assert float(bias) == pytest.approx(-2 / 8)
    for name in ("sacroiliitis", "msasss"):
        kappa = table[(table["name"] == name) & (table["level"] == "all")]
        assert "kappa_linear" in set(kappa["statistic"]), name
