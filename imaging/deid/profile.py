"""One data set through the PS3.15 Annex E Basic Application Level Confidentiality Profile with
the options a longitudinal trial needs.

The profile is applied by dicognito (MIT, https://github.com/blairconrad/dicognito): every person
name, every instance UID, every date, datetime and matching time, the patient, study and order
ids, addresses, institution and station. What dicognito leaves and Table E.1-1 removes is added
here through dicognito's own handlers (:data:`REMOVED`, :data:`EMPTIED`), with private
attributes removed by pydicom. The options (PS3.16 CID 7050):

* Retain Longitudinal Temporal Information with Modified Dates (113107): every date of a subject
  moves back by the same whole number of days (:func:`imaging.deid.secret.date_shift_days`), so
  visit intervals are exact; (0028,0303) *Longitudinal Temporal Information Modified* = MODIFIED.
* Clean Descriptors (113105): descriptions (Study/Series Description, Image Comments, Protocol
  Name, ...) are kept, which is how films are told apart, with the patient's id and name parts
  replaced by the subject id. Other identifying free text is not detected: review it.
* UIDs are replaced (not retained) consistently: a function of the secret and the original UID.

Then the Clinical Trial Subject and Study modules (PS3.3 C.7.1.3, C.7.2.3) are written from the
subject map and the run's trial identity, Patient ID and Patient's Name become the subject id,
(0012,0062) *Patient Identity Removed* YES, (0012,0063) *De-identification Method* and
(0012,0064) *De-identification Method Code Sequence* record what was done.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import dicognito
from dicognito.anonymizer import Anonymizer
from dicognito.datetimeanonymizer import DateTimeAnonymizer
from dicognito.element_anonymizer import ElementAnonymizer
from dicognito.fixedvalueanonymizer import FixedValueAnonymizer
from dicognito.unwantedelements import UnwantedElementsStripper
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from imaging import __version__
from imaging.deid.secret import date_shift_days, uid_seed
from imaging.deid.subject_map import Subject
from imaging.dicom.trial import other_trial_problem, text_value
from imaging.errors import SpineEndpointsError

METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113105", "Clean Descriptors Option"),
    ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
)
"""PS3.16 CID 7050 codes (scheme DCM) of the profile and the options applied."""
METHOD = (
    f"spine-endpoints {__version__} with dicognito {dicognito.__version__}",
    "PS3.15 E Basic Profile",
    "Retain Longitudinal Modified Dates",
    "Clean Descriptors",
)
"""(0012,0063) *De-identification Method* values (LO: at most 64 characters each)."""

REMOVED = (
    "PatientAge", "PatientSize", "PatientWeight", "EthnicGroup", "PatientComments",
    "AdditionalPatientHistory", "MedicalAlerts", "Allergies", "PregnancyStatus", "SmokingStatus",
    "PatientState", "SpecialNeeds", "LastMenstrualDate", "AdmittingDiagnosesDescription",
    "OtherPatientIDsSequence", "DeviceSerialNumber", "PlateID", "DetectorID", "GantryID",
    "CassetteID", "ReasonForStudy", "RequestingPhysician", "PerformedLocation",
    "ScheduledStudyLocation", "InstitutionCodeSequence", "PersonAddress",
    "ReferringPhysicianAddress", "ReferringPhysicianTelephoneNumbers",
    "ReferencedPatientSequence", "ReferencedStudySequence",
)  # fmt: skip
"""Table E.1-1 attributes (action X, no Retain Patient Characteristics or Device Identity
option) that dicognito 0.19 leaves in place."""
EMPTIED = ("PatientBirthDate", "PatientBirthTime", "PatientSex")
"""Table E.1-1 action Z: kept empty (dicognito would shift the birth date)."""
DESCRIPTORS = frozenset({"SH", "LO", "ST", "LT", "UT"})
"""VRs of the text cleaned of the patient's id and name (Clean Descriptors)."""
_CLINICAL_TRIAL_GROUP = 0x0012


@dataclass(frozen=True)
class TrialIdentity:
    """Clinical Trial Study attributes written on every file; None keeps the file's value.

    ``protocol`` (the protocol's id) reads only images whose (0012,0020) *Clinical Trial Protocol
    ID* is one of its ``dicom_protocol_ids``: with ``protocol_id`` None, a file carrying another
    trial's id is refused rather than kept as that trial's id in this trial's output (compared
    as ``register`` does: :func:`imaging.dicom.trial.other_trial_problem`).
    """

    sponsor_name: str | None = None  # (0012,0010), type 1
    protocol_id: str | None = None  # (0012,0020), type 1
    protocol_name: str | None = None  # (0012,0021), type 2
    site_name: str | None = None  # (0012,0031), type 2
    protocol: str = ""
    dicom_protocol_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """What happened to one attribute (its keyword or tag path, never its value)."""

    attribute: str
    action: str  # "removed", "replaced", "added"


