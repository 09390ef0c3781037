"""What the plugin records about an image in its napari layer's metadata, and how to read it back.

A layer made by the reader carries ``metadata["spine_endpoints"]``: a plain dict (JSON-ready) with
the file, the DICOM UIDs, subject and visit, the film, the calibration (its source and detail) and
the file's window presets. A worklist case's layer (blinded, :func:`._layers.blinded_layer`)
carries only its reading id and the store's token for the image (``reference``), the film, the
calibration, the orientation and the windows: no path, UID, subject, visit or description.
Widgets recognise the plugin's layers by it; landmark layers carry ``kind = "landmarks"``
and the name of the image they belong to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imaging.anatomy import Film
from imaging.calibration import Calibration, CalibrationSource
from imaging.dicom.orientation import anterior_direction

METADATA_KEY = "spine_endpoints"


def calibration_from_dict(data: Mapping[str, Any]) -> Calibration:
    """Inverse of :meth:`Calibration.to_dict`."""
    spacing = data.get("pixel_spacing_mm")
    return Calibration(
        None if spacing is None else (float(spacing[0]), float(spacing[1])),
        CalibrationSource(data.get("source", "none")),
        str(data.get("detail", "")),
        bool(data.get("user_supplied", False)),
    )


@dataclass(frozen=True)
class ImageInfo:
    """One image layer's identity: a radiograph (2-D film) or a series (3-D volume)."""

    kind: str
    path: str
    calibration: Calibration
    modality: str = ""
    subject: str = ""
    visit: str = ""
    film: Film | None = None
    study_instance_uid: str = ""
    series_instance_uid: str = ""
    sop_instance_uid: str = ""
    photometric_interpretation: str = ""
    description: str = ""
    window_presets: tuple[tuple[float, float, str], ...] = field(default=())
    patient_orientation: tuple[str, ...] = ()
    """(0020,0020) *Patient Orientation*: patient directions of increasing col, then row."""
    reading_id: str = ""
    """The worklist case (blinded reading); empty for a file opened with File > Open."""
    reference: str = ""
    """The store's token for the image of a worklist case (what its corners name it by)."""
    weighting: str = ""
    """An MR series' weighting from its headers (``T2``, ``T1``, ``unknown``; see
    :mod:`imaging.dicom.mr_weighting`); empty for films and CT."""

    @property
    def inverted(self) -> bool:
        """MONOCHROME1: low values are shown bright (display only; the data are not flipped)."""
        return self.photometric_interpretation.upper() == "MONOCHROME1"

    @property
    def source_image(self) -> str:
        """How landmark rows and measures name the image: the store's token (worklist case),
        else the SOP Instance UID, else the path."""
        return self.reference or self.sop_instance_uid or self.path

    @property
    def anterior_direction(self) -> tuple[float, float] | None:
        """(row, col) toward anterior from the Patient Orientation, as the landmark files use."""
        return anterior_direction(self.patient_orientation)

    @property
    def units(self) -> str:
        """'mm' when the image is calibrated, 'pixel' otherwise (never pretend millimetres)."""
        return "mm" if self.calibration.has_millimetres else "pixel"

    def to_metadata(self) -> dict[str, Any]:
        """The dict stored under ``layer.metadata["spine_endpoints"]``."""
        return {
            "kind": self.kind,
            "path": self.path,
            "calibration": self.calibration.to_dict(),
            "modality": self.modality,
            "subject": self.subject,
            "visit": self.visit,
            "film": None if self.film is None else self.film.value,
            "study_instance_uid": self.study_instance_uid,
            "series_instance_uid": self.series_instance_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "photometric_interpretation": self.photometric_interpretation,
            "description": self.description,
            "window_presets": [list(p) for p in self.window_presets],
            "units": self.units,
            "patient_orientation": list(self.patient_orientation),
            "reading_id": self.reading_id,
            "reference": self.reference,
            "weighting": self.weighting,
        }

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> ImageInfo | None:
        """The info of a layer made by this plugin's reader, or None for any other layer."""
        data = metadata.get(METADATA_KEY)
        if not isinstance(data, Mapping) or data.get("kind") not in ("radiograph", "series"):
            return None
        film = data.get("film")
        return cls(
            kind=str(data["kind"]),
            path=str(data.get("path", "")),
            calibration=calibration_from_dict(data.get("calibration", {})),
            modality=str(data.get("modality", "")),
            subject=str(data.get("subject", "")),
            visit=str(data.get("visit", "")),
            film=None if film is None else Film(film),
            study_instance_uid=str(data.get("study_instance_uid", "")),
            series_instance_uid=str(data.get("series_instance_uid", "")),
            sop_instance_uid=str(data.get("sop_instance_uid", "")),
            photometric_interpretation=str(data.get("photometric_interpretation", "")),
            description=str(data.get("description", "")),
            window_presets=tuple(
                (float(c), float(w), str(e)) for c, w, e in data.get("window_presets", [])
            ),
            patient_orientation=tuple(str(v) for v in data.get("patient_orientation", [])),
            reading_id=str(data.get("reading_id", "")),
            reference=str(data.get("reference", "")),
            weighting=str(data.get("weighting", "")),
        )


def landmark_metadata(image_layer_name: str, film: Film | None) -> dict[str, Any]:
    """Metadata of a landmark Points layer drawn on ``image_layer_name``."""
    return {
        METADATA_KEY: {
            "kind": "landmarks",
            "image_layer": image_layer_name,
            "film": None if film is None else film.value,
        }
    }


def landmark_image_name(metadata: Mapping[str, Any]) -> str | None:
    """The image layer a landmark layer belongs to, or None for other layers."""
    data = metadata.get(METADATA_KEY)
    if isinstance(data, Mapping) and data.get("kind") in ("landmarks", "overlay"):
        return str(data.get("image_layer", "")) or None
    return None
