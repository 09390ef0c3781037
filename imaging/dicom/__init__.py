"""DICOM input: safe reading, projection radiographs, MR/CT series and a fast header scan.

Inside, coordinates are (row, col) and volumes (slice, row, col); DICOM (0028,0030) Pixel Spacing
is already (row, col). Every problem with a file raises a subclass of
:class:`imaging.errors.DicomReadError` whose message names the file, what is wrong and the fix.
"""

from imaging.dicom.film import detect_film, films_named
from imaging.dicom.limits import (
    MAX_FILE_BYTES,
    MAX_IMAGE_SAMPLES,
    MAX_INFLATED_BYTES,
    MAX_SERIES_SAMPLES,
)
from imaging.dicom.pixels import (
    DECODER_PACKAGES,
    apply_modality_lut,
    check_decoder,
    decode_pixels,
)
from imaging.dicom.radiograph import Radiograph, WindowPreset, load_radiograph
from imaging.dicom.read import read_dataset, read_header
from imaging.dicom.scan import scan, scan_file
from imaging.dicom.scan_records import ScanRecord, ScanStatus, ScanSummary
from imaging.dicom.series import ImageSeries, load_series, load_series_file
from imaging.dicom.trial import ClinicalTrialInfo

__all__ = [
    "DECODER_PACKAGES",
    "MAX_FILE_BYTES",
    "MAX_IMAGE_SAMPLES",
    "MAX_INFLATED_BYTES",
    "MAX_SERIES_SAMPLES",
    "ClinicalTrialInfo",
    "ImageSeries",
    "Radiograph",
    "ScanRecord",
    "ScanStatus",
    "ScanSummary",
    "WindowPreset",
    "apply_modality_lut",
    "check_decoder",
    "decode_pixels",
    "detect_film",
    "films_named",
    "load_radiograph",
    "load_series",
    "load_series_file",
    "read_dataset",
    "read_header",
    "scan",
    "scan_file",
]
