"""Clinical trial attributes of an image (DICOM PS3.3 C.7.1.3, C.7.2.3 and C.7.3.2)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue


@dataclass(frozen=True)
class ClinicalTrialInfo:
    """Clinical Trial Subject and Study modules; ``None`` where the file says nothing.

    ``subject_id`` is (0012,0040) *Clinical Trial Subject ID* and ``time_point_id`` (0012,0050)
    *Clinical Trial Time Point ID*: the subject and visit of a read.
    """

    sponsor_name: str | None = None  # (0012,0010)
    protocol_id: str | None = None  # (0012,0020)
    protocol_name: str | None = None  # (0012,0021)
    site_id: str | None = None  # (0012,0030)
    site_name: str | None = None  # (0012,0031)
    subject_id: str | None = None  # (0012,0040)
    time_point_id: str | None = None  # (0012,0050)
    time_point_description: str | None = None  # (0012,0051)

    @classmethod
    def from_dataset(cls, dataset: Dataset) -> ClinicalTrialInfo:
        """Read the attributes; empty values become ``None``, text is stripped."""
        return cls(**{field: text_value(dataset, keyword) for field, keyword in _KEYWORDS.items()})

    @property
    def is_empty(self) -> bool:
        return all(value is None for value in asdict(self).values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_KEYWORDS = {
    "sponsor_name": "ClinicalTrialSponsorName",
    "protocol_id": "ClinicalTrialProtocolID",
    "protocol_name": "ClinicalTrialProtocolName",
    "site_id": "ClinicalTrialSiteID",
    "site_name": "ClinicalTrialSiteName",
    "subject_id": "ClinicalTrialSubjectID",
    "time_point_id": "ClinicalTrialTimePointID",
    "time_point_description": "ClinicalTrialTimePointDescription",
}


def text_value(dataset: Dataset, keyword: str) -> str | None:
    """The attribute as stripped text (multiple values joined by backslash), None if empty."""
    value = dataset.get(keyword)
    if value is None:
        return None
    if isinstance(value, MultiValue | list | tuple):
        text = "\\".join(str(item) for item in value)
    else:
        text = str(value)
    text = text.strip()
    return text or None
