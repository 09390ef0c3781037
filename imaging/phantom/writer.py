"""DICOM files for rendered phantoms, written with pydicom directly.

Digital X-Ray Image Storage - For Presentation for the lateral films, MR Image Storage for the
sagittal series, each with the clinical trial attributes (0012,xxxx), deterministic UIDs (from the
subject, visit, seed and image) and the transfer syntax asked for (uncompressed, RLE, JPEG-LS or
JPEG 2000 lossless). Pixel values are written as rendered; MONOCHROME1 stores them inverted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    MRImageStorage,
    RLELossless,
    generate_uid,
)

from imaging.phantom.mr import SEQUENCES, RenderedMRSeries
from imaging.phantom.radiograph import RenderedRadiograph

GENERATOR_NAME = "spine-endpoints phantom"
GENERATOR_VERSION = "1.0"
"""Bumped whenever a change to the phantom changes any pixel or ground-truth value."""

TRANSFER_SYNTAXES: dict[str, UID] = {
    "explicit": ExplicitVRLittleEndian,
    "implicit": ImplicitVRLittleEndian,
    "rle": RLELossless,
    "jpeg-ls": JPEGLSLossless,
    "jpeg2000": JPEG2000Lossless,
}
"""Short names of the transfer syntaxes the phantom writes; all lossless."""

SPACING_STYLES = ("imager", "imager+pixel", "none")
"""How a film states its spacing: (0018,1164) + (0018,1114); the same plus (0028,0030) equal
to it; or nothing at all (uncalibrated)."""


@dataclass(frozen=True)
class TrialContext:
    """Who and when: the clinical trial attributes and dates shared by one study's files."""

    subject_id: str
    visit: str
    study_date: datetime.date
    seed: int
    time_point_id: str | None = "BASELINE"
    time_point_description: str | None = "Baseline"
    patient_sex: str = "O"
    sponsor_name: str = "First Affiliated Hospital of Dalian Medical University"
    protocol_id: str = "ChiCTR2200058291"
    protocol_name: str = "ADMSCs with HA hydrogel for discogenic low back pain, phase II"
    site_id: str = "01"
    site_name: str = "Dalian (synthetic phantom site)"

    def __post_init__(self) -> None:
        for name in ("subject_id", "visit", "time_point_id", "sponsor_name", "protocol_id",
                     "protocol_name", "site_id", "site_name"):  # fmt: skip
            value = getattr(self, name)
            if value is not None and not (0 < len(value) <= 64 and value.isprintable()):
                raise ValueError(
                    f"{name} must be 1-64 printable characters (DICOM LO), got {value!r}"
                )

    def uid(self, *parts: str) -> UID:
        """A UID determined by the subject, visit, seed and ``parts``."""
        sources = [GENERATOR_NAME, self.subject_id, self.visit, str(self.seed), *parts]
        return generate_uid(entropy_srcs=sources)

    @property
    def study_uid(self) -> UID:
        return self.uid("study")

    def truth_header(self, days_from_baseline: int) -> dict[str, Any]:
        """The first fields of a study's ground truth: subject, visit, time point, date, day,
        Study Instance UID, seed and generator version."""
        return {
            "subject": self.subject_id,
            "visit": self.visit,
            "time_point_id": self.time_point_id,
            "time_point_description": self.time_point_description,
            "study_date": self.study_date.isoformat(),
            "days_from_baseline": days_from_baseline,
            "study_instance_uid": str(self.study_uid),
            "seed": self.seed,
            "generator_version": GENERATOR_VERSION,
        }


