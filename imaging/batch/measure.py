"""A study's landmark sets and grades -> endpoint rows, with the protocol's thresholds.

Neutral films give every disc and vertebral body measure (:func:`imaging.endpoints.measure_film`);
flexion and extension films give their segmental angle and translation, and as a pair of the same
reader the angular and translation ROM and the instability flag
(:func:`imaging.endpoints.measure_pair`); a dynamic film without its partner gives ROM rows that
say which film is missing. Grades become rows whose ``measure`` is the grading item and ``grade``
its code. Rows are tuples in :data:`~imaging.batch.model.ENDPOINT_COLUMNS` order, in a fixed order:
reader, then film (neutral, flexion, extension, pair), then as the endpoint functions give them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imaging.anatomy import DiscLevel, Film
from imaging.batch.model import Row
from imaging.endpoints import PAIR_FILM, UNITS, EndpointRow, measure_film, measure_pair
from imaging.errors import LandmarkError
from imaging.geometry.film import film_geometry
from imaging.geometry.height_loss import HeightLossRule
from imaging.geometry.instability import InstabilityCriteria, instability_preset
from imaging.geometry.landmarks import Landmarks

if TYPE_CHECKING:
    from imaging.batch.task import GradeEntry
    from imaging.protocol.model import Protocol

GRADE_UNIT = "grade"
MOTION_MEASURES = frozenset({"segmental_angle", "translation", "translation_pct_depth"})
ROM_MEASURES = ("angular_rom", "translation_rom", "translation_rom_pct_depth", "unstable")
_FILM_ORDER = {Film.NEUTRAL: 0, Film.FLEXION: 1, Film.EXTENSION: 2}


@dataclass(frozen=True)
class MeasureSettings:
    """Thresholds and reference levels, as plain values (picklable; rules are built in the worker).

    ``height_loss_references``: explicit reference levels per level, e.g.
    ``(("L4-L5", ("L3-L4",)),)``; empty means nearest measured neighbours.
    """

    height_loss_pct: float = 20.0
    height_loss_references: tuple[tuple[str, tuple[str, ...]], ...] = ()
    instability_translation_mm: float = 3.0
    instability_angle_deg: float = 15.0

    @classmethod
    def from_protocol(cls, protocol: Protocol) -> MeasureSettings:
        thresholds = dict(protocol.thresholds)
        default = cls()
        return cls(
            height_loss_pct=float(thresholds.get("height_loss_pct", default.height_loss_pct)),
            height_loss_references=tuple(
                (level, tuple(refs)) for level, refs in protocol.height_loss_references
            ),
            instability_translation_mm=float(
                thresholds.get("instability_translation_mm", default.instability_translation_mm)
            ),
            instability_angle_deg=float(
                thresholds.get("instability_angle_deg", default.instability_angle_deg)
            ),
        )

    def height_loss_rule(self) -> HeightLossRule:
        return HeightLossRule.build(
            reference_levels=dict(self.height_loss_references),
            threshold_pct=self.height_loss_pct,
        )

    def instability_criteria(self) -> InstabilityCriteria:
        return instability_preset().with_limits(
            max_translation_mm=self.instability_translation_mm,
            max_angle_deg=self.instability_angle_deg,
        )


def measure_study(landmarks: Sequence[Landmarks], settings: MeasureSettings) -> list[Row]:
    """Endpoint rows of one study's landmark sets.

    Raises :class:`~imaging.errors.LandmarkError` when two sets claim the same film and reader.
    """
    by_reader: dict[str, dict[Film, Landmarks]] = {}
    for film in landmarks:
        films = by_reader.setdefault(film.reader, {})
        if film.film in films:
            raise LandmarkError(
                f"{film.label}: two landmark sets for the same film ({films[film.film].image} "
                f"and {film.image})",
                path=film.origin,
                fix="Keep one set of corners per subject, visit, film and reader.",
            )
        films[film.film] = film
    rule = settings.height_loss_rule()
    criteria = settings.instability_criteria()
    rows: list[EndpointRow] = []
    for reader in sorted(by_reader):
        films = by_reader[reader]
        for kind in sorted(films, key=_FILM_ORDER.__getitem__):
            measured = measure_film(films[kind], height_loss=rule)
            if kind is not Film.NEUTRAL:
                measured = [row for row in measured if row.measure in MOTION_MEASURES]
            rows.extend(measured)
        if Film.FLEXION in films and Film.EXTENSION in films:
            rows.extend(measure_pair(films[Film.FLEXION], films[Film.EXTENSION], criteria=criteria))
        elif Film.FLEXION in films or Film.EXTENSION in films:
            rows.extend(_unpaired(films))
    return [_row(row) for row in rows]


def _unpaired(films: dict[Film, Landmarks]) -> list[EndpointRow]:
    """ROM rows saying which dynamic film is missing (the way :func:`rom_table` gives them)."""
    present = films.get(Film.FLEXION) or films[Film.EXTENSION]
    absent = Film.EXTENSION if present.film is Film.FLEXION else Film.FLEXION
    return [
        EndpointRow(
            present.subject,
            present.visit,
            level.value,
            measure,
            None,
            UNITS[measure],
            present.calibration.source.value,
            PAIR_FILM,
            present.reader,
            "",
            present.image,
            f"no {absent} film for this subject, visit and reader",
        )
        for level in film_geometry(present).levels
        for measure in ROM_MEASURES
    ]


def _row(row: EndpointRow) -> Row:
    value = row.value if row.value is None else float(row.value)
    return (
        row.subject, row.visit, row.level, row.measure, value, row.unit, "", None,
        row.calibration, row.film, row.reader, row.reference_levels, row.source_image, row.note,
    )  # fmt: skip


def grade_rows(subject: str, visit: str, grades: Iterable[GradeEntry]) -> list[Row]:
    """One row per grade, ordered by level (cranial to caudal) and reader, items as given."""
    order = {level.value: i for i, level in enumerate(DiscLevel)}
    ordered = sorted(grades, key=lambda g: (order.get(g.level, 99), g.level, g.reader))
    return [_grade_row(subject, visit, grade) for grade in ordered]


def _grade_row(subject: str, visit: str, grade: GradeEntry) -> Row:
    return (
        subject, visit, grade.level, grade.item, grade.numeric, GRADE_UNIT, grade.code, None,
        "", "", grade.reader, "", "", "",
    )  # fmt: skip
