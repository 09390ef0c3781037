"""Find the image of each landmarked film and read its calibration and orientation from the header.

The ``image`` of a landmark row is a file path, tried relative to the landmark file's folder,
then to the current folder (absolute paths as they are), or a (0008,0018) *SOP Instance UID*
looked up in an archive folder: walked once by :func:`imaging.dicom.walk.walk` (archives passed
over: a member has no path to open), each file sniffed by :func:`imaging.dicom.sniff.dicom_tags`,
only when a UID is asked for. The anterior direction comes from (0020,0020) *Patient
Orientation* (:func:`imaging.dicom.orientation.anterior_direction`). A user-supplied
``mm_per_pixel`` overrides every header and lets landmarks be measured without their images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from imaging.calibration import Calibration
from imaging.dicom import read_header
from imaging.dicom.orientation import anterior_direction
from imaging.dicom.sniff import dicom_tags
from imaging.dicom.walk import Problem, walk
from imaging.errors import LandmarkError

_UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")


class ArchiveIndex:
    """SOPInstanceUID -> file path of every DICOM file under a folder, walked on first use.

    ``problems`` lists what the walk could not open (unlistable folders, bad links, FIFOs).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise LandmarkError(
                "the archive is not a folder", path=self.folder, fix="Give --archive DIR."
            )
        self._paths: dict[str, Path] | None = None
        self.problems: list[Problem] = []

    def find(self, uid: str) -> Path | None:
        """The file whose (0008,0018) *SOP Instance UID* is ``uid``; None when none is."""
        return self._index().get(uid)

    def paths(self) -> list[Path]:
        """Every DICOM file indexed, in walk order."""
        return list(self._index().values())

    def _index(self) -> dict[str, Path]:
        if self._paths is None:
            self._paths = {}
            for item in walk(self.folder, archives=False):
                if isinstance(item, Problem):
                    self.problems.append(item)
                    continue
                tags = dicom_tags(item.path, ("SOPInstanceUID",))
                found = (tags or {}).get("SOPInstanceUID", "")
                if found:  # a file that is not DICOM is simply not a candidate
                    self._paths.setdefault(found, item.path)
        return self._paths


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
            unopened = f" ({len(archive.problems)} unopened: `scan` lists them)"
            tried.append(
                f"SOPInstanceUID in {archive.folder}" + (unopened if archive.problems else "")
            )
        else:
            tried.append("no --archive given to look up a SOPInstanceUID")
    return None, tried


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
    orientation = anterior_direction(dataset.get("PatientOrientation"))
    return FilmHeader(Calibration.from_dataset(dataset), orientation, shape)
