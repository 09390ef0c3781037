"""The description of the pixels in a header, checked against the standard before they are used.

(0028,0004) *Photometric Interpretation*, (0028,0002) *Samples per Pixel*, (0028,0100) *Bits
Allocated*, (0028,0101) *Bits Stored*, (0028,0103) *Pixel Representation* and (0028,0006)
*Planar Configuration* say how to turn the pixel bytes into values. A value the standard does not
define (a Photometric Interpretation 'PURPLE', a Pixel Representation 7, 13 bits allocated, more
bits stored than allocated) would be decoded as something else and measured without a warning,
so the image is refused instead, naming the tag. Absent attributes are left to the decoder.
Called by :func:`imaging.dicom.read.require_image`, which every path to the pixels (scan, the
loaders, batch, register, the napari reader) goes through.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from imaging.dicom.vocabulary import (
    PHOTOMETRIC_INTERPRETATIONS,
    PIXEL_REPRESENTATIONS,
    PLANAR_CONFIGURATIONS,
)
from imaging.errors import MalformedDicomError


def check_pixel_description(dataset: Dataset, name: str) -> None:
    """Raise :class:`MalformedDicomError` naming ``name`` and the tag when the pixel description
    of ``dataset`` holds a value DICOM does not define (see the module docstring)."""
    samples = _number(dataset, "SamplesPerPixel", _SAMPLES, name)
    photometric = dataset.get("PhotometricInterpretation")
    if photometric is not None:
        term = str(photometric).strip()
        if term not in PHOTOMETRIC_INTERPRETATIONS:
            raise _refusal(
                _PHOTOMETRIC,
                f"{term!r} is not defined in DICOM PS3.3 C.7.6.3.1.2 (defined: "
                f"{', '.join(PHOTOMETRIC_INTERPRETATIONS)})",
                name,
            )
        needed = PHOTOMETRIC_INTERPRETATIONS[term]
        if samples is not None and samples != needed:
            raise _refusal(
                _SAMPLES,
                f"{samples} does not fit {_PHOTOMETRIC} {term}, which has {needed} "
                "(DICOM PS3.3 C.7.6.3.1.1)",
                name,
            )
    allocated = _number(dataset, "BitsAllocated", _ALLOCATED, name)
    if allocated is not None and not (allocated == 1 or (allocated > 0 and allocated % 8 == 0)):
        raise _refusal(_ALLOCATED, f"{allocated} is neither 1 nor a multiple of 8 (DICOM PS3.5 "
                       "8.1.1)", name)  # fmt: skip
    stored = _number(dataset, "BitsStored", _STORED, name)
    if stored is not None and not 1 <= stored <= (allocated or stored):
        raise _refusal(
            _STORED, f"{stored} is not between 1 and {_ALLOCATED} {allocated} (DICOM PS3.5 8.1.1)",
            name,
        )  # fmt: skip
    representation = _number(dataset, "PixelRepresentation", _REPRESENTATION, name)
    if representation is not None and representation not in PIXEL_REPRESENTATIONS:
        defined = ", ".join(f"{value}: {what}" for value, what in PIXEL_REPRESENTATIONS.items())
        raise _refusal(
            _REPRESENTATION,
            f"{representation} is not defined in DICOM PS3.3 C.7.6.3 ({defined})",
            name,
        )
    planar = _number(dataset, "PlanarConfiguration", _PLANAR, name)
    if (samples or 1) > 1 and planar is not None and planar not in PLANAR_CONFIGURATIONS:
        defined = ", ".join(f"{value}: {what}" for value, what in PLANAR_CONFIGURATIONS.items())
        raise _refusal(
            _PLANAR, f"{planar} is not defined in DICOM PS3.3 C.7.6.3.1.3 ({defined})", name
        )


# --- internals ----------------------------------------------------------------------------------
_SAMPLES = "(0028,0002) Samples per Pixel"
_PHOTOMETRIC = "(0028,0004) Photometric Interpretation"
_PLANAR = "(0028,0006) Planar Configuration"
_ALLOCATED = "(0028,0100) Bits Allocated"
_STORED = "(0028,0101) Bits Stored"
_REPRESENTATION = "(0028,0103) Pixel Representation"


def _number(dataset: Dataset, keyword: str, tag: str, name: str) -> int | None:
    """The whole number in ``keyword`` of ``dataset``; None when absent or empty."""
    raw = dataset.get(keyword)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError) as error:
        raise _refusal(tag, f"is {raw!r}, not a whole number", name) from error


def _refusal(tag: str, problem: str, name: str) -> MalformedDicomError:
    """``"<tag> <problem>"`` refused, with how to correct that tag."""
    return MalformedDicomError(
        f"{tag} {problem}",
        path=name,
        fix="The header is damaged or was edited by hand: export the image again from its "
        f"source, or correct {tag} if you know its true value (e.g. with dcmtk's dcmodify)",
    )


__all__ = ["check_pixel_description"]
