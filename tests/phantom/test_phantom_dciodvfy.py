"""The sample files pass dicom3tools' IOD validator (a real peer, not our own reader)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
DCIODVFY = shutil.which("dciodvfy")
# The one film written without any spacing on purpose breaks the DX IOD (Imager Pixel Spacing is
# Type 1): that is the point of it.
UNCALIBRATED = SAMPLES / "DLBP-003" / "month_12" / "DX_lateral_flexion.dcm"


def _errors(path: Path) -> list[str]:
    assert DCIODVFY is not None
    result = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, check=False)
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if line.startswith("Error")]


@pytest.mark.skipif(DCIODVFY is None, reason="dciodvfy (Debian dicom3tools) not installed")
@pytest.mark.parametrize(
    "path",
    [
        *sorted(SAMPLES.glob("DLBP-00*/*/DX_*.dcm")),
        *sorted(SAMPLES.glob("DLBP-00*/baseline/MR_sag_T*/IM0006.dcm")),
    ],
    ids=lambda p: str(p.relative_to(SAMPLES)),
)
def test_sample_file_is_a_valid_iod(path: Path) -> None:
    errors = _errors(path)
    if path == UNCALIBRATED:
        assert errors == [
            "Error - Missing attribute Type 1 Required Element=<ImagerPixelSpacing> "
            "Module=<DXDetector>"
        ]
    else:
        assert errors == []