def base_dataset(ctx: TrialContext, sop_class: UID, sop_instance: UID, modality: str) -> Dataset:
    """A data set of ``sop_class`` with its file meta, patient, study, equipment and Clinical
    Trial modules (DICOM PS3.3 C.7.1.3, C.7.2.3) filled from ``ctx``."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "SPINE_PHANTOM1"
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    date = ctx.study_date.strftime("%Y%m%d")
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = date
    ds.StudyTime = "091500"
    ds.AccessionNumber = f"{ctx.subject_id.replace('-', '')[-8:]}{date[2:]}"  # SH: 16 chars
    ds.Modality = modality
    ds.Manufacturer = "spine-endpoints"
    ds.ManufacturerModelName = "synthetic lumbar phantom"
    ds.SoftwareVersions = f"phantom {GENERATOR_VERSION}"
    ds.InstitutionName = ctx.site_name
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "LUMBAR SPINE"
    ds.PatientName = f"{ctx.subject_id}^Synthetic"
    ds.PatientID = ctx.subject_id
    ds.PatientBirthDate = ""
    ds.PatientSex = ctx.patient_sex
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "synthetic phantom: no patient data"
    ds.StudyInstanceUID = ctx.study_uid
    ds.StudyID = "1"
    ds.BodyPartExamined = "LSPINE"
    ds.ClinicalTrialSponsorName = ctx.sponsor_name
    ds.ClinicalTrialProtocolID = ctx.protocol_id
    ds.ClinicalTrialProtocolName = ctx.protocol_name
    ds.ClinicalTrialSiteID = ctx.site_id
    ds.ClinicalTrialSiteName = ctx.site_name
    ds.ClinicalTrialSubjectID = ctx.subject_id
    if ctx.time_point_id is not None:
        ds.ClinicalTrialTimePointID = ctx.time_point_id
        if ctx.time_point_description is not None:
            ds.ClinicalTrialTimePointDescription = ctx.time_point_description
    ds.ClinicalTrialCoordinatingCenterName = ""
    return ds


def code_item(value: str, scheme: str, meaning: str) -> Dataset:
    """A Code Sequence item (DICOM PS3.3 Table 8.8-1): value, scheme designator, meaning."""
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def set_pixel_module(ds: Dataset, pixels: np.ndarray, bits_stored: int, photometric: str) -> None:
    """The Image Pixel module of one frame of ``pixels`` (unsigned, 16 bits allocated) on ``ds``."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = int(pixels.shape[-2]), int(pixels.shape[-1])
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    ds.PixelData = np.ascontiguousarray(pixels, dtype="<u2").tobytes()


def radiograph_dataset(
    rendered: RenderedRadiograph,
    ctx: TrialContext,
    *,
    series_number: int,
    photometric: str = "MONOCHROME2",
    spacing: str = "imager",
) -> Dataset:
    """A DX For Presentation data set of one rendered film (uncompressed)."""
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(f"photometric must be MONOCHROME1 or MONOCHROME2, got {photometric!r}")
    if spacing not in SPACING_STYLES:
        raise ValueError(f"spacing must be one of {', '.join(SPACING_STYLES)}, got {spacing!r}")
    film = rendered.film.value
    setup = rendered.setup
    ds = base_dataset(ctx, DigitalXRayImageStorageForPresentation, ctx.uid("DX", film), "DX")
    ds.SeriesInstanceUID = ctx.uid("DX-series", film)
    ds.SeriesNumber = series_number
    ds.InstanceNumber = 1
    ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = f"0915{10 * series_number:02d}"
    ds.SeriesDescription = f"LSPINE LAT {film.upper()}"
    ds.ProtocolName = f"L-SPINE LATERAL {film.upper()}"
    ds.ImageComments = f"film: {film}"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.ViewPosition = "LL"
    ds.PositionerType = ""
    ds.AcquisitionContextSequence = []
    ds.ViewCodeSequence = [code_item("399173006", "SCT", "left lateral")]
    ds.PatientOrientation = ["P", "F"]  # columns run posterior, rows to the feet
    orientation = code_item("C86043", "NCIt", "erect")
    orientation.PatientOrientationModifierCodeSequence = [code_item("10904000", "SCT", "standing")]
    ds.PatientOrientationCodeSequence = [orientation]
    ds.ImageLaterality = "U"
    ds.AnatomicRegionSequence = [code_item("122496007", "SCT", "Lumbar spine")]
    ds.KVP = "90"
    ds.ExposureTime = "80"
    ds.XRayTubeCurrent = "400"
    ds.Exposure = "32"
    ds.Grid = "FOCUSED"
    ds.DetectorType = "SCINTILLATOR"
    ds.DetectorConfiguration = "AREA"
    if spacing != "none":
        ips = [f"{setup.imager_pixel_spacing_mm:.6g}"] * 2
        ds.ImagerPixelSpacing = ips
        ds.DistanceSourceToDetector = f"{setup.source_image_distance_mm:.6g}"
        ds.DistanceSourceToPatient = f"{setup.source_object_distance_mm:.6g}"
        ds.EstimatedRadiographicMagnificationFactor = f"{setup.magnification:.10g}"
        if spacing == "imager+pixel":
            ds.PixelSpacing = ips
    top = 2**setup.bits_stored - 1
    pixels = rendered.pixels
    centre = rendered.window_center
    if photometric == "MONOCHROME1":
        pixels = (top - pixels.astype(np.int32)).astype(np.uint16)
        centre = top - centre
    set_pixel_module(ds, pixels, setup.bits_stored, photometric)
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = -1 if photometric == "MONOCHROME2" else 1
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.RescaleType = "US"
    ds.PresentationLUTShape = "IDENTITY" if photometric == "MONOCHROME2" else "INVERSE"
    ds.WindowCenter = f"{centre:g}"
    ds.WindowWidth = f"{rendered.window_width:g}"
    ds.WindowCenterWidthExplanation = "SPINE"
    ds.LossyImageCompression = "00"
    ds.BurnedInAnnotation = "NO"
    ds.CalibrationImage = "NO"
    return ds


