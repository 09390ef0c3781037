"""A worklist case as a reader's session receives it: a reading id and pixels, nothing that names
the patient (issue 16, blinded reading).

The store resolves the case's files, loads them with :mod:`imaging.dicom` and hands on, per
image, only the pixels and what measuring needs (:class:`BlindedImage`): the calibration with its
source and detail, the Patient Orientation, the film, the modality and photometric
interpretation, the file's window centre and width (not its explanation, free text), a series'
plane and slice spacing. No subject or patient id, visit, date, path, UID, institution, study or
series description leaves it. Each image is named by a token (:func:`image_token`: a hash of the
reading id and the SOP Instance UID); the store turns the tokens a read's corners and films carry
into the stored image names when a read is saved (:func:`named_as_stored`) and back when it is
resumed (:func:`named_by_token`). A file that cannot be loaded is reported by its token, its
path taken out of the message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from imaging.anatomy import Film
from imaging.calibration import Calibration
from imaging.dicom.film import detect_film
from imaging.dicom.radiograph import load_radiograph
from imaging.dicom.read import read_header
from imaging.dicom.series import series_of_files
from imaging.dicom.vocabulary import is_cross_sectional
from imaging.errors import SpineEndpointsError, StoreError
from imaging.store.archive_roots import absolute
from imaging.store.read_content import ReadContent
from imaging.store.reader_access import case_files


@dataclass(frozen=True)
class BlindedImage:
    """One image of a blinded case. ``pixels``: (row, col), (row, col, 3) for RGB, or (slice, row,
    col) for a series; ``window_presets``: (centre, width) pairs from the file;
    ``patient_orientation``: (0020,0020), patient directions of increasing col, then row;
    ``slice_spacing_mm`` and ``orientation`` (sagittal ...): series only."""

    token: str
    kind: str
    """``radiograph`` or ``series``."""
    pixels: Any
    calibration: Calibration
    modality: str
    film: Film | None = None
    photometric_interpretation: str = ""
    window_presets: tuple[tuple[float, float], ...] = ()
    patient_orientation: tuple[str, ...] = ()
    slice_spacing_mm: float | None = None
    slice_spacing_detail: str = ""
    orientation: str = ""
    weighting: str = ""
    """An MR series' weighting (``T2``, ``T1`` ...: :mod:`imaging.dicom.mr_weighting`), an
    acquisition parameter that names nobody; empty for films and CT."""

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.pixels.shape)


def image_token(reading_id: str, sop_instance_uid: str) -> str:
    """How a blinded session names an image: ``img-`` and 12 hex digits, the same every time the
    case opens, meaningless without the store."""
    digest = hashlib.sha256(f"{reading_id}\x00{sop_instance_uid}".encode()).hexdigest()
    return f"img-{digest[:12]}"


_FILM_ORDER = {Film.NEUTRAL: 0, Film.FLEXION: 1, Film.EXTENSION: 2, None: 3}
"""The order a case's films load and are read in."""


@dataclass(frozen=True)
class _CaseFile:
    token: str
    stored: str
    """The name a read's corners give the image in the store: its SOP Instance UID."""
    names: frozenset[str]
    """Every name a stored read may give the image (UID, stored path, file)."""
    file: str
    film: Film | None
    modality: str


