"""Landmarks are valid once constructed: each kind of impossible corner set is refused clearly."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest
from geometry_spines import Corners, spine_corners

from imaging.anatomy import Corner, Film, Vertebra
from imaging.calibration import Calibration
from imaging.errors import LandmarkError
from imaging.geometry import LandmarkPoint, Landmarks

AS, PS, AI, PI = (
    Corner.ANTERIOR_SUPERIOR,
    Corner.POSTERIOR_SUPERIOR,
    Corner.ANTERIOR_INFERIOR,
    Corner.POSTERIOR_INFERIOR,
)
LABEL = "subject DLBP-007, visit baseline, film flexion, reader R2"


def _points(corners: Corners) -> list[LandmarkPoint]:
    points, line = [], 2
    for vertebra, placed in corners.items():
        for corner, (row, col) in placed.items():
            points.append(LandmarkPoint(vertebra, corner, row, col, f"line {line}"))
            line += 1
    return points


def _build(
    corners: Corners,
    *,
    anterior_direction: tuple[float, float] | None = None,
    calibration: Calibration | None = None,
    points: list[LandmarkPoint] | None = None,
) -> Landmarks:
    return Landmarks.from_points(
        _points(corners) if points is None else points,
        film=Film.FLEXION,
        calibration=calibration,
        subject="DLBP-007",
        visit="baseline",
        reader="R2",
        anterior_direction=anterior_direction,
        origin="reads.csv",
    )


def _swap(corners: Corners, vertebra: Vertebra, a: Corner, b: Corner) -> Corners:
    changed = {v: dict(c) for v, c in corners.items()}
    changed[vertebra][a], changed[vertebra][b] = corners[vertebra][b], corners[vertebra][a]
    return changed


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("rotation", [0.0, 90.0, 180.0, -135.0])
def test_valid_spines_in_any_orientation_are_accepted(facing: int, rotation: float) -> None:
    landmarks = _build(spine_corners(facing=facing, rotation_deg=rotation, angle=[4, 6, 8, 10, 14]))
    assert landmarks.facing == facing
    assert landmarks.vertebrae == (
        Vertebra.L1,
        Vertebra.L2,
        Vertebra.L3,
        Vertebra.L4,
        Vertebra.L5,
        Vertebra.S1,
    )
    cranial = landmarks.orientation.cranial
    assert math.hypot(*cranial) == pytest.approx(1.0)
    assert landmarks.missing(Vertebra.S1) == ()
    assert landmarks.point("L4", "posterior_inferior") is not None


def test_missing_corners_are_allowed_and_listed() -> None:
    corners = spine_corners()
    del corners[Vertebra.L5][PI]
    del corners[Vertebra.L2]
    landmarks = _build(corners)
    assert landmarks.missing(Vertebra.L5) == (PI,)
    assert landmarks.missing(Vertebra.L2) == (AS, PS, AI, PI)
    assert math.isnan(landmarks.array([Vertebra.L5], PI)[0, 0])


def test_unknown_vertebra_and_corner_are_named() -> None:
    with pytest.raises(LandmarkError, match=r"unknown vertebra 'L6'.*Use one of: T12, L1"):
        Landmarks({"L6": {"anterior_superior": (1, 2)}}, subject="DLBP-007")  # type: ignore[dict-item]
    with pytest.raises(LandmarkError, match=r"unknown L4 corner 'anterior_middle'"):
        Landmarks({"L4": {"anterior_middle": (1, 2)}}, subject="DLBP-007")  # type: ignore[dict-item]


def test_duplicate_corner_names_both_rows() -> None:
    points = _points(spine_corners())
    points.append(LandmarkPoint(Vertebra.L3, AI, 10.0, 10.0, "line 40"))
    with pytest.raises(LandmarkError) as info:
        _build({}, points=points)
    message = str(info.value)
    assert message.startswith(
        "reads.csv: subject DLBP-007, visit baseline, film flexion, reader R2"
    )
    assert "L3 anterior_inferior is given twice (line 13 and line 40)" in message


def test_s1_inferior_corner_refused() -> None:
    corners = spine_corners()
    corners[Vertebra.S1][AI] = (400.0, 100.0)
    with pytest.raises(LandmarkError, match="S1 has no anterior_inferior corner"):
        _build(corners)


def test_non_finite_coordinate_refused() -> None:
    corners = spine_corners()
    corners[Vertebra.L2][PS] = (math.nan, 3.0)
    with pytest.raises(LandmarkError, match="L2 posterior_superior has a non-finite coordinate"):
        _build(corners)


@pytest.mark.parametrize(("lowest", "refused"), [(131_070.0, False), (131_070.5, True)])
def test_a_coordinate_beyond_any_dicom_image_refused(lowest: float, refused: bool) -> None:
    # A spine moved so that its lowest corner is on row 131,070 (2 x 65,535 px: a whole film
    # past the largest image DICOM holds) is read; half a pixel further, refused.
    corners = spine_corners()
    shift = lowest - max(row for body in corners.values() for row, _ in body.values())
    moved = {
        v: {c: (row + shift, col) for c, (row, col) in body.items()} for v, body in corners.items()
    }
    if not refused:
        assert max(p.row for p in _build(moved).points()) == lowest
        return
    with pytest.raises(LandmarkError) as info:
        _build(moved)
    assert "px from the image's origin, outside any DICOM image" in str(info.value)


def test_a_spine_in_another_unit_refused_before_it_overflows() -> None:
    # 1e200 x the pixel positions overflowed the disc measures into NaN, under a note blaming a
    # zero-depth endplate.
    corners = {v: {c: (r * 1e200, k * 1e200) for c, (r, k) in body.items()}
               for v, body in spine_corners().items()}  # fmt: skip
    with pytest.raises(LandmarkError) as info:
        _build(corners)
    first = corners[Vertebra.L1][PS]
    assert (
        f"L1 posterior_superior at (row {first[0]:g}, col {first[1]:g}) is more than 131,070 px "
        "from the image's origin, outside any DICOM image"
    ) in str(info.value)
    assert str(info.value).endswith(
        "DICOM image (line 2). Give the corner's (row, col) in pixels of the image, not in "
        "another unit."
    )


@pytest.mark.parametrize("facing", [1, -1])
def test_anterior_and_posterior_swapped_on_one_vertebra(facing: int) -> None:
    corners = _swap(spine_corners(facing=facing), Vertebra.L3, AS, PS)
    corners = _swap(corners, Vertebra.L3, AI, PI)
    with pytest.raises(LandmarkError) as info:
        _build(corners)
    message = str(info.value)
    assert "L3 anterior and posterior corners are swapped" in message
    assert "(line 10, line 11)" in message  # the L3 superior corners' rows
    assert "Swap L3 anterior_superior and posterior_superior" in message


def test_superior_and_inferior_swapped_on_one_vertebra() -> None:
    corners = _swap(spine_corners(), Vertebra.L4, AS, AI)
    corners = _swap(corners, Vertebra.L4, PS, PI)
    with pytest.raises(
        LandmarkError, match="L4 anterior_superior is not cranial of anterior_inferior"
    ):
        _build(corners)


def test_crossing_outline_refused() -> None:
    # Diagonal swap: posterior-superior and anterior-inferior exchanged.
    corners = _swap(spine_corners(), Vertebra.L2, PS, AI)
    with pytest.raises(LandmarkError, match="L2"):
        _build(corners)


def test_swapped_vertebra_labels_refused() -> None:
    corners = spine_corners()
    corners[Vertebra.L2], corners[Vertebra.L3] = corners[Vertebra.L3], corners[Vertebra.L2]
    with pytest.raises(LandmarkError) as info:
        _build(corners)
    # every row of both vertebrae, in line order (line 9 before line 10)
    assert str(info.value) == (
        "reads.csv: subject DLBP-007, visit baseline, film flexion, reader R2: L2 is not cranial "
        "of L3 along the spine: vertebra labels swapped? (line 6, line 7, line 8, line 9, line 10, "
        "line 11, line 12, line 13). Check which vertebra is L2 and which is L3."
    )
    # Corners given without rows (a GUI, an API call): the message names no rows at all.
    with pytest.raises(LandmarkError) as unsourced:
        Landmarks(corners, subject="DLBP-007")
    assert str(unsourced.value) == (
        "subject DLBP-007, film neutral: L2 is not cranial of L3 along the spine: vertebra labels "
        "swapped? Check which vertebra is L2 and which is L3."
    )


def test_patient_orientation_decides_anterior() -> None:
    corners = spine_corners(facing=1)
    assert _build(corners, anterior_direction=(0.0, 1.0)).facing == 1
    with pytest.raises(LandmarkError, match="every anterior corner lies on the posterior side"):
        _build(corners, anterior_direction=(0.0, -1.0))


def test_tie_between_sides_is_refused() -> None:
    corners: Corners = {v: c for v, c in spine_corners().items() if v in (Vertebra.L3, Vertebra.L4)}
    corners = _swap(_swap(corners, Vertebra.L4, AS, PS), Vertebra.L4, AI, PI)
    with pytest.raises(LandmarkError, match="cannot tell anterior from posterior"):
        _build(corners)


def test_tie_names_the_vertebrae_of_each_side_in_spine_order() -> None:
    corners = spine_corners(vertebrae=(Vertebra.T12, Vertebra.L1, Vertebra.L2, Vertebra.L3))
    for vertebra in (Vertebra.L2, Vertebra.L3):
        corners = _swap(_swap(corners, vertebra, AS, PS), vertebra, AI, PI)
    with pytest.raises(LandmarkError) as info:
        _build(corners)
    assert (
        "cannot tell anterior from posterior: the anterior corners of T12, L1 lie on one side "
        "of the spine and those of L2, L3 on the other"
    ) in str(info.value)


def test_bad_anterior_direction_names_the_file_and_film() -> None:
    with pytest.raises(LandmarkError) as info:
        _build(spine_corners(), anterior_direction=(math.nan, 1.0))
    assert str(info.value) == (
        f"reads.csv: {LABEL}: anterior_direction must be a (row, col) vector, got (nan, 1.0)"
    )


def test_landmarks_without_calibration_or_rows() -> None:
    corners = spine_corners(vertebrae=(Vertebra.L4, Vertebra.L5))
    landmarks = Landmarks(corners)
    assert landmarks.calibration.source == "none"
    assert landmarks.calibration.detail == "no calibration given with the landmarks"
    assert list(landmarks.points()) == [
        LandmarkPoint(vertebra, corner, corners[vertebra][corner][0], corners[vertebra][corner][1])
        for vertebra in (Vertebra.L4, Vertebra.L5)
        for corner in (AS, PS, AI, PI)
    ]


def test_points_read_back_with_their_rows() -> None:
    points = _points(spine_corners(vertebrae=(Vertebra.L4, Vertebra.L5)))
    landmarks = _build({}, points=points)
    order = {corner: i for i, corner in enumerate(Corner)}
    assert list(landmarks.points()) == sorted(
        points, key=lambda p: (p.vertebra is Vertebra.L5, order[p.corner])
    )
    assert landmarks.with_study(visit="month_6").visit == "month_6"
    assert landmarks.with_study(visit="baseline") == landmarks


def test_duplicate_corner_without_rows_or_identity() -> None:
    point = LandmarkPoint(Vertebra.L3, AI, 10.0, 10.0)
    with pytest.raises(LandmarkError) as info:
        Landmarks.from_points([point, point])
    assert str(info.value) == (
        "film neutral: L3 anterior_inferior is given twice (an earlier row and a later row). "
        "Keep one position per corner and delete the other row."
    )
    alone = Landmarks.from_points([point])
    assert (alone.image, alone.subject, alone.visit, alone.reader) == ("", "", "", "")


def test_validation_happens_in_millimetres() -> None:
    # Square in mm, drawn on 0.1 x 0.4 mm pixels: valid with its calibration.
    spacing = (0.1, 0.4)
    corners = spine_corners(spacing=spacing, rotation_deg=30.0)
    landmarks = _build(corners, calibration=Calibration.user_supplied_spacing(spacing))
    assert landmarks.calibration.pixel_spacing == spacing
    assert landmarks.with_calibration(Calibration.none()).facing == 1


def test_an_unknown_film_is_refused_naming_the_films_known() -> None:
    with pytest.raises(LandmarkError) as info:
        Landmarks(spine_corners(), film="lateral", subject="DLBP-007")  # type: ignore[arg-type]
    assert str(info.value) == (
        "subject DLBP-007: unknown film 'lateral'. Use one of: neutral, flexion, extension."
    )
    assert Landmarks(spine_corners(), film="Flexion").film is Film.FLEXION  # type: ignore[arg-type]
    # Read from a file, with nothing yet to say whose landmarks they are.
    with pytest.raises(LandmarkError) as unnamed:
        Landmarks(spine_corners(), film="lateral", origin="reads.json")  # type: ignore[arg-type]
    assert str(unnamed.value) == (
        "reads.json: landmarks: unknown film 'lateral'. Use one of: neutral, flexion, extension."
    )


def test_a_corner_only_other_vertebrae_have_names_the_ones_read() -> None:
    corners = spine_corners()
    corners[Vertebra.S1][PI] = (400.0, 60.0)
    with pytest.raises(LandmarkError) as info:
        _build(corners)
    assert str(info.value) == (
        f"reads.csv: {LABEL}: S1 has no posterior_inferior corner (line 24). "
        "Only anterior_superior and posterior_superior are read on S1."
    )


def _read(corners: Mapping[Vertebra, Mapping[Corner, object]]) -> Landmarks:
    """``corners`` as a JSON landmark file gives them: no LandmarkPoint, rows by source."""
    sources = {(Vertebra.L4, AS): "line 7", (Vertebra.L2, PS): "line 3"}
    return Landmarks(
        corners,  # type: ignore[arg-type]
        Film.FLEXION,
        subject="DLBP-007",
        sources=sources,
        origin="reads.json",
    )


@pytest.mark.parametrize("raw", [(1.0, 2.0, 3.0), "12, 40", None])
def test_a_corner_that_is_no_pair_of_numbers_is_refused_naming_its_row(raw: object) -> None:
    corners: dict[Vertebra, dict[Corner, object]] = {v: dict(c) for v, c in spine_corners().items()}
    corners[Vertebra.L4][AS] = raw
    with pytest.raises(LandmarkError) as info:
        _read(corners)
    assert str(info.value) == (
        "reads.json: subject DLBP-007, film flexion: L4 anterior_superior must be a (row, col) "
        f"pair of numbers, got {raw!r} (line 7)"
    )


def test_a_non_finite_corner_names_its_row_and_the_fix() -> None:
    corners = spine_corners()
    corners[Vertebra.L2][PS] = (math.inf, 3.0)
    with pytest.raises(LandmarkError) as info:
        _read(corners)
    assert str(info.value) == (
        "reads.json: subject DLBP-007, film flexion: L2 posterior_superior has a non-finite "
        "coordinate (row inf, col 3.0) (line 3). Give finite pixel coordinates, or leave the "
        "corner out."
    )


def test_rows_given_in_the_files_own_spelling_still_name_their_corners() -> None:
    corners = _swap(spine_corners(), Vertebra.L3, AS, PS)
    corners = _swap(corners, Vertebra.L3, AI, PI)
    sources = {("l3", "Anterior Superior"): "line 10", ("l3", "posterior superior"): "line 11"}
    with pytest.raises(LandmarkError) as info:
        Landmarks(corners, sources=sources)  # type: ignore[arg-type]
    assert "(line 10, line 11)" in str(info.value)
    placed = Landmarks(
        {"L4": {"anterior_superior": (1.0, 2.0)}},  # type: ignore[dict-item]
        sources={("l4", "Anterior Superior"): "x"},  # type: ignore[dict-item]
    )
    assert [p.source for p in placed.points()] == ["x"]


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (("L9", "anterior_superior"), "unknown vertebra 'L9' in sources key ('L9', "
         "'anterior_superior'). Use one of: T12, L1, L2, L3, L4, L5, S1."),
        (("L4", "front"), "unknown corner 'front' in sources key ('L4', 'front'). Use one of: "
         "anterior_superior, posterior_superior, anterior_inferior, posterior_inferior."),
        ("L4", "sources key 'L4' is not a (vertebra, corner) pair. Key each source by its "
         "corner, e.g. ('L4', 'anterior_superior')."),
        (("L4", "anterior_superior", "x"), "sources key ('L4', 'anterior_superior', 'x') is not "
         "a (vertebra, corner) pair. Key each source by its corner, e.g. ('L4', "
         "'anterior_superior')."),
    ],
)  # fmt: skip
def test_a_sources_key_of_no_corner_is_refused_naming_the_key_and_the_known_values(
    key: object, problem: str
) -> None:
    with pytest.raises(LandmarkError) as info:
        Landmarks(spine_corners(), subject="DLBP-007", sources={key: "line 7"}, origin="reads.json")  # type: ignore[dict-item]
    assert str(info.value) == f"reads.json: subject DLBP-007, film neutral: {problem}"


def test_source_rows_are_listed_with_their_numbers_in_order() -> None:
    corners = _swap(spine_corners(), Vertebra.L3, AS, PS)
    corners = _swap(corners, Vertebra.L3, AI, PI)
    sources = {(Vertebra.L3, AS): "Line 10", (Vertebra.L3, PS): "line 9"}
    with pytest.raises(LandmarkError) as info:
        Landmarks(corners, sources=sources)
    assert "(line 9, Line 10)" in str(info.value)


def test_an_anterior_direction_from_an_array_is_kept_as_a_row_col_pair() -> None:
    # e.g. computed with numpy from (0020,0020) Patient Orientation
    landmarks = Landmarks(spine_corners(), anterior_direction=np.array([0, 1]))  # type: ignore[arg-type]
    assert landmarks.anterior_direction == (0.0, 1.0)
    assert landmarks == Landmarks(spine_corners(), anterior_direction=(0.0, 1.0))


@pytest.mark.parametrize("rotation", [0.0, 90.0])
def test_a_film_without_pixel_spacing_is_checked_in_pixels_whichever_way_it_lies(
    rotation: float,
) -> None:
    # Endplates 4.9 px long along the columns (upright film) or the rows (film turned 90 deg).
    with pytest.raises(LandmarkError) as info:
        Landmarks(spine_corners(depth=4.9, rotation_deg=rotation))
    assert str(info.value).startswith(
        "film neutral: L1 superior endplate is 4.9 px long (anterior_superior to "
        "posterior_superior), under the 5 px minimum"
    )
