"""De-identification for sending images on: PS3.15 Annex E Basic Application Level
Confidentiality Profile with longitudinal options, the subject map, and the run over a folder
(``spine-endpoints deidentify``; docs/deidentification.md)."""

from imaging.deid.profile import METHOD_CODES, Change, Deidentifier, TrialIdentity
from imaging.deid.run import (
    DEIDENTIFIED,
    REFUSED,
    ReportRow,
    check_folders,
    deidentify_tree,
    write_report,
)
from imaging.deid.secret import date_shift_days, load_secret
from imaging.deid.subject_map import Subject, read_subject_map

__all__ = [
    "DEIDENTIFIED",
    "METHOD_CODES",
    "REFUSED",
    "Change",
    "Deidentifier",
    "ReportRow",
    "Subject",
    "TrialIdentity",
    "check_folders",
    "date_shift_days",
    "deidentify_tree",
    "load_secret",
    "read_subject_map",
    "write_report",
]
