"""Images in the store: UIDs, hash, visit assignment (flagged, never guessed); blinded worklists."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from imaging.errors import StoreError
from imaging.protocol import Protocol
from imaging.store.archive_roots import image_path
from imaging.store.cases import (
    ImageRecord,
    assign_flagged,
    flagged_images,
    get_case,
    register_images,
    set_treatment_date,
)
from imaging.store.reads import ReadContent, save_draft, start_read, submit
from imaging.store.schema import Case, Image
from imaging.store.store import ReadStore
from imaging.store.worklist import images_for_reading, unblinding_map, worklist

BASELINE = dt.date(2023, 1, 10)


def dicom_file(folder: Path, subject: str, date: dt.date, time_point: str = "") -> Path:
    """A minimal DX header with the clinical trial attributes (no pixels needed)."""
    dataset = pydicom.Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.file_meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.1.1")
    dataset.SOPClassUID = dataset.file_meta.MediaStorageSOPClassUID
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    dataset.StudyInstanceUID, dataset.SeriesInstanceUID = generate_uid(), generate_uid()
    dataset.Modality = "DX"
    dataset.PatientID = "anonymous"
    dataset.ClinicalTrialSubjectID = subject
    dataset.ClinicalTrialProtocolName = dataset.ClinicalTrialSiteName = ""
    dataset.StudyDate = date.strftime("%Y%m%d")
    if time_point:
        dataset.ClinicalTrialTimePointID = time_point
    path = folder / f"{subject}-{date.isoformat()}-{time_point or 'none'}.dcm"
    dataset.save_as(path, enforce_file_format=True)
    return path


def test_images_are_assigned_by_time_point_then_by_date(
    tmp_path: Path, store: ReadStore, protocol: Protocol
) -> None:
    files = [
        # no time point id: 203 days after baseline is day 161 to 182 whatever the treatment
        # date (baseline imaging 21 to 42 days before it): inside the month 6 window
        dicom_file(tmp_path, "DLBP-003", BASELINE + dt.timedelta(days=203)),
        dicom_file(tmp_path, "DLBP-003", BASELINE, "BASELINE"),
        dicom_file(tmp_path, "DLBP-003", BASELINE + dt.timedelta(days=366), "M12"),
        dicom_file(tmp_path, "DLBP-003", BASELINE + dt.timedelta(days=260)),  # between windows
    ]
    records = [ImageRecord.from_file(path) for path in files]
    assert records[1].time_point_id == "BASELINE" and records[1].subject == "DLBP-003"
    assert len(records[1].sha256) == 64
    with store.writing() as session:
        images = register_images(session, protocol, records, actor="t")
        by_path = {image_path(session, image): image for image in images}
        visits = {
            str(path.name): (session.get(Case, by_path[str(path)].case_pk).visit_id  # type: ignore[union-attr]
                             if by_path[str(path)].case_pk else None)
            for path in files
        }  # fmt: skip
        assert list(visits.values()) == ["month_6", "baseline", "month_12", None]
        month_6 = by_path[str(files[0])]
        assert month_6.assignment_status == "assigned"
        assert "is day 161 to 182 (203 days after the baseline study of 2023-01-10" in (
            month_6.assignment_reason
        )
        assert "every one of them in the month_6 window" in month_6.assignment_reason
        (flagged,) = flagged_images(session)
        assert flagged.assignment_status == "out_of_window"
        assert "outside every visit window" in flagged.assignment_reason


def test_flagged_images_are_reassigned_once_an_anchor_is_known(
    tmp_path: Path, store: ReadStore, protocol: Protocol
) -> None:
    follow_up = ImageRecord.from_file(dicom_file(tmp_path, "S", dt.date(2024, 9, 1)))
    with store.writing() as session:
        (image,) = register_images(session, protocol, [follow_up], actor="t")
        assert image.case_pk is None and image.assignment_status == "no_date"
        set_treatment_date(session, "S", dt.date(2024, 3, 1), actor="t", reason="from the CRF")
        baseline = ImageRecord.from_file(dicom_file(tmp_path, "S", dt.date(2024, 2, 20)))
        register_images(session, protocol, [baseline], actor="t")
        session.refresh(image)
        assert image.case_pk is not None
        case = session.get(Case, image.case_pk)
        assert case is not None and case.visit_id == "month_6"


def test_a_study_whose_visit_depends_on_the_treatment_date_waits_for_it(
    tmp_path: Path, store: ReadStore, protocol: Protocol
) -> None:
    """A 1-week scan 7 days after a treatment 21 days after baseline: 28 days after baseline,
    day -14 to 7 without the treatment date (baseline or week 1): flagged, then week 1."""
    records = [
        ImageRecord.from_file(dicom_file(tmp_path, "S", BASELINE, "BASELINE")),
        ImageRecord.from_file(dicom_file(tmp_path, "S", BASELINE + dt.timedelta(days=28))),
    ]
    with store.writing() as session:
        _, week_1 = register_images(session, protocol, records, actor="t")
        assert week_1.case_pk is None
        assert week_1.assignment_status == "needs_treatment_date"
        assert "depends on the treatment date" in week_1.assignment_reason
        assert flagged_images(session) == [week_1]
        set_treatment_date(
            session, "S", BASELINE + dt.timedelta(days=21), actor="t", reason="from the CRF"
        )
        assert assign_flagged(session, protocol, "S", actor="t") == [week_1]
        case = session.get(Case, week_1.case_pk)
        assert case is not None and case.visit_id == "week_1"
        assert "is day 7 (treatment date 2023-01-31)" in week_1.assignment_reason


def test_a_changed_file_with_the_same_uid_is_refused(
    tmp_path: Path, store: ReadStore, protocol: Protocol
) -> None:
    record = ImageRecord.from_file(dicom_file(tmp_path, "S", BASELINE, "BASELINE"))
    with store.writing() as session:
        register_images(session, protocol, [record], actor="t")
        register_images(session, protocol, [record], actor="t")  # same file: no-op
        assert len(list(session.query(Image))) == 1
        with pytest.raises(StoreError, match="registered with another file content"):
            register_images(
                session, protocol, [dataclasses.replace(record, sha256="0" * 64)], actor="t"
            )


def test_worklists_are_blinded_and_ordered_per_reader(
    tmp_path: Path, store: ReadStore, protocol: Protocol
) -> None:
    with store.writing() as session:
        cases = [get_case(session, f"S{i:02d}", visit, actor="t")
                 for i in range(6) for visit in ("baseline", "month_6")]  # fmt: skip
        read = start_read(session, cases[0], "R1", actor="t")
        save_draft(session, read, ReadContent({("L4-L5", "pfirrmann"): "3"}), protocol)
        submit(session, read, actor="t")
        register_images(
            session, protocol,
            [ImageRecord.from_file(dicom_file(tmp_path, "S00", BASELINE, "BASELINE"))], actor="t",
        )  # fmt: skip
    with store.reading() as session:
        first, second = worklist(session, "R1"), worklist(session, "R2")
        assert worklist(session, "R1") == first  # stable
        ids = [item.reading_id for item in first]
        assert sorted(ids) == sorted(c.reading_id for c in cases)
        assert ids != [item.reading_id for item in second]  # each reader has an order
        assert ids != [c.reading_id for c in cases]  # not the order of entry
        assert all(r.startswith("R-") and len(r) == 10 for r in ids)
        status = {item.reading_id: item.status for item in first}
        assert status[cases[0].reading_id] == "submitted"
        assert {item.status for item in second} == {"to read"}
        fields = {f.name for f in dataclasses.fields(first[0])}
        assert fields == {
            "position",
            "reading_id",
            "status",
            "version",
            "read_id",
            "image_count",
            "repeat",
        }  # no subject, visit or date
        (only,) = worklist(session, "R1", with_images_only=True)
        assert only.reading_id == cases[0].reading_id and only.image_count == 1
        assert len(images_for_reading(session, only.reading_id)) == 1
        assert unblinding_map(session)[cases[3].reading_id] == ("S01", "month_6")

    with store.writing() as session:
        extra = get_case(session, "S99", "baseline", actor="t")
    with store.reading() as session:
        later = [item.reading_id for item in worklist(session, "R1")]
    assert [r for r in later if r != extra.reading_id] == ids  # others keep their order
