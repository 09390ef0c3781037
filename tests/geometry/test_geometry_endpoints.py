"""The endpoint table from landmarks: hand-computed values, units, refusals and row order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from geometry_spines import SPINE, spine_corners

from imaging.anatomy import Corner, Film, Vertebra
from imaging.calibration import Calibration, CalibrationSource
from imaging.endpoints import (
    COLUMNS,
    EndpointRow,
    FilmCorners,
    Grade,
    MeasureRules,
    StudyRead,
    endpoint_rows,
    endpoint_table,
    measure_film,
    measure_pair,
    reads_from_landmarks,
    visit_sort_key,
    write_endpoint_rows,
)
from imaging.endpoints.rows import row_sort_key
from imaging.errors import LandmarkError, SpineEndpointsError
from imaging.geometry import Landmarks, instability_preset
from imaging.protocol.loader import load_protocol

MM = Calibration.user_supplied_spacing(0.2)
DLBP = MeasureRules.from_protocol(load_protocol())
"""The DLBP trial's rules, from its protocol file: loss >= 20%, slip > 3 mm, angle > 15 deg."""
TRIAL = DLBP.instability_criteria()
POSTERIOR_HEIGHTS = [10.0, 11.0, 12.0, 8.0, 13.0]  # pixels, L1-L2 .. L5-S1


def _film(
    film: Film = Film.NEUTRAL,
    calibration: Calibration = MM,
    visit: str = "baseline",
    subject: str = "DLBP-001",
    angle: float | Sequence[float] = 0.0,
    translation: float | Sequence[float] = 0.0,
) -> Landmarks:
    """A rectangle spine (40 x 28 px bodies) measured at 0.2 mm per pixel unless told."""
    corners = spine_corners(
        posterior_height=POSTERIOR_HEIGHTS, angle=angle, translation=translation
    )
    return Landmarks(
        corners,
        film=film,
        calibration=calibration,
        image=f"{subject}/{visit}/{film}.dcm",
        subject=subject,
        visit=visit,
        reader="R1",
    )


def _rows(rows: list[EndpointRow]) -> dict[tuple[str, str], EndpointRow]:
    return {(r.level, r.measure): r for r in rows}


def _table(films: list[Landmarks], rules: MeasureRules = DLBP) -> pd.DataFrame:
    """Every read of the films through the one endpoint function, as a sorted table."""
    rows = [row for read in reads_from_landmarks(films) for row in endpoint_rows(read, rules)]
    return endpoint_table(sorted(rows, key=row_sort_key))


def _film_rows(landmarks: Landmarks) -> list[EndpointRow]:
    return measure_film(landmarks, height_loss=DLBP.height_loss_rule())


def test_rectangle_spine_by_hand() -> None:
    rows = _rows(_film_rows(_film()))
    for level, height in zip(
        ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"), POSTERIOR_HEIGHTS, strict=True
    ):
        for measure in (
            "disc_height_anterior",
            "disc_height_posterior",
            "disc_height_mean",
            "disc_height_middle",
        ):
            assert rows[(level, measure)].value == pytest.approx(height * 0.2)
            assert rows[(level, measure)].unit == "mm"
        assert rows[(level, "disc_height_index")].value == pytest.approx(height / 40.0)
        assert rows[(level, "segmental_angle")].value == pytest.approx(0.0, abs=1e-12)
        assert rows[(level, "translation")].value == pytest.approx(0.0, abs=1e-12)
    loss = rows[("L4-L5", "height_loss_vs_adjacent_pct")]
    assert (loss.value, loss.unit, loss.reference_levels) == (
        pytest.approx(36.0),
        "%",
        "L3-L4;L5-S1",
    )
    flag = rows[("L4-L5", "height_loss_flag")]
    assert (flag.value, flag.reference_levels, flag.note) == (
        1.0,
        "L3-L4;L5-S1",
        "flag at height loss >= 20%",
    )
    assert rows[("L3-L4", "height_loss_flag")].value == 0.0
    assert rows[("L5-S1", "height_loss_vs_adjacent_pct")].reference_levels == "L4-L5"
    assert rows[("L4", "anterior_height")].value == pytest.approx(28 * 0.2)
    assert rows[("L4", "posterior_height")].value == pytest.approx(28 * 0.2)
    assert ("S1", "anterior_height") not in rows
    first = rows[("L4-L5", "disc_height_mean")]
    assert (first.subject, first.visit, first.film, first.reader) == (
        "DLBP-001",
        "baseline",
        "neutral",
        "R1",
    )
    assert (first.calibration, first.source_image) == (
        "calibrated",
        "DLBP-001/baseline/neutral.dcm",
    )


