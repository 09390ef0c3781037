"""A protocol's measuring rules, the flexion/extension pair's rows and a read's grade rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from geometry_spines import spine_corners

from imaging import __version__
from imaging.anatomy import Corner, Film, Vertebra
from imaging.calibration import Calibration, CalibrationSource
from imaging.endpoints import (
    EndpointRow,
    FilmCorners,
    Grade,
    MeasureRules,
    StudyRead,
    endpoint_rows,
    measure_film,
    measure_pair,
    reads_from_landmarks,
)
from imaging.errors import LandmarkError
from imaging.geometry import InstabilityCriteria, Landmarks, Threshold, instability_preset
from imaging.protocol.loader import DEFAULT_PROTOCOL, load_protocol

MM = Calibration.user_supplied_spacing(0.2)
TRIAL = MeasureRules(protocol="P", instability_translation_mm=3.0, instability_angle_deg=15.0)


def _film(
    film: Film, calibration: Calibration = MM, visit: str = "baseline", drop: Corner | None = None
) -> Landmarks:
    """A rectangle spine (40 px deep) at 0.2 mm per pixel; ``drop``: L4's corner left out."""
    corners = spine_corners(posterior_height=[10.0, 11.0, 12.0, 8.0, 13.0])
    if drop is not None:
        del corners[Vertebra.L4][drop]
    return Landmarks(
        corners, film=film, calibration=calibration, image=f"{visit}/{film}.dcm",
        subject="S-1", visit=visit, reader="R1",
    )  # fmt: skip


def _pair_rows(flexion: Landmarks, extension: Landmarks) -> dict[tuple[str, str], EndpointRow]:
    rows = measure_pair(flexion, extension, TRIAL.instability_criteria())
    return {(r.level, r.measure): r for r in rows}


# --- MeasureRules.from_protocol: every measuring setting of the file, and nothing else ----------
def test_rules_take_every_measuring_setting_of_the_protocol_file(tmp_path: Path) -> None:
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    edits = [
        ("height_loss_pct = 20.0", "height_loss_pct = 25.0"),
        ("instability_angle_deg = 15.0", ""),  # not set: no angle limit, never 0 or a default
        ('angle_deg = "instability_angle_deg"', "angle_deg = 15.0"),  # the eligibility rule's own
        ('loss_height = "disc_height_mean"',
         'loss_height = "disc_height_mean_bisector"\naccepted_magnification = 1.1'),
        ("lumbosacral = true", 'lumbosacral = false\n\n[measurement.height_loss_references]\n'
                               '"L4-L5" = ["L3-L4"]'),
    ]  # fmt: skip
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "protocol.toml"
    path.write_text(text, encoding="utf-8")
    protocol = load_protocol(path)
    assert MeasureRules.from_protocol(protocol) == MeasureRules(
        protocol=protocol.id,
        height_loss_pct=25.0,
        instability_translation_mm=3.0,
        instability_angle_deg=None,
        height_loss_references=(("L4-L5", ("L3-L4",)),),
        loss_height="disc_height_mean_bisector",
        reference_item="pfirrmann",
        reference_normal=("1", "2"),
        lumbosacral_reference=False,
        accepted_magnification=1.1,
    )


# --- MeasureRules.instability_criteria: the protocol's limits, named after it --------------------
def test_a_protocol_with_one_limit_flags_on_that_limit_alone() -> None:
    slip = MeasureRules(protocol="P", instability_translation_mm=3.0).instability_criteria()
    assert slip == InstabilityCriteria("P", "P: translation ROM > 3 mm", Threshold(3.0))
    angle = MeasureRules(protocol="P", instability_angle_deg=12.5).instability_criteria()
    assert angle == InstabilityCriteria("P", "P: angular ROM > 12.5 deg", angle_deg=Threshold(12.5))
    both = TRIAL.instability_criteria()
    assert both == InstabilityCriteria(
        "P", "P: translation ROM > 3 mm or angular ROM > 15 deg", Threshold(3.0),
        angle_deg=Threshold(15.0),
    )  # fmt: skip
    assert MeasureRules(protocol="P").instability_criteria() is None


def test_rules_without_a_protocol_id_say_the_protocol() -> None:
    criteria = MeasureRules(instability_translation_mm=4.0).instability_criteria()
    assert criteria == InstabilityCriteria(
        "protocol", "the protocol: translation ROM > 4 mm", Threshold(4.0)
    )


def test_a_preset_takes_the_protocols_limits_in_place_of_its_own() -> None:
    preset = instability_preset("white-panjabi")
    translation = MeasureRules(instability_preset="white-panjabi", instability_translation_mm=3.0)
    assert translation.instability_criteria() == preset.with_limits(max_translation_mm=3.0)
    criteria = translation.instability_criteria()
    assert criteria is not None and criteria.translation_mm == Threshold(3.0)
    assert criteria.angle_deg_by_level == preset.angle_deg_by_level  # its own angles kept
    angle = MeasureRules(instability_preset="white-panjabi", instability_angle_deg=10.0)
    criteria = angle.instability_criteria()
    assert criteria is not None and criteria.angle_deg == Threshold(10.0)
    assert criteria.translation_mm == preset.translation_mm and not criteria.angle_deg_by_level
    assert MeasureRules(instability_preset="white-panjabi").instability_criteria() == preset


