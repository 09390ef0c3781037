"""Studies found with QIDO-RS and retrieved with WADO-RS (PS3.18 sections 10.6 and 10.4) into a
local archive folder (layout in :mod:`imaging.dicomweb.layout`), resumable: an instance already
there and complete is not fetched again, and a file appears only whole (written under a temporary
name, then renamed)."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imaging.atomic import replace_atomically
from imaging.dicomweb.layout import checked_uid, instance_path
from imaging.dicomweb.server import Server, failure
from imaging.errors import DicomwebError

STUDY_UID = "0020000D"
SERIES_UID = "0020000E"
SOP_UID = "00080018"
PATIENT_ID = "00100020"
SUBJECT_ID = "00120040"  # (0012,0040) Clinical Trial Subject ID, PS3.3 C.7.1.3


class QueryKind(enum.Enum):
    """What ``pull`` looks studies up by, and the QIDO-RS attribute it matches."""

    STUDY = STUDY_UID
    PATIENT = PATIENT_ID
    SUBJECT = SUBJECT_ID


@dataclass(frozen=True)
class Study:
    """A study found on the server; ``person`` names its folder (the subject or patient id)."""

    uid: str
    person: str


@dataclass(frozen=True)
class Instance:
    """One instance to have locally: its UIDs and the file it goes to."""

    study: str
    series: str
    sop: str
    path: Path


def _first(result: dict[str, Any], tag: str) -> str:
    """The first value of ``tag`` in a QIDO-RS JSON result (PS3.18 F.2), ``""`` when absent."""
    values = result.get(tag, {}).get("Value") or [""]
    return str(values[0]).strip()


PAGE_SIZE = 500
"""QIDO-RS results asked for per request (``limit``); further pages are asked with ``offset``."""


def _search_all(search: Callable[..., Any], **query: Any) -> list[dict[str, Any]]:
    """Every result of a QIDO-RS ``search`` (a :class:`DICOMwebClient` method), page by page.

    Stops at a short page, or at a page bringing nothing new (a server ignoring ``offset`` would
    otherwise be asked forever); a result that is not a DICOM JSON object is a ValueError.
    """
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    while True:
        page = search(offset=len(results), limit=PAGE_SIZE, **query)
        if not isinstance(page, list) or not all(isinstance(item, dict) for item in page):
            raise ValueError("not a DICOM JSON array of objects (PS3.18 F.2)")
        new = [item for item in page if json.dumps(item, sort_keys=True) not in seen]
        seen.update(json.dumps(item, sort_keys=True) for item in new)
        results.extend(new)
        if len(page) < PAGE_SIZE or not new:
            return results


def find_studies(server: Server, kind: QueryKind | str, value: str) -> list[Study]:
    """The studies whose ``kind`` attribute is ``value`` exactly (no wildcards), each named by
    the subject id searched for, or for a study or patient search by the study's (0012,0040)
    Clinical Trial Subject ID, else its (0010,0020) Patient ID."""
    kind = QueryKind(kind)
    searched = value.strip()
    if not searched or any(c in searched for c in "*?\\"):
        raise DicomwebError(
            f"{kind.name.lower()} {value!r} is empty or holds a wildcard or backslash",
            fix="Give one exact value; pull never searches by pattern",
        )
    if kind is QueryKind.STUDY:
        checked_uid(searched, "--study")
    try:
        results = _search_all(
            server.client.search_for_studies,
            search_filters={kind.value: searched},
            fields=[PATIENT_ID, SUBJECT_ID],
        )
    except Exception as error:  # every failure is reported, named by server and query
        raise failure(server, f"searching for {kind.name.lower()} {searched}", error) from None
    studies: dict[str, Study] = {}
    for result in results:
        uid = checked_uid(_first(result, STUDY_UID), f"a study found for {searched}")
        if _first(result, kind.value) not in ("", searched):
            continue  # a server matching more loosely than asked
        if kind is QueryKind.SUBJECT:
            person = searched
        else:
            person = _first(result, SUBJECT_ID) or _first(result, PATIENT_ID)
        if not person:
            raise DicomwebError(
                f"study {uid} on DICOMweb server {server.url} has neither (0012,0040) Clinical "
                "Trial Subject ID nor (0010,0020) Patient ID to name its folder",
                fix="Pull it with --subject or --patient",
            )
        studies.setdefault(uid, Study(uid=uid, person=person))
    return list(studies.values())


def list_instances(server: Server, study: Study, out: Path) -> list[Instance]:
    """Every instance of ``study`` on the server, with the file each goes to under ``out``."""
    try:
        results = _search_all(
            server.client.search_for_instances,
            study_instance_uid=study.uid,
            fields=[SERIES_UID, SOP_UID],
        )
    except Exception as error:  # every failure is reported, named by server and study
        raise failure(server, f"listing the instances of study {study.uid}", error) from None
    instances = []
    for result in results:
        series = checked_uid(_first(result, SERIES_UID), f"a series of study {study.uid}")
        sop = checked_uid(_first(result, SOP_UID), f"an instance of study {study.uid}")
        path = instance_path(out, study.person, study.uid, series, sop)
        instances.append(Instance(study=study.uid, series=series, sop=sop, path=path))
    return instances


def is_complete(path: Path, sop: str) -> bool:
    """True when ``path`` is a DICOM file of instance ``sop`` whose last element, the
    (7FE0,0010) Pixel Data included, ends within the file (a cut-off copy is not complete)."""
    import pydicom

    try:
        size = path.stat().st_size
        dataset = pydicom.dcmread(path, defer_size=4096)
        if str(dataset.get("SOPInstanceUID", "")).strip() != sop:
            return False
        last = dataset.get_item(max(dataset.keys()))
    except Exception:  # unreadable or cut off: fetched again
        return False
    tell, length = getattr(last, "value_tell", None), getattr(last, "length", None)
    if tell is None or length is None or length == 0xFFFFFFFF:
        return True  # read whole above (undefined length elements are never deferred)
    return bool(tell + length <= size)


def fetch(server: Server, instance: Instance) -> bool:
    """Make ``instance.path`` hold the instance: True when retrieved, False when it was already
    there and complete. The file is written under a temporary name and renamed."""
    if is_complete(instance.path, instance.sop):
        return False
    doing = f"retrieving instance {instance.sop} of study {instance.study}"
    try:
        dataset = server.client.retrieve_instance(instance.study, instance.series, instance.sop)
    except Exception as error:  # every failure is reported, named by server and study
        raise failure(server, doing, error) from None
    if str(dataset.get("SOPInstanceUID", "")).strip() != instance.sop:
        raise DicomwebError(f"DICOMweb server {server.url} answered another instance while {doing}")
    instance.path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(
        instance.path, lambda temporary: dataset.save_as(temporary, enforce_file_format=True)
    )
    return True
