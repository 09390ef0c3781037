"""The batch on the sample archive: ground truth, injected faults, executors, resuming."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pydicom
import pytest
from batch_helpers import assert_matches, failures, ground_truth, keep_subject, table_values

from imaging.batch import BatchOptions, open_executor, run_batch
from imaging.batch.model import StudyResult
from imaging.batch.task import StudyTask
from imaging.cli import main


@pytest.fixture
def one_subject(archive_copy: Path) -> Path:
    """The archive copy reduced to subject DLBP-003 (three visits), for quicker reruns."""
    return keep_subject(archive_copy, "DLBP-003")


def test_sample_table_matches_ground_truth(
    clean_run: tuple[Path, int], sample_archive: Path
) -> None:
    out, status = clean_run
    values = table_values(out)

    compared = 0
    for key, expected in ground_truth(sample_archive):
        assert key in values, f"missing row {key}"
        assert_matches(expected, values[key], key)
        compared += 1
    assert compared > 400
    # The one film of the samples without spacing is the only failure, so the status is 1.
    assert failures(out) == {
        ("DLBP-003/month_12/DX_lateral_flexion.dcm", "DLBP-003", "month_12", "uncalibrated")
    }
    assert status == 1


def test_eligibility_matches_the_phantom_expectations(
    clean_run: tuple[Path, int], sample_archive: Path
) -> None:
    out, _ = clean_run
    table = pd.read_csv(out / "eligibility.csv", dtype=str, keep_default_na=False)
    verdicts = dict(zip(table["subject"], table["subject_verdict"], strict=False))
    index = json.loads((sample_archive / "ground_truth.json").read_text(encoding="utf-8"))

    for subject, info in index["subjects"].items():
        assert verdicts[subject] == info["baseline_verdict"], subject  # findings included


def test_change_from_baseline_of_the_degenerating_disc(clean_run: tuple[Path, int]) -> None:
    out, _ = clean_run
    table = pd.read_parquet(out / "endpoints.parquet")
    loss = table[
        (table["subject"] == "DLBP-001")
        & (table["level"] == "L4-L5")
        & (table["measure"] == "height_loss_vs_adjacent_pct")
    ]

    assert loss["visit"].tolist() == ["baseline", "month_6", "month_12"]
    assert loss["value"].tolist() == pytest.approx([30.0, 34.0, 38.0], abs=1e-6)
    assert loss["change_from_baseline"].tolist() == pytest.approx([0.0, 4.0, 8.0], abs=1e-6)


def test_injected_faults_are_failures_and_the_rest_is_computed(archive_copy: Path) -> None:
    truncated = "DLBP-001/month_6/DX_lateral_extension.dcm"
    data = (archive_copy / truncated).read_bytes()
    (archive_copy / truncated).write_bytes(data[: len(data) // 2])
    landmarks = pd.read_csv(archive_copy / "landmarks.csv", dtype=str, keep_default_na=False)
    unread = (landmarks["subject"] == "DLBP-002") & (landmarks["visit"] == "month_12")
    landmarks[~unread].to_csv(archive_copy / "landmarks.csv", index=False)
    uncalibrated = "DLBP-001/baseline/DX_lateral_neutral.dcm"
    dataset = pydicom.dcmread(archive_copy / uncalibrated)
    for keyword in (
        "PixelSpacing",
        "ImagerPixelSpacing",
        "EstimatedRadiographicMagnificationFactor",
    ):
        if keyword in dataset:
            delattr(dataset, keyword)
    dataset.save_as(archive_copy / uncalibrated)
    out = archive_copy.parent / "out"

    status = main(["batch", str(archive_copy), "--out", str(out)])

    assert status == 1
    no_landmarks = {
        (f"DLBP-002/month_12/DX_lateral_{film}.dcm", "DLBP-002", "month_12", "no landmarks")
        for film in ("neutral", "flexion", "extension")
    }
    assert failures(out) == {
        (truncated, "DLBP-001", "month_6", "truncated"),
        (uncalibrated, "DLBP-001", "baseline", "uncalibrated"),
        ("DLBP-003/month_12/DX_lateral_flexion.dcm", "DLBP-003", "month_12", "uncalibrated"),
        *no_landmarks,
    }
    values = table_values(out)
    damaged_mm = 0
    for key, expected in ground_truth(archive_copy):
        subject, visit, _, measure, film = key
        if (subject, visit) == ("DLBP-002", "month_12") and film != "":
            assert key not in values, "no landmarks, no measures"
        elif (subject, visit, film) == ("DLBP-001", "month_6", "extension"):
            assert key not in values, "a truncated film is not measured"
        elif (subject, visit, film) == ("DLBP-001", "month_6", "flexion-extension"):
            assert values[key] is None, "no ROM without the extension film"
        elif (subject, visit, film) == ("DLBP-001", "baseline", "neutral") and measure in (
            "disc_height_anterior", "disc_height_posterior", "disc_height_mean",
            "disc_height_middle", "translation",
        ):  # fmt: skip
            assert values[key] is None, "millimetres refused without calibration"
            damaged_mm += 1
        else:
            assert_matches(expected, values[key], key)
    assert damaged_mm > 0
    # The uncalibrated film still gives its angles and ratios.
    assert values[("DLBP-001", "baseline", "L4-L5", "height_loss_vs_adjacent_pct", "neutral")] == (
        pytest.approx(30.0, abs=1e-6)
    )


def test_same_tables_in_process_with_jobs_and_on_a_dask_cluster(
    clean_run: tuple[Path, int], sample_archive: Path, tmp_path: Path
) -> None:
    from distributed import LocalCluster

    in_process, _ = clean_run
    with_jobs = tmp_path / "jobs"
    on_dask = tmp_path / "dask"

    assert main(["batch", str(sample_archive), "--out", str(with_jobs), "--jobs", "2"]) == 1
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        open_executor(scheduler=cluster.scheduler_address) as choice,
    ):
        summary = run_batch(
            BatchOptions(sample_archive, on_dask),
            choice.executor,
            max_in_flight=choice.max_in_flight,
            execution=choice.description,
        )

    assert summary.computed == 9
    for name in ("endpoints.csv", "failures.csv", "eligibility.csv"):
        expected = (in_process / name).read_bytes()
        assert (with_jobs / name).read_bytes() == expected, name
        assert (on_dask / name).read_bytes() == expected, name
    provenance = json.loads((on_dask / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["execution"].startswith("dask cluster")
    assert len(provenance["inputs"]["images"]) == 27


def test_rerun_skips_unchanged_studies_and_recomputes_changed_ones(one_subject: Path) -> None:
    out = one_subject.parent / "out"
    options = BatchOptions(one_subject, out)
    first = run_batch(options)
    table = (out / "endpoints.csv").read_bytes()

    again = run_batch(options)
    assert (again.computed, again.skipped) == (0, 3)
    assert (out / "endpoints.csv").read_bytes() == table

    os.utime(one_subject / "DLBP-003/month_6/DX_lateral_neutral.dcm", ns=(1, 1))
    touched = run_batch(options)
    assert (touched.computed, touched.skipped) == (0, 3), "same content, same hash"

    landmarks = pd.read_csv(one_subject / "landmarks.csv", dtype=str, keep_default_na=False)
    moved = (landmarks["visit"] == "baseline") & (landmarks["corner"] == "anterior_superior")
    landmarks.loc[moved, "row"] = landmarks.loc[moved, "row"].astype(float).add(1.0).map(repr)
    landmarks.to_csv(one_subject / "landmarks.csv", index=False)
    changed = run_batch(options)
    assert (changed.computed, changed.skipped) == (1, 2)
    assert (out / "endpoints.csv").read_bytes() != table

    forced = run_batch(BatchOptions(one_subject, out, force=True))
    assert (forced.computed, forced.skipped) == (3, 0)
    assert first.studies == 3


def test_a_task_that_raises_fails_its_study_only_and_is_retried(
    one_subject: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import imaging.batch.run as run_module

    real = run_module.run_study

    def broken(task: StudyTask) -> StudyResult:
        if task.visit == "month_6":
            raise RuntimeError("worker lost")
        return real(task)

    monkeypatch.setattr(run_module, "run_study", broken)
    out = one_subject.parent / "out"
    summary = run_batch(BatchOptions(one_subject, out))

    assert summary.computed == 2 and summary.exit_status == 1
    assert ("", "DLBP-003", "month_6", "error") in failures(out)
    table = pd.read_csv(out / "endpoints.csv", dtype=str)
    assert set(table["visit"]) == {"baseline", "month_12"}

    monkeypatch.setattr(run_module, "run_study", real)
    retried = run_batch(BatchOptions(one_subject, out))
    assert (retried.computed, retried.skipped) == (1, 2)


def test_usage_errors_exit_with_status_2(sample_archive: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as jobs_zero:
        main(["batch", str(sample_archive), "--out", str(tmp_path), "--jobs", "0"])
    with pytest.raises(SystemExit) as both:
        main(["batch", str(sample_archive), "--out", str(tmp_path), "--jobs", "2",
              "--scheduler", "tcp://127.0.0.1:1"])  # fmt: skip

    assert jobs_zero.value.code == 2 and both.value.code == 2
    assert main(["batch", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2


def test_jobs_with_a_temporary_folder_too_long_for_their_socket_is_a_usage_error(
    sample_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """The worker processes talk over a Unix socket in the temporary folder (at most 107
    bytes): a longer TMPDIR is refused before any study, naming the folder and the fix."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    out = tmp_path / "out"

    status = main(["batch", str(sample_archive), "--out", str(out), "--jobs", "2"])

    error = capsys.readouterr().err
    assert status == 2 and str(deep) in error and "TMPDIR" in error and "--jobs 1" in error
    assert not out.exists() or not any(out.rglob("*.csv"))


