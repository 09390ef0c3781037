"""``spine-endpoints deidentify`` over folders: layout, dates, UIDs, refusals, the report."""

from __future__ import annotations

import os
import zipfile
from datetime import date
from pathlib import Path

import pydicom
import pytest
from deid_samples import SECRET, SUBJECTS, Deidentified, read_report, sample_subset, write_map

from imaging.cli import main
from imaging.deid import date_shift_days, read_subject_map
from imaging.errors import TextInputError

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom"


def _date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _headers(folder: Path) -> dict[str, pydicom.Dataset]:
    return {
        str(p.relative_to(folder)): pydicom.dcmread(p, stop_before_pixels=True)
        for p in sorted(folder.rglob("*.dcm"))
    }


def test_layout_is_kept_with_the_patient_id_replaced_in_folder_names(
    deidentified: Deidentified,
) -> None:
    source, out, rows = deidentified
    assert {row["action"] for row in rows} == {"de-identified"}
    assert sorted(row["out"] for row in rows) == sorted(
        str(p.relative_to(source)).replace("DLBP-001", "SUBJ-A").replace("DLBP-002", "SUBJ-B")
        for p in source.rglob("*.dcm")
    )
    assert sorted(p.name for p in out.iterdir()) == ["SUBJ-A", "SUBJ-B"]
    row = next(r for r in rows if r["out"] == "SUBJ-A/baseline/DX_lateral_neutral.dcm")
    assert row["subject"] == "SUBJ-A" and row["in"].endswith(
        "DLBP-001/baseline/DX_lateral_neutral.dcm"
    )
    assert "replaced: " in row["changed"] and "PatientID" in row["changed"]
    assert "DLBP-001" not in row["changed"]


def test_dates_shift_by_one_amount_per_subject_and_visit_intervals_are_exact(
    deidentified: Deidentified,
) -> None:
    source, out, _ = deidentified
    before, after = _headers(source), _headers(out)
    for old_subject, new_subject in SUBJECTS.items():
        shifts = set()
        old = {k: v for k, v in before.items() if k.startswith(old_subject)}
        for key, header in old.items():
            new = after[key.replace(old_subject, new_subject)]
            shifts.add((_date(new.StudyDate) - _date(header.StudyDate)).days)
            assert new.StudyTime == header.StudyTime
            assert new.ClinicalTrialSubjectID == new.PatientID == new_subject
            assert new.ClinicalTrialTimePointID == header.ClinicalTrialTimePointID
        assert shifts == {date_shift_days(SECRET, new_subject)}  # one per subject, from the secret


def test_uids_are_consistent_within_a_study_and_across_reruns(
    deidentified: Deidentified, tmp_path: Path
) -> None:
    source, out, _ = deidentified
    after = _headers(out)
    films = [
        after[f"SUBJ-A/baseline/DX_lateral_{f}.dcm"] for f in ("neutral", "flexion", "extension")
    ]
    assert len({f.StudyInstanceUID for f in films}) == 1  # one study stays one study
    assert len({f.SOPInstanceUID for f in films}) == 3
    original = _headers(source)
    assert not {h.SOPInstanceUID for h in after.values()} & {
        h.SOPInstanceUID for h in original.values()
    }
    # a later visit (only month_12 arriving) maps the same UIDs and the same dates
    later = tmp_path / "later"
    (later / "DLBP-001").mkdir(parents=True)
    (later / "DLBP-001" / "month_12").symlink_to(source / "DLBP-001" / "month_12")
    key = tmp_path / "deid.key"
    key.write_text(SECRET)
    status = main(["deidentify", str(later), str(tmp_path / "out"), "--secret-file", str(key),
                   "--subject-map", str(write_map(tmp_path / "map.csv", SUBJECTS))])  # fmt: skip
    assert status == 0
    again = _headers(tmp_path / "out")
    for key_name, header in again.items():
        assert header.SOPInstanceUID == after[key_name].SOPInstanceUID
        assert header.StudyDate == after[key_name].StudyDate


