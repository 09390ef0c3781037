"""The films a subject's rows were measured on, as thumbnails with the corners measured.

The corners come from the batch's ``corners.csv`` (read with the landmark file reader, so a
damaged line is refused with its file and line); the films from the archive recorded in
``provenance.json`` (``inputs.archive``), each checked against the SHA-256 the batch recorded for
it: a film that is missing, unreadable or changed since the batch is not drawn, and the page says
why (a thumbnail of another image than the one measured would mislead).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from imaging.anatomy import Corner, Film, Vertebra
from imaging.dicom.radiograph import load_radiograph
from imaging.digests import FileDigest
from imaging.errors import SpineEndpointsError
from imaging.landmark_files.reader import LandmarkRecord, read_landmark_records
from imaging.output_folder import CORNERS_CSV
from imaging.report.data import ReportData
from imaging.report.thumbnails import Thumbnail, film_thumbnail

FILM_ORDER = (Film.NEUTRAL, Film.FLEXION, Film.EXTENSION)


@dataclass(frozen=True)
class FilmView:
    """One reader's measured film of a visit: its thumbnail, or why there is none."""

    subject: str
    visit: str
    film: Film
    image: str
    """As in ``corners.csv``: relative to the archive."""
    reader: str
    corners: int
    thumbnail: Thumbnail | None
    problem: str = ""


class FilmSource:
    """The corners of a batch output folder and the archive its films are in."""

    def __init__(self, data: ReportData, out_dir: str | Path) -> None:
        inputs = data.provenance.get("inputs", {})
        archive = inputs.get("archive")
        self.archive = Path(archive) if isinstance(archive, str) and archive else None
        self._digests = {
            str(entry.get("path")): str(entry.get("sha256"))
            for entry in inputs.get("images", [])
            if isinstance(entry, dict)
        }
        self._records: dict[tuple[str, str, Film, str, str], list[LandmarkRecord]] = {}
        self.problem = ""
        path = Path(out_dir) / CORNERS_CSV
        if not path.is_file():
            self.problem = (
                f"no {CORNERS_CSV} in this output (written by batches of this version): rerun "
                "`spine-endpoints batch` with the same --out to show the films"
            )
            return
        with path.open("rb") as stream:
            stream.readline()
            if not stream.readline().strip():
                return  # the header alone: no film was measured (the landmark reader refuses it)
        for record in read_landmark_records(path):
            key = (record.subject, record.visit, record.film, record.image, record.reader)
            self._records.setdefault(key, []).append(record)

    def views(self, subject: str) -> Iterator[FilmView]:
        """The subject's measured films, visit by visit (as the table lists them), neutral first."""
        keys = sorted(
            (key for key in self._records if key[0] == subject),
            key=lambda key: (FILM_ORDER.index(key[2]) if key[2] in FILM_ORDER else 9, key[4]),
        )
        for key in keys:
            _, visit, film, image, reader = key
            records = self._records[key]
            thumbnail, problem = self._thumbnail(image, records)
            yield FilmView(subject, visit, film, image, reader, len(records), thumbnail, problem)

    def _thumbnail(self, image: str, records: list[LandmarkRecord]) -> tuple[Thumbnail | None, str]:
        if self.archive is None and not Path(image).is_absolute():
            return None, "not shown: provenance.json names no archive to find the film in"
        path = Path(image) if Path(image).is_absolute() else (self.archive or Path()) / image
        try:
            recorded = self._digests.get(str(path))
            if recorded and FileDigest.of(path).sha256 != recorded:
                return None, (
                    f"not shown: {path} changed since the batch (its SHA-256 differs from the "
                    "one in provenance.json); rerun the batch to measure the film as it is now"
                )
            radiograph = load_radiograph(path)
        except OSError as error:
            return None, f"not shown: {path} cannot be read ({error.strerror or error})"
        except SpineEndpointsError as error:
            return None, f"not shown: {error}"
        if radiograph.pixels.ndim != 2:
            return None, f"not shown: {path} is a colour image"
        corners: dict[Vertebra | str, dict[Corner | str, tuple[float, float]]] = {}
        for record in records:
            corners.setdefault(record.vertebra, {})[record.corner] = (record.row, record.col)
        thumbnail = film_thumbnail(
            radiograph.pixels, corners, bone_bright=not radiograph.inverted_for_display
        )
        return thumbnail, ""
