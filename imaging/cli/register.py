"""``spine-endpoints register``: put a trial's images into the store, so readers get worklists."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from imaging.cli._trial import acting, add_actor_option, add_protocol_option, add_store_option


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "register",
        help="register DICOM images with the store: subjects, visits, worklist cases",
        description="Every DICOM image under the paths (files or folders, walked recursively "
        "as `scan` walks them: hidden files and documents skipped) is recorded with its hash "
        "and assigned to a subject (Clinical Trial Subject ID, else Patient ID) and a visit of "
        "the protocol (Clinical Trial Time Point ID, else the study date against the visit "
        "windows). Each subject and visit becomes a case on the readers' worklists. Files that "
        "are not usable images are listed and left out; images that fit no visit are registered "
        "and listed with the reason. Without a treatment date a study is dated from the "
        "subject's baseline study, which precedes treatment by the protocol's "
        "baseline_to_treatment_days: a study whose visit depends on where day 0 falls is never "
        "guessed; it waits, listed, until --treatment-date gives the subject's day 0 (then it "
        "is assigned). Registering again is safe: known files are skipped, a changed file under "
        "a known SOP Instance UID is refused. A file whose header holds an id the store cannot "
        "keep (longer than its column, e.g. 64 characters for a subject id, or a control "
        "character) is listed with the tag and left out. Paths are kept relative to the archive "
        "root, recorded in the store, so the workstation finds the images from any folder.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument(
        "--treatment-date",
        action="append",
        default=[],
        metavar="SUBJECT=YYYY-MM-DD",
        help="a subject's treatment date (day 0 of the visit windows), recorded in the audit "
        "trail before the images are assigned; the subject's images waiting for a visit are "
        "assigned again; repeat for several subjects",
    )
    parser.add_argument(
        "--archive-root",
        type=Path,
        metavar="DIR",
        help="the folder the store keeps image paths relative to (recorded in the store; every "
        "PATH must be inside it); when the archive moves, `spine-endpoints archive-roots move` "
        "points the root at its new place. Default: each PATH itself (a file's folder), made "
        "absolute",
    )
    for add in (add_protocol_option, add_store_option, add_actor_option):
        add(parser)
    parser.set_defaults(func=run)


def parse_treatment_dates(values: list[str]) -> dict[str, dt.date]:
    """``["DLBP-001=2025-03-04", ...]`` -> {subject: date}; a bad value raises naming it."""
    from imaging.errors import StoreError
    from imaging.store.identifiers import check_subject_id

    dates: dict[str, dt.date] = {}
    for value in values:
        subject, _, text = value.partition("=")
        try:
            day = dt.date.fromisoformat(text.strip())
        except ValueError:
            day = None
        if not subject.strip() or day is None:
            raise StoreError(
                f"--treatment-date {value!r} is not SUBJECT=YYYY-MM-DD",
                fix="Give e.g. --treatment-date DLBP-001=2025-03-04",
            )
        check_subject_id(subject.strip(), "--treatment-date: subject id")
        dates[subject.strip()] = day
    return dates


def run(args: argparse.Namespace) -> int:
    from imaging.dicom.scan import scan
    from imaging.dicom.scan_records import ScanStatus
    from imaging.dicom.trial import identifying_problem, other_trial_problem
    from imaging.errors import SpineEndpointsError, StoreError
    from imaging.protocol.loader import load_protocol
    from imaging.store.archive_roots import absolute, path_in_root
    from imaging.store.cases import (
        ImageRecord,
        assign_flagged,
        register_images,
        set_treatment_date,
        subject_by_id,
    )
    from imaging.store.registration import count_images, registration_summary
    from imaging.store.store import ReadStore

    protocol = load_protocol(args.protocol)
    treatment_dates = parse_treatment_dates(args.treatment_date)
    records: list[ImageRecord] = []
    left_out: list[tuple[str, str]] = []
    not_dicom = 0
    for path in args.paths:
        root = args.archive_root or (path if path.is_dir() else path.parent)
        if args.archive_root is not None and absolute(path) != absolute(root):
            path_in_root(path, absolute(root))  # refuses a PATH outside the root
        for scanned in scan(path):
            if scanned.status is ScanStatus.NOT_DICOM and scanned.member is None:
                not_dicom += 1  # notes, spreadsheets, ... next to the images
            elif not scanned.status.usable:
                left_out.append((scanned.location, f"{scanned.status}: {scanned.reason}"))
            elif protocol.require_deidentified and scanned.identifying:
                left_out.append((scanned.location, identifying_problem(scanned.identifying)))
            elif other := other_trial_problem(
                scanned.trial_protocol_id, protocol.dicom_protocol_ids, protocol.id
            ):
                left_out.append((scanned.location, other))
            elif scanned.member is not None:
                left_out.append((scanned.location, "inside an archive: extract it first (the "
                                 "workstation opens images by path)"))  # fmt: skip
            else:
                try:
                    found = ImageRecord.from_file(scanned.path, scanned.film or "", root)
                except SpineEndpointsError as error:  # e.g. an id the store cannot keep
                    left_out.append((scanned.location, f"{error.reason}. {error.fix}"))
                    continue
                records.append(found)
    with ReadStore(args.store) as store:
        with store.writing() as db:
            actor = acting(args, db)
            arriving = {record.subject for record in records}
            unknown = sorted(
                subject
                for subject in treatment_dates
                if subject not in arriving and subject_by_id(db, subject) is None
            )
            if unknown:  # a date for nobody would create a subject with no images
                raise StoreError(
                    f"--treatment-date names subject(s) with no images in the store or in "
                    f"these folders: {', '.join(unknown)}",
                    fix="Check the subject id (as in (0012,0040) Clinical Trial Subject ID), or "
                    "register the subject's images with the date.",
                )
            changed = [
                subject
                for subject, day in treatment_dates.items()
                if set_treatment_date(
                    db, subject, day, actor=actor, reason="spine-endpoints register"
                )
            ]
            before = count_images(db)
            images = register_images(db, protocol, records, actor=actor)
            for subject in changed:  # its images waiting for a visit may fit one now
                images += assign_flagged(db, protocol, subject, actor=actor)
            images = list({image.id: image for image in images}.values())
            visit_order = [visit.id for visit in protocol.visits]
            summary = registration_summary(db, images, count_images(db) - before, visit_order)
        where = store.display_url
    print(summary.format())
    for location, why in left_out:
        print(f"left out: {location}: {why}")
    print(
        f"{len(images)} image(s) registered with {where} ({summary.new} new); "
        f"{len(summary.flagged)} fit no visit; {len(left_out)} DICOM file(s) left out; "
        f"{not_dicom} other file(s) ignored"
    )
    return 1 if left_out or summary.flagged else 0
