"""Corner order refusals word for word (what a reader sees), and films the rules must accept.

Unless said otherwise the films are ``spine_corners()``: L1-S1 facing right (anterior toward
increasing col), head up, read from ``reads.csv`` with one line per corner: L1 on lines 2-5, L2
6-9, L3 10-13, L4 14-17, L5 18-21, S1 22-23, each vertebra's corners in the order PS, AS, PI, AI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from geometry_files import landmark_rows, write_csv, write_dx
from geometry_spines import Corners, spine_corners
from test_geometry_landmarks import AI, AS, LABEL, PI, PS, _build, _swap

from imaging.anatomy import Corner, Vertebra
from imaging.calibration import Calibration
from imaging.cli import main
from imaging.errors import LandmarkError
from imaging.geometry import Landmarks

TWO = (Vertebra.L4, Vertebra.L5)
HERE = f"reads.csv: {LABEL}"


def _refusal(
    corners: Corners,
    *,
    anterior_direction: tuple[float, float] | None = None,
    calibration: Calibration | None = None,
) -> str:
    with pytest.raises(LandmarkError) as info:
        _build(corners, anterior_direction=anterior_direction, calibration=calibration)
    return str(info.value)


def _unsourced_refusal(corners: Corners) -> str:
    with pytest.raises(LandmarkError) as info:
        Landmarks(corners, subject="S", visit="v")
    return str(info.value)


# --- rule 1: endplate length ---------------------------------------------------------------------
def _endplate_of(
    length_px: float,
    *,
    vertebra: Vertebra = Vertebra.L5,
    anterior: Corner = AS,
    posterior: Corner = PS,
    spacing: float = 1.0,
    offset: tuple[float, float] = (50.0, 60.0),
) -> Corners:
    """The spine with one endplate's anterior corner moved to ``length_px`` px in front of its
    posterior corner (the rest of the vertebra as built)."""
    corners = spine_corners(spacing=(spacing, spacing), offset=offset)
    row, col = corners[vertebra][posterior]
    corners[vertebra][anterior] = (row, col + length_px)
    return corners


SHORT_ENDPLATES = {
    "under 1 mm on a calibrated film (3.96 px x 0.25 mm)": (
        _endplate_of(3.96, spacing=0.25),
        0.25,
        "L5 superior endplate is 0.99 mm long (anterior_superior to posterior_superior), under "
        "the 1 mm minimum for a vertebral endplate: one of its corners is misplaced "
        "(line 18, line 19). Move L5 anterior_superior or posterior_superior onto its corner of "
        "the vertebral body.",
    ),
    "corners 1e-200 px apart (a height loss of -95 % before this rule)": (
        _endplate_of(1e-200, spacing=0.2, offset=(50.0, 0.0)),
        0.2,
        "L5 superior endplate is 2e-201 mm long (anterior_superior to posterior_superior), under "
        "the 1 mm minimum for a vertebral endplate: one of its corners is misplaced "
        "(line 18, line 19). Move L5 anterior_superior or posterior_superior onto its corner of "
        "the vertebral body.",
    ),
    "under 5 px on a film without a pixel spacing": (
        _endplate_of(4.99, vertebra=Vertebra.L4, anterior=AI, posterior=PI),
        None,
        "L4 inferior endplate is 4.99 px long (anterior_inferior to posterior_inferior), under "
        "the 5 px minimum for a vertebral endplate: one of its corners is misplaced "
        "(line 16, line 17). Move L4 anterior_inferior or posterior_inferior onto its corner of "
        "the vertebral body.",
    ),
}


@pytest.mark.parametrize("case", sorted(SHORT_ENDPLATES))
def test_an_endplate_shorter_than_a_vertebra_can_be_is_refused_naming_it(case: str) -> None:
    corners, spacing, message = SHORT_ENDPLATES[case]
    calibration = None if spacing is None else Calibration.user_supplied_spacing(spacing)
    assert _refusal(corners, calibration=calibration) == f"{HERE}: {message}"


def test_an_endplate_of_exactly_the_minimum_length_is_accepted() -> None:
    # 4 px x 0.25 mm = 1 mm: accepted on the calibrated film, though under the 5 px of a film
    # without a pixel spacing, where 5 px is accepted.
    calibrated = _build(
        _endplate_of(4.0, spacing=0.25), calibration=Calibration.user_supplied_spacing(0.25)
    )
    assert calibrated.facing == 1
    assert _build(_endplate_of(5.0)).facing == 1
    assert "4 px long" in _refusal(_endplate_of(4.0))


@pytest.mark.parametrize(("rows_apart", "refused"), [(8.0, True), (12.0, False)])
def test_the_minimum_is_in_millimetres_on_rectangular_pixels(
    rows_apart: float, refused: bool
) -> None:
    # Pixels 0.1 mm high and 0.4 mm wide on a film turned 90 degrees: endplates run along rows.
    # L5's anterior-superior corner 8 rows (0.8 mm) from its posterior-superior one is refused
    # (8 columns would be 3.2 mm), 12 rows (1.2 mm) accepted.
    spacing = (0.1, 0.4)
    calibration = Calibration.user_supplied_spacing(spacing)
    corners = spine_corners(spacing=spacing, rotation_deg=90.0)
    row, col = corners[Vertebra.L5][PS]
    corners[Vertebra.L5][AS] = (row - rows_apart, col)
    if not refused:
        assert _build(corners, calibration=calibration).facing == 1
        return
    assert _refusal(corners, calibration=calibration) == (
        f"{HERE}: L5 superior endplate is 0.8 mm long (anterior_superior to posterior_superior), "
        "under the 1 mm minimum for a vertebral endplate: one of its corners is misplaced "
        "(line 18, line 19). Move L5 anterior_superior or posterior_superior onto its corner of "
        "the vertebral body."
    )


def test_the_measures_command_refuses_a_film_with_a_hair_endplate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The user's path: ``spine-endpoints heights`` on a landmark file whose L5 superior corners
    are 1e-200 px apart (a disc height loss of -95 % with no flag before this rule)."""
    image = "DLBP-001/baseline/neutral.dcm"
    write_dx(tmp_path / image, imager_pixel_spacing=(0.2, 0.2), magnification=1.25)
    corners = _endplate_of(1e-200, offset=(30.0, 0.0))
    path = write_csv(
        tmp_path / "landmarks.csv",
        landmark_rows(corners, "DLBP-001", "baseline", "neutral", image),
    )
    assert main(["heights", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"spine-endpoints heights: error: {path}: subject DLBP-001, visit baseline, film neutral, "
        "reader R1: L5 superior endplate is 1.6e-201 mm long (anterior_superior to "
        "posterior_superior), under the 1 mm minimum for a vertebral endplate: one of its corners "
        "is misplaced (line 18, line 19). Move L5 anterior_superior or posterior_superior onto "
        "its corner of the vertebral body.\n"
    )


# --- rule 2: spine axis --------------------------------------------------------------------------
def test_the_end_vertebrae_on_one_position_are_refused_naming_both() -> None:
    corners = spine_corners(vertebrae=(Vertebra.L3, *TWO))
    corners[Vertebra.L5] = dict(corners[Vertebra.L3])
    assert _unsourced_refusal(corners) == (
        "subject S, visit v, film neutral: L3 and L5 are placed at the same position. Check the "
        "vertebra labels: each vertebra has its own corners."
    )
    # From a file: the lines of both end vertebrae (L3: 2-5, L5: 10-13), not of L4 between them.
    assert _refusal(corners) == (
        f"{HERE}: L3 and L5 are placed at the same position (line 2, line 3, line 4, line 5, "
        "line 10, line 11, line 12, line 13). Check the vertebra labels: each vertebra has its "
        "own corners."
    )


@pytest.mark.parametrize("rotation", [90.0, -90.0, 180.0])
def test_two_vertebrae_on_a_turned_film_take_their_axis_from_the_spine(rotation: float) -> None:
    upright = Landmarks(spine_corners(vertebrae=TWO))
    turned = Landmarks(spine_corners(vertebrae=TWO, rotation_deg=rotation))
    assert turned.facing == upright.facing


@pytest.mark.parametrize("facing", [1, -1])
def test_a_single_vertebra_is_taken_as_upright(facing: int) -> None:
    alone = Landmarks(spine_corners(vertebrae=(Vertebra.L4,), facing=facing))
    assert alone.vertebrae == (Vertebra.L4,)
    assert alone.orientation.cranial == (-1.0, 0.0)  # a unit vector toward row 0
    assert alone.facing == facing
    # S1 alone: its one endplate decides the side (a majority of one).
    sacrum = Landmarks(spine_corners(vertebrae=(Vertebra.S1,), facing=facing))
    assert sacrum.facing == facing


# --- rule 3: anterior side -----------------------------------------------------------------------
def test_an_endplate_along_the_spine_axis_is_refused_naming_it() -> None:
    # L4's anterior-inferior corner 10 px straight below its posterior-inferior one.
    corners = spine_corners(vertebrae=(Vertebra.L3, *TWO))
    row, col = corners[Vertebra.L4][PI]
    corners[Vertebra.L4][AI] = (row + 10.0, col)
    assert _unsourced_refusal(corners) == (
        "subject S, visit v, film neutral: L4 inferior endplate runs along the spine axis, so its "
        "anterior and posterior corners cannot be told apart. Check that the corner names match "
        "the positions."
    )


@pytest.mark.parametrize("facing", [1, -1])
def test_an_anterior_direction_along_the_spine_leaves_the_side_to_the_corners(facing: int) -> None:
    corners = spine_corners(facing=facing)
    for along in ((-1.0, 0.0), (1.0, 0.0)):
        assert _build(corners, anterior_direction=along).facing == facing


def test_every_anterior_corner_against_the_image_orientation_is_refused() -> None:
    # Corners facing left; (0020,0020) says anterior is toward increasing col.
    assert _refusal(spine_corners(facing=-1), anterior_direction=(0.0, 1.0)) == (
        f"{HERE}: every anterior corner lies on the posterior side given by the image "
        "orientation (0020,0020) Patient Orientation. Swap anterior and posterior in the corner "
        "names, or correct the image's Patient Orientation."
    )


@pytest.mark.parametrize("direction", [None, (0.0, 1.0)], ids=["by majority", "by orientation"])
def test_one_vertebra_swapped_is_named_against_the_others(
    direction: tuple[float, float] | None,
) -> None:
    corners = _swap(_swap(spine_corners(), Vertebra.L3, AS, PS), Vertebra.L3, AI, PI)
    assert _refusal(corners, anterior_direction=direction) == (
        f"{HERE}: L3 anterior and posterior corners are swapped: its superior endplate's "
        "anterior corner lies on the posterior side compared with L1, L2, L4, L5, S1 "
        "(line 10, line 11). Swap L3 anterior_superior and posterior_superior."
    )


def test_a_tie_between_sides_names_every_corner_of_both_sides() -> None:
    corners = spine_corners(vertebrae=(Vertebra.T12, Vertebra.L1, Vertebra.L2, Vertebra.L3))
    for vertebra in (Vertebra.L2, Vertebra.L3):
        corners = _swap(_swap(corners, vertebra, AS, PS), vertebra, AI, PI)
    lines = ", ".join(f"line {n}" for n in range(2, 18))
    assert _refusal(corners) == (
        f"{HERE}: cannot tell anterior from posterior: the anterior corners of T12, L1 lie on one "
        f"side of the spine and those of L2, L3 on the other ({lines}). Swap the anterior and "
        "posterior corner names of the vertebrae that are wrong."
    )


# --- rule 4: superior above inferior -------------------------------------------------------------
def test_superior_and_inferior_swapped_is_refused_naming_the_side() -> None:
    corners = _swap(_swap(spine_corners(), Vertebra.L4, AS, AI), Vertebra.L4, PS, PI)
    assert _refusal(corners) == (
        f"{HERE}: L4 anterior_superior is not cranial of anterior_inferior along the spine: "
        "superior and inferior corners swapped on its anterior side (line 15, line 17). Swap L4 "
        "anterior_superior and anterior_inferior."
    )


@pytest.mark.parametrize(("cranial_px", "refused"), [(0.0, True), (0.5, False)])
def test_a_superior_corner_must_lie_cranial_of_its_inferior_corner(
    cranial_px: float, refused: bool
) -> None:
    # L3's anterior-superior corner moved down its anterior wall to `cranial_px` above L3's
    # anterior-inferior corner: level with it is refused, half a pixel above is a (flat) body.
    corners = spine_corners()
    row, col = corners[Vertebra.L3][AI]
    corners[Vertebra.L3][AS] = (row - cranial_px, col)
    if not refused:
        assert _build(corners).facing == 1
        return
    assert _refusal(corners) == (
        f"{HERE}: L3 anterior_superior is not cranial of anterior_inferior along the spine: "
        "superior and inferior corners swapped on its anterior side (line 11, line 13). Swap L3 "
        "anterior_superior and anterior_inferior."
    )


# --- rule 5: outline -----------------------------------------------------------------------------
def _centroid(*points: tuple[float, float]) -> tuple[float, float]:
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


OUTLINES = {
    # L3's anterior-inferior corner inside the triangle of its other three: a folded outline.
    "folded": lambda c: _centroid(c[AS], c[PS], c[PI]),
    # ... on the straight line from its posterior-inferior to its anterior-superior corner.
    "flat": lambda c: _centroid(c[AS], c[PI]),
}


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("outline", sorted(OUTLINES))
def test_a_vertebra_whose_corners_outline_no_body_is_refused(outline: str, facing: int) -> None:
    corners = spine_corners(facing=facing)
    corners[Vertebra.L3][AI] = OUTLINES[outline](corners[Vertebra.L3])
    # L2 above without its posterior-inferior corner: it has no outline to check; L3 still is.
    del corners[Vertebra.L2][PI]
    lines = "line 9, line 10, line 11, line 12"  # L2 now has three rows (6-8)
    assert _refusal(corners) == (
        f"{HERE}: L3 corners do not outline a vertebral body (anterior_superior, "
        "posterior_superior, posterior_inferior, anterior_inferior cross or fold) "
        f"({lines}). Two corners are swapped or misplaced: check each corner's name."
    )


@pytest.mark.parametrize("facing", [1, -1])
def test_an_outline_convex_by_a_hair_is_accepted(facing: int) -> None:
    # L3's anterior-inferior corner 1/32 px in front of the "flat" case's straight line: a turn
    # of 0.875 px^2 the way the film faces, convex, so a body (only a fold or a line is refused).
    corners = spine_corners(facing=facing)
    row, col = OUTLINES["flat"](corners[Vertebra.L3])
    corners[Vertebra.L3][AI] = (row, col + facing / 32)
    assert _build(corners).facing == facing


# --- rule 6: vertebra order ----------------------------------------------------------------------
def test_one_vertebras_corners_saved_under_two_labels_are_refused() -> None:
    # L4 read on top of L3 (the same corners under both labels): level, so not in order.
    corners = spine_corners()
    corners[Vertebra.L4] = dict(corners[Vertebra.L3])
    lines = ", ".join(f"line {n}" for n in range(10, 18))
    assert _refusal(corners) == (
        f"{HERE}: L3 is not cranial of L4 along the spine: vertebra labels swapped? ({lines}). "
        "Check which vertebra is L3 and which is L4."
    )