def mr_datasets(
    series: RenderedMRSeries, ctx: TrialContext, *, series_number: int
) -> list[Dataset]:
    """One MR Image Storage data set per slice of a rendered sagittal series (uncompressed).

    Orientation (0020,0037) is sagittal [0, 1, 0, 0, 0, -1]: columns run posterior (+y), rows to
    the feet (-z). In-plane mm map to the patient as y = col_mm, z = -row_mm; slices sit at
    x = their left-right offset, instance 1 on the patient's right.
    """
    sequence = series.sequence
    params = SEQUENCES[sequence]
    setup, grid = series.setup, series.grid
    series_uid = ctx.uid("MR-series", sequence)
    frame_uid = ctx.uid("MR-frame-of-reference")
    datasets = []
    for index, x_mm in enumerate(setup.slice_offsets_mm):
        ds = base_dataset(ctx, MRImageStorage, ctx.uid("MR", sequence, str(index)), "MR")
        ds.SeriesInstanceUID = series_uid
        ds.SeriesNumber = series_number
        ds.InstanceNumber = index + 1
        ds.AcquisitionNumber = 1
        ds.SeriesTime = ds.AcquisitionTime = ds.ContentTime = f"10{series_number:02d}00"
        ds.SeriesDescription = f"{sequence} TSE SAG"
        ds.ProtocolName = f"L-SPINE SAG {sequence}"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
        ds.ScanningSequence = "SE"
        ds.SequenceVariant = ["SK", "SP"]
        ds.ScanOptions = ""
        ds.MRAcquisitionType = "2D"
        ds.SequenceName = f"*tse2d1_{int(params['echo_train_length'])}"
        ds.RepetitionTime = f"{params['repetition_time_ms']:g}"
        ds.EchoTime = f"{params['echo_time_ms']:g}"
        ds.EchoTrainLength = int(params["echo_train_length"])
        ds.FlipAngle = f"{params['flip_angle_deg']:g}"
        ds.NumberOfAverages = "2"
        ds.ImagingFrequency = "63.87"
        ds.ImagedNucleus = "1H"
        ds.MagneticFieldStrength = "1.5"
        ds.ReceiveCoilName = "SPINE"
        ds.PatientPosition = "HFS"
        ds.FrameOfReferenceUID = frame_uid
        ds.PositionReferenceIndicator = ""
        ds.SliceThickness = f"{setup.slice_thickness_mm:g}"
        ds.SpacingBetweenSlices = f"{setup.spacing_between_slices_mm:g}"
        ds.PixelSpacing = [f"{setup.pixel_spacing_mm:g}"] * 2
        ds.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
        ds.ImagePositionPatient = [
            f"{x_mm:.6g}",
            f"{grid.origin_mm[1]:.6f}",
            f"{-grid.origin_mm[0]:.6f}",
        ]
        ds.SliceLocation = f"{x_mm:.6g}"
        set_pixel_module(ds, series.volume[index], 12, "MONOCHROME2")
        ds.WindowCenter = f"{series.window_center:g}"
        ds.WindowWidth = f"{series.window_width:g}"
        ds.BurnedInAnnotation = "NO"
        ds.LossyImageCompression = "00"
        datasets.append(ds)
    return datasets


def save(ds: Dataset, path: Path, transfer_syntax: str = "explicit") -> UID:
    """Write ``ds`` to ``path`` in the named transfer syntax (lossless); returns its UID."""
    if transfer_syntax not in TRANSFER_SYNTAXES:
        raise ValueError(
            f"transfer_syntax must be one of {', '.join(TRANSFER_SYNTAXES)}, "
            f"got {transfer_syntax!r}"
        )
    uid = TRANSFER_SYNTAXES[transfer_syntax]
    if uid.is_compressed:
        plugin = "pylibjpeg" if uid == RLELossless and _rle_plugin_available() else ""
        ds.compress(uid, encoding_plugin=plugin, generate_instance_uid=False)
    else:
        ds.file_meta.TransferSyntaxUID = uid
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return uid


def _rle_plugin_available() -> bool:
    return "pylibjpeg" in RLELosslessEncoder.available_plugins
