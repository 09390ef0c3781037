"""Corner order refusals word for word (what a reader sees), and films the rules must accept."""

from __future__ import annotations

import pytest
from geometry_spines import spine_corners

from imaging.anatomy import Corner, Vertebra
from imaging.errors import LandmarkError
from imaging.geometry import Landmarks

TWO = (Vertebra.L4, Vertebra.L5)


def _refusal(corners: dict[Vertebra, dict[Corner, tuple[float, float]]]) -> str:
    with pytest.raises(LandmarkError) as info:
        Landmarks(corners, subject="S", visit="v")
    return str(info.value)


def test_an_endplate_along_the_spine_axis_is_refused_naming_it() -> None:
    corners = spine_corners(vertebrae=TWO)
    corners[Vertebra.L4][Corner.ANTERIOR_INFERIOR] = corners[Vertebra.L4][Corner.POSTERIOR_INFERIOR]
    assert _refusal(corners) == (
        "subject S, visit v, film neutral: L4 inferior endplate runs along the spine axis, so its "
        "anterior and posterior corners cannot be told apart. Check that the corner names match "
        "the positions."
    )


def test_the_end_vertebrae_on_one_position_are_refused_naming_both() -> None:
    corners = spine_corners(vertebrae=(Vertebra.L3, *TWO))
    corners[Vertebra.L5] = dict(corners[Vertebra.L3])
    assert _refusal(corners) == (
        "subject S, visit v, film neutral: L3 and L5 are placed at the same position. Check the "
        "vertebra labels: each vertebra has its own corners."
    )


@pytest.mark.parametrize("rotation", [90.0, -90.0, 180.0])
def test_two_vertebrae_on_a_turned_film_take_their_axis_from_the_spine(rotation: float) -> None:
    upright = Landmarks(spine_corners(vertebrae=TWO))
    turned = Landmarks(spine_corners(vertebrae=TWO, rotation_deg=rotation))
    assert turned.facing == upright.facing


def test_a_single_upright_vertebra_is_accepted() -> None:
    alone = Landmarks(spine_corners(vertebrae=(Vertebra.L4,)))
    assert alone.vertebrae == (Vertebra.L4,)
