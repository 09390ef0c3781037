"""A study's landmark sets and grades -> endpoint rows, with the protocol's thresholds.

Neutral films give every disc and vertebral body measure (:func:`imaging.endpoints.measure_film`);
flexion and extension films give their segmental angle and translation, and as a pair of the same
reader the angular and translation ROM and the instability flag
(:func:`imaging.endpoints.measure_pair`); a dynamic film without its partner gives ROM rows that
say which film is missing. Grades become rows whose ``measure`` is the grading item and ``grade``
its code. Rows are tuples in :data:`~imaging.batch.model.ENDPOINT_COLUMNS` order, in a fixed order:
reader, then film (neutral, flexion, extension, pair), then as the endpoint functions give them.

Each film comes as a :class:`MeasuredFilm`: its landmarks and how its corners were obtained
(``click``, ``refined``, ``tracked``: the ``corners`` column of its rows; a pair's rows give both
films' methods as ``flexion/extension`` when they differ, e.g. ``click/tracked``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imaging.anatomy import DiscLevel, Film
from imaging.batch.model import Row
from imaging.endpoints import EndpointRow, measure_film, measure_pair, unpaired_rom_rows
from imaging.errors import LandmarkError
from imaging.geometry.height_loss import HeightLossRule
from imaging.geometry.instability import InstabilityCriteria, instability_preset
from imaging.geometry.landmarks import Landmarks

if TYPE_CHECKING:
    from imaging.batch.task import GradeEntry
    from imaging.protocol.model import Protocol

GRADE_UNIT = "grade"
CLICK, REFINED, TRACKED = "click", "refined", "tracked"
"""How a film's corners were obtained (the ``corners`` column)."""
MOTION_MEASURES = frozenset({"segmental_angle", "translation", "translation_pct_depth"})
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


@dataclass(frozen=True)
class MeasuredFilm:
    """One film's landmarks, how its corners were obtained, and a note for its rows."""

    landmarks: Landmarks
    corners: str = CLICK
    """``click`` (as read), ``refined`` or ``tracked``."""
    note: str = ""
    """Appended to the ``note`` of the film's rows (and of its pair's rows), e.g. where tracked
    corners came from."""


def measure_study(
    films: Sequence[MeasuredFilm],
    settings: MeasureSettings,
    pair_rows: Mapping[str, Sequence[EndpointRow]] | None = None,
) -> list[Row]:
    """Endpoint rows of one study's films.

    ``pair_rows`` are extra rows per reader (ROM from tracking transforms), placed after that
    reader's pair rows, their ``corners`` ``tracked``. Raises
    :class:`~imaging.errors.LandmarkError` when two sets claim the same film and reader.
    """
    by_reader: dict[str, dict[Film, MeasuredFilm]] = {}
    for film in films:
        landmarks = film.landmarks
        known = by_reader.setdefault(landmarks.reader, {})
        if landmarks.film in known:
            raise LandmarkError(
                f"{landmarks.label}: two landmark sets for the same film "
                f"({known[landmarks.film].landmarks.image} and {landmarks.image})",
                path=landmarks.origin,
                fix="Keep one set of corners per subject, visit, film and reader.",
            )
        known[landmarks.film] = film
    rule = settings.height_loss_rule()
    criteria = settings.instability_criteria()
    extra = pair_rows or {}
    rows: list[Row] = []
    for reader in sorted(by_reader.keys() | extra.keys()):
        known = by_reader.get(reader, {})
        for kind in sorted(known, key=_FILM_ORDER.__getitem__):
            film = known[kind]
            measured = measure_film(film.landmarks, height_loss=rule)
            if kind is not Film.NEUTRAL:
                measured = [row for row in measured if row.measure in MOTION_MEASURES]
            rows.extend(_row(row, film.corners, film.note) for row in measured)
        flexion, extension = known.get(Film.FLEXION), known.get(Film.EXTENSION)
        if flexion is not None and extension is not None:
            method = (
                flexion.corners
                if flexion.corners == extension.corners
                else f"{flexion.corners}/{extension.corners}"
            )
            note = "; ".join(n for n in (flexion.note, extension.note) if n)
            pair = measure_pair(flexion.landmarks, extension.landmarks, criteria=criteria)
            rows.extend(_row(row, method, note) for row in pair)
        elif flexion is not None or extension is not None:
            present = flexion or extension
            assert present is not None
            unpaired = unpaired_rom_rows(present.landmarks)
            rows.extend(_row(row, present.corners, present.note) for row in unpaired)
        rows.extend(_row(row, TRACKED) for row in extra.get(reader, ()))
    return rows


def _row(row: EndpointRow, corners: str, note: str = "") -> Row:
    value = row.value if row.value is None else float(row.value)
    notes = "; ".join(n for n in (row.note, note) if n)
    return (
        row.subject, row.visit, row.level, row.measure, value, row.unit, "", None,
        row.calibration, row.film, corners, row.reader, row.reference_levels, row.source_image,
        notes,
    )  # fmt: skip


def grade_rows(subject: str, visit: str, grades: Iterable[GradeEntry]) -> list[Row]:
    """One row per grade, ordered by level (cranial to caudal) and reader, items as given."""
    order = {level.value: i for i, level in enumerate(DiscLevel)}
    ordered = sorted(grades, key=lambda g: (order.get(g.level, 99), g.level, g.reader))
    return [_grade_row(subject, visit, grade) for grade in ordered]


def _grade_row(subject: str, visit: str, grade: GradeEntry) -> Row:
    return (
        subject, visit, grade.level, grade.item, grade.numeric, GRADE_UNIT, grade.code, None,
        "", "", "", grade.reader, "", "", "",
    )  # fmt: skip