def test_angles_and_translation_in_the_table() -> None:
    rows = _rows(_film_rows(_film(angle=[3, 5, 7, 9, 14], translation=[0, 0, 0, 2.0, 0])))
    assert rows[("L4-L5", "segmental_angle")].value == pytest.approx(9.0)
    assert rows[("L5-S1", "segmental_angle")].value == pytest.approx(14.0)
    assert rows[("L4-L5", "translation")].value == pytest.approx(2.0 * 0.2)
    assert rows[("L4-L5", "translation_pct_depth")].value == pytest.approx(5.0)  # 2 px of 40


def test_uncalibrated_film_refuses_mm_but_keeps_angles_and_ratios() -> None:
    angle, shift = [3.0, 5, 7, 9, 14], [0.0, 0, 0, 2.0, 0]
    rows = _rows(_film_rows(_film(calibration=Calibration.none(), angle=angle, translation=shift)))
    calibrated = _rows(_film_rows(_film(angle=angle, translation=shift)))
    for key in (("L4-L5", "disc_height_mean"), ("L4-L5", "translation"), ("L4", "anterior_height")):
        assert rows[key].value is None
        assert "uncalibrated image (no pixel spacing in the file)" in rows[key].note
        assert rows[key].calibration == "none"
    assert rows[("L4-L5", "segmental_angle")].value == pytest.approx(9.0)
    for measure in ("disc_height_index", "height_loss_vs_adjacent_pct", "translation_pct_depth"):
        assert rows[("L4-L5", measure)].value == pytest.approx(calibrated[("L4-L5", measure)].value)
        assert rows[("L4-L5", measure)].note == ""
    assert rows[("L4-L5", "translation_pct_depth")].value == pytest.approx(5.0)


def test_missing_corners_are_named_and_the_rest_computed() -> None:
    landmarks = _film()
    corners = {v: dict(landmarks.corners[v]) for v in landmarks.vertebrae}
    del corners[Vertebra.L5][Corner.POSTERIOR_INFERIOR]
    del corners[Vertebra.L2]
    rows = _rows(_film_rows(Landmarks(corners, calibration=MM, subject="S", visit="v")))
    assert rows[("L5-S1", "disc_height_posterior")].value is None
    assert rows[("L5-S1", "disc_height_posterior")].note == "missing L5 posterior_inferior"
    assert rows[("L5-S1", "disc_height_anterior")].value == pytest.approx(13 * 0.2)
    assert rows[("L5", "posterior_height")].note == "missing L5 posterior_inferior"
    assert rows[("L1-L2", "disc_height_mean")].note == (
        "missing L2 anterior_superior, L2 posterior_superior"
    )
    # L4-L5's caudal neighbour is not measured, so it is compared with L3-L4 alone.
    loss = rows[("L4-L5", "height_loss_vs_adjacent_pct")]
    assert (loss.value, loss.reference_levels) == (pytest.approx(100 * (1 - 8 / 12)), "L3-L4")
    assert rows[("L3-L4", "height_loss_vs_adjacent_pct")].reference_levels == "L4-L5"


