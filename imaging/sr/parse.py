"""A spine-endpoints Measurement Report read back: reader, visit, grades, corners and measures.

The inverse of :mod:`imaging.sr.build`, on the dataset alone (no store): the content tree is
walked by concept codes (docs/sr.md). A file that is not such a report, or a group whose codes
this version does not know, is refused naming the file and the group; nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.sr.codedict import codes

from imaging.sr import StructuredReportError
from imaging.sr import codes as sr_codes
from imaging.sr.build import PIXEL_CENTRE, ReportCorner

Concept = tuple[str, str]
"""(coding scheme designator, code value)."""
_REPORT = ("DCM", "126000")
_LOGIN = ("DCM", codes.DCM.PersonObserverLoginName.value)
_OBSERVER = ("DCM", codes.DCM.PersonObserverName.value)
_TIME_POINT = ("DCM", codes.DCM.ProtocolTimePointIdentifier.value)
_GROUP = ("DCM", codes.DCM.MeasurementGroup.value)
_FINDING = ("DCM", codes.DCM.Finding.value)
_SITE = ("SCT", codes.SCT.FindingSite.value)
_METHOD = ("SCT", codes.SCT.MeasurementMethod.value)
_USE = ("99SPINEEP", sr_codes.CORNER_ORIGIN.value)


@dataclass(frozen=True)
class ReportMeasure:
    level: str
    measure: str
    film: str
    value: float


@dataclass
class ParsedReport:
    """What a report says of one read; ``path`` names it in every refusal."""

    path: Path
    reader: str
    visit: str
    grades: dict[tuple[str, str], str] = field(default_factory=dict)
    corners: list[ReportCorner] = field(default_factory=list)
    measures: list[ReportMeasure] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    """SOP Instance UIDs the report's evidence sequences list."""


def concept(item: Dataset, keyword: str = "ConceptNameCodeSequence") -> Concept:
    code = item[keyword][0] if keyword in item and item[keyword].value else None
    if code is None:
        return ("", "")
    value = code.get("CodeValue") or code.get("LongCodeValue") or code.get("URNCodeValue") or ""
    return (str(code.CodingSchemeDesignator), str(value))


def _children(item: Dataset) -> Iterator[Dataset]:
    yield from item.get("ContentSequence", [])


def _text(item: Dataset) -> str:
    if item.ValueType == "PNAME":
        return str(item.PersonName)
    return str(item.get("TextValue", ""))


def _evidence(dataset: Dataset) -> list[str]:
    uids = []
    for keyword in ("CurrentRequestedProcedureEvidenceSequence", "PertinentOtherEvidenceSequence"):
        for study in dataset.get(keyword, []):
            for series in study.get("ReferencedSeriesSequence", []):
                uids += [str(i.ReferencedSOPInstanceUID) for i in series.ReferencedSOPSequence]
    return uids


def read_report(path: Path) -> ParsedReport:
    """Parse ``path``; raises :class:`~imaging.sr.StructuredReportError` naming the file."""
    try:
        dataset = pydicom.dcmread(path)
    except (InvalidDicomError, OSError, ValueError) as error:
        raise StructuredReportError(f"not a readable DICOM file ({error})", path=path) from None
    schemes = {str(s.CodingSchemeDesignator) for s in
               dataset.get("CodingSchemeIdentificationSequence", [])}  # fmt: skip
    if concept(dataset) != _REPORT or sr_codes.SCHEME not in schemes:
        raise StructuredReportError(
            "not a spine-endpoints Measurement Report (TID 1500 with the coding scheme "
            f"{sr_codes.SCHEME} declared)",
            path=path,
            fix="Import reports written by `spine-endpoints sr export`.",
        )
    reader = visit = ""
    groups: list[Dataset] = []
    for item in _children(dataset):
        for inner in (item, *_children(item)):
            if concept(inner) == _LOGIN or (concept(inner) == _OBSERVER and not reader):
                reader = _text(inner)
            elif concept(inner) == _GROUP:
                groups.append(inner)
    report = ParsedReport(path, reader.strip(), "", evidence=_evidence(dataset))
    for group in groups:
        visit = _group(report, group) or visit
    report.visit = visit
    if not report.reader or not report.visit:
        missing = "observer login name" if not report.reader else "protocol time point identifier"
        raise StructuredReportError(f"the report has no {missing}", path=path)
    return report


def _group(report: ParsedReport, group: Dataset) -> str:
    """Add one measurement group's grades, corner or measures to ``report``; its visit."""
    sites = sr_codes.site_names()
    films = {(c.scheme_designator, c.value): film for film, c in sr_codes.FILM_CODES.items()}
    corners = {(c.scheme_designator, c.value): n for n, c in sr_codes.CORNER_CODES.items()}
    uses = {(c.scheme_designator, c.value): n for n, c in sr_codes.USE_CODES.items()}
    visit = site = film = corner = ""
    used = "click"
    point: tuple[float, float, str] | None = None
    grades: dict[str, str] = {}
    measures: list[tuple[str, str, float]] = []
    for item in _children(group):
        name = concept(item)
        if name == _TIME_POINT:
            visit = _text(item)
        elif name == _SITE:
            site = sites.get(concept(item, "ConceptCodeSequence"), "")
        elif name == _METHOD:
            film = films.get(concept(item, "ConceptCodeSequence"), "")
        elif name == _FINDING:
            corner = corners.get(concept(item, "ConceptCodeSequence"), "")
        elif name == _USE:
            used = uses.get(concept(item, "ConceptCodeSequence"), "click")
        elif item.ValueType == "CODE" and name[0] == sr_codes.SCHEME:
            grades[name[1]] = concept(item, "ConceptCodeSequence")[1].partition(":")[2]
        elif item.ValueType == "NUM" and name[0] == sr_codes.SCHEME:
            value = float(item.MeasuredValueSequence[0].NumericValue)
            method = next((concept(c, "ConceptCodeSequence") for c in _children(item)
                           if concept(c) == _METHOD), ("", ""))  # fmt: skip
            measures.append((name[1], films.get(method, ""), value))
        elif item.ValueType == "SCOORD":
            x, y = (float(v) for v in item.GraphicData)
            image = next(_children(item))
            uid = str(image.ReferencedSOPSequence[0].ReferencedSOPInstanceUID)
            point = (y - PIXEL_CENTRE, x - PIXEL_CENTRE, uid)
    if point is not None:
        if not (site and film and corner):
            raise StructuredReportError(
                "a corner group lacks its vertebra, film or corner code", path=report.path
            )
        row, col, uid = point
        report.corners.append(ReportCorner(film, uid, site, corner, row, col, used))
        return visit
    if not site:
        raise StructuredReportError(
            "a measurement group has no finding site this version knows", path=report.path
        )
    report.grades.update({(site, item): code for item, code in grades.items()})
    report.measures += [ReportMeasure(site, m, f, v) for m, f, v in measures]
    return visit
