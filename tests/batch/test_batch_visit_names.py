"""The batch names a landmark file's visits as the protocol does: "Month 6" is month_6; a visit
the protocol does not have fails its films with the reason, the rest is measured."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from batch_helpers import failures, keep_subject, table_values

from imaging.batch import BatchOptions, run_batch


def test_landmark_visit_names_are_the_protocols_visits(archive_copy: Path) -> None:
    archive = keep_subject(archive_copy, "DLBP-003")
    table = pd.read_csv(archive / "landmarks.csv", dtype=str, keep_default_na=False)
    table["visit"] = table["visit"].replace({"month_6": "Month 6", "month_12": "month 13"})
    table.to_csv(archive / "landmarks.csv", index=False)
    out = archive.parent / "out"

    run_batch(BatchOptions(archive, out))

    reasons = pd.read_csv(out / "failures.csv", dtype=str, keep_default_na=False)
    unknown = reasons[reasons["visit"] == "month 13"]
    month_13 = table[table["visit"] == "month 13"]
    first_lines = month_13.reset_index().groupby("film")["index"].min() + 2  # header is line 1
    assert sorted(unknown["reason"]) == sorted(
        f"landmarks: line {line} of {archive / 'landmarks.csv'}: visit 'month 13' is not a "
        "visit of protocol DLBP-ChiCTR2200058291; visits: baseline, week_1, month_1, month_3, "
        "month_6, month_12, month_18, month_24"
        for line in first_lines
    )
    assert len(unknown) == 3  # its neutral, flexion and extension films
    radiographs = {"neutral", "flexion", "extension", "flexion-extension"}
    measured = {visit for _, visit, _, _, film in table_values(out) if film in radiographs}
    assert measured == {"baseline", "month_6"}  # month_12's grades are of its MR
    assert ("landmarks.csv", "DLBP-003", "month_6", "landmarks") not in failures(out)
