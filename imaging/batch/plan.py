"""Plan a batch: scan the archive, pair films with landmarks and grades, one task per study.

A study is a subject x visit. Its films are the usable radiographs the scan found for it (by
(0012,0040) *Clinical Trial Subject ID* and the visit the protocol assigns: time point id, else
study date) and every film a landmark set names (the landmark source decides its subject and
visit). Grades join by subject and visit. Files that belong to no study and cannot be used (not
DICOM, truncated, ...) become failures of the plan; so do bad grade rows, each on its own. A
landmark set with bad rows still claims its image (so the film is not also "no landmarks") and
its study reports the rows; bad rows that name no usable subject and visit fail here.
The archive is walked by :func:`imaging.dicom.walk.walk`: documents next to the images (``.csv``,
``.json``, ``.md``, ...) and hidden files are skipped, folders that cannot be listed, bad links,
FIFOs and devices become failures. Modalities come from :mod:`imaging.dicom.vocabulary`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imaging.anatomy import Film
from imaging.batch import provenance
from imaging.batch.assisted import AssistOptions
from imaging.batch.model import Failure
from imaging.batch.results import study_id
from imaging.batch.sources import (
    GradeRecord,
    LandmarkSet,
    from_store,
    grades_from_file,
    landmark_sets_from_file,
)
from imaging.batch.study_dates import baseline_dates, is_baseline_visit, study_date, study_days
from imaging.batch.task import FilmRead, GradeEntry, StudyTask
from imaging.dicom.scan import ScanRecord, ScanStatus, scan_file, scan_found
from imaging.dicom.trial import NO_SUBJECT, NO_SUBJECT_FIX, other_trial_problem
from imaging.dicom.vocabulary import IMAGE_MODALITIES, is_cross_sectional, normalized_modality
from imaging.dicom.walk import Found, walk
from imaging.endpoints import MeasureRules
from imaging.endpoints.rows import natural
from imaging.errors import SpineEndpointsError
from imaging.landmark_files.images import locate_image
from imaging.protocol.model import Protocol
from imaging.protocol.visits import assign_visit


@dataclass(frozen=True)
class Plan:
    """The studies in output order (subject, then protocol visit), and the plan's own failures."""

    tasks: tuple[StudyTask, ...]
    failures: tuple[Failure, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)


def plan_batch(
    archive: Path,
    protocol: Protocol,
    landmarks: Path | None = None,
    grades: Path | None = None,
    store_url: str | None = None,
    assist: AssistOptions | None = None,
) -> Plan:
    """Scan ``archive`` and build the tasks.

    Reads come from ``store_url`` (plus a ``grades`` file if given), else from ``landmarks`` and
    ``grades``, which default to ``landmarks.csv`` and ``grades.csv`` in the archive folder.
    ``assist`` (refinement, tracking) goes into every task.
    """
    archive = Path(archive)
    if not archive.is_dir():
        raise SpineEndpointsError(
            "the archive is not a folder", path=archive, fix="Give the folder of DICOM files."
        )
    failures: list[Failure] = []
    landmark_sets: list[LandmarkSet] = []
    grade_records: list[GradeRecord] = []
    treatment_dates: dict[str, dt.date] = {}
    base = archive / "landmarks.csv"
    if store_url is not None:
        landmark_sets, grade_records, treatment_dates = from_store(
            store_url, protocol.reading_design.qualification_subjects
        )
    else:
        landmarks = landmarks if landmarks is not None else _default(archive, "landmarks.csv")
        if landmarks is not None:
            base = landmarks
            try:
                landmark_sets = landmark_sets_from_file(landmarks)
            except SpineEndpointsError as error:
                failures.append(Failure(str(landmarks), "", "", f"landmarks: {error}"))
        grades = grades if grades is not None else _default(archive, "grades.csv")
    if grades is not None:
        grade_records += grades_from_file(grades, protocol, failures)
    studies: dict[tuple[str, str], _Study] = defaultdict(_Study)

    # Films named by path in the landmarks are not scanned: their study opens them anyway.
    located = [(each, *_locate(each.image, base)) for each in landmark_sets]
    named = {path for _, path, _ in located if path}
    records = list(scan_archive(archive, named))
    by_uid = {
        r.sop_instance_uid: r.path for r in records if r.sop_instance_uid and r.member is None
    }
    claimed = _add_landmarks(located, protocol, by_uid, studies, failures)
    baselines = _baseline_dates(records, located, claimed, protocol)
    _add_radiographs(records, protocol, claimed, (baselines, treatment_dates), studies, failures)
    _add_grades(grade_records, protocol, studies)

    days = study_days(
        {key: study.images for key, study in studies.items()}, records, protocol, treatment_dates
    )
    settings = MeasureRules.from_protocol(protocol)
    order = {visit.id: i for i, visit in enumerate(protocol.visits)}
    items = {item.name: i for i, item in enumerate(protocol.items)}
    tasks = [
        StudyTask(
            study_id=study_id(subject, visit),
            subject=subject,
            visit=visit,
            images=tuple(sorted(study.images.items())),
            reads=tuple(study.reads),
            grades=tuple(sorted(study.grades, key=lambda g: items.get(g.item, len(items)))),
            settings=settings,
            assist=assist or AssistOptions(),
            archive=str(archive.resolve()),
            study_day=days.get((subject, visit)),
            require_deidentified=protocol.require_deidentified,
            dicom_protocol_ids=protocol.dicom_protocol_ids,
        )
        for (subject, visit), study in sorted(
            studies.items(), key=lambda item: (natural(item[0][0]), order.get(item[0][1], 99))
        )
    ]
    inputs = {
        "archive": str(archive.resolve()),
        "landmarks": provenance.file_entry(landmarks) if store_url is None else None,
        "grades": provenance.file_entry(grades),
        "store": provenance.redact_url(store_url) if store_url else None,
        "files_scanned": len(records),
    }
    return Plan(tuple(tasks), tuple(failures), inputs)