class CaseImages:
    """The images of one worklist case, loaded by :meth:`stages` (off a GUI thread if need be).

    It holds the files and never hands them on; :attr:`problems` lists, by token, the images that
    could not be loaded.
    """

    def __init__(self, reading_id: str, files: list[_CaseFile]) -> None:
        self.reading_id = reading_id
        self._files = files
        self.problems: list[str] = []

    def __len__(self) -> int:
        return len(self._files)

    def films(self) -> list[BlindedImage]:
        """The radiographs (neutral, flexion, extension, then others)."""
        return [film for stage in self._film_stages() for film in stage]

    def _film_stages(self) -> Iterator[list[BlindedImage]]:
        """The first film (neutral, else flexion ...: the film read first), then the others in
        that order. The order comes from the headers alone (:func:`read_header`, milliseconds
        a file) so that the first film is decoded and on screen before the others are."""
        files = sorted(
            (each for each in self._files if not is_cross_sectional(each.modality)),
            key=lambda each: _FILM_ORDER[self._film_of(each)],
        )
        for part in (files[:1], files[1:]):
            films = []
            for each in part:
                try:
                    films.append(_radiograph(each))
                except SpineEndpointsError as error:
                    self.problems.append(self._blinded(each, error))
            yield sorted(films, key=lambda image: _FILM_ORDER[image.film])

    def _film_of(self, each: _CaseFile) -> Film | None:
        """The film a file's header names (else the one it was registered as); None when
        neither says or the header cannot be read (the decode says why)."""
        try:
            return detect_film(read_header(each.file))[0] or each.film
        except SpineEndpointsError:
            return each.film

    def series(self) -> list[BlindedImage]:
        """The MR/CT series, each as one volume (slice, row, col)."""
        files = [each for each in self._files if is_cross_sectional(each.modality)]
        errors: list[SpineEndpointsError] = []
        loaded = series_of_files([each.file for each in files], errors)
        self.problems += [self._blinded_text(files, str(error)) for error in errors]
        by_uid = {name: each for each in files for name in each.names}
        images = []
        for volume in loaded:
            first = next((by_uid[u] for u in volume.sop_instance_uids if u in by_uid), None)
            token = (
                first.token if first else image_token(self.reading_id, volume.series_instance_uid)
            )
            images.append(
                BlindedImage(
                    token, "series", volume.volume, volume.calibration, volume.modality,
                    photometric_interpretation=volume.photometric_interpretation,
                    window_presets=tuple((p.center, p.width) for p in volume.window_presets),
                    slice_spacing_mm=float(volume.spacing[0]),
                    slice_spacing_detail=volume.slice_spacing_detail,
                    orientation=volume.orientation,
                    weighting="" if volume.contrast is None else volume.contrast.weighting.value,
                )
            )  # fmt: skip
        return images

    def stages(self) -> Iterator[list[BlindedImage]]:
        """The first film, the other films, then the series (quick to show first, then slow to
        decode); raises :class:`~imaging.errors.StoreError` when nothing at all loads."""
        films = []
        for stage in self._film_stages():
            films += stage
            yield stage
        series = self.series()
        if not films and not series:
            listed = "; ".join(self.problems) or "the case has no registered image"
            raise StoreError(f"case {self.reading_id}: no image could be loaded: {listed}")
        yield series

    def _blinded(self, each: _CaseFile, error: SpineEndpointsError) -> str:
        return self._blinded_text([each], str(error))

    def _blinded_text(self, files: list[_CaseFile], text: str) -> str:
        """``text`` with every file path replaced by its image's token."""
        for each in files:
            for name in sorted({each.file, absolute(each.file), Path(each.file).name}, key=len)[
                ::-1
            ]:
                text = text.replace(name, each.token)
            text = text.replace(str(Path(each.file).parent), "<folder>")
        return f"case {self.reading_id}: {text}"


def _radiograph(each: _CaseFile) -> BlindedImage:
    film = load_radiograph(each.file)
    return BlindedImage(
        each.token, "radiograph", film.pixels, film.calibration, film.modality,
        film=film.film or each.film,
        photometric_interpretation=film.photometric_interpretation,
        window_presets=tuple((p.center, p.width) for p in film.window_presets),
        patient_orientation=film.patient_orientation,
    )  # fmt: skip


def _case_files(session: Session, reading_id: str) -> list[_CaseFile]:
    files = []
    for _, uid, path, file, film, modality in case_files(session, reading_id):
        names = frozenset({uid, path, file, absolute(file)})
        files.append(
            _CaseFile(
                image_token(reading_id, uid), uid, names, file, _film(film), modality,
            )
        )  # fmt: skip
    return files


def _film(value: str) -> Film | None:
    try:
        return Film(value)
    except ValueError:  # registered without a film (an MR or CT image)
        return None


def case_images(session: Session, reading_id: str) -> CaseImages:
    """The images of the case ``reading_id``, to be loaded by :meth:`CaseImages.stages` (outside
    the transaction: loading reads no table)."""
    return CaseImages(reading_id, _case_files(session, reading_id))


def _renamed(content: ReadContent, names: Mapping[str, str]) -> ReadContent:
    landmarks = {
        key: replace(point, image=names.get(point.image, point.image))
        for key, point in content.landmarks.items()
    }
    films = {
        names.get(image, image): replace(record, image=names.get(record.image, record.image))
        for image, record in content.films.items()
    }
    return replace(content, landmarks=landmarks, films=films)


def named_as_stored(session: Session, reading_id: str, content: ReadContent) -> ReadContent:
    """``content`` with the case's image tokens replaced by the names the store keeps (the SOP
    Instance UIDs); refused when a corner names an image that is not this case's."""
    files = _case_files(session, reading_id)
    names = {each.token: each.stored for each in files}
    known = set(names).union(*(each.names for each in files))
    given = {p.image for p in content.landmarks.values()} | set(content.films)
    unknown = sorted(given - known)
    if unknown:
        raise StoreError(
            f"case {reading_id}: the read names image(s) {', '.join(unknown)} that are not "
            "images of this case",
            fix="Open the case from the worklist and place the corners on its films.",
        )
    return _renamed(content, names)


def named_by_token(session: Session, reading_id: str, content: ReadContent) -> ReadContent:
    """``content`` (as stored) with the case's images named by their tokens."""
    names = {name: each.token for each in _case_files(session, reading_id) for name in each.names}
    return _renamed(content, names)
