"""Small files for the landmark file and command-line tests: landmark CSVs and tiny DX images."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from imaging.anatomy import Corner, Vertebra

DIGITAL_X_RAY_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"
HEADER = ("subject", "visit", "film", "image", "vertebra", "corner", "row", "col", "reader")


def landmark_rows(
    corners: dict[Vertebra, dict[Corner, tuple[float, float]]],
    subject: str,
    visit: str,
    film: str,
    image: str,
    reader: str = "R1",
) -> list[tuple[str, ...]]:
    """One CSV row per corner, cranial to caudal."""
    return [
        (subject, visit, film, image, vertebra.value, corner.value, repr(row), repr(col), reader)
        for vertebra, placed in corners.items()
        for corner, (row, col) in placed.items()
    ]


def write_csv(path: Path, rows: Iterable[Sequence[str]], header: Sequence[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_dx(
    path: Path,
    *,
    rows: int = 400,
    columns: int = 200,
    imager_pixel_spacing: tuple[float, float] | None = (0.2, 0.2),
    magnification: float | None = 1.25,
    patient_orientation: tuple[str, str] | None = None,
) -> str:
    """Write a blank DX film with the given calibration attributes; returns its SOPInstanceUID."""
    uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(DIGITAL_X_RAY_FOR_PRESENTATION)
    meta.MediaStorageSOPInstanceUID = uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = Dataset()
    dataset.file_meta = meta
    dataset.SOPClassUID = DIGITAL_X_RAY_FOR_PRESENTATION
    dataset.SOPInstanceUID = uid
    dataset.StudyInstanceUID = generate_uid()
    dataset.SeriesInstanceUID = generate_uid()
    dataset.Modality = "DX"
    dataset.PatientID = "TEST"
    dataset.Rows, dataset.Columns = rows, columns
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit = 8, 8, 7
    dataset.PixelRepresentation = 0
    dataset.PixelData = bytes(rows * columns)
    if imager_pixel_spacing is not None:
        dataset.ImagerPixelSpacing = list(imager_pixel_spacing)
    if magnification is not None:
        dataset.EstimatedRadiographicMagnificationFactor = magnification
    if patient_orientation is not None:
        dataset.PatientOrientation = list(patient_orientation)
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset.save_as(path, enforce_file_format=True)
    return str(uid)
