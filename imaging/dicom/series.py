"""MR/CT series as volumes: axes (slice, row, col), spacing (slice, row, col) in mm.

Geometry is kept in the volume's own axis order. ``direction[k]`` is the unit vector, in patient
coordinates (DICOM LPS, mm), along which index ``k`` of (slice, row, col) increases:
``direction[2]`` is the first triplet of (0020,0037) *Image Orientation (Patient)* (along a row),
``direction[1]`` the second (down a column), ``direction[0]`` their cross product, the slice
normal; slices are sorted by position along it. ``origin`` is the centre of voxel (0, 0, 0), so::

    patient_mm = origin + sum(index[k] * spacing[k] * direction[k] for k in range(3))

SimpleITK order is the reverse: ``sitk_spacing = spacing[::-1]``, ``sitk_direction =
direction[::-1].T`` (flattened row-major).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels.utils import pixel_dtype

from imaging.calibration import Calibration, CalibrationSource
from imaging.dicom.limits import check_series_size
from imaging.dicom.mr_weighting import MrContrast, mr_contrast_of
from imaging.dicom.orientation import plane_of_normal
from imaging.dicom.pixels import apply_modality_lut, decode_pixels
from imaging.dicom.radiograph import WindowPreset, parse_date, window_presets
from imaging.dicom.read import (
    DicomFile,
    open_binary,
    read_dicom_file,
    read_pixel_bytes,
    require_image,
)
from imaging.dicom.slices import SliceGeometry, Stack, stack_slices
from imaging.dicom.trial import ClinicalTrialInfo, text_value
from imaging.dicom.vocabulary import is_cross_sectional
from imaging.dicom.walk import candidate_files
from imaging.errors import NotDicomError, SeriesError, SpineEndpointsError

if TYPE_CHECKING:
    import dask.array as da

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, eq=False)
class ImageSeries:
    """One MR/CT series as a volume (slice, row, col); see the module docstring for geometry."""

    volume: np.ndarray | da.Array
    """Read-only modality values; with ``load_series(..., lazy=True)`` a dask array whose slices
    are decoded on first use and kept (``np.asarray(volume)`` then costs a copy, not a decode)."""
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: np.ndarray
    orientation: str
    """'sagittal', 'coronal', 'axial' or 'oblique' (from the slice normal)."""
    modality: str
    series_instance_uid: str
    study_instance_uid: str
    series_description: str | None
    series_number: int | None
    sop_instance_uids: tuple[str, ...]
    """Per slice, in volume order (one UID repeated for a multi-frame file)."""
    paths: tuple[Path, ...]
    """Per slice, in volume order."""
    slice_spacing_detail: str
    patient_id: str | None
    study_date: date | None
    frame_of_reference_uid: str | None
    trial: ClinicalTrialInfo
    calibration: Calibration
    photometric_interpretation: str
    window_presets: tuple[WindowPreset, ...]
    contrast: MrContrast | None = None
    """An MR series' weighting (T1, T2 ...) from its headers, with the reason; None for CT/PT."""

    @property
    def shape(self) -> tuple[int, int, int]:
        return (int(self.volume.shape[0]), int(self.volume.shape[1]), int(self.volume.shape[2]))

    def index_to_patient(self, index: Sequence[float] | np.ndarray) -> np.ndarray:
        """Patient coordinates (LPS, mm) of (slice, row, col) indices; shape (..., 3)."""
        scaled = np.asarray(index, dtype=float) * np.asarray(self.spacing)
        return np.asarray(self.origin) + scaled @ self.direction