def test_t12_rows_appear_only_when_t12_is_read() -> None:
    corners = spine_corners(vertebrae=(Vertebra.T12, *SPINE), posterior_height=9.0)
    with_t12 = _rows(_film_rows(Landmarks(corners, calibration=MM)))
    assert with_t12[("T12-L1", "disc_height_mean")].value == pytest.approx(9.0 * 0.2)
    assert ("T12", "anterior_height") in with_t12
    assert ("T12-L1", "disc_height_mean") not in _rows(_film_rows(_film()))


def _pair(extension_calibration: Calibration = MM) -> tuple[Landmarks, Landmarks]:
    flexion = _film(Film.FLEXION, angle=[1, 2, 3, -2, 5], translation=[0, 0, 0, 1.5, 0])
    extension = _film(
        Film.EXTENSION,
        extension_calibration,
        angle=[10, 12, 14, 16, 20],
        translation=[0, 0, 0, -2.0, 0],
    )
    return flexion, extension


def test_range_of_motion_and_instability_by_hand() -> None:
    rows = _rows(measure_pair(*_pair(), TRIAL))
    assert rows[("L4-L5", "angular_rom")].value == pytest.approx(18.0)
    assert rows[("L4-L5", "translation_rom")].value == pytest.approx(3.5 * 0.2)
    assert rows[("L4-L5", "translation_rom_pct_depth")].value == pytest.approx(3.5 / 40 * 100)
    unstable = rows[("L4-L5", "unstable")]
    assert unstable.value == 1.0
    assert unstable.note == "DLBP-ChiCTR2200058291: angular ROM 18.00 deg > 15"
    assert rows[("L3-L4", "angular_rom")].value == pytest.approx(11.0)
    assert rows[("L3-L4", "unstable")].value == 0.0
    assert (unstable.film, unstable.calibration) == ("flexion-extension", "calibrated")
    assert unstable.source_image == "DLBP-001/baseline/flexion.dcm;DLBP-001/baseline/extension.dcm"


def test_translation_rom_flags_beyond_three_mm() -> None:
    flexion = _film(Film.FLEXION, translation=[0, 0, 0, 10.0, 0])
    extension = _film(Film.EXTENSION, translation=[0, 0, 0, -6.0, 0])
    rows = _rows(measure_pair(flexion, extension, TRIAL))
    assert rows[("L4-L5", "translation_rom")].value == pytest.approx(16 * 0.2)  # 3.2 mm
    assert rows[("L4-L5", "unstable")].note == "DLBP-ChiCTR2200058291: translation ROM 3.20 mm > 3"
    lenient = _rows(measure_pair(flexion, extension, instability_preset("white-panjabi")))
    assert lenient[("L4-L5", "unstable")].value == 1.0  # 16 px of 40 = 40% of depth > 15%


def test_uncalibrated_extension_refuses_translation_rom() -> None:
    flexion, extension = _pair(Calibration.none())
    rows = _rows(measure_pair(flexion, extension, TRIAL))
    translation = rows[("L4-L5", "translation_rom")]
    assert translation.value is None and "extension: uncalibrated image" in translation.note
    assert translation.calibration == "calibrated;none"
    assert rows[("L4-L5", "translation_rom_pct_depth")].value == pytest.approx(8.75)
    assert rows[("L4-L5", "unstable")].value == 1.0  # the angle alone decides
    assert rows[("L3-L4", "unstable")].value is None  # translation unknown, angle within limits
    assert "not decidable" in rows[("L3-L4", "unstable")].note


def test_rom_table_reports_a_missing_partner_film() -> None:
    flexion, extension = _pair()
    lonely = _film(Film.FLEXION, visit="month 3")
    table = _table([flexion, extension, lonely])
    rom = table[(table["visit"] == "month 3") & (table["film"] == "flexion-extension")]
    assert set(rom["note"]) == {"no extension film for this subject, visit and reader"}
    assert rom["value"].isna().all()
    films = set(table[table["visit"] == "baseline"]["film"])
    assert films == {"flexion", "extension", "flexion-extension"}
    measures = set(table[table["visit"] == "baseline"]["measure"])
    assert "disc_height_mean" not in measures  # heights come from the neutral film only
    assert {"segmental_angle", "translation", "angular_rom", "unstable"} <= measures


