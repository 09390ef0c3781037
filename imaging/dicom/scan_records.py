"""Scan results: one record per file, its status, and a summary of a scan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class ScanStatus(StrEnum):
    """What a scanned file is good for; the first two are usable images."""

    OK = "ok"
    UNCALIBRATED = "uncalibrated"
    NOT_DICOM = "not-dicom"
    TRUNCATED = "truncated"
    NO_PIXEL_DATA = "no-pixel-data"
    TOO_LARGE = "too-large"
    UNREADABLE = "unreadable"
    UNSUPPORTED = "unsupported"

    @property
    def usable(self) -> bool:
        return self in (ScanStatus.OK, ScanStatus.UNCALIBRATED)


@dataclass(frozen=True)
class ScanRecord:
    """One scanned file. ``subject`` is Clinical Trial Subject ID, else Patient ID; ``visit`` is
    Clinical Trial Time Point ID; ``pixel_spacing_mm`` is (row, col)."""

    path: str
    status: ScanStatus
    reason: str = ""
    fix: str = ""
    member: str | None = None
    """The member's name when the file is inside an archive (``path`` is the archive)."""
    modality: str | None = None
    subject: str | None = None
    visit: str | None = None
    study_date: str | None = None
    """ISO date (YYYY-MM-DD)."""
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    series_description: str | None = None
    sop_instance_uid: str | None = None
    film: str | None = None
    orientation: str | None = None
    """Slice plane of an MR/CT image: sagittal, coronal, axial or oblique."""
    rows: int | None = None
    cols: int | None = None
    frames: int | None = None
    pixel_spacing_mm: tuple[float, float] | None = None
    calibration_source: str | None = None
    transfer_syntax: str | None = None
    identifying: tuple[str, ...] = ()
    """What still identifies the patient (:func:`imaging.dicom.trial.identifying_attributes`)."""
    trial_protocol_id: str | None = None
    """(0012,0020) *Clinical Trial Protocol ID*: the trial the image was taken for."""

    @property
    def location(self) -> str:
        """``path``, or ``archive!/member`` for a file inside an archive."""
        return self.path if self.member is None else f"{self.path}!/{self.member}"

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["status"] = self.status.value
        if self.pixel_spacing_mm is not None:
            record["pixel_spacing_mm"] = list(self.pixel_spacing_mm)
        return record


@dataclass
class ScanSummary:
    """Counts over a scan: files by status and modality, distinct subjects and visits."""

    files: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_modality: Counter[str] = field(default_factory=Counter)
    subjects: set[str] = field(default_factory=set)
    visits: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, records: Iterable[ScanRecord]) -> ScanSummary:
        summary = cls()
        for record in records:
            summary.files += 1
            summary.by_status[record.status.value] += 1
            if record.modality:
                summary.by_modality[record.modality] += 1
            if record.subject:
                summary.subjects.add(record.subject)
            if record.visit:
                summary.visits.add(record.visit)
        return summary

    def line(self) -> str:
        """One line for people: ``12 file(s): ok 9, truncated 1 | modalities: CR 4, MR 6 | ...``."""
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(self.by_status.items()))
        modalities = ", ".join(f"{m} {n}" for m, n in sorted(self.by_modality.items())) or "none"
        return (
            f"{self.files} file(s): {statuses or 'none'} | modalities: {modalities} | "
            f"{len(self.subjects)} subject(s), {len(self.visits)} visit(s)"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "by_status": dict(sorted(self.by_status.items())),
            "by_modality": dict(sorted(self.by_modality.items())),
            "subjects": sorted(self.subjects),
            "visits": sorted(self.visits),
        }