# --- measure_pair: the films it takes, and the rows' units, readers and notes --------------------
@pytest.mark.parametrize(
    ("first", "second"),
    [(Film.NEUTRAL, Film.EXTENSION), (Film.FLEXION, Film.FLEXION), (Film.EXTENSION, Film.FLEXION)],
)
def test_a_pair_needs_a_flexion_then_an_extension_film(first: Film, second: Film) -> None:
    with pytest.raises(ValueError) as info:
        measure_pair(_film(first), _film(second), None)
    assert str(info.value) == (
        f"measure_pair needs a flexion and an extension film, got {first} and {second}"
    )


def test_a_pair_of_two_visits_is_refused_naming_both_films() -> None:
    with pytest.raises(ValueError) as info:
        measure_pair(_film(Film.FLEXION), _film(Film.EXTENSION, visit="month 3"), None)
    assert str(info.value) == (
        "films of different studies: subject S-1, visit baseline, film flexion, reader R1 and "
        "subject S-1, visit month 3, film extension, reader R1"
    )


def test_pair_rows_carry_the_unit_reader_images_and_an_empty_note() -> None:
    rows = _pair_rows(_film(Film.FLEXION), _film(Film.EXTENSION))
    assert rows[("L4-L5", "angular_rom")] == EndpointRow(
        "S-1", "baseline", "L4-L5", "angular_rom", pytest.approx(0.0, abs=1e-9), "deg",  # type: ignore[arg-type]
        calibration="calibrated", film="flexion-extension", reader="R1",
        source_image="baseline/flexion.dcm;baseline/extension.dcm", note="",
    )  # fmt: skip
    assert (rows[("L4-L5", "translation_rom")].unit, rows[("L4-L5", "translation_rom")].note) == (
        "mm",
        "",
    )
    assert rows[("L4-L5", "unstable")].unit == "1"


def test_a_pair_calibrated_two_ways_names_both_on_its_millimetres() -> None:
    corrected = Calibration((0.2, 0.2), CalibrationSource.MAGNIFICATION_CORRECTED, "factor 1.1")
    rows = _pair_rows(_film(Film.FLEXION), _film(Film.EXTENSION, corrected))
    mixed = "flexion calibrated, extension magnification-corrected"
    translation = rows[("L4-L5", "translation_rom")]
    assert (translation.calibration, translation.note) == (
        "calibrated;magnification-corrected",
        mixed,
    )
    assert translation.value == pytest.approx(0.0, abs=1e-9)
    assert rows[("L4-L5", "angular_rom")].note == ""  # degrees do not depend on the spacing
    swapped = _pair_rows(_film(Film.FLEXION, corrected), _film(Film.EXTENSION))
    assert swapped[("L4-L5", "translation_rom")].note == (
        "flexion magnification-corrected, extension calibrated"
    )


def test_a_pair_with_neither_film_calibrated_names_both_films() -> None:
    rows = _pair_rows(
        _film(Film.FLEXION, Calibration.none()), _film(Film.EXTENSION, Calibration.none())
    )
    translation = rows[("L4-L5", "translation_rom")]
    why = (
        "uncalibrated image (no pixel spacing in the file): millimetres need a calibration, "
        "e.g. --mm-per-pixel"
    )
    assert (translation.value, translation.note) == (None, f"flexion: {why}; extension: {why}")


def test_a_corner_missing_on_one_film_is_named_on_the_pair_rows() -> None:
    rows = _pair_rows(_film(Film.FLEXION, drop=Corner.ANTERIOR_INFERIOR), _film(Film.EXTENSION))
    angular = rows[("L4-L5", "angular_rom")]
    assert (angular.value, angular.note) == (None, "missing flexion L4 anterior_inferior")
    assert rows[("L3-L4", "angular_rom")].value == pytest.approx(0.0, abs=1e-9)


# --- grade rows --------------------------------------------------------------------------------
def test_a_grade_row_carries_the_code_its_score_and_the_readers_note() -> None:
    grades = (
        Grade("L4-L5", "pfirrmann", "3", 3.0, "dark nucleus"),
        Grade("L4-L5", "modic_cranial", "I/II"),
    )
    read = StudyRead("S-1", "baseline", "R1", grades=grades)
    rows = {(r.level, r.measure): r for r in endpoint_rows(read, TRIAL)}
    pfirrmann = rows[("L4-L5", "pfirrmann")]
    assert (pfirrmann.value, pfirrmann.unit, pfirrmann.grade, pfirrmann.note) == (
        3.0,
        "grade",
        "3",
        "dark nucleus",
    )
    modic = rows[("L4-L5", "modic_cranial")]
    assert (modic.value, modic.unit, modic.grade, modic.note) == (None, "grade", "I/II", "")