@dataclass
class _Study:
    images: dict[str, str] = field(default_factory=dict)
    reads: list[FilmRead] = field(default_factory=list)
    grades: list[GradeEntry] = field(default_factory=list)


def _default(archive: Path, name: str) -> Path | None:
    path = archive / name
    return path if path.is_file() else None


def scan_archive(folder: Path, skip: Set[str] = frozenset()) -> Iterator[ScanRecord]:
    """Scan records of what :func:`imaging.dicom.walk.walk` finds under ``folder``, but the files
    on disk whose resolved path is in ``skip``, which are not even opened."""
    for item in walk(folder):
        if isinstance(item, Found) and item.member is None and _resolved(item.path) in skip:
            continue
        yield scan_found(item)


def _resolved(path: str | Path) -> str:
    """The absolute path with links resolved; ``path`` itself for a link loop (its record says)."""
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return str(path)


def _not_an_image(record: ScanRecord) -> bool:
    """A DICOM object that is not meant to hold pixels (SR, KO, PR, DICOMDIR, ...).

    An image whose pixel data is missing (a DX without (7FE0,0010)) is damaged, not this.
    """
    if record.status is not ScanStatus.NO_PIXEL_DATA:
        return False
    if Path(record.member or record.path).name.upper() == "DICOMDIR":
        return True
    modality = normalized_modality(record.modality)
    return bool(modality) and modality not in IMAGE_MODALITIES


def _locate(image: str, base: Path) -> tuple[str, list[str]]:
    """The resolved path of a landmark set's image ('' when not a file there), and where tried.

    Paths are tried relative to ``base`` (the landmark file, or a file in the archive) and to
    the current folder.
    """
    found, tried = locate_image(image, base)
    return (str(found.resolve()), []) if found is not None else ("", tried)


def _add_landmarks(
    located: list[tuple[LandmarkSet, str, list[str]]],
    protocol: Protocol,
    by_uid: dict[str, str],
    studies: dict[tuple[str, str], _Study],
    failures: list[Failure],
) -> set[str]:
    """Add every landmark set to its study; returns the image paths they name.

    An image not found as a path is looked up as a SOPInstanceUID among the scanned files.
    """
    claimed: set[str] = set()
    for landmark_set, found, tried in located:
        visit = protocol.visit_id(landmark_set.visit)
        if landmark_set.problems and (visit is None or not landmark_set.subject):
            # Bad rows that belong to no study: reported here, with what they say.
            failures.extend(
                Failure(
                    landmark_set.origin,
                    landmark_set.subject,
                    landmark_set.visit,
                    f"landmarks: {problem}",
                )
                for problem in landmark_set.problems
            )
            if not landmark_set.subject or not landmark_set.visit:
                continue
        if visit is None:
            failures.append(
                Failure(
                    landmark_set.image,
                    landmark_set.subject,
                    landmark_set.visit,
                    f"landmarks: {landmark_set.where} of {landmark_set.origin}: visit "
                    + protocol.not_a_visit(landmark_set.visit),
                )
            )
            continue
        path = found or by_uid.get(landmark_set.image, "")
        study = studies[(landmark_set.subject, visit)]
        study.reads.append(
            FilmRead(
                landmark_set.image,
                path,
                landmark_set.film,
                landmark_set.reader,
                landmark_set.points,
                landmark_set.origin,
                "" if path else "; ".join([*tried, "SOPInstanceUIDs of the archive"]),
                landmark_set.problems,
                landmark_set.read_version,
            )
        )
        if path:
            claimed.add(path)
            known = landmark_set.film in {film.value for film in Film}
            study.images.setdefault(path, landmark_set.film if known else "")
    return claimed


