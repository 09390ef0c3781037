"""Find the image of each landmarked film and read its calibration and orientation from the header.

The ``image`` of a landmark row is a file path, tried relative to the landmark file's folder,
then to the current folder (absolute paths as they are), or a SOPInstanceUID looked up in an
archive folder (headers scanned once, only when a UID is asked for). A user-supplied
``mm_per_pixel`` overrides every header and lets landmarks be measured without their images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from imaging.calibration import Calibration
from imaging.dicom import read_header
from imaging.errors import LandmarkError

_UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")


class ArchiveIndex:
    """SOPInstanceUID -> file path of every DICOM file under a folder, scanned on first use."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise LandmarkError(
                "the archive is not a folder", path=self.folder, fix="Give --archive DIR."
            )
        self._paths: dict[str, Path] | None = None

    def find(self, uid: str) -> Path | None:
        if self._paths is None:
            self._paths = {}
            for path in sorted(p for p in self.folder.rglob("*") if p.is_file()):
                try:
                    header = pydicom.dcmread(
                        path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"]
                    )
                except (InvalidDicomError, OSError, EOFError, ValueError):
                    continue  # not a DICOM image: simply not a candidate
                found = str(getattr(header, "SOPInstanceUID", "") or "")
                if found:
                    self._paths.setdefault(found, path)
        return self._paths.get(uid)


def locate_image(
    image: str, landmark_file: Path, archive: ArchiveIndex | None = None
) -> tuple[Path | None, list[str]]:
    """The image's path (None when not found) and the places that were tried."""
    candidate = Path(image)
    places = [candidate] if candidate.is_absolute() else [landmark_file.parent / image, Path(image)]
    for place in places:
        if place.is_file():
            return place, []
    tried = [str(p) for p in places]
    if _UID.match(image):
        if archive is not None:
            found = archive.find(image)
            if found is not None:
                return found, []
            tried.append(f"SOPInstanceUID in {archive.folder}")
        else:
            tried.append("no --archive given to look up a SOPInstanceUID")
    return None, tried


def anterior_direction(dataset: Dataset) -> tuple[float, float] | None:
    """(row, col) vector toward anterior from (0020,0020) *Patient Orientation*, if it says.

    The first value is the direction of increasing col, the second of increasing row; each
    containing ``A`` or ``P`` contributes +1 or -1 on that axis.
    """
    values = getattr(dataset, "PatientOrientation", None)
    if not values or isinstance(values, str) or len(values) != 2:
        return None
    along_col, along_row = (str(v).upper() for v in values)

    def sign(text: str) -> float:
        return (
            1.0
            if "A" in text and "P" not in text
            else -1.0
            if "P" in text and "A" not in text
            else 0.0
        )

    direction = (sign(along_row), sign(along_col))
    return direction if any(direction) else None


@dataclass(frozen=True)
class FilmHeader:
    """What measuring needs from a film's header."""

    calibration: Calibration
    anterior_direction: tuple[float, float] | None
    shape: tuple[int, int] | None
    """(Rows, Columns), None when the header does not say."""


def film_header(path: Path) -> FilmHeader:
    """Calibration, anterior direction and size of a film; raises the reader's DicomReadError."""
    dataset = read_header(path)
    rows, columns = getattr(dataset, "Rows", None), getattr(dataset, "Columns", None)
    shape = (int(rows), int(columns)) if rows and columns else None
    return FilmHeader(Calibration.from_dataset(dataset), anterior_direction(dataset), shape)
