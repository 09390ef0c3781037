"""The DICOM objects this tool reads: modalities from (0008,0060) *Modality* and SOP classes from
(0008,0016) *SOP Class UID* (UIDs as pydicom.uid names them, PS3.6 Annex A).

=============================== ===================================================================
projection radiographs          CR, DX, RG, XA, RF, MG, PX, IO, OT; measured on (row, col) pixels,
                                calibration per :mod:`imaging.calibration`
cross-sectional series          CT, MR, PT; slices stacked into (slice, row, col) volumes in mm
secondary captures              any modality when the SOP class is a (multi-frame) secondary
                                capture: a film digitised or exported as a picture
=============================== ===================================================================

Anything else (plans, structures, segmentations, reports, ultrasound, a DICOMDIR) is not an image
this tool reads: other napari plugins may open it, ``scan`` lists it.
"""

from __future__ import annotations

from pydicom.uid import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    DigitalIntraOralXRayImageStorageForPresentation,
    DigitalIntraOralXRayImageStorageForProcessing,
    DigitalMammographyXRayImageStorageForPresentation,
    DigitalMammographyXRayImageStorageForProcessing,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    EnhancedCTImageStorage,
    EnhancedMRImageStorage,
    EnhancedPETImageStorage,
    EnhancedXAImageStorage,
    EnhancedXRFImageStorage,
    LegacyConvertedEnhancedCTImageStorage,
    LegacyConvertedEnhancedMRImageStorage,
    LegacyConvertedEnhancedPETImageStorage,
    MediaStorageDirectoryStorage,
    MRImageStorage,
    MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
    MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
    MultiFrameSingleBitSecondaryCaptureImageStorage,
    MultiFrameTrueColorSecondaryCaptureImageStorage,
    PositronEmissionTomographyImageStorage,
    SecondaryCaptureImageStorage,
    XRayAngiographicImageStorage,
    XRayRadiofluoroscopicImageStorage,
)

PROJECTION_MODALITIES = frozenset({"CR", "DX", "RG", "XA", "RF", "MG", "PX", "IO", "OT"})
"""(0008,0060) values read as projection radiographs (plus any secondary capture not CT/MR/PT)."""
CROSS_SECTIONAL_MODALITIES = frozenset({"CT", "MR", "PT"})
"""(0008,0060) values read as slices of a series; their (0028,0030) spacing is in the patient."""
IMAGE_MODALITIES = PROJECTION_MODALITIES | CROSS_SECTIONAL_MODALITIES

PROJECTION_SOP_CLASSES = frozenset(
    {
        ComputedRadiographyImageStorage,
        DigitalXRayImageStorageForPresentation,
        DigitalXRayImageStorageForProcessing,
        DigitalMammographyXRayImageStorageForPresentation,
        DigitalMammographyXRayImageStorageForProcessing,
        DigitalIntraOralXRayImageStorageForPresentation,
        DigitalIntraOralXRayImageStorageForProcessing,
        XRayAngiographicImageStorage,
        EnhancedXAImageStorage,
        XRayRadiofluoroscopicImageStorage,
        EnhancedXRFImageStorage,
    }
)
CROSS_SECTIONAL_SOP_CLASSES = frozenset(
    {
        CTImageStorage,
        EnhancedCTImageStorage,
        LegacyConvertedEnhancedCTImageStorage,
        MRImageStorage,
        EnhancedMRImageStorage,
        LegacyConvertedEnhancedMRImageStorage,
        PositronEmissionTomographyImageStorage,
        EnhancedPETImageStorage,
        LegacyConvertedEnhancedPETImageStorage,
    }
)
SECONDARY_CAPTURE_SOP_CLASSES = frozenset(
    {
        SecondaryCaptureImageStorage,
        MultiFrameSingleBitSecondaryCaptureImageStorage,
        MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
        MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
        MultiFrameTrueColorSecondaryCaptureImageStorage,
    }
)
IMAGE_SOP_CLASSES = (
    PROJECTION_SOP_CLASSES | CROSS_SECTIONAL_SOP_CLASSES | SECONDARY_CAPTURE_SOP_CLASSES
)
"""Every SOP class read; the modality still decides how (a CT secondary capture is a slice)."""
MEDIA_STORAGE_DIRECTORY = MediaStorageDirectoryStorage
"""A DICOMDIR's (0002,0002) *Media Storage SOP Class UID*: an index of images, not one."""

PHOTOMETRIC_INTERPRETATIONS: dict[str, int] = {
    "MONOCHROME1": 1,
    "MONOCHROME2": 1,
    "PALETTE COLOR": 1,
    "RGB": 3,
    "YBR_FULL": 3,
    "YBR_FULL_422": 3,
    "YBR_PARTIAL_420": 3,
    "YBR_ICT": 3,
    "YBR_RCT": 3,
    "XYB": 3,
    "HSV": 3,  # retired
    "YBR_PARTIAL_422": 3,  # retired
    "ARGB": 4,  # retired
    "CMYK": 4,  # retired
}
"""(0028,0004) *Photometric Interpretation* defined terms (PS3.3 C.7.6.3.1.2, retired ones
included) -> the (0028,0002) *Samples per Pixel* they have (PS3.3 C.7.6.3.1.1)."""
PIXEL_REPRESENTATIONS = {0: "unsigned integer", 1: "2's complement"}
"""(0028,0103) *Pixel Representation* enumerated values (PS3.3 C.7.6.3.1)."""
PLANAR_CONFIGURATIONS = {0: "colour-by-pixel", 1: "colour-by-plane"}
"""(0028,0006) *Planar Configuration* enumerated values (PS3.3 C.7.6.3.1.3), for colour images."""


def normalized_modality(value: object) -> str:
    """A (0008,0060) *Modality* value as compared here: stripped, upper case, '' when absent."""
    return str(value or "").strip().upper()


def is_readable_image(modality: str, sop_class_uid: str = "") -> bool:
    """True for what the loaders read: a projection radiograph, an MR/CT/PT slice, or a secondary
    capture (``modality`` as in (0008,0060), any case; ``sop_class_uid`` as in (0008,0016))."""
    return (
        normalized_modality(modality) in IMAGE_MODALITIES
        or sop_class_uid.strip() in SECONDARY_CAPTURE_SOP_CLASSES
    )


def is_cross_sectional(modality: object) -> bool:
    """True for a CT, MR or PT (0008,0060) *Modality* (any case): a slice of a series."""
    return normalized_modality(modality) in CROSS_SECTIONAL_MODALITIES


__all__ = [
    "CROSS_SECTIONAL_MODALITIES",
    "CROSS_SECTIONAL_SOP_CLASSES",
    "IMAGE_MODALITIES",
    "IMAGE_SOP_CLASSES",
    "MEDIA_STORAGE_DIRECTORY",
    "PHOTOMETRIC_INTERPRETATIONS",
    "PIXEL_REPRESENTATIONS",
    "PLANAR_CONFIGURATIONS",
    "PROJECTION_MODALITIES",
    "PROJECTION_SOP_CLASSES",
    "SECONDARY_CAPTURE_SOP_CLASSES",
    "is_cross_sectional",
    "is_readable_image",
    "normalized_modality",
]