@pytest.mark.parametrize(
    ("present", "absent"), [("flexion", "extension"), ("extension", "flexion")]
)
def test_a_dynamic_film_alone_gives_empty_rom_rows_naming_the_missing_one(
    present: str, absent: str
) -> None:
    from imaging.endpoints.compute import ROM_SOURCES, unpaired_rom_rows

    rows = unpaired_rom_rows(_film(Film(present), visit="month 3"))
    levels = ["L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"]
    measures = [*ROM_SOURCES, "unstable"]
    assert [(r.level, r.measure) for r in rows] == [(lv, m) for lv in levels for m in measures]
    angular = _rows(rows)[("L4-L5", "angular_rom")]
    assert angular == EndpointRow(
        "DLBP-001", "month 3", "L4-L5", "angular_rom", None, "deg", calibration="calibrated",
        film="flexion-extension", reader="R1", source_image=f"DLBP-001/month 3/{present}.dcm",
        note=f"no {absent} film for this subject, visit and reader",
    )  # fmt: skip
    assert {r.unit for r in rows if r.measure == "unstable"} == {"1"}  # a flag: 1, 0 or empty


def test_no_threshold_in_the_protocol_leaves_the_flags_empty_with_the_reason() -> None:
    rules = MeasureRules(protocol="NO-LIMITS")
    table = _table([_film(), *_pair()], rules)
    flag = table[(table["level"] == "L4-L5") & (table["measure"] == "height_loss_flag")]
    assert flag["value"].isna().all()
    assert flag["note"].tolist() == [
        "no height-loss threshold (the protocol sets no height_loss_pct)"
    ]
    unstable = table[(table["level"] == "L4-L5") & (table["measure"] == "unstable")]
    assert unstable["value"].isna().all()
    assert unstable["note"].tolist() == ["no instability threshold in the protocol"]
    assert set(table["protocol"]) == {"NO-LIMITS"}


def test_table_columns_and_deterministic_order() -> None:
    films = [
        _film(visit="month 12"),
        _film(visit="1 week", subject="DLBP-010"),
        _film(visit="month 3"),
        _film(visit="baseline"),
        _film(visit="1 week"),
        _film(visit="baseline", subject="DLBP-002"),
    ]
    table = _table(films)
    assert tuple(table.columns) == COLUMNS
    assert str(table["value"].dtype) == "Float64"
    order = table[["subject", "visit"]].drop_duplicates().apply(tuple, axis=1).tolist()
    assert order == [
        ("DLBP-001", "baseline"),
        ("DLBP-001", "1 week"),
        ("DLBP-001", "month 3"),
        ("DLBP-001", "month 12"),
        ("DLBP-002", "baseline"),
        ("DLBP-010", "1 week"),
    ]
    first_levels = table["level"].drop_duplicates().tolist()
    assert first_levels == [
        "L1",
        "L1-L2",
        "L2",
        "L2-L3",
        "L3",
        "L3-L4",
        "L4",
        "L4-L5",
        "L5",
        "L5-S1",
    ]
    assert table.equals(_table(list(reversed(films))))


def test_visit_sort_key_orders_trial_visits() -> None:
    visits = ["month 24", "M6", "week_1", "baseline", "month-1", "18 months", "3 months", "12m"]
    assert sorted(visits, key=visit_sort_key) == [
        "baseline",
        "week_1",
        "month-1",
        "3 months",
        "M6",
        "12m",
        "18 months",
        "month 24",
    ]


def test_two_sets_for_one_film_are_refused() -> None:
    with pytest.raises(LandmarkError, match="two landmark sets for the same film"):
        _table([_film(), _film()])


