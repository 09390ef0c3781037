"""Files stored on a DICOMweb server with STOW-RS (PS3.18 section 10.5): the SR documents of a
folder, and its other DICOM files when asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imaging.dicom import ScanStatus, scan
from imaging.dicomweb.server import Server, failure
from imaging.errors import DicomwebError

UNREADABLE = (ScanStatus.NOT_DICOM, ScanStatus.TRUNCATED, ScanStatus.UNREADABLE)


@dataclass(frozen=True)
class Outgoing:
    """A file to store: an SR document (Modality ``SR``, PS3.3 C.17.1) or another instance."""

    path: Path
    study: str
    is_report: bool


@dataclass(frozen=True)
class Skipped:
    """A file found but not stored, and why."""

    path: str
    reason: str


def select(root: Path, *, images: bool = False) -> tuple[list[Outgoing], list[Skipped]]:
    """The files under ``root`` to store (SR documents; every readable DICOM file when
    ``images``) and those left, with the reason; hidden files and documents are not looked at
    (:func:`imaging.dicom.scan`)."""
    outgoing: list[Outgoing] = []
    skipped: list[Skipped] = []
    for record in scan(root):
        where = f"{record.path}:{record.member}" if record.member else record.path
        if record.status in UNREADABLE:
            skipped.append(Skipped(where, f"{record.status.value}: {record.reason}"))
        elif record.member:
            skipped.append(Skipped(where, "inside an archive: extract it to push it"))
        elif record.modality == "SR" or images:
            outgoing.append(
                Outgoing(
                    Path(record.path), record.study_instance_uid or "", record.modality == "SR"
                )
            )
        else:
            skipped.append(
                Skipped(
                    where,
                    f"{record.modality or 'no modality'}: not an SR report "
                    "(images are pushed with --images)",
                )
            )
    return outgoing, skipped


def store(server: Server, item: Outgoing) -> None:
    """Store ``item`` on ``server``; a refusal (HTTP error, or the file listed in the answer's
    (0008,1198) Failed SOP Sequence) is a :class:`DicomwebError` naming the file and study."""
    import pydicom

    doing = f"storing {item.path} (study {item.study or 'unknown'})"
    try:
        dataset = pydicom.dcmread(item.path)
    except Exception as error:  # changed since it was scanned
        raise DicomwebError(
            f"cannot read it again ({type(error).__name__})", path=item.path
        ) from None
    try:
        answer = server.client.store_instances([dataset])
    except Exception as error:  # every failure is reported, named by server and file
        raise failure(server, doing, error) from None
    failed = answer.get("FailedSOPSequence") or []
    if failed:
        reason = failed[0].get("FailureReason")
        code = f" (failure reason {int(reason):04X}H, PS3.18 Table I.2-1)" if reason else ""
        raise DicomwebError(f"DICOMweb server {server.url} refused {doing}{code}")
