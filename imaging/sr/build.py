"""One read as a DICOM SR Measurement Report (TID 1500, PS3.16), built with highdicom.

Plain values in (:class:`ReportInput`: the read's endpoint rows, its corners, the source images'
headers), a Comprehensive 3D SR dataset out; nothing here reads the store or recomputes a value.
The content tree (docs/sr.md):

- observer: the reader as person observer (TID 1003; name, and the reader id as login name);
- one measurement group (TID 1501) per level with rows: the level's SNOMED CT code as finding
  site, a tracking identifier derived from subject and level (the same at every visit), the
  visit as time point context (TID 1502), every measure (TID 300, UCUM unit, the film as
  measurement method, the source film referenced) and every grade as a qualitative evaluation;
- one planar ROI group (TID 1410) per corner: a POINT on its film (SCOORD (column, row) with the
  pixel's centre at + 0.5, PS3.3 C.18.6.1.1), the corner as finding type, the vertebra as finding
  site, the film as method, how the position was obtained as a qualitative evaluation.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highdicom as hd
import numpy as np
from highdicom.sr import (
    AlgorithmIdentification,
    Comprehensive3DSR,
    FindingSite,
    GraphicTypeValues,
    ImageRegion,
    Measurement,
    MeasurementReport,
    MeasurementsAndQualitativeEvaluations,
    ObservationContext,
    ObserverContext,
    PersonObserverIdentifyingAttributes,
    PlanarROIMeasurementsAndQualitativeEvaluations,
    QualitativeEvaluation,
    SourceImageForMeasurement,
    SourceImageForRegion,
    TimePointContext,
    TrackingIdentifier,
)
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from imaging.endpoints import EndpointRow
from imaging.endpoints.rows import GRADE_UNIT
from imaging.protocol.model import Protocol
from imaging.sr import codes as sr_codes

SOFTWARE = "spine-endpoints"
PIXEL_CENTRE = 0.5
"""(row, col) puts a pixel's centre at whole numbers; an SR SCOORD at whole numbers + 0.5."""


@dataclass(frozen=True)
class ReportCorner:
    """A corner of the read: its film, the SOP Instance UID of its image, where it is
    (row, col pixels) and which position was used (``click``, ``refined``, ``moved``, ...)."""

    film: str
    image_uid: str
    vertebra: str
    corner: str
    row: float
    col: float
    used: str = "click"


@dataclass(frozen=True)
class Signed:
    """The signature that makes a report VERIFIED: who signed and when."""

    name: str
    at: dt.datetime
    organization: str = ""
    """(0040,A027) *Verifying Organization*; empty: the protocol id."""


@dataclass(frozen=True)
class ReportInput:
    """Everything one read's report holds; ``rows`` are its endpoint rows (grades and measures,
    from :func:`imaging.endpoints.endpoint_rows` through the store), ``evidence`` the headers of
    the images the report refers to (SOP Instance UID -> dataset; the first gives patient and
    study), ``image_uids`` a corner's or row's image name -> SOP Instance UID."""

    subject: str
    visit: str
    reader: str
    reader_name: str
    read_version: int
    rows: Sequence[EndpointRow]
    corners: Sequence[ReportCorner]
    evidence: Mapping[str, Dataset]
    image_uids: Mapping[str, str]
    software_version: str
    signed: Signed | None = None


def person_name(name: str) -> str:
    """A printed name as a DICOM PN (PS3.5 6.2.1.2): a one-component name ends with ``^``."""
    return name if "^" in name else f"{name}^"


def _time_point(protocol: Protocol, visit: str) -> TimePointContext:
    order = [v.id for v in protocol.visits]
    return TimePointContext(
        time_point=protocol.visit(visit).label or visit,
        time_point_order=order.index(visit) + 1 if visit in order else None,
        protocol_time_point_identifier=visit,
    )


def _source(evidence: Mapping[str, Dataset], uid: str) -> tuple[str, str]:
    return str(evidence[uid].SOPClassUID), uid


def _measurement(row: EndpointRow, report: ReportInput) -> Measurement | None:
    if row.value is None:
        return None
    uids = [report.image_uids[name] for name in row.source_image.split(";") if
            name in report.image_uids]  # fmt: skip
    method = sr_codes.FILM_CODES.get(row.film)
    return Measurement(
        name=sr_codes.measure_code(row.measure),
        value=float(row.value),
        unit=sr_codes.unit_code(row.measure, row.unit),
        method=method,
        referenced_images=[
            SourceImageForMeasurement(*_source(report.evidence, uid)) for uid in uids
        ]
        or None,
    )