def _run(
    tmp_path: Path, source: Path, *extra: str, rows: dict[str, str] = SUBJECTS
) -> tuple[int, list[dict[str, str]]]:
    key = tmp_path / "deid.key"
    key.write_text(SECRET)
    out = tmp_path / "out"
    map_file = write_map(tmp_path / "map.csv", rows)
    status = main(["deidentify", str(source), str(out), "--secret-file", str(key),
                   "--subject-map", str(map_file), *extra])  # fmt: skip
    return status, read_report(tmp_path / "out.report.csv")


def _one_film(tmp_path: Path, name: str, **attributes: str) -> None:
    """``IN/DLBP-001/name``: a sample film with ``attributes`` set."""
    source = tmp_path / "in" / "DLBP-001"
    source.mkdir(parents=True)
    film = pydicom.dcmread(SAMPLE / "DLBP-001/baseline/DX_lateral_neutral.dcm")
    for keyword, value in attributes.items():
        setattr(film, keyword, value)
    film.save_as(source / name)


def test_burned_in_annotation_yes_is_refused_and_listed(tmp_path: Path) -> None:
    _one_film(tmp_path, "burned.dcm", BurnedInAnnotation="YES")
    status, rows = _run(tmp_path, tmp_path / "in")
    assert status == 1
    assert rows[0]["action"] == "refused" and rows[0]["out"] == ""
    assert "(0028,0301) Burned In Annotation is YES" in rows[0]["reason"]
    assert not list((tmp_path / "out").rglob("*.dcm"))


def test_a_name_in_a_path_is_replaced_and_unmapped_patients_refused(tmp_path: Path) -> None:
    film = pydicom.dcmread(SAMPLE / "DLBP-001/baseline/DX_lateral_neutral.dcm")
    film.PatientName = "Smith^John"
    film.PatientID = "MRN-1234"
    folder = tmp_path / "in" / "SMITH_John_MRN-1234"
    folder.mkdir(parents=True)
    film.save_as(folder / "john smith lateral.dcm")
    stranger = pydicom.dcmread(SAMPLE / "DLBP-002/baseline/DX_lateral_neutral.dcm")
    stranger.save_as(tmp_path / "in" / "other.dcm")
    status, rows = _run(tmp_path, tmp_path / "in", rows={"MRN-1234": "SUBJ-9"})
    assert status == 1
    by_out = {row["out"]: row for row in rows}
    assert "SUBJ-9_SUBJ-9_SUBJ-9/SUBJ-9 SUBJ-9 lateral.dcm" in by_out
    refused = next(row for row in rows if row["action"] == "refused")
    assert refused["in"].endswith("other.dcm")
    assert "not in the subject map: a subject id is never guessed" in refused["reason"]
    assert not any("smith" in str(p).lower() for p in (tmp_path / "out").rglob("*"))


def test_hostile_inputs_are_listed_and_the_run_goes_on(tmp_path: Path) -> None:
    source = tmp_path / "in" / "DLBP-001"
    source.mkdir(parents=True)
    (source / "notes.dcm").write_text("not an image")
    good = (SAMPLE / "DLBP-001/baseline/DX_lateral_neutral.dcm").read_bytes()
    (source / "good.dcm").write_bytes(good)
    (source / "cut.dcm").write_bytes(good[:2000])
    os.mkfifo(source / "pipe.dcm")
    with zipfile.ZipFile(source / "sent.zip", "w") as archive:
        archive.writestr("/escape.dcm", good)  # an absolute member name
    status, rows = _run(tmp_path, tmp_path / "in")
    assert status == 1
    actions = {
        Path(row["in"].split("!/")[0]).name + ("!" if "!/" in row["in"] else ""): row
        for row in rows
    }
    assert actions["good.dcm"]["action"] == "de-identified"
    assert actions["sent.zip!"]["out"] == "SUBJ-A/sent/escape.dcm"  # inside OUT, never at /
    assert "FIFO" in actions["pipe.dcm"]["reason"]
    assert actions["notes.dcm"]["action"] == actions["cut.dcm"]["action"] == "refused"
    assert not Path("/escape.dcm").exists()


