"""Slice geometry of MR/CT images and how a set of slices stacks into a volume.

Positions and directions are patient coordinates (DICOM LPS, mm). Axis order is (slice, row, col)
as in :mod:`imaging.dicom.series`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from imaging.dicom.orientation import plane_of_normal
from imaging.errors import SeriesError

#: Largest difference between direction cosines still taken as the same orientation.
ORIENTATION_TOLERANCE = 1e-3
#: Slice gaps may differ from their median by this fraction (plus 0.01 mm) and still be even.
GAP_TOLERANCE = 0.05


@dataclass(frozen=True, eq=False)
class SliceGeometry:
    """Where one slice (or one frame) lies: (0020,0032), (0020,0037), (0028,0030), size."""

    position: np.ndarray
    orientation: np.ndarray
    pixel_spacing: tuple[float, float] | None
    rows: int
    cols: int
    source: str
    rescale_dataset: Dataset | None = None
    """Per-frame Pixel Value Transformation of an enhanced file, else None."""

    @classmethod
    def from_dataset(cls, dataset: Dataset, source: str) -> SliceGeometry:
        position = _vector(dataset.get("ImagePositionPatient"), 3)
        orientation = _vector(dataset.get("ImageOrientationPatient"), 6)
        if position is None or orientation is None:
            raise SeriesError(
                "no usable (0020,0032) Image Position (Patient) or (0020,0037) Image "
                "Orientation (Patient): the slice cannot be placed in a volume",
                path=source,
                fix="Load it as a single image, or export the series again with its geometry.",
            )
        return cls(
            position,
            _checked_orientation(orientation, source),
            _spacing(dataset.get("PixelSpacing")),
            int(dataset.get("Rows", 0) or 0),
            int(dataset.get("Columns", 0) or 0),
            source,
        )

    @classmethod
    def from_functional_groups(
        cls, dataset: Dataset, source: str, frames: int
    ) -> list[SliceGeometry]:
        """Per-frame geometry of an enhanced multi-frame image (shared groups as defaults)."""
        shared_items = dataset.get("SharedFunctionalGroupsSequence") or [Dataset()]
        per_frame = dataset.get("PerFrameFunctionalGroupsSequence") or []
        if len(per_frame) != frames:
            raise SeriesError(
                f"the multi-frame file has {len(per_frame)} per-frame functional groups for "
                f"{frames} frames: the frames cannot be placed in a volume",
                path=source,
                fix="Export the series as one file per slice, or with complete functional groups.",
            )
        rows, cols = int(dataset.Rows), int(dataset.Columns)
        geometries = []
        for index, groups in enumerate(per_frame):

            def item(keyword: str, groups: Dataset = groups) -> Dataset | None:
                for holder in (groups, shared_items[0]):
                    sequence = holder.get(keyword)
                    if sequence:
                        found: Dataset = sequence[0]
                        return found
                return None

            plane = item("PlanePositionSequence")
            orient = item("PlaneOrientationSequence")
            measures = item("PixelMeasuresSequence")
            position = _vector(plane.get("ImagePositionPatient") if plane else None, 3)
            orientation = _vector(orient.get("ImageOrientationPatient") if orient else None, 6)
            frame_source = f"{source} frame {index}"
            if position is None or orientation is None:
                raise SeriesError(
                    "no Plane Position / Plane Orientation functional group for frame "
                    f"{index}: the frames cannot be placed in a volume",
                    path=source,
                    fix="Export the series with its geometry, or as one file per slice.",
                )
            geometries.append(
                cls(
                    position,
                    _checked_orientation(orientation, frame_source),
                    _spacing(measures.get("PixelSpacing") if measures else None),
                    rows,
                    cols,
                    frame_source,
                    item("PixelValueTransformationSequence"),
                )
            )
        return geometries

    @property
    def normal(self) -> np.ndarray:
        normal = np.cross(self.orientation[:3], self.orientation[3:])
        unit: np.ndarray = normal / np.linalg.norm(normal)
        return unit


@dataclass(frozen=True, eq=False)
class Stack:
    """How slices stack: their order along the normal and the volume's geometry."""

    order: tuple[int, ...]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: np.ndarray
    spacing_detail: str


