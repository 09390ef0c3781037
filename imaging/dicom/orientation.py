"""Image orientation from plain header values, never from a data set.

* (0020,0020) *Patient Orientation* (CS, VM 2): the patient direction of increasing column index,
  then of increasing row index, as letters A/P, L/R, H/F (e.g. ``("A", "F")``). Gives the
  (row, col) direction toward anterior that landmark checks use.
* (0020,0037) *Image Orientation (Patient)* (DS, VM 6): direction cosines of a row, then of a
  column, in patient coordinates (DICOM LPS). Their cross product is the slice normal, which names
  the plane: sagittal (L-R), coronal (A-P), axial (H-F), or oblique.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

PLANE_COSINE = 0.8
"""A normal within about 37 degrees of a patient axis gets that plane's name, else 'oblique'."""
_PLANES = ("sagittal", "coronal", "axial")


def anterior_direction(patient_orientation: Iterable[object] | None) -> tuple[float, float] | None:
    """(row, col) unit steps toward anterior from (0020,0020) *Patient Orientation*; None when
    the value is absent, not two values, or names neither A nor P.

    Each of the two values containing ``A`` (and not ``P``) contributes +1 on its axis, ``P`` -1:
    ``("A", "F")`` gives (0.0, 1.0), anterior toward increasing col.
    """
    if patient_orientation is None or isinstance(patient_orientation, str | bytes):
        return None  # one string is one value (VM 1), not the two this needs
    values = [str(value).upper() for value in patient_orientation]
    if len(values) != 2:
        return None
    along_col, along_row = values
    direction = (_sign(along_row), _sign(along_col))
    return direction if any(direction) else None


def slice_plane(image_orientation: Iterable[object] | None) -> str | None:
    """'sagittal', 'coronal', 'axial' or 'oblique' from the six (0020,0037) cosines; None when
    absent, not six finite numbers, or the row and column directions are (nearly) parallel."""
    if image_orientation is None or isinstance(image_orientation, str | bytes):
        return None
    try:
        cosines = [float(value) for value in image_orientation]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if len(cosines) != 6 or not all(math.isfinite(value) for value in cosines):
        return None
    normal = np.cross(cosines[:3], cosines[3:])
    length = float(np.linalg.norm(normal))
    return plane_of_normal(normal / length) if length > 0.5 else None


def plane_of_normal(normal: np.ndarray) -> str:
    """'sagittal', 'coronal' or 'axial' when the unit normal (LPS) is near that axis, else
    'oblique'."""
    components = np.abs(np.asarray(normal, dtype=float))
    axis = int(np.argmax(components))
    return _PLANES[axis] if components[axis] >= PLANE_COSINE else "oblique"


def _sign(text: str) -> float:
    if "A" in text and "P" not in text:
        return 1.0
    if "P" in text and "A" not in text:
        return -1.0
    return 0.0


__all__ = ["PLANE_COSINE", "anterior_direction", "plane_of_normal", "slice_plane"]