def test_write_csv_and_parquet(tmp_path: Path) -> None:
    films = [_film(calibration=Calibration.none(), angle=[3, 5, 7, 9, 14])]
    rows = [row for read in reads_from_landmarks(films) for row in endpoint_rows(read, DLBP)]
    table = endpoint_table(rows)
    write_endpoint_rows(rows, tmp_path / "out.csv")
    write_endpoint_rows(rows, tmp_path / "out.parquet")
    from_csv = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    mean = from_csv[(from_csv["level"] == "L4-L5") & (from_csv["measure"] == "disc_height_mean")]
    assert mean["value"].tolist() == [""]
    from_parquet = pd.read_parquet(tmp_path / "out.parquet")
    assert from_parquet["value"].isna().sum() == table["value"].isna().sum() > 0
    angle = from_parquet[(from_parquet["measure"] == "segmental_angle")]["value"]
    assert not angle.isna().any()
    with pytest.raises(SpineEndpointsError, match=r"FILE\.csv or FILE\.parquet"):
        write_endpoint_rows(rows, tmp_path / "out.xlsx")


def test_csv_rounds_to_the_measures_precision_and_parquet_keeps_it(tmp_path: Path) -> None:
    # A straight spine: the angles are -2.5e-14-ish, not 0, in floating point.
    films = [_film(angle=[1e-13, 0, 0, 0, 0], translation=[0, 0, 0, 1.0 / 3.0, 0])]
    grades = {("DLBP-001", "baseline", "R1"): _graded(NORMAL)}
    reads = reads_from_landmarks(films, grades)
    rows = [row for read in reads for row in endpoint_rows(read, DLBP) if not row.grade]
    write_endpoint_rows(rows, tmp_path / "out.csv")
    write_endpoint_rows(rows, tmp_path / "out.parquet")
    text = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    cell = text.set_index(["level", "measure"])["value"]
    assert cell[("L1-L2", "segmental_angle")] == "0.0"  # deg: 1 decimal, never "-0.0"
    assert cell[("L4-L5", "translation")] == "0.07"  # mm: 2 decimals (1/3 px x 0.2 mm)
    assert cell[("L4-L5", "disc_height_index")] == "0.200"  # ratio: 3 decimals
    assert cell[("L4-L5", "height_loss_flag")] == "1"
    exact = pd.read_parquet(tmp_path / "out.parquet").set_index(["level", "measure"])["value"]
    assert exact[("L4-L5", "translation")] == pytest.approx(0.2 / 3.0, rel=1e-12)


# --- normal reference discs and trustworthy millimetres (issue 12 items 2 and 3) ----------------
def _graded(pfirrmann: dict[str, str]) -> tuple[Grade, ...]:
    return tuple(Grade(level, "pfirrmann", code) for level, code in pfirrmann.items())


def _loss_row(grades: tuple[Grade, ...], rules: MeasureRules = DLBP) -> EndpointRow:
    read = StudyRead("DLBP-001", "baseline", "R1", films=(FilmCorners(_film()),), grades=grades)
    rows = _rows(endpoint_rows(read, rules))
    return rows[("L4-L5", "height_loss_vs_adjacent_pct")]


NORMAL = {"L1-L2": "1", "L2-L3": "2", "L3-L4": "2", "L4-L5": "4", "L5-S1": "2"}