def load_series(
    folder: PathLike,
    series_instance_uid: str | None = None,
    recursive: bool = False,
    lazy: bool = False,
) -> list[ImageSeries]:
    """Every MR/CT/PT series in ``folder``, each separately, in order of series number.

    Files that are not DICOM, DICOMDIR files, what :func:`imaging.dicom.walk.walk` skips or
    cannot open (hidden files, documents, FIFOs, bad links) and non-cross-sectional images
    (radiographs, reports) are passed over: ``spine-endpoints scan`` lists them. Any other bad
    file raises its error. ``series_instance_uid`` loads just that series. A series whose slices
    disagree (orientations, sizes, spacing) raises :class:`SeriesError` naming it.

    ``lazy=True`` reads headers only: each volume is a dask array whose slices are decoded when
    first computed, once (a multi-frame file is still decoded at once). A file whose pixels turn
    out bad then raises its error at that moment instead.
    """
    root = Path(folder)
    if not root.is_dir():
        raise SeriesError(
            "is not a folder", path=root, fix="Give the folder that holds the series' files."
        )
    groups: dict[str, list[DicomFile]] = {}
    for path in candidate_files(root, recursive=recursive):
        try:
            dicom_file = read_dicom_file(path)
        except NotDicomError:
            continue
        dataset = dicom_file.dataset
        if (
            not is_cross_sectional(dataset.get("Modality"))
            or dicom_file.is_media_directory
            or (dicom_file.pixel_data is None and "PixelData" not in dataset)
        ):
            continue
        uid = str(dataset.get("SeriesInstanceUID", "")) or f"(no Series Instance UID) {path}"
        groups.setdefault(uid, []).append(dicom_file)
    if series_instance_uid is not None:
        if series_instance_uid not in groups:
            raise SeriesError(
                f"no series {series_instance_uid} here; series found: "
                + (", ".join(groups) or "none"),
                path=root,
                fix="Pick one of the series found (see `spine-endpoints scan`).",
            )
        groups = {series_instance_uid: groups[series_instance_uid]}
    if not groups:
        raise SeriesError(
            "holds no MR, CT or PT images",
            path=root,
            fix="Give the folder of a cross-sectional series; radiographs load with "
            "load_radiograph().",
        )
    series = [_build(files, root, lazy) for files in groups.values()]
    return sorted(series, key=lambda s: (s.series_number is None, s.series_number or 0))


def load_series_file(path: PathLike) -> ImageSeries:
    """A series held in one file: a single slice, or a multi-frame (enhanced) MR/CT."""
    dicom_file = read_dicom_file(path)
    return _build([dicom_file], Path(path))


def series_of_files(
    files: Sequence[PathLike], problems: list[SpineEndpointsError]
) -> list[ImageSeries]:
    """The series that ``files`` (slices given one by one, e.g. a worklist case's files) belong
    to: whole series per folder, a lone file as its own series; a series that cannot be loaded
    goes to ``problems``."""
    by_folder: dict[Path, set[Path]] = {}
    for file in (Path(f) for f in files):
        by_folder.setdefault(file.parent, set()).add(file.resolve())
    volumes: list[ImageSeries] = []
    for folder, listed in by_folder.items():
        try:
            if len(listed) == 1:
                volumes.append(load_series_file(next(iter(listed))))
                continue
            for series in load_series(folder):
                if listed & {path.resolve() for path in series.paths}:
                    volumes.append(series)
        except SpineEndpointsError as error:
            problems.append(error)
    return volumes


# --- internals ----------------------------------------------------------------------------------
def _build(files: list[DicomFile], where: Path, lazy: bool = False) -> ImageSeries:
    first = files[0].dataset
    label = _series_label(first)
    if len(files) == 1 and int(first.get("NumberOfFrames", 1) or 1) > 1:
        return _build_multiframe(files[0], label)
    geometries: list[SliceGeometry] = []
    for dicom_file in files:
        _, _, frames, samples = require_image(dicom_file)
        if frames != 1 or samples != 1:
            raise SeriesError(
                f"series {label} mixes multi-frame or colour images with single slices",
                path=dicom_file.name,
                fix="Load multi-frame files one by one with load_series_file().",
            )
        geometries.append(SliceGeometry.from_dataset(dicom_file.dataset, dicom_file.name))
    check_series_size(sum(g.rows * g.cols for g in geometries), where)
    stack = stack_slices(geometries, label, str(where), _fallback_spacing(first))
    ordered = [files[i] for i in stack.order]
    volume: np.ndarray | da.Array
    if lazy:
        volume = _lazy_volume(ordered, [geometries[i] for i in stack.order])
    else:
        slices = [_decode_slice(dicom_file) for dicom_file in ordered]
        volume = np.stack(slices).astype(np.result_type(*slices), copy=False)
    return _series(
        first,
        volume,
        stack,
        tuple(str(f.dataset.get("SOPInstanceUID", "")) for f in ordered),
        tuple(Path(f.name) for f in ordered),
        Calibration.from_dataset(first),
    )


def _decode_slice(dicom_file: DicomFile) -> np.ndarray:
    """The modality values of a single-frame file, its pixel bytes read then dropped."""
    with open_binary(dicom_file.name) as (fileobj, _):
        read_pixel_bytes(fileobj, dicom_file)
    stored = decode_pixels(dicom_file.dataset, dicom_file.name)
    values = apply_modality_lut(stored, dicom_file.dataset)
    del dicom_file.dataset.PixelData  # keep only the decoded copy
    return values


