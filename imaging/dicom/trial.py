"""Clinical trial attributes of an image (DICOM PS3.3 C.7.1.3, C.7.2.3 and C.7.3.2)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydicom.datadict import tag_for_keyword
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
    tag = tag_for_keyword(keyword)
    if tag is None:  # not a DICOM keyword
        value = dataset.get(keyword)
    elif tag in dataset:  # by tag: an absent keyword costs pydicom an AttributeError
        value = dataset[tag].value
    else:
        return None
    if value is None:
        return None
    if isinstance(value, MultiValue | list | tuple):
        text = "\\".join(str(item) for item in value)
    else:
        text = str(value)
    text = text.strip()
    return text or None


NO_SUBJECT = (
    "no subject: no (0012,0040) Clinical Trial Subject ID, and the (0010,0020) Patient ID is "
    "not a pseudonym ((0012,0062) Patient Identity Removed is not YES): a patient's own id never "
    "becomes a subject id"
)
NO_SUBJECT_FIX = (
    "De-identify the images with the trial's subject map (`spine-endpoints deidentify`), or set "
    "(0012,0040) Clinical Trial Subject ID."
)


def subject_of(
    trial_subject: str | None, patient_id: str | None, identity_removed: bool
) -> str | None:
    """The subject an image belongs to: (0012,0040) *Clinical Trial Subject ID*; else the
    (0010,0020) *Patient ID* only when (0012,0062) *Patient Identity Removed* is YES (the ID is
    then a de-identifier's pseudonym, as ``spine-endpoints deidentify`` writes it); else None
    (:data:`NO_SUBJECT` says why). An identified patient's own ID never becomes a subject id."""
    if trial_subject:
        return trial_subject
    return patient_id if identity_removed and patient_id else None


def subject_id(dataset: Dataset) -> str | None:
    """:func:`subject_of` read from a data set."""
    return subject_of(
        text_value(dataset, "ClinicalTrialSubjectID"),
        text_value(dataset, "PatientID"),
        identity_removed(dataset),
    )


def identity_removed(dataset: Dataset) -> bool:
    """(0012,0062) *Patient Identity Removed* is YES."""
    return (text_value(dataset, "PatientIdentityRemoved") or "").upper() == "YES"


IDENTIFYING: tuple[tuple[str, str], ...] = (
    ("PatientName", "(0010,0010) Patient's Name"),
    ("PatientBirthDate", "(0010,0030) Patient's Birth Date"),
    ("OtherPatientIDs", "(0010,1000) Other Patient IDs"),
    ("OtherPatientNames", "(0010,1001) Other Patient Names"),
    ("PatientBirthName", "(0010,1005) Patient's Birth Name"),
    ("PatientMotherBirthName", "(0010,1060) Patient's Mother's Birth Name"),
    ("MedicalRecordLocator", "(0010,1090) Medical Record Locator"),
    ("PatientAddress", "(0010,1040) Patient's Address"),
    ("PatientTelephoneNumbers", "(0010,2154) Patient's Telephone Numbers"),
)
"""Attributes that name a patient directly (DICOM PS3.15 Table E.1-1, Basic Profile: removed or
replaced by a dummy). A Patient's Name whose family name is the subject id is such a dummy."""


def identifying_attributes(dataset: Dataset) -> tuple[str, ...]:
    """What in ``dataset`` still identifies the patient: (0012,0062) *Patient Identity Removed*
    not YES, and each attribute of :data:`IDENTIFYING` holding a value other than the subject id
    (:func:`subject_id`). Empty for a file ``spine-endpoints deidentify`` wrote."""
    found = [] if identity_removed(dataset) else ["(0012,0062) Patient Identity Removed is not YES"]
    subject = subject_id(dataset)
    for keyword, label in IDENTIFYING:
        value = text_value(dataset, keyword)
        if value and value.split("^")[0].strip() != subject:
            found.append(label)
    return tuple(found)


def identifying_problem(identifying: tuple[str, ...]) -> str:
    """The failure reason of an image a protocol requiring de-identified input refuses."""
    return (
        "identifying: the protocol requires de-identified images (require_deidentified), and "
        f"this one still identifies its patient: {'; '.join(identifying)}. De-identify it with "
        "`spine-endpoints deidentify` and the trial's subject map"
    )


def other_trial_problem(found: str | None, accepted: tuple[str, ...], protocol: str) -> str | None:
    """Why an image belongs to another trial than ``protocol``, or None when it may be this one's.

    ``found`` is the image's (0012,0020) *Clinical Trial Protocol ID* (DICOM PS3.3 C.7.1.3);
    ``accepted`` the protocol's ``dicom_protocol_ids``, compared ignoring case and runs of spaces.
    None when the protocol declares no ids, or the image carries none (it may be this trial's).
    """
    if not accepted or not found or _trial_key(found) in {_trial_key(a) for a in accepted}:
        return None
    expected = " or ".join(repr(value) for value in accepted)
    return (
        f"other trial: (0012,0020) Clinical Trial Protocol ID is {found!r}, and protocol "
        f"{protocol} reads only images of {expected} (dicom_protocol_ids). Use this trial's "
        "protocol (--protocol), or add the id to dicom_protocol_ids if the images are this trial's"
    )


def _trial_key(text: str) -> str:
    return " ".join(text.split()).upper()