def test_report_command_writes_the_report(clean_report: tuple[Path, int, list[str]]) -> None:
    out, status, printed = clean_report

    assert status == 0

    page = (out / "report.html").read_text(encoding="utf-8")
    assert "DLBP-001" in page and "DX_lateral_flexion.dcm" in page
    alts = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,', page)
    assert len(alts) == page.count("data:image/png;base64,")  # every figure has its alt text
    assert sum(a.startswith("Change from baseline by visit at ") for a in alts) == 5  # each level
    assert sum(a.startswith("Waterfall of each subject") for a in alts) == 4  # each ROM/height
    # The subject index links each subject's page; the page holds its plot and its nine films.
    for subject in ("DLBP-001", "DLBP-002", "DLBP-003"):
        assert f'<a href="subjects/{subject}.html">{subject}</a>' in page
    subject_page = (out / "subjects" / "DLBP-003.html").read_text(encoding="utf-8")
    assert "Measures over visits, subject DLBP-003" in subject_page
    films = re.findall(
        r'<img alt="([^"]*)" width="\d+" height="\d+" src="data:image/jpeg', subject_page
    )
    assert len(films) == 9 and all("22 corners read by ground-truth" in a for a in films)
    assert "flexion film of subject DLBP-003 at 12 months" in " ".join(films)
    assert "flexion (22 corners; none)" in subject_page  # the uncalibrated film says so
    assert 'href="../report.html#subjects"' in subject_page
    # Every delivered file is printed, as the sponsor's data management receives them.
    assert printed == [
        f"report: {out / 'report.html'}",
        f"subject pages: {out / 'subjects'}/ (3 subjects)",
        f"data dictionary: {out / 'data-dictionary.csv'}",
        f"checksums: {out / 'SHA256SUMS'} (check with: cd {out} && sha256sum -c SHA256SUMS)",
    ]
    sums = dict(line.split("  ", 1)[::-1] for line in (out / "SHA256SUMS").read_text().splitlines())
    assert {"report.html", "corners.csv", "subjects/DLBP-003.html"} <= set(sums)
    assert sums["subjects/DLBP-003.html"] == hashlib.sha256(subject_page.encode()).hexdigest()


