"""The codes a spine-endpoints Measurement Report uses, and the private scheme where none exists.

Standard codes (PS3.16): disc levels and vertebrae from SNOMED CT (``codes.SCT``:
``LevelOfL4L5IntervertebralDisc`` 243923001, ``L4Vertebra`` ...; S1 is SCT 65985001, the lumbar
spine as a whole 122496007), units from UCUM (``mm``, ``deg``, ``{ratio}``, ``%``, ``1``).
Pfirrmann and Modic grades, the measures' names, the films and the corners have no standard
code: they are in the private scheme :data:`SCHEME` (a designator starting with ``99``, PS3.16
section 8.2), declared in the report's (0008,0110) *Coding Scheme Identification Sequence*.
Code meanings are at most 64 characters (LO); code values longer than 16 characters are written
as (0008,0119) *Long Code Value* by highdicom. docs/sr.md lists every code.
"""

from __future__ import annotations

import uuid
from functools import cache

from highdicom.coding_schemes import CodingSchemeIdentificationItem
from highdicom.sr import CodedConcept
from pydicom.sr.codedict import codes

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.measures import MEASURES

SCHEME = "99SPINEEP"
SCHEME_NAME = "spine-endpoints reading codes"
SCHEME_ORGANIZATION = "spine-endpoints project"
SCHEME_VERSION = "1"
MEANING_LIMIT = 64
TRACKING_NAMESPACE = uuid.UUID("5b0f3c2e-6a43-5d0e-9c41-2f6a7e1d9b10")
"""Namespace of the tracking UIDs (:func:`tracking_uid`); never change it: viewers link a level
across visits and reports by these UIDs."""

CASE_SITE_CODE = CodedConcept("122496007", "SCT", "Lumbar spine")
S1_CODE = CodedConcept("65985001", "SCT", "S1 vertebra")


def private(value: str, meaning: str) -> CodedConcept:
    """A code of :data:`SCHEME`; the meaning is cut to :data:`MEANING_LIMIT` characters."""
    return CodedConcept(value, SCHEME, meaning[:MEANING_LIMIT], SCHEME_VERSION)


def scheme_identification() -> CodingSchemeIdentificationItem:
    """The item of (0008,0110) *Coding Scheme Identification Sequence* declaring :data:`SCHEME`."""
    return CodingSchemeIdentificationItem(
        SCHEME, name=SCHEME_NAME, version=SCHEME_VERSION,
        responsible_organization=SCHEME_ORGANIZATION,
    )  # fmt: skip


PROCEDURE = private("READ", "Spine imaging endpoint read")
READ_VERSION = private("READVER", "Read version")
CORNER_ORIGIN = private("CORNERUSE", "Corner position used")
FILM_CODES = {
    Film.NEUTRAL.value: private("FILM-N", "Neutral lateral film"),
    Film.FLEXION.value: private("FILM-F", "Flexion lateral film"),
    Film.EXTENSION.value: private("FILM-E", "Extension lateral film"),
    "flexion-extension": private("FILM-FE", "Flexion and extension lateral films"),
}
CORNER_CODES = {c.value: private(f"CORNER-{c.name}", f"{c.value.replace('_', ' ')} corner")
                for c in Corner}  # fmt: skip
USE_CODES = {u: private(f"USE-{u.upper()}", f"{u} position") for u in
             ("click", "refined", "moved", "tracked")}  # fmt: skip


def site_code(level: str) -> CodedConcept:
    """SNOMED CT code of a disc level, a vertebra or the whole lumbar spine (``spine``)."""
    try:
        disc = DiscLevel(level)
    except ValueError:
        disc = None
    if disc is not None:
        upper, lower = disc.upper_vertebra.value, disc.lower_vertebra.value
        code = getattr(codes.SCT, f"LevelOf{upper}{lower}IntervertebralDisc")
        return CodedConcept(code.value, code.scheme_designator, code.meaning)
    try:
        vertebra = Vertebra(level)
    except ValueError:
        return CASE_SITE_CODE
    if vertebra is Vertebra.S1:
        return S1_CODE
    code = getattr(codes.SCT, f"{vertebra.value}Vertebra")
    return CodedConcept(code.value, code.scheme_designator, code.meaning)


@cache
def site_names() -> dict[tuple[str, str], str]:
    """(scheme, code value) -> level, vertebra or ``spine``: :func:`site_code` backwards."""
    names = {(CASE_SITE_CODE.scheme_designator, CASE_SITE_CODE.value): "spine"}
    for name in (*(d.value for d in DiscLevel), *(v.value for v in Vertebra)):
        code = site_code(name)
        names[(code.scheme_designator, code.value)] = name
    return names


def measure_code(measure: str) -> CodedConcept:
    """The concept name of a measure of the registry (:data:`imaging.measures.MEASURES`)."""
    spec = MEASURES.get(measure)
    return private(measure, spec.title if spec is not None else measure.replace("_", " "))


def unit_code(measure: str, unit: str) -> CodedConcept:
    """UCUM code of an endpoint row's unit: a dimensionless index is ``{ratio}``, a flag or
    grade ``1``."""
    if unit == "1" and "index" in measure:
        chosen = codes.UCUM.Ratio
    else:
        chosen = {"mm": codes.UCUM.Millimeter, "deg": codes.UCUM.Degree,
                  "%": codes.UCUM.Percent}.get(unit, codes.UCUM.NoUnits)  # fmt: skip
    return CodedConcept(chosen.value, chosen.scheme_designator, chosen.meaning)


def item_code(item: str, title: str) -> CodedConcept:
    """The concept name of a grading item (``pfirrmann``, ``modic_cranial`` ...)."""
    return private(item, title)


def grade_code(scale: str, code: str, meaning: str) -> CodedConcept:
    """The coded value of a grade: ``<scale id>:<grade code>`` (``pfirrmann:4``, ``modic:I``)."""
    return private(f"{scale}:{code}", meaning)


def tracking_uid(subject: str, *parts: str) -> str:
    """A UID under ``2.25.`` (PS3.5 B.2) derived from the subject and ``parts`` (a level; a
    film, vertebra and corner): the same finding of a subject gets the same UID at every visit."""
    key = "|".join((subject, *parts))
    return f"2.25.{uuid.uuid5(TRACKING_NAMESPACE, key).int}"
