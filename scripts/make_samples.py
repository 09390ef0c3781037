#!/usr/bin/env python
"""Regenerate the committed sample studies in sample_dicom/ (deterministic).

Same as ``spine-endpoints phantom --samples --out sample_dicom``, then (with no OUT given) the AS
trial's ``spine-endpoints phantom --as-samples --out sample_dicom_as``. Usage:
``python scripts/make_samples.py [OUT]`` (default: sample_dicom next to this script's folder).
"""

from __future__ import annotations

import sys
from pathlib import Path

from imaging.cli import main

if __name__ == "__main__":
    default = Path(__file__).resolve().parent.parent / "sample_dicom"
    out = sys.argv[1] if len(sys.argv) > 1 else str(default)
    status = main(["phantom", "--samples", "--out", out])
    if status == 0 and len(sys.argv) == 1:
        status = main(
            ["phantom", "--as-samples", "--out", str(default.with_name("sample_dicom_as"))]
        )
    sys.exit(status)