# --- endpoint_rows: what every row of a read carries --------------------------------------------
def test_every_row_of_a_read_carries_the_read_its_corners_and_notes() -> None:
    tracked = EndpointRow("S-1", "baseline", "L4-L5", "angular_rom", 3.0, "deg", note="by image")
    read = StudyRead(
        "S-1", "baseline", "R2", read_version=3, study_day=12,
        films=(  # in no particular order: neutral, flexion, extension come back
            FilmCorners(_film(Film.EXTENSION), "click", "extension: 1 corner kept the click"),
            FilmCorners(_film(Film.NEUTRAL), "refined"),
            FilmCorners(_film(Film.FLEXION), "refined", "flexion: bowel gas"),
        ),
        grades=(Grade("L4-L5", "pfirrmann", "3", 3.0),),
        extra_rows=(tracked, tracked.but(level="L3-L4", corners="refined")),
    )  # fmt: skip
    rows = endpoint_rows(read, TRIAL)
    assert {
        (r.reader, r.read_version, r.study_day, r.protocol, r.software_version) for r in rows
    } == {("R2", 3, 12, "P", __version__)}
    assert [r.film for r in rows if r.level == "L4-L5" and r.measure == "segmental_angle"] == [
        "neutral",
        "flexion",
        "extension",
    ]
    by_key = {(r.level, r.measure, r.film, r.corners): r for r in rows}
    height = by_key[("L4-L5", "disc_height_mean", "neutral", "refined")]
    assert (height.note, height.value) == ("", pytest.approx(8 * 0.2))
    flexion = by_key[("L4-L5", "segmental_angle", "flexion", "refined")]
    assert flexion.note == "flexion: bowel gas"
    pair = by_key[("L4-L5", "angular_rom", "flexion-extension", "refined/click")]
    assert pair.note == "flexion: bowel gas; extension: 1 corner kept the click"
    assert by_key[("L4-L5", "angular_rom", "", "tracked")].note == "by image"
    assert by_key[("L3-L4", "angular_rom", "", "refined")].value == 3.0
    grade = by_key[("L4-L5", "pfirrmann", "", "")]
    assert (grade.note, grade.grade) == ("", "3")


def test_two_corner_sets_for_one_film_are_refused_naming_the_file() -> None:
    first = _film(Film.NEUTRAL)
    again = Landmarks(
        first.corners, film=Film.NEUTRAL, calibration=MM, image="baseline/neutral-2.dcm",
        subject="S-1", visit="baseline", reader="R1", origin="corners.csv",
    )  # fmt: skip
    read = StudyRead("S-1", "baseline", "R1", films=(FilmCorners(first), FilmCorners(again)))
    with pytest.raises(LandmarkError) as info:
        endpoint_rows(read, TRIAL)
    assert str(info.value) == (
        "corners.csv: subject S-1, visit baseline, film neutral, reader R1: two landmark sets "
        "for the same film (baseline/neutral.dcm and baseline/neutral-2.dcm). Keep one set of "
        "corners per subject, visit, film and reader."
    )


def test_one_film_measured_alone_uses_the_rules_named_reference_discs() -> None:
    rule = MeasureRules(height_loss_pct=20.0, height_loss_references=(("L4-L5", ("L3-L4",)),))
    rows = {
        (r.level, r.measure): r
        for r in measure_film(_film(Film.NEUTRAL), height_loss=rule.height_loss_rule())
    }
    loss = rows[("L4-L5", "height_loss_vs_adjacent_pct")]
    assert (loss.reference_levels, loss.value) == ("L3-L4", pytest.approx(100 * (1 - 8 / 12)))
    assert rows[("L4-L5", "height_loss_flag")].reference_levels == "L3-L4"
    assert rows[("L4-L5", "disc_height_mean")].reference_levels == ""  # only height loss has any


def test_a_protocol_without_lumbosacral_references_says_so_on_the_loss() -> None:
    rules = MeasureRules(
        height_loss_pct=20.0, reference_item="pfirrmann", reference_normal=("1", "2"),
        lumbosacral_reference=False,
    )  # fmt: skip
    levels = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
    grades = tuple(Grade(level, "pfirrmann", "2") for level in levels)
    read = StudyRead(
        "S-1", "baseline", "R1", films=(FilmCorners(_film(Film.NEUTRAL)),), grades=grades
    )
    rows = {(r.level, r.measure): r for r in endpoint_rows(read, rules)}
    loss = rows[("L4-L5", "height_loss_vs_adjacent_pct")]
    assert (loss.reference_levels, loss.value) == ("L3-L4", pytest.approx(100 * (1 - 8 / 12)))
    assert loss.note == "not references: L5-S1 (L5-S1 is never a reference in this protocol)"
    assert rows[("L1-L2", "height_loss_vs_adjacent_pct")].note == (
        "not references: T12-L1 (pfirrmann not graded)"
    )


def test_a_read_of_grades_alone_has_no_films() -> None:
    grade = Grade("L4-L5", "pfirrmann", "3", 3.0)
    reads = reads_from_landmarks([_film(Film.NEUTRAL)], {("S-1", "month 3", "R1"): [grade]})
    assert [(r.visit, len(r.films), r.grades) for r in reads] == [
        ("baseline", 1, ()),
        ("month 3", 0, (grade,)),
    ]
