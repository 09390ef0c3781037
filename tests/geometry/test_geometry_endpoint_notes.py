"""The endpoint rows' notes, word for word: every empty value says why, and what a note names."""

from __future__ import annotations

from dataclasses import replace

from geometry_spines import SPINE, spine_corners
from test_geometry_endpoints import (
    DLBP,
    MM,
    NORMAL,
    TRIAL,
    _film,
    _graded,
    _rows,
)

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.calibration import Calibration, CalibrationSource
from imaging.endpoints import (
    EndpointRow,
    FilmCorners,
    StudyRead,
    endpoint_rows,
    measure_film,
    measure_pair,
)
from imaging.endpoints.compute import NOT_FINITE
from imaging.geometry import Landmarks
from imaging.geometry.film import film_geometry

LOSS_NOTE = (
    "no normal reference disc measured; not references: L3-L4 (pfirrmann not graded), "
    "L5-S1 (pfirrmann not graded)"
)


def test_an_uncalibrated_film_says_why_with_or_without_a_detail() -> None:
    fix = "millimetres need a calibration, e.g. --mm-per-pixel"
    bare = Calibration(None, CalibrationSource.NONE, "")
    row = _rows(measure_film(_film(calibration=bare)))[("L4-L5", "disc_height_mean")]
    assert (row.value, row.note) == (None, f"uncalibrated image: {fix}")
    told = _rows(measure_film(_film(calibration=Calibration.none())))[("L4-L5", "translation")]
    assert told.note == f"uncalibrated image (no pixel spacing in the file): {fix}"


def test_a_pair_names_the_corners_and_levels_missing_on_either_film() -> None:
    with_t12 = spine_corners(vertebrae=(Vertebra.T12, *SPINE), posterior_height=9.0)
    flexion = Landmarks(with_t12, film=Film.FLEXION, calibration=MM, subject="DLBP-001",
                        visit="baseline")  # fmt: skip
    extension = _film(Film.EXTENSION)
    del_l5 = {v: dict(extension.corners[v]) for v in extension.vertebrae}
    del del_l5[Vertebra.L5][Corner.POSTERIOR_INFERIOR]
    del del_l5[Vertebra.S1][Corner.POSTERIOR_SUPERIOR]
    short = Landmarks(del_l5, film=Film.EXTENSION, calibration=MM, subject="DLBP-001",
                      visit="baseline")  # fmt: skip
    rows = _rows(measure_pair(flexion, short, TRIAL))
    top = rows[("T12-L1", "angular_rom")]
    assert (top.value, top.note) == (None, "missing extension (no corners of this level)")
    low = rows[("L5-S1", "angular_rom")]
    assert (low.value, low.note) == (
        None,
        "missing extension L5 posterior_inferior, extension S1 posterior_superior",
    )


def _read(
    landmarks: Landmarks, grades: dict[str, str], note: str = ""
) -> dict[tuple[str, str], EndpointRow]:
    read = StudyRead("DLBP-001", "baseline", "R1", films=(FilmCorners(landmarks, note=note),),
                     grades=_graded(grades))  # fmt: skip
    return _rows(endpoint_rows(read, DLBP))


def test_the_discs_passed_over_are_those_next_to_the_level_or_up_to_its_references() -> None:
    corners = spine_corners(vertebrae=(Vertebra.T12, *SPINE), posterior_height=9.0)
    rows = _read(Landmarks(corners, calibration=MM), NORMAL)  # T12-L1 not graded
    loss = "height_loss_vs_adjacent_pct"
    assert rows[("L1-L2", loss)].note == "not references: T12-L1 (pfirrmann not graded)"
    assert rows[("L2-L3", loss)].note == ""  # L4-L5 (pfirrmann 4) is two discs away
    worn = _read(_film(), {**NORMAL, "L3-L4": "3", "L5-S1": "4"})[("L4-L5", loss)]
    assert worn.note == (
        "not references: L3-L4 (pfirrmann 3, normal is 1, 2), L5-S1 (pfirrmann 4, normal is 1, 2)"
    )


def test_a_height_loss_flag_gives_the_reason_its_loss_is_empty() -> None:
    rows = _read(_film(), {})  # nothing graded: no disc is known normal
    loss, flag = rows[("L4-L5", "height_loss_vs_adjacent_pct")], rows[("L4-L5", "height_loss_flag")]
    assert (loss.value, loss.note) == (None, LOSS_NOTE)
    assert (flag.value, flag.note) == (None, LOSS_NOTE)
    landmarks = _film()
    corners = {v: dict(landmarks.corners[v]) for v in landmarks.vertebrae}
    del corners[Vertebra.L5][Corner.POSTERIOR_INFERIOR]
    missing = _read(Landmarks(corners, calibration=MM), NORMAL)[("L5-S1", "height_loss_flag")]
    assert (missing.value, missing.note) == (None, "missing L5 posterior_inferior")


def test_a_films_note_follows_each_rows_own_note() -> None:
    landmarks = _film()
    corners = {v: dict(landmarks.corners[v]) for v in landmarks.vertebrae}
    del corners[Vertebra.L5][Corner.POSTERIOR_INFERIOR]
    rows = _read(Landmarks(corners, calibration=MM), NORMAL, note="corners refined")
    assert rows[("L5-S1", "disc_height_mean")].note == (
        "missing L5 posterior_inferior; corners refined"
    )
    assert rows[("L1-L2", "disc_height_mean")].note == "corners refined"


def test_a_measure_that_is_no_finite_number_is_empty_with_its_note() -> None:
    # Valid corners give finite measures (endplates >= 1 mm, coordinates within any image); a NaN
    # from the geometry all the same (here put in by hand) is empty with a note, never a number.
    film = _film()
    geometry = film_geometry(film, DLBP.height_loss_rule())
    level = geometry.levels.index(DiscLevel.L4_L5)
    heights = geometry.disc["disc_height_middle"].copy()
    heights[level] = float("nan")
    broken = replace(geometry, disc={**geometry.disc, "disc_height_middle": heights})
    rows = _rows(measure_film(film, height_loss=DLBP.height_loss_rule(), geometry=broken))
    row = rows[("L4-L5", "disc_height_middle")]
    assert (row.value, row.note) == (None, NOT_FINITE)
    assert rows[("L3-L4", "disc_height_middle")].value is not None


def test_a_range_of_motion_that_is_no_finite_number_is_empty_with_its_note() -> None:
    flexion, extension = _film(Film.FLEXION), _film(Film.EXTENSION, angle=4.0)
    geometries = (film_geometry(flexion), film_geometry(extension))
    level = geometries[0].levels.index(DiscLevel.L4_L5)
    angles = geometries[0].disc["segmental_angle"].copy()
    angles[level] = float("inf")
    broken = replace(geometries[0], disc={**geometries[0].disc, "segmental_angle": angles})
    rows = _rows(measure_pair(flexion, extension, TRIAL, (broken, geometries[1])))
    row = rows[("L4-L5", "angular_rom")]
    assert (row.value, row.note) == (None, NOT_FINITE)
    assert rows[("L3-L4", "angular_rom")].value is not None