def _evaluation(row: EndpointRow, protocol: Protocol) -> QualitativeEvaluation | None:
    if not row.grade:
        return None
    item = protocol.item(row.measure)
    title = item.description or row.measure.replace("_", " ")
    return QualitativeEvaluation(
        sr_codes.item_code(row.measure, title),
        sr_codes.grade_code(item.scale.id, row.grade, f"{item.scale.name} {row.grade}"),
    )


def _level_groups(
    report: ReportInput, protocol: Protocol, time_point: TimePointContext
) -> list[MeasurementsAndQualitativeEvaluations]:
    by_level: dict[str, list[EndpointRow]] = defaultdict(list)
    for row in report.rows:
        by_level[row.level].append(row)
    groups = []
    for level, rows in by_level.items():
        measures = [m for r in rows if r.unit != GRADE_UNIT if (m := _measurement(r, report))]
        grades = [e for r in rows if r.unit == GRADE_UNIT if (e := _evaluation(r, protocol))]
        if not measures and not grades:
            continue
        versions = sorted({r.software_version for r in rows if r.software_version})
        groups.append(
            MeasurementsAndQualitativeEvaluations(
                tracking_identifier=TrackingIdentifier(
                    uid=sr_codes.tracking_uid(report.subject, level), identifier=level
                ),
                time_point_context=time_point,
                finding_sites=[FindingSite(sr_codes.site_code(level))],
                algorithm_id=AlgorithmIdentification(SOFTWARE, versions[-1]) if versions else None,
                measurements=measures or None,
                qualitative_evaluations=grades or None,
            )
        )
    return groups


def _corner_groups(
    report: ReportInput, time_point: TimePointContext
) -> list[PlanarROIMeasurementsAndQualitativeEvaluations]:
    groups = []
    for c in report.corners:
        region = ImageRegion(
            graphic_type=GraphicTypeValues.POINT,
            graphic_data=np.array([[c.col + PIXEL_CENTRE, c.row + PIXEL_CENTRE]]),
            source_image=SourceImageForRegion(*_source(report.evidence, c.image_uid)),
        )
        groups.append(
            PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=TrackingIdentifier(
                    uid=sr_codes.tracking_uid(report.subject, c.film, c.vertebra, c.corner),
                    identifier=f"{c.vertebra} {c.corner.replace('_', ' ')} ({c.film})",
                ),
                referenced_region=region,
                time_point_context=time_point,
                finding_type=sr_codes.CORNER_CODES[c.corner],
                finding_sites=[FindingSite(sr_codes.site_code(c.vertebra))],
                method=sr_codes.FILM_CODES[c.film],
                qualitative_evaluations=[
                    QualitativeEvaluation(sr_codes.CORNER_ORIGIN, sr_codes.USE_CODES[c.used])
                ],
            )
        )
    return groups


def measurement_report(report: ReportInput, protocol: Protocol) -> Comprehensive3DSR:
    """The read as a Comprehensive 3D SR holding a TID 1500 Measurement Report; VERIFIED only
    when ``report.signed``, COMPLETE always (a current read is submitted)."""
    time_point = _time_point(protocol, report.visit)
    observer = ObserverContext(
        observer_type=codes.DCM.Person,
        observer_identifying_attributes=PersonObserverIdentifyingAttributes(
            name=person_name(report.reader_name), login_name=report.reader
        ),
    )
    content = MeasurementReport(
        observation_context=ObservationContext(observer_person_context=observer),
        procedure_reported=sr_codes.PROCEDURE,
        imaging_measurements=[
            *_level_groups(report, protocol, time_point),
            *_corner_groups(report, time_point),
        ],
    )
    signed = report.signed
    document = Comprehensive3DSR(
        evidence=list(report.evidence.values()),
        content=content[0],
        series_instance_uid=hd.UID(),
        series_number=900,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=SOFTWARE,
        is_complete=True,
        is_final=signed is not None,
        is_verified=signed is not None,
        verifying_observer_name=person_name(signed.name) if signed else None,
        verifying_organization=(signed.organization or protocol.id) if signed else None,
        series_description=f"{SOFTWARE} read, reader {report.reader}, "
        f"version {report.read_version}"[:64],
        software_versions=report.software_version,
        coding_schemes=[sr_codes.scheme_identification()],
    )
    if signed is not None:
        observer_item = document.VerifyingObserverSequence[0]
        observer_item.VerificationDateTime = signed.at.strftime("%Y%m%d%H%M%S+0000")
    return document
