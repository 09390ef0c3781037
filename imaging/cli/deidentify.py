"""``spine-endpoints deidentify IN OUT --subject-map FILE``: PS3.15 de-identification for sending
images on (docs/deidentification.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imaging.cli._trial import add_protocol_option
from imaging.deid import (
    DEIDENTIFIED,
    Deidentifier,
    TrialIdentity,
    check_folders,
    deidentify_tree,
    load_secret,
    read_subject_map,
    write_report,
)
from imaging.deid.secret import SECRET_ENVIRONMENT
from imaging.errors import SpineEndpointsError

if TYPE_CHECKING:
    from imaging.protocol.model import Protocol


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "deidentify",
        help="de-identify DICOM files for a trial (PS3.15 Basic Profile, modified dates)",
        description="Copy every DICOM file under IN to OUT (same folder layout; folder and file "
        "names holding the patient's id or name get the subject id) through the PS3.15 Annex E "
        "Basic Application Level Confidentiality Profile with Retain Longitudinal Temporal "
        "Information with Modified Dates (one whole-day shift per subject) and Clean "
        "Descriptors; UIDs replaced consistently from the secret; the Clinical Trial attributes "
        "written from the subject map. Files whose patient is not in the map, with Burned In "
        "Annotation YES, of another trial (a (0012,0020) Clinical Trial Protocol ID not among "
        "the protocol's dicom_protocol_ids, unless --protocol-id replaces it), or not DICOM are "
        "refused and listed. Exit status 0 when every file was "
        "de-identified, 1 when some were refused (listed in the report).",
    )
    parser.add_argument("source", type=Path, metavar="IN", help="folder, file or archive")
    parser.add_argument("out", type=Path, metavar="OUT", help="output folder (created)")
    parser.add_argument(
        "--subject-map",
        type=Path,
        required=True,
        metavar="FILE",
        help="CSV with columns patient_id,subject_id[,site_id]: every patient must be listed",
    )
    parser.add_argument(
        "--secret-file",
        type=Path,
        metavar="FILE",
        help=f"the secret the date shifts and UIDs follow (default ${SECRET_ENVIRONMENT}); "
        "keep it at the core lab, never with the data",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="where the per-file report goes (default OUT.report.csv beside OUT; never inside "
        "OUT: it names the original files)",
    )
    parser.add_argument("--sponsor", help="(0012,0010) Clinical Trial Sponsor Name")
    parser.add_argument(
        "--protocol-id",
        help="(0012,0020) Clinical Trial Protocol ID: one of the protocol's dicom_protocol_ids "
        "(checked against --protocol)",
    )
    parser.add_argument("--protocol-name", help="(0012,0021) Clinical Trial Protocol Name")
    parser.add_argument("--site-name", help="(0012,0031) Clinical Trial Site Name")
    add_protocol_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from imaging.protocol.loader import load_protocol

    out: Path = args.out
    report = args.report or out.parent / f"{out.name}.report.csv"
    protocol = load_protocol(args.protocol)
    if args.protocol_id is not None:
        check_protocol_id(args.protocol_id, protocol)
    check_folders(args.source, out)
    resolved = report.resolve()
    if out.resolve() in resolved.parents:
        raise SpineEndpointsError(
            "the report names the original files, so it never goes inside the output folder",
            path=report,
            fix="Give --report a path outside OUT.",
        )
    subjects = read_subject_map(args.subject_map)
    secret = load_secret(args.secret_file)
    trial = TrialIdentity(
        args.sponsor,
        args.protocol_id,
        args.protocol_name,
        args.site_name,
        protocol.id,
        protocol.dicom_protocol_ids,
    )
    out.mkdir(parents=True, exist_ok=True)
    rows = list(deidentify_tree(args.source, out, subjects, Deidentifier(secret, trial)))
    write_report(rows, report)
    done = sum(row.action == DEIDENTIFIED for row in rows)
    refused = len(rows) - done
    print(f"{done} file(s) de-identified into {out}, {refused} refused; report: {report}")
    return 1 if refused else 0


def check_protocol_id(protocol_id: str, protocol: Protocol) -> None:
    """Refuse a ``--protocol-id`` that is not among the protocol's ``dicom_protocol_ids``: every
    file would carry it, and ``register`` and ``batch`` under that protocol would refuse them
    all as another trial's (:func:`imaging.dicom.trial.other_trial_problem`, same comparison)."""
    from imaging.dicom.trial import other_trial_problem

    accepted = protocol.dicom_protocol_ids
    if other_trial_problem(protocol_id, accepted, protocol.id) is None:
        return
    known = ", ".join(repr(value) for value in accepted)
    raise SpineEndpointsError(
        f"--protocol-id {protocol_id!r} is not a (0012,0020) Clinical Trial Protocol ID of "
        f"protocol {protocol.id} (dicom_protocol_ids: {known}); written into every de-identified "
        "file, it would make `register` and `batch` refuse them all as another trial's",
        path=protocol.source or None,
        fix=f"Give one of {known}, or the images' trial protocol with --protocol.",
    )