def test_height_loss_compares_with_the_normal_adjacent_discs_only() -> None:
    # Posterior heights (px) L1-L2..L5-S1: 10, 11, 12, 8, 13. Normal neighbours: L3-L4, L5-S1.
    plain = _loss_row(_graded(NORMAL))
    assert plain.value == pytest.approx(100 * (1 - 8 / 12.5))
    assert (plain.reference_levels, plain.note) == ("L3-L4;L5-S1", "")
    # A degenerated L5-S1 (Pfirrmann 4) is skipped: L4-L5 is compared with L3-L4 alone.
    worn = _loss_row(_graded({**NORMAL, "L5-S1": "4"}))
    assert worn.value == pytest.approx(100 * (1 - 8 / 12))
    assert worn.reference_levels == "L3-L4"
    assert worn.note == "not references: L5-S1 (pfirrmann 4, normal is 1, 2)"
    # L3-L4 not normal either: the next normal disc cranially, L2-L3.
    both = _loss_row(_graded({**NORMAL, "L3-L4": "3", "L5-S1": "4"}))
    assert (both.reference_levels, both.value) == ("L2-L3", pytest.approx(100 * (1 - 8 / 11)))
    assert "L3-L4 (pfirrmann 3" in both.note and "L5-S1 (pfirrmann 4" in both.note
    # No grades at all: no disc is known normal, so the loss is not evaluable, and says why.
    unknown = _loss_row(())
    assert unknown.value is None
    assert unknown.note.startswith("no normal reference disc measured; not references: L3-L4")
    assert "pfirrmann not graded" in unknown.note
    # A protocol that forbids L5-S1 as a reference.
    no_s1 = replace(DLBP, lumbosacral_reference=False)
    assert _loss_row(_graded(NORMAL), no_s1).reference_levels == "L3-L4"


def test_a_slip_in_mm_on_a_detector_scale_decides_no_instability() -> None:
    detector = Calibration((0.2, 0.2), CalibrationSource.DETECTOR, "Imager Pixel Spacing only")
    flexion = _film(Film.FLEXION, detector, translation=[0, 0, 0, 10.0, 0])
    extension = _film(Film.EXTENSION, detector, translation=[0, 0, 0, -6.0, 0])
    read = StudyRead("DLBP-001", "baseline", "R1", films=(FilmCorners(flexion),
                                                           FilmCorners(extension)))  # fmt: skip
    rows = _rows(endpoint_rows(read, DLBP))
    assert rows[("L4-L5", "translation_rom")].value == pytest.approx(3.2)  # reported, as measured
    unstable = rows[("L4-L5", "unstable")]
    assert unstable.value is None  # 3.2 "mm" at the detector may be 2.6 mm in the patient
    assert "not corrected for magnification (flexion detector, extension detector)" in (
        unstable.note
    )
    accepted = _rows(endpoint_rows(read, replace(DLBP, accepted_magnification=1.25)))
    corrected = accepted[("L4-L5", "translation_rom")]
    assert corrected.value == pytest.approx(3.2 / 1.25)
    assert corrected.calibration == "magnification-corrected"
    assert accepted[("L4-L5", "unstable")].value == 0.0  # 2.56 mm: within the 3 mm limit


def test_static_slip_and_the_height_the_protocol_compares() -> None:
    # L4 slid 12 px forward over L5 (40 px deep): a 30 % anterolisthesis, Meyerding grade II.
    slipped = _film(translation=[0, 0, 0, 12.0, 0])
    read = StudyRead("DLBP-001", "baseline", "R1", films=(FilmCorners(slipped),),
                     grades=_graded(NORMAL))  # fmt: skip
    rows = _rows(endpoint_rows(read, DLBP))
    assert rows[("L4-L5", "translation_pct_depth")].value == pytest.approx(30.0)
    assert rows[("L4-L5", "meyerding_grade")].value == 2.0
    assert rows[("L3-L4", "meyerding_grade")].value == 1.0
    # The slip stretches the corner-to-corner heights, not those across the bisector.
    corner = rows[("L4-L5", "disc_height_mean")].value
    bisector = rows[("L4-L5", "disc_height_mean_bisector")].value
    assert corner is not None and bisector is not None and corner > bisector
    assert bisector == pytest.approx(8 * 0.2)
    across = _rows(endpoint_rows(read, replace(DLBP, loss_height="disc_height_mean_bisector")))
    loss = across[("L4-L5", "height_loss_vs_adjacent_pct")].value
    assert loss == pytest.approx(100 * (1 - 8 / 12.5))  # the slip no longer hides the loss
    assert rows[("L4-L5", "height_loss_vs_adjacent_pct")].value < loss  # type: ignore[operator]
