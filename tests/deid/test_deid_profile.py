"""The profile on one data set: no original identifying value left, trial attributes written."""

from __future__ import annotations

import io
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from imaging.deid import METHOD_CODES, Deidentifier, Subject, TrialIdentity, date_shift_days
from imaging.errors import SpineEndpointsError

SECRET = "another-secret-0123456789abcdef"
TRIAL = TrialIdentity("Sponsor Inc", "PROTO-9", "Spine study", "Site seven")
IDENTIFYING = {
    "PatientName": "Doe^Jane^Quincy",
    "PatientID": "MRN-448812",
    "PatientBirthDate": "19611203",
    "OtherPatientIDs": "ALT-99120",
    "PatientAddress": "12 Elm Road, Springfield",
    "PatientAge": "061Y",
    "PatientWeight": "81.5",
    "PatientComments": "prefers the morning slot",
    "InstitutionName": "St Somewhere General Hospital",
    "InstitutionAddress": "1 Hospital Way, Springfield",
    "ReferringPhysicianName": "Welby^Marcus",
    "PerformingPhysicianName": "Quinn^Michaela",
    "OperatorsName": "Tech^Terry",
    "NameOfPhysiciansReadingStudy": "Reader^Rita",
    "AccessionNumber": "ACC7731902",
    "StationName": "XR-ROOM-4B",
    "DeviceSerialNumber": "SN-5566778",
    "StudyID": "ST-20990",
}
"""Attributes of Table E.1-1 with a value the output must not hold anywhere."""


def identified_ct() -> Dataset:
    dataset = pydicom.dcmread(str(get_testdata_file("CT_small.dcm")))
    for keyword, value in IDENTIFYING.items():
        setattr(dataset, keyword, value)
    dataset.StudyDescription = "LSPINE for Doe MRN-448812"
    dataset.add_new(0x00091001, "LO", "Jane Doe private note")
    return dataset


def written(dataset: Dataset) -> bytes:
    stream = io.BytesIO()
    dataset.save_as(stream, enforce_file_format=True)
    return stream.getvalue()


def test_no_original_identifying_value_is_left_anywhere_in_the_file() -> None:
    original = identified_ct()
    uids = [str(original[k].value) for k in ("StudyInstanceUID", "SeriesInstanceUID",
                                             "SOPInstanceUID", "FrameOfReferenceUID")]  # fmt: skip
    dataset = identified_ct()
    Deidentifier(SECRET, TRIAL).apply(dataset, Subject("SUBJ-7", "07"), "ct.dcm")
    data = written(dataset).upper()
    for keyword, value in IDENTIFYING.items():
        for part in value.replace("^", " ").replace(",", " ").split():
            if len(part) > 3 and keyword not in ("PatientWeight",):
                assert part.upper().encode() not in data, (keyword, part)
    for uid in uids:
        assert uid.encode() not in data
    assert b"PRIVATE NOTE" not in data
    assert dataset.PatientID == dataset.PatientName == "SUBJ-7"
    assert dataset.PatientBirthDate == "" and "PatientAge" not in dataset
    assert dataset.StudyDescription == "LSPINE for SUBJ-7 SUBJ-7"  # cleaned, kept


def test_trial_attributes_and_method_codes_are_written() -> None:
    dataset = identified_ct()
    Deidentifier(SECRET, TRIAL).apply(dataset, Subject("SUBJ-7", "07"), "ct.dcm")
    assert dataset.ClinicalTrialSponsorName == "Sponsor Inc"
    assert dataset.ClinicalTrialProtocolID == "PROTO-9"
    assert dataset.ClinicalTrialProtocolName == "Spine study"
    assert dataset.ClinicalTrialSiteID == "07"
    assert dataset.ClinicalTrialSiteName == "Site seven"
    assert dataset.ClinicalTrialSubjectID == "SUBJ-7"
    assert dataset.PatientIdentityRemoved == "YES"
    assert dataset.LongitudinalTemporalInformationModified == "MODIFIED"
    codes = [
        (c.CodeValue, c.CodingSchemeDesignator) for c in dataset.DeidentificationMethodCodeSequence
    ]
    assert codes == [("113100", "DCM"), ("113105", "DCM"), ("113107", "DCM")]
    assert [c.CodeMeaning for c in dataset.DeidentificationMethodCodeSequence] == [
        meaning for _, meaning in METHOD_CODES
    ]
    assert all(len(value) <= 64 for value in dataset.DeidentificationMethod)


def test_dates_move_by_the_subjects_whole_day_shift() -> None:
    dataset = identified_ct()
    Deidentifier(SECRET, TRIAL).apply(dataset, Subject("SUBJ-7"), "ct.dcm")
    shift = date_shift_days(SECRET, "SUBJ-7")
    from datetime import date, timedelta

    assert 365 <= -shift < 3 * 365
    assert dataset.StudyDate == (date(2004, 1, 19) + timedelta(days=shift)).strftime("%Y%m%d")
    assert dataset.StudyTime == identified_ct().StudyTime  # whole days: times unchanged


def test_uids_follow_the_secret_and_the_original_uid() -> None:
    first, again, other = identified_ct(), identified_ct(), identified_ct()
    Deidentifier(SECRET, TRIAL).apply(first, Subject("SUBJ-7"), "ct.dcm")
    Deidentifier(SECRET, TRIAL).apply(again, Subject("SUBJ-7"), "ct.dcm")
    Deidentifier(SECRET + "x", TRIAL).apply(other, Subject("SUBJ-7"), "ct.dcm")
    assert (
        first.SOPInstanceUID == again.SOPInstanceUID == first.file_meta.MediaStorageSOPInstanceUID
    )
    assert first.SOPInstanceUID != other.SOPInstanceUID
    assert len(first.SOPInstanceUID) <= 64
    pydicom.uid.UID(first.SOPInstanceUID).is_valid  # noqa: B018


def test_the_report_names_attributes_never_values() -> None:
    dataset = identified_ct()
    changes = Deidentifier(SECRET, TRIAL).apply(dataset, Subject("SUBJ-7"), "ct.dcm")
    by_name = {change.attribute: change.action for change in changes}
    assert by_name["PatientName"] == "replaced"
    assert by_name["PatientAge"] == "removed"
    assert by_name["DeidentificationMethodCodeSequence"] == "added"
    assert not any("Doe" in change.attribute for change in changes)


def test_a_file_without_sponsor_and_no_option_is_refused_naming_the_option() -> None:
    dataset = identified_ct()
    with pytest.raises(
        SpineEndpointsError, match=r"ct\.dcm: no ClinicalTrialSponsorName.*--sponsor"
    ):
        Deidentifier(SECRET, TrialIdentity()).apply(dataset, Subject("SUBJ-7"), "ct.dcm")


def test_the_file_still_loads(tmp_path: Path) -> None:
    dataset = identified_ct()
    Deidentifier(SECRET, TRIAL).apply(dataset, Subject("SUBJ-7"), "ct.dcm")
    path = tmp_path / "ct.dcm"
    path.write_bytes(written(dataset))
    assert (pydicom.dcmread(path).pixel_array == identified_ct().pixel_array).all()
