"""The npe2 reader: a DICOM file, a folder, a whole study, extension-less files included.

:func:`napari_get_reader` only sniffs (:mod:`imaging.dicom.sniff`) and returns None for anything
that is not DICOM; it never raises. The returned function loads with :mod:`imaging.dicom`: one
3-D layer per MR/CT series (added first, so a new viewer opens them on the middle, mid-sagittal
slice) and one image layer per radiograph (neutral, flexion, extension); only the first film is
shown. A folder is walked by :func:`imaging.dicom.walk.walk` (archives passed over); a file that
cannot be loaded, a FIFO, a bad link or a folder that cannot be listed is left out and named in
a warning; only when nothing at all loads does reading fail, with the first error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imaging.anatomy import Film
from imaging.dicom.radiograph import load_radiograph
from imaging.dicom.read import read_header
from imaging.dicom.series import ImageSeries, load_series, series_of_files
from imaging.dicom.sniff import is_dicom_file, opens_as_dicom
from imaging.dicom.vocabulary import is_cross_sectional
from imaging.dicom.walk import Problem, walk
from imaging.errors import SpineEndpointsError
from napari_spine_endpoints._layers import LayerData, film_of, radiograph_layer, series_layer

PathOrPaths = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
ReaderFunction = Callable[[PathOrPaths], list[LayerData]]

_FILM_ORDER = {Film.NEUTRAL: 0, Film.FLEXION: 1, Film.EXTENSION: 2, None: 3}


def napari_get_reader(path: PathOrPaths) -> ReaderFunction | None:
    """The reader for ``path`` (or every path of a list) when it is DICOM, else None."""
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    if not paths or not all(opens_as_dicom(p) for p in paths):
        return None
    return read_dicom


@dataclass
class StudyContents:
    """What a folder holds, by kind: radiograph files and folders with cross-sectional files."""

    radiographs: list[Path] = field(default_factory=list)
    series_folders: list[Path] = field(default_factory=list)
    series_files: list[Path] = field(default_factory=list)
    problems: list[SpineEndpointsError] = field(default_factory=list)


def survey(folder: Path) -> StudyContents:
    """Sort the DICOM files under ``folder`` by kind from their headers (no pixel data read)."""
    contents = StudyContents()
    for item in walk(folder, archives=False):
        if isinstance(item, Problem):
            contents.problems.append(item.error())
            continue
        path = item.path
        if not is_dicom_file(path):
            continue
        try:
            header = read_header(path)
        except SpineEndpointsError as error:
            contents.problems.append(error)
            continue
        if is_cross_sectional(header.get("Modality")):
            if path.parent not in contents.series_folders:
                contents.series_folders.append(path.parent)
        elif "PixelData" in header or header.get("Rows"):
            contents.radiographs.append(path)
    return contents


def collect(path: PathOrPaths) -> StudyContents:
    """Sort the files under ``path`` (a file, a folder or a list) by kind, from headers only."""
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    contents = StudyContents()
    for item in (Path(p) for p in paths):
        if item.is_dir():
            found = survey(item)
            contents.radiographs += found.radiographs
            contents.series_folders += found.series_folders
            contents.problems += found.problems
            continue
        try:
            modality = read_header(item).get("Modality")
        except SpineEndpointsError as error:
            contents.problems.append(error)
            continue
        if is_cross_sectional(modality):
            contents.series_files.append(item)
        else:
            contents.radiographs.append(item)
    return contents


def load_films(contents: StudyContents) -> list[LayerData]:
    """The radiographs as layers, neutral then flexion then extension (bad files to problems)."""
    films: list[LayerData] = []
    for film_path in contents.radiographs:
        try:
            films.append(radiograph_layer(load_radiograph(film_path)))
        except SpineEndpointsError as error:
            contents.problems.append(error)
    return sorted(films, key=lambda layer: _FILM_ORDER[film_of(layer[1])])


def load_volumes(contents: StudyContents, lazy: bool = False) -> list[LayerData]:
    """Every MR/CT series as a 3-D layer (bad series to problems).

    ``lazy``: a series folder's slices are decoded when napari first shows them (a dask array).
    """
    volumes: list[ImageSeries] = []
    for folder in contents.series_folders:
        try:
            volumes += load_series(folder, lazy=lazy)
        except SpineEndpointsError as error:
            contents.problems.append(error)
    volumes += series_of_files(contents.series_files, contents.problems)
    return [series_layer(series) for series in volumes]


def read_dicom(path: PathOrPaths) -> list[LayerData]:
    """Load every image under ``path`` (a file, a folder or a list of them) as layer data."""
    contents = collect(path)
    # The series come hidden: their slices are decoded when one is shown, not before the films.
    films, volumes = load_films(contents), load_volumes(contents, lazy=True)
    # Volumes first: a viewer whose first layer is 3-D opens it on the middle (mid-sagittal) slice.
    layers = volumes + films
    _show_first_only(layers, first=len(volumes) if films else 0)
    _check_loaded(layers, contents, path)
    return layers


def _check_loaded(layers: list[LayerData], contents: StudyContents, path: PathOrPaths) -> None:
    """Raise when nothing loaded; warn about the files left out."""
    if not layers:
        if contents.problems:
            raise contents.problems[0]
        raise SpineEndpointsError(
            "no radiograph or MR/CT image found", path=str(path), fix="Open a DICOM study."
        )
    if contents.problems:
        _warn(contents.problems)


def _show_first_only(layers: list[LayerData], first: int) -> None:
    """Of several images, show only the one at ``first`` (the first film, else the first series)."""
    for index, (_, kwargs, _) in enumerate(layers):
        kwargs["visible"] = index == first


def _warn(problems: Sequence[SpineEndpointsError]) -> None:
    from napari.utils.notifications import show_warning

    listed = "\n".join(f"- {problem}" for problem in problems[:10])
    more = f"\n... and {len(problems) - 10} more" if len(problems) > 10 else ""
    show_warning(f"{len(problems)} file(s) could not be opened and were left out:\n{listed}{more}")