def _add_radiographs(
    records: list[ScanRecord],
    protocol: Protocol,
    claimed: set[str],
    anchors: tuple[dict[str, dt.date], dict[str, dt.date]],
    studies: dict[tuple[str, str], _Study],
    failures: list[Failure],
) -> None:
    """Usable radiographs go to their study; unusable files and another trial's films
    (:func:`imaging.dicom.trial.other_trial_problem`) not named by landmarks fail here.

    ``anchors`` are each subject's baseline study date and treatment date (from the store). A
    radiograph whose visit cannot be told (no time point id, and a date that depends on an
    unknown treatment date, fits no window or two) is a failure row with the reason.
    """
    baselines, treatment_dates = anchors
    for record in records:
        path = record.path if record.member is not None else _resolved(record.path)
        if path in claimed:
            continue  # its landmark set placed it; a damaged file fails when its study opens it
        subject = record.subject or ""
        if _not_an_image(record):
            continue  # a structured report, a presentation state, a DICOMDIR: nothing to measure
        if not record.status.usable:
            failures.append(
                Failure(
                    record.location,
                    subject,
                    record.visit or "",
                    f"{record.status}: {record.reason}",
                )
            )
            continue
        if is_cross_sectional(record.modality):
            continue  # MR/CT series are graded by readers; grades come from the grade source
        if record.member is not None:
            failures.append(
                Failure(
                    record.location,
                    subject,
                    record.visit or "",
                    "unsupported: radiographs inside a zip or tar archive are not measured; "
                    "extract the archive and run the batch on the folder",
                )
            )
            continue
        other = other_trial_problem(
            record.trial_protocol_id, protocol.dicom_protocol_ids, protocol.id
        )
        if other:  # another trial's film makes no study of this one (nor an eligibility row)
            failures.append(Failure(path, subject, record.visit or "", other))
            continue
        if not subject:
            failures.append(Failure(path, "", "", f"{NO_SUBJECT}. {NO_SUBJECT_FIX}"))
            continue
        assignment = assign_visit(
            protocol,
            time_point_id=record.visit,
            study_date=study_date(record),
            treatment_date=treatment_dates.get(subject),
            baseline_date=baselines.get(subject),
        )
        if assignment.visit is None:
            failures.append(
                Failure(path, subject, record.visit or "", f"visit: {assignment.reason}")
            )
            continue
        studies[(subject, assignment.visit.id)].images.setdefault(path, record.film or "")


def _baseline_dates(
    records: list[ScanRecord],
    located: list[tuple[LandmarkSet, str, list[str]]],
    claimed: set[str],
    protocol: Protocol,
) -> dict[str, dt.date]:
    """Per subject: :func:`~imaging.batch.study_dates.baseline_dates` of the scanned files.

    Needed only for radiographs without a time point id; for their subjects, the headers of
    the landmarked baseline films (not scanned otherwise) are read too.
    """
    undated = {r.subject for r in records if r.subject and not r.visit and r.path not in claimed}
    extra = [
        scan_file(path)
        for landmark_set, path, _ in located
        if path
        and landmark_set.subject in undated
        and is_baseline_visit(protocol, landmark_set.visit)
    ]
    return baseline_dates([*records, *extra], protocol)


def _add_grades(
    grades: list[GradeRecord], protocol: Protocol, studies: dict[tuple[str, str], _Study]
) -> None:
    for grade in grades:
        score = protocol.score(grade.item, grade.code)
        studies[(grade.subject, grade.visit)].grades.append(
            GradeEntry(
                grade.level,
                grade.item,
                grade.code,
                grade.reader,
                score,
                grade.read_version,
                grade.note,
            )
        )


__all__ = ["Plan", "plan_batch", "scan_archive"]