class Deidentifier:
    """Applies the profile; one instance per run (its UIDs and date shifts follow the secret)."""

    def __init__(self, secret: str, trial: TrialIdentity) -> None:
        self._secret = secret
        self._trial = trial
        self._dates = _SubjectDates()
        self._anonymizer = Anonymizer(seed=uid_seed(secret))
        for handler in (  # each is put in front: the last one here is consulted first
            self._dates,
            _KeepClinicalTrial(),
            *(FixedValueAnonymizer(keyword, "") for keyword in EMPTIED),
            UnwantedElementsStripper(*REMOVED),
        ):
            self._anonymizer.add_element_handler(handler)

    def apply(self, dataset: Dataset, subject: Subject, name: str) -> list[Change]:
        """De-identify ``dataset`` in place as ``subject``; the changes, by attribute.

        Raises :class:`SpineEndpointsError` naming ``name`` when the Clinical Trial Study module
        cannot be completed (no sponsor or protocol id in the file or the run's options).
        """
        self._check_trial(dataset, name)
        before = dict(_fingerprints(dataset))
        identifiers = patient_identifiers(dataset)
        _clean_descriptors(dataset, identifiers, subject.subject_id)
        dataset.remove_private_tags()
        self._dates.days = date_shift_days(self._secret, subject.subject_id)
        self._anonymizer.anonymize(dataset)
        self._write_trial(dataset, subject, name)
        after = dict(_fingerprints(dataset))
        changes = [Change(a, "removed") for a in before if a not in after]
        changes += [Change(a, "replaced") for a in before if a in after and before[a] != after[a]]
        changes += [Change(a, "added") for a in after if a not in before]
        return changes

    def _check_trial(self, dataset: Dataset, name: str) -> None:
        """Refuse a file of another trial when the run keeps the file's protocol id."""
        trial = self._trial
        if trial.protocol_id is not None:
            return  # --protocol-id replaces it (listed as replaced in the report)
        found = text_value(dataset, "ClinicalTrialProtocolID")
        problem = other_trial_problem(found, trial.dicom_protocol_ids, trial.protocol)
        if problem is not None:
            raise SpineEndpointsError(
                f"{problem}; or, if the site wrote a wrong id, give --protocol-id to replace it",
                path=name,
            )

    def _write_trial(self, dataset: Dataset, subject: Subject, name: str) -> None:
        trial = self._trial
        for keyword, value in (
            ("ClinicalTrialSponsorName", trial.sponsor_name),
            ("ClinicalTrialProtocolID", trial.protocol_id),
            ("ClinicalTrialProtocolName", trial.protocol_name),
            ("ClinicalTrialSiteName", trial.site_name),
            ("ClinicalTrialSiteID", subject.site_id),
        ):
            if value is not None:
                setattr(dataset, keyword, value)
            elif keyword not in dataset:
                setattr(dataset, keyword, "")  # type 2: present, may be empty
        for keyword, option in (
            ("ClinicalTrialSponsorName", "--sponsor"),
            ("ClinicalTrialProtocolID", "--protocol-id"),
        ):
            if not str(dataset.get(keyword) or "").strip():
                raise SpineEndpointsError(
                    f"no {keyword} (type 1 in the Clinical Trial Study module) in the file",
                    path=name,
                    fix=f"Give it for the run with {option}.",
                )
        dataset.ClinicalTrialSubjectID = subject.subject_id
        dataset.PatientID = subject.subject_id
        dataset.PatientName = subject.subject_id
        dataset.PatientIdentityRemoved = "YES"
        dataset.DeidentificationMethod = list(METHOD)
        dataset.DeidentificationMethodCodeSequence = Sequence(
            [_code(value, meaning) for value, meaning in METHOD_CODES]
        )
        dataset.LongitudinalTemporalInformationModified = "MODIFIED"


class _SubjectDates(ElementAnonymizer):
    """dicognito's date handler with the current subject's whole-day shift."""

    days = 0

    def __call__(self, dataset: Dataset, data_element: DataElement) -> bool:
        return DateTimeAnonymizer(self.days * 24)(dataset, data_element)

    def describe_actions(self) -> Iterator[str]:
        yield "Move every DA and DT (and matching TM) back by the subject's whole-day shift"


class _KeepClinicalTrial(ElementAnonymizer):
    """Group 0012 (the trial's own ids) is written afterwards, never scrambled."""

    def __call__(self, dataset: Dataset, data_element: DataElement) -> bool:
        return bool(data_element.tag.group == _CLINICAL_TRIAL_GROUP)

    def describe_actions(self) -> Iterator[str]:
        yield "Keep the Clinical Trial attributes (group 0012), then write them from the map"


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = "DCM"
    item.CodeMeaning = meaning
    return item


def patient_identifiers(dataset: Dataset) -> list[str]:
    """The patient's ids and name parts (two characters or more), longest first."""
    values = [str(dataset.get("PatientID") or "")]
    values += [str(v) for v in _as_list(dataset.get("OtherPatientIDs"))]
    for keyword in ("PatientName", "PatientBirthName", "OtherPatientNames"):
        for name in _as_list(dataset.get(keyword)):
            values += re.split(r"[\^\s,]+", str(name))
    return sorted({v.strip() for v in values if len(v.strip()) >= 2}, key=len, reverse=True)


def _clean_descriptors(dataset: Dataset, identifiers: list[str], subject_id: str) -> None:
    if not identifiers:
        return
    pattern = re.compile("|".join(re.escape(v) for v in identifiers), re.IGNORECASE)

    def clean(ds: Dataset, element: DataElement) -> None:
        if element.tag.group == _CLINICAL_TRIAL_GROUP or element.VR not in DESCRIPTORS:
            return
        if isinstance(element.value, str) and pattern.search(element.value):
            element.value = pattern.sub(subject_id, element.value)
        elif element.VM > 1 and any(pattern.search(str(v)) for v in element.value):
            element.value = [pattern.sub(subject_id, str(v)) for v in element.value]

    dataset.walk(clean)


def _as_list(value: object) -> list[object]:
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, MultiValue | list | tuple) else [value]


def _fingerprints(dataset: Dataset, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(attribute path, digest of its value) for every element, sequences' items included."""
    for element in dataset:
        label = prefix + (element.keyword or str(element.tag))
        if element.VR == "SQ":
            yield label, f"{len(element.value)} items"
            for item in element.value:
                yield from _fingerprints(item, f"{label}>")
        else:
            value = element.value
            data = value if isinstance(value, bytes) else repr(value).encode()
            yield label, hashlib.sha256(data).hexdigest()