def _lazy_volume(ordered: list[DicomFile], geometries: list[SliceGeometry]) -> da.Array:
    """The slices as a dask array, each decoded once on first use; dtype as the eager volume's."""
    import dask
    import dask.array as da

    dtype = np.result_type(
        *(apply_modality_lut(np.zeros((1, 1), pixel_dtype(f.dataset)), f.dataset) for f in ordered)
    )

    lock = threading.Lock()  # one decode at a time: a slice's file is read into its dataset

    @functools.cache
    def decode(position: int) -> np.ndarray:
        with lock:
            values: np.ndarray = _decode_slice(ordered[position]).astype(dtype, copy=False)
        values.flags.writeable = False
        return values

    slices = [
        da.from_delayed(dask.delayed(decode, pure=True)(position), (g.rows, g.cols), dtype)
        for position, g in enumerate(geometries)
    ]
    return da.stack(slices)


def _build_multiframe(dicom_file: DicomFile, label: str) -> ImageSeries:
    name = dicom_file.name
    dataset = dicom_file.dataset
    frames = require_image(dicom_file)[2]
    geometries = SliceGeometry.from_functional_groups(dataset, name, frames)
    stack = stack_slices(geometries, label, name, _fallback_spacing(dataset))
    with open_binary(name) as (fileobj, _):
        read_pixel_bytes(fileobj, dicom_file)
    stored = decode_pixels(dataset, name)
    frames_out = []
    for index in stack.order:
        frame_ds = geometries[index].rescale_dataset or dataset
        frames_out.append(apply_modality_lut(stored[index], frame_ds))
    volume = np.stack(frames_out).astype(np.result_type(*frames_out), copy=False)
    spacing = (stack.spacing[1], stack.spacing[2])
    calibration = Calibration(
        spacing,
        CalibrationSource.PATIENT,
        "(0028,0030) Pixel Spacing of the Pixel Measures Sequence",
    )
    uid = str(dataset.get("SOPInstanceUID", ""))
    return _series(dataset, volume, stack, (uid,) * frames, (Path(name),) * frames, calibration)


def _series(
    first: Dataset,
    volume: np.ndarray | da.Array,
    stack: Stack,
    sop_instance_uids: tuple[str, ...],
    paths: tuple[Path, ...],
    calibration: Calibration,
) -> ImageSeries:
    if isinstance(volume, np.ndarray):
        volume.flags.writeable = False
    number = first.get("SeriesNumber")
    modality = str(first.get("Modality", "")).upper()
    return ImageSeries(
        volume=volume,
        spacing=stack.spacing,
        origin=stack.origin,
        direction=stack.direction,
        orientation=plane_of_normal(stack.direction[0]),
        modality=modality,
        series_instance_uid=str(first.get("SeriesInstanceUID", "")),
        study_instance_uid=str(first.get("StudyInstanceUID", "")),
        series_description=text_value(first, "SeriesDescription"),
        series_number=int(number) if number not in (None, "") else None,
        sop_instance_uids=sop_instance_uids,
        paths=paths,
        slice_spacing_detail=stack.spacing_detail,
        patient_id=text_value(first, "PatientID"),
        study_date=parse_date(first.get("StudyDate")),
        frame_of_reference_uid=text_value(first, "FrameOfReferenceUID"),
        trial=ClinicalTrialInfo.from_dataset(first),
        calibration=calibration,
        photometric_interpretation=str(first.get("PhotometricInterpretation", "")).strip(),
        window_presets=window_presets(first),
        contrast=mr_contrast_of(first) if modality == "MR" else None,
    )


def _fallback_spacing(dataset: Dataset) -> tuple[float | None, str]:
    """Slice spacing for a one-slice series, which has no positions to measure it from."""
    for keyword, label in (
        ("SpacingBetweenSlices", "(0018,0088) Spacing Between Slices"),
        ("SliceThickness", "(0018,0050) Slice Thickness"),
    ):
        try:
            value = float(dataset.get(keyword) or 0)
        except (TypeError, ValueError):
            continue
        if value > 0:
            return value, f"one slice: {label}"
    return None, "one slice and no thickness"


def _series_label(dataset: Dataset) -> str:
    number = dataset.get("SeriesNumber")
    description = text_value(dataset, "SeriesDescription")
    uid = str(dataset.get("SeriesInstanceUID", ""))
    parts = [f"#{number}" if number not in (None, "") else "", repr(description or ""), uid]
    return " ".join(p for p in parts if p and p != "''")