def test_overlapping_folders_and_a_report_inside_out_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = sample_subset(tmp_path / "in")
    status, _ = (
        main(["deidentify", str(source), str(source / "out"), "--subject-map", "x.csv"]),
        None,
    )
    assert status == 2 and "overlap" in capsys.readouterr().err
    key = tmp_path / "k"
    key.write_text(SECRET)
    status = main(["deidentify", str(source), str(tmp_path / "out"), "--subject-map", "x.csv",
                   "--report", str(tmp_path / "out" / "r.csv")])  # fmt: skip
    assert status == 2 and "never goes inside the output folder" in capsys.readouterr().err


def test_a_subject_map_problem_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text("patient_id,subject_id\nP1,S1\nP2,\nP1,S9\n")
    with pytest.raises(TextInputError) as raised:
        read_subject_map(path)
    message = str(raised.value)
    assert str(path) in message and "line 3: subject_id is empty" in message
    assert "line 4: patient P1 is mapped again (first on line 2)" in message
    path.write_text("patient,subject\nP1,S1\n")
    with pytest.raises(TextInputError, match=r"lacks the column.*patient_id, subject_id"):
        read_subject_map(path)


def test_a_protocol_id_not_of_the_protocol_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the protocol file's own id, not the (0012,0020) value the DLBP trial's images carry
    _one_film(tmp_path, "film.dcm")
    key = tmp_path / "deid.key"
    key.write_text(SECRET)
    subject_map = write_map(tmp_path / "map.csv", SUBJECTS)
    status = main(["deidentify", str(tmp_path / "in"), str(tmp_path / "out"),
                   "--secret-file", str(key), "--subject-map", str(subject_map),
                   "--protocol-id", "DLBP-ChiCTR2200058291"])  # fmt: skip
    error = capsys.readouterr().err
    assert status == 2
    assert "--protocol-id 'DLBP-ChiCTR2200058291' is not a (0012,0020) Clinical Trial" in error
    assert "(dicom_protocol_ids: 'ChiCTR2200058291')" in error
    assert "dlbp-chictr2200058291.toml" in error and "with --protocol" in error
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.report.csv").exists()


def test_a_protocol_id_of_the_protocol_is_written_into_every_file(tmp_path: Path) -> None:
    _one_film(tmp_path, "film.dcm", ClinicalTrialProtocolID="OLD-ID")
    status, rows = _run(tmp_path, tmp_path / "in", "--protocol", "as-ucmsc",
                        "--protocol-id", "as-ucmsc")  # fmt: skip
    assert status == 0 and [row["action"] for row in rows] == ["de-identified"]
    (written,) = _headers(tmp_path / "out").values()
    assert written.ClinicalTrialProtocolID == "as-ucmsc"  # as given; register compares any case


def test_a_file_of_another_trial_is_refused_not_kept_with_its_trials_id(tmp_path: Path) -> None:
    """Without --protocol-id the files keep their (0012,0020); one naming another trial would
    carry that trial's id in this trial's output, so it is refused with the id found."""
    _one_film(tmp_path, "ours.dcm")  # ChiCTR2200058291, the DLBP trial's id
    film = pydicom.dcmread(tmp_path / "in" / "DLBP-001" / "ours.dcm")
    film.ClinicalTrialProtocolID = "NCT05000000"
    film.SOPInstanceUID = pydicom.uid.generate_uid()
    film.save_as(tmp_path / "in" / "DLBP-001" / "theirs.dcm")

    status, rows = _run(tmp_path, tmp_path / "in")

    assert status == 1
    by_name = {Path(row["in"]).name: row for row in rows}
    assert by_name["ours.dcm"]["action"] == "de-identified"
    theirs = by_name["theirs.dcm"]
    assert (theirs["action"], theirs["out"]) == ("refused", "")
    assert theirs["reason"] == (
        "other trial: (0012,0020) Clinical Trial Protocol ID is 'NCT05000000', and protocol "
        "DLBP-ChiCTR2200058291 reads only images of 'ChiCTR2200058291' (dicom_protocol_ids). Use "
        "this trial's protocol (--protocol), or add the id to dicom_protocol_ids if the images "
        "are this trial's; or, if the site wrote a wrong id, give --protocol-id to replace it"
    )
    (written,) = _headers(tmp_path / "out").values()
    assert written.ClinicalTrialProtocolID == "ChiCTR2200058291"