def stack_slices(
    slices: Sequence[SliceGeometry], label: str, where: str, fallback: tuple[float | None, str]
) -> Stack:
    """Check that ``slices`` form one volume and sort them; :class:`SeriesError` if not.

    ``fallback`` is the (slice spacing, its source) used when there is a single slice.
    """
    first = slices[0]
    sizes = sorted({(s.rows, s.cols) for s in slices})
    if len(sizes) > 1:
        raise SeriesError(
            f"series {label} mixes image sizes {', '.join(f'{r}x{c}' for r, c in sizes)}",
            path=where,
            fix="Split the series by size; it is not one volume.",
        )
    _check_one_orientation(slices, label, where)
    if first.pixel_spacing is None:
        raise SeriesError(
            f"series {label} has no usable (0028,0030) Pixel Spacing",
            path=first.source,
            fix="Export the series again with its pixel spacing.",
        )
    if any(
        s.pixel_spacing is None or not np.allclose(s.pixel_spacing, first.pixel_spacing, atol=1e-4)
        for s in slices
    ):
        raise SeriesError(
            f"series {label} mixes pixel spacings", path=where, fix="Split the series by spacing."
        )
    normal = first.normal
    distances = np.array([float(s.position @ normal) for s in slices])
    order = np.argsort(distances, kind="stable")
    ordered = distances[order]
    if len(slices) == 1:
        spacing, detail = fallback[0] if fallback[0] is not None else math.nan, fallback[1]
    else:
        spacing, detail = _slice_spacing(ordered, [slices[i].source for i in order], label, where)
    direction = np.stack([normal, first.orientation[3:], first.orientation[:3]])
    origin = slices[int(order[0])].position
    return Stack(
        order=tuple(int(i) for i in order),
        spacing=(float(spacing), first.pixel_spacing[0], first.pixel_spacing[1]),
        origin=(float(origin[0]), float(origin[1]), float(origin[2])),
        direction=direction,
        spacing_detail=detail,
    )


# --- internals ----------------------------------------------------------------------------------
def _check_one_orientation(slices: Sequence[SliceGeometry], label: str, where: str) -> None:
    groups: list[tuple[np.ndarray, list[str]]] = []
    for s in slices:
        for orientation, sources in groups:
            if np.max(np.abs(orientation - s.orientation)) <= ORIENTATION_TOLERANCE:
                sources.append(s.source)
                break
        else:
            groups.append((s.orientation, [s.source]))
    if len(groups) == 1:
        return
    described = []
    for orientation, sources in groups:
        normal = np.cross(orientation[:3], orientation[3:])
        cosines = "\\".join(f"{v:.3g}" for v in orientation)
        shown = ", ".join(_short(source) for source in sources[:3]) + (
            f" and {len(sources) - 3} more" if len(sources) > 3 else ""
        )
        described.append(f"{plane_of_normal(normal)} [{cosines}] in {shown}")
    raise SeriesError(
        f"series {label} mixes {len(groups)} slice orientations (a localizer?): "
        + "; ".join(described),
        path=where,
        fix="Use a series whose slices share one orientation (e.g. the sagittal T2), or load one "
        "slice with load_series_file().",
    )


def _slice_spacing(
    ordered: np.ndarray, sources: list[str], label: str, where: str
) -> tuple[float, str]:
    gaps = np.diff(ordered)
    duplicate = int(np.argmin(gaps))
    if gaps[duplicate] < 1e-3:
        raise SeriesError(
            f"series {label} has slices at the same position ({ordered[duplicate]:.3f} mm along "
            f"the normal): {_short(sources[duplicate])} and "
            f"{_short(sources[duplicate + 1])}; several echoes, "
            "phases or time points share the series",
            path=where,
            fix="Split the series by echo or time point before loading it as a volume.",
        )
    median = float(np.median(gaps))
    worst = int(np.argmax(np.abs(gaps - median)))
    if abs(gaps[worst] - median) > GAP_TOLERANCE * median + 0.01:
        raise SeriesError(
            f"series {label} has uneven slice gaps: {gaps[worst]:.3f} mm between "
            f"{_short(sources[worst])} and {_short(sources[worst + 1])}, "
            f"against {median:.3f} mm elsewhere "
            "(slices missing?)",
            path=where,
            fix="Copy the complete series; a volume needs evenly spaced slices.",
        )
    return median, f"from {len(ordered)} slice positions along the normal"


def _vector(value: object, length: int) -> np.ndarray | None:
    if value is None or value == "":
        return None
    try:
        items = [float(v) for v in value]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    if len(items) != length or not all(math.isfinite(v) for v in items):
        return None
    return np.array(items)


def _checked_orientation(orientation: np.ndarray, source: str) -> np.ndarray:
    row, col = orientation[:3], orientation[3:]
    if not (
        abs(np.linalg.norm(row) - 1) < 1e-2
        and abs(np.linalg.norm(col) - 1) < 1e-2
        and abs(float(row @ col)) < 1e-2
    ):
        raise SeriesError(
            f"(0020,0037) Image Orientation (Patient) {orientation.tolist()} is not two "
            "perpendicular unit vectors",
            path=source,
            fix="The header is damaged; export the series again.",
        )
    return orientation


def _spacing(value: object) -> tuple[float, float] | None:
    vector = _vector(value, 2)
    if vector is None or not (vector > 0).all():
        return None
    return float(vector[0]), float(vector[1])


def _short(source: str) -> str:
    """A file's name (with ' frame N' kept) for lists inside a message that names the folder."""
    return Path(source).name
