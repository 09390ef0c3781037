"""corners.csv: the corners every endpoint row was measured from, re-measurable as landmarks."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from batch_helpers import keep_subject

from imaging.batch.model import CORNER_COLUMNS
from imaging.cli import main


def test_corners_csv_holds_every_read_corner_and_measures_the_same_table_again(
    archive_copy: Path, tmp_path: Path
) -> None:
    archive = keep_subject(archive_copy, "DLBP-003")
    first = tmp_path / "first"
    main(["batch", str(archive), "--out", str(first)])

    corners = pd.read_csv(first / "corners.csv", dtype=str, keep_default_na=False)
    read = pd.read_csv(archive / "landmarks.csv", dtype=str, keep_default_na=False)
    assert tuple(corners.columns) == CORNER_COLUMNS
    key = ["subject", "visit", "film", "image", "vertebra", "corner", "reader"]
    # Every corner the reader placed, at full precision, relative to the archive; clicks.
    merged = read.merge(corners, on=key, suffixes=("_read", "_measured"), validate="1:1")
    assert len(merged) == len(read) == len(corners)
    assert (merged["row_read"].astype(float) == merged["row_measured"].astype(float)).all()
    assert (merged["col_read"].astype(float) == merged["col_measured"].astype(float)).all()
    assert set(corners["corners"]) == {"click"}
    assert set(corners["image"]) == {
        f"DLBP-003/{visit}/DX_lateral_{film}.dcm"
        for visit in ("baseline", "month_6", "month_12")
        for film in ("neutral", "flexion", "extension")
    }

    # Given back as the landmark file (from the archive folder: the images are relative to it),
    # the same corners give the same endpoint table, byte for byte.
    again = tmp_path / "again"
    here = Path.cwd()
    os.chdir(archive)
    try:
        main(["batch", ".", "--landmarks", str(first / "corners.csv"), "--out", str(again)])
    finally:
        os.chdir(here)
    assert (again / "endpoints.csv").read_bytes() == (first / "endpoints.csv").read_bytes()