def test_batch_report_prints_every_delivered_file(
    one_subject: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"

    main(["batch", str(one_subject), "--out", str(out), "--report"])

    printed = capsys.readouterr().out
    for name in ("endpoints.csv", "corners.csv", "provenance.json", "report.html"):
        assert f": {out / name}\n" in printed
    assert f"  data dictionary: {out / 'data-dictionary.csv'}\n" in printed
    assert f"  checksums: {out / 'SHA256SUMS'} (check with: cd {out} && sha256sum" in printed
    assert f"  subject pages: {out / 'subjects'}/ (1 subject)\n" in printed


def test_reads_from_the_store_give_the_same_table_as_the_files(one_subject: Path) -> None:
    from imaging.batch.sources import grades_from_file, landmark_sets_from_file
    from imaging.protocol.loader import load_protocol
    from imaging.store import ReadStore
    from imaging.store.cases import get_case
    from imaging.store.reads import LandmarkPoint, ReadContent, save_draft, start_read, submit

    protocol = load_protocol()
    sets = landmark_sets_from_file(one_subject / "landmarks.csv")
    grades = grades_from_file(one_subject / "grades.csv", protocol, [])
    url = f"sqlite:///{one_subject.parent / 'reads.db'}"
    with ReadStore(url) as store, store.writing() as session:
        for visit in ("baseline", "month_6", "month_12"):
            landmarks = {
                (s.image, v, c): LandmarkPoint(s.film, s.image, v, c, row, col)
                for s in sets
                if s.visit == visit
                for v, c, row, col, _ in s.points
            }
            codes = {(g.level, g.item): g.code for g in grades if g.visit == visit}
            notes = {g.level: g.note for g in grades if g.visit == visit and g.note}
            case = get_case(session, "DLBP-003", visit, actor="test")
            read = start_read(session, case, "ground-truth", actor="test", protocol_id=protocol.id)
            save_draft(session, read, ReadContent(codes, notes, landmarks), protocol)
            submit(session, read, actor="test")
    from_files, from_store = one_subject.parent / "files", one_subject.parent / "store"

    run_batch(BatchOptions(one_subject, from_files))
    status = main(["batch", str(one_subject), "--store", url, "--out", str(from_store)])

    assert status == 1  # the uncalibrated flexion film of DLBP-003 month 12
    for name in ("failures.csv", "eligibility.csv"):
        assert (from_store / name).read_bytes() == (from_files / name).read_bytes(), name
    stored = pd.read_csv(from_store / "endpoints.csv", dtype=str, keep_default_na=False)
    filed = pd.read_csv(from_files / "endpoints.csv", dtype=str, keep_default_na=False)
    assert set(stored["read_version"]) == {"1"} and set(filed["read_version"]) == {""}
    pd.testing.assert_frame_equal(
        stored.drop(columns="read_version"), filed.drop(columns="read_version")
    )


def test_an_empty_archive_gives_empty_tables_and_status_0(tmp_path: Path) -> None:
    (tmp_path / "archive").mkdir()
    (tmp_path / "archive" / "notes.md").write_text("not an image", encoding="utf-8")
    out = tmp_path / "out"

    assert main(["batch", str(tmp_path / "archive"), "--out", str(out), "--report"]) == 0

    assert (out / "endpoints.csv").read_text(encoding="utf-8").count("\n") == 1
    assert pd.read_parquet(out / "endpoints.parquet").empty
    assert (out / "failures.csv").read_text(encoding="utf-8") == "file,subject,visit,reason\n"
    assert "0 subjects, 0 subject-visits" in (out / "report.html").read_text(encoding="utf-8")


def test_a_corner_off_the_image_fails_its_landmark_set_only(one_subject: Path) -> None:
    landmarks = pd.read_csv(one_subject / "landmarks.csv", dtype=str, keep_default_na=False)
    wrong = (
        (landmarks["visit"] == "baseline")
        & (landmarks["film"] == "neutral")
        & (landmarks["vertebra"] == "L3")
        & (landmarks["corner"] == "anterior_superior")
    )
    landmarks.loc[wrong, "row"] = "99999"
    landmarks.to_csv(one_subject / "landmarks.csv", index=False)
    out = one_subject.parent / "out"

    summary = run_batch(BatchOptions(one_subject, out))

    neutral = "DLBP-003/baseline/DX_lateral_neutral.dcm"
    assert (neutral, "DLBP-003", "baseline", "landmarks") in failures(out)
    table = pd.read_csv(out / "endpoints.csv", dtype=str, keep_default_na=False)
    baseline = table[table["visit"] == "baseline"]
    assert set(baseline["film"]) == {"flexion", "extension", "flexion-extension", ""}
    assert summary.computed == 3
    reason = pd.read_csv(out / "failures.csv", dtype=str)["reason"].tolist()
    assert any("L3 anterior_superior at (row 99999" in r and "lies outside" in r for r in reason)


def test_non_image_dicom_objects_are_skipped_not_failed(one_subject: Path) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import BasicTextSRStorage, ExplicitVRLittleEndian, generate_uid

    report = Dataset()
    report.file_meta = FileMetaDataset()
    report.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    report.SOPClassUID = report.file_meta.MediaStorageSOPClassUID = BasicTextSRStorage
    report.SOPInstanceUID = report.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    report.Modality, report.PatientID = "SR", "DLBP-003"
    report.save_as(one_subject / "DLBP-003" / "baseline" / "report.dcm", enforce_file_format=True)
    out = one_subject.parent / "out"

    run_batch(BatchOptions(one_subject, out))

    assert {f[0] for f in failures(out)} == {"DLBP-003/month_12/DX_lateral_flexion.dcm"}


def test_an_unread_film_without_time_point_gets_its_visit_from_its_date(one_subject: Path) -> None:
    # DLBP-003's month 6 films have no (0012,0050) and come a week late: the visit is found
    # from the study date, counted from the landmarked baseline film's date.
    landmarks = pd.read_csv(one_subject / "landmarks.csv", dtype=str, keep_default_na=False)
    landmarks[landmarks["visit"] != "month_6"].to_csv(one_subject / "landmarks.csv", index=False)
    out = one_subject.parent / "out"

    run_batch(BatchOptions(one_subject, out))

    assert {
        (f"DLBP-003/month_6/DX_lateral_{film}.dcm", "DLBP-003", "month_6", "no landmarks")
        for film in ("neutral", "flexion", "extension")
    } <= failures(out)
