"""De-identify a folder tree (or an archive) into OUT, one report row per file.

Files are found by the project's one walk (:func:`imaging.dicom.walk.walk`: the same skip list
and problems as ``scan``, ``register`` and ``batch``) and read within its limits
(:mod:`imaging.dicom.read`). A file is written only when it is DICOM, its patient is in the
subject map and (0028,0301) *Burned In Annotation* is not YES; everything else is a refusal with
its reason, and the run goes on.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from imaging.atomic import replace_atomically
from imaging.deid.paths import relative_parts, renamed, target_in
from imaging.deid.profile import Change, Deidentifier, patient_identifiers
from imaging.deid.subject_map import Subject
from imaging.dicom.read import open_binary, parse_header, read_pixel_bytes
from imaging.dicom.trial import text_value
from imaging.dicom.walk import Found, Problem, walk
from imaging.errors import SpineEndpointsError
from imaging.spreadsheet import SafeWriter

REPORT_COLUMNS = ("in", "out", "subject", "action", "reason", "changed")
DEIDENTIFIED, REFUSED = "de-identified", "refused"
_UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")


@dataclass(frozen=True)
class ReportRow:
    """One input file: where it went (``out`` relative to OUT) or why it did not."""

    source: str
    out: str = ""
    subject: str = ""
    action: str = REFUSED
    reason: str = ""
    changed: str = ""

    def cells(self) -> list[str]:
        return [self.source, self.out, self.subject, self.action, self.reason, self.changed]


def check_folders(source: Path, out: Path) -> None:
    """Refuse a missing IN, and an OUT inside IN or IN inside OUT (a re-run would read its own
    output, or overwrite its input)."""
    if not source.exists():
        raise SpineEndpointsError(
            "no such file or folder", path=source, fix="Check the path and the working folder."
        )
    inside = source.resolve(), out.resolve()
    if inside[0] == inside[1] or inside[0] in inside[1].parents or inside[1] in inside[0].parents:
        raise SpineEndpointsError(
            f"the output folder {out} and the input {source} overlap",
            path=out,
            fix="Give an output folder outside the input, and the input outside the output.",
        )


def deidentify_tree(
    source: Path, out: Path, subjects: dict[str, Subject], deidentifier: Deidentifier
) -> Iterator[ReportRow]:
    """De-identify every file under ``source`` into ``out``, lazily; one row per file found."""
    check_folders(source, out)
    root = source if source.is_dir() else source.parent
    written: dict[Path, str] = {}
    for item in walk(source):
        if isinstance(item, Problem):
            yield ReportRow(item.location, reason=f"{item.reason}. {item.fix}")
            continue
        try:
            yield _one(item, root, out, subjects, deidentifier, written)
        except SpineEndpointsError as error:
            yield ReportRow(item.location, reason=f"{error.reason}. {error.fix}".rstrip(". "))
        except Exception as error:  # a value pydicom cannot convert or write: listed, not fatal
            yield ReportRow(
                item.location,
                reason=f"cannot be de-identified ({type(error).__name__}: {error}). "
                "Check the file with a DICOM validator (dciodvfy, dcmdump)",
            )


def write_report(rows: Iterable[ReportRow], path: Path) -> Path:
    """The report as CSV (text cells neutralised), replaced whole at the end."""

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8", newline="") as stream:
            writer = SafeWriter(stream)
            writer.writerow(REPORT_COLUMNS)
            writer.writerows(row.cells() for row in rows)

    return replace_atomically(path, write)


# --- internals ----------------------------------------------------------------------------------
def _one(
    item: Found,
    root: Path,
    out: Path,
    subjects: dict[str, Subject],
    deidentifier: Deidentifier,
    written: dict[Path, str],
) -> ReportRow:
    dataset = _read(item)
    refusal = _refusal(dataset, subjects)
    if refusal:
        return ReportRow(item.location, reason=refusal)
    subject = subjects[str(text_value(dataset, "PatientID"))]
    identifiers = patient_identifiers(dataset)
    old_uids = {keyword: str(dataset.get(keyword) or "") for keyword in _UIDS}
    changes = deidentifier.apply(dataset, subject, item.location)
    uids = {old: str(dataset.get(k)) for k, old in old_uids.items() if old}
    parts = renamed(
        relative_parts(root, item.path, item.member), identifiers, subject.subject_id, uids
    )
    target = target_in(out, parts)
    if written.get(target, item.location) != item.location:
        return ReportRow(
            item.location,
            subject=subject.subject_id,
            reason=f"{written[target]} is written to the same output path {Path(*parts)} once "
            "names are replaced. Rename one of the input files",
        )
    _save(dataset, target)
    written[target] = item.location
    return ReportRow(
        item.location, str(Path(*parts)), subject.subject_id, DEIDENTIFIED, "", _summary(changes)
    )


def _read(item: Found) -> Dataset:
    if item.data is not None:
        stream = io.BytesIO(item.data)
        dicom_file = parse_header(stream, len(item.data), item.location)
        read_pixel_bytes(stream, dicom_file)
    else:
        with open_binary(item.path) as (fileobj, size):
            dicom_file = parse_header(fileobj, size, item.location)
            read_pixel_bytes(fileobj, dicom_file)
    if dicom_file.is_media_directory:
        raise SpineEndpointsError(
            "a DICOMDIR: it indexes the original file names and patients, it is not copied",
            path=item.location,
            fix="Build a new DICOMDIR from the output folder if a medium needs one",
        )
    return dicom_file.dataset


def _refusal(dataset: Dataset, subjects: dict[str, Subject]) -> str:
    if str(dataset.get("BurnedInAnnotation") or "").strip().upper() == "YES":
        return (
            "(0028,0301) Burned In Annotation is YES: the pixels may show the patient's name or "
            "id, so the file is not written. Have the site send a clean image, or mask the "
            "pixels and set Burned In Annotation to NO"
        )
    patient = text_value(dataset, "PatientID")
    if patient is None:
        return (
            "no (0010,0020) Patient ID: the subject map cannot tell whose image this is. "
            "Ask the site which patient it is and set Patient ID"
        )
    if patient not in subjects:
        return (
            f"patient id {patient} is not in the subject map: a subject id is never guessed. "
            "Add a row patient_id,subject_id for this patient"
        )
    return ""


def _save(dataset: Dataset, target: Path) -> None:
    dataset.ensure_file_meta()
    dataset.file_meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(
        target, lambda temporary: dataset.save_as(temporary, enforce_file_format=True)
    )


def _summary(changes: list[Change]) -> str:
    groups: dict[str, list[str]] = {}
    for change in changes:
        groups.setdefault(change.action, []).append(change.attribute)
    return "; ".join(f"{action}: {' '.join(names)}" for action, names in groups.items())
