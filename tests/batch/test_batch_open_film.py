"""What the batch keeps of a film is what the viewer's loader reads from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from imaging.batch.open_film import open_film
from imaging.dicom.orientation import anterior_direction
from imaging.dicom.radiograph import load_radiograph


def _pydicom_file(name: str) -> Path:
    found = get_testdata_file(name)
    assert found is not None, f"pydicom test file {name} is missing"
    return Path(str(found))


@pytest.mark.parametrize(
    "path",
    [
        # calibrated, neutral, with the trial's (0012,0020)
        Path("DLBP-001/baseline/DX_lateral_neutral.dcm"),
        # the sample's film without a pixel spacing
        Path("DLBP-003/month_12/DX_lateral_flexion.dcm"),
        _pydicom_file("RG1_UNCR.dcm"),  # CR, MONOCHROME1, a patient named, no film named
        _pydicom_file("SC_rgb_jpeg_dcmtk.dcm"),  # colour: no pixels are kept
    ],
    ids=["calibrated", "uncalibrated", "monochrome1", "colour"],
)
def test_the_batch_keeps_what_the_loader_reads(sample_archive: Path, path: Path) -> None:
    path = sample_archive / path  # an absolute path stays as it is
    radiograph = load_radiograph(path)

    kept = open_film(str(path), keep_pixels=True)

    assert kept.calibration == radiograph.calibration
    assert kept.anterior_direction == anterior_direction(radiograph.patient_orientation)
    assert kept.film == (radiograph.film.value if radiograph.film else "")
    assert kept.shape == (radiograph.rows, radiograph.cols)
    assert kept.bone_bright is not radiograph.inverted_for_display
    assert kept.identifying == radiograph.identifying
    assert kept.trial_protocol_id == radiograph.trial.protocol_id
    if radiograph.pixels.ndim == 2:
        assert kept.pixels is not None
        np.testing.assert_array_equal(kept.pixels, radiograph.pixels)
    else:
        assert kept.pixels is None
    assert open_film(str(path)).pixels is None
