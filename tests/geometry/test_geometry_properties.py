"""Property tests: what must not change when the image moves, and what must scale with spacing."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from geometry_spines import spine_corners
from hypothesis import given, settings
from hypothesis import strategies as st

from imaging.anatomy import Corner, DiscLevel, Vertebra
from imaging.calibration import Calibration
from imaging.errors import LandmarkError
from imaging.geometry import Landmarks
from imaging.geometry.film import FilmGeometry, film_geometry

LEVELS = tuple(
    DiscLevel.between(u, lo)
    for u, lo in (("L1", "L2"), ("L2", "L3"), ("L3", "L4"), ("L4", "L5"), ("L5", "S1"))
)
LENGTHS = (
    "disc_height_anterior",
    "disc_height_posterior",
    "disc_height_mean",
    "disc_height_middle",
    "translation",
)
RATIOS = ("disc_height_index", "height_loss_vs_adjacent_pct", "translation_pct_depth")


@dataclass(frozen=True)
class Spine:
    depth: float
    body_height: float
    posterior_height: tuple[float, ...]
    angle: tuple[float, ...]
    translation: tuple[float, ...]
    start_tilt_deg: float


def _five(low: float, high: float) -> st.SearchStrategy[tuple[float, ...]]:
    values = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return st.tuples(values, values, values, values, values)


spines = st.builds(
    Spine,
    depth=st.floats(30.0, 50.0),
    body_height=st.floats(20.0, 35.0),
    posterior_height=_five(4.0, 15.0),
    angle=_five(-8.0, 15.0),
    translation=_five(-4.0, 4.0),
    start_tilt_deg=st.floats(-15.0, 15.0),
)
rotations = st.floats(-180.0, 180.0)
facings = st.sampled_from([1, -1])
offsets = st.tuples(st.floats(-500.0, 500.0), st.floats(-500.0, 500.0))
spacings = st.tuples(st.floats(0.05, 0.5), st.floats(0.05, 0.5))


def _measure(
    spine: Spine,
    *,
    facing: int = 1,
    rotation: float = 0.0,
    offset: tuple[float, float] = (0.0, 0.0),
    spacing: tuple[float, float] = (0.2, 0.2),
    calibration_spacing: tuple[float, float] | None = None,
) -> FilmGeometry:
    corners = spine_corners(
        depth=spine.depth,
        body_height=spine.body_height,
        posterior_height=spine.posterior_height,
        angle=spine.angle,
        translation=spine.translation,
        start_tilt_deg=spine.start_tilt_deg,
        facing=facing,
        rotation_deg=rotation,
        offset=offset,
        spacing=spacing,
    )
    calibration = Calibration.user_supplied_spacing(calibration_spacing or spacing)
    return film_geometry(Landmarks(corners, calibration=calibration))


def _values(geometry: FilmGeometry, measures: tuple[str, ...]) -> list[float]:
    return [geometry.value(level, m) for level in LEVELS for m in measures]


@settings(max_examples=60, deadline=None)
@given(spines, rotations, facings, offsets, spacings)
def test_angles_are_the_built_ones_whatever_the_placement(
    spine: Spine,
    rotation: float,
    facing: int,
    offset: tuple[float, float],
    spacing: tuple[float, float],
) -> None:
    geometry = _measure(spine, facing=facing, rotation=rotation, offset=offset, spacing=spacing)
    measured = _values(geometry, ("segmental_angle",))
    assert measured == pytest.approx(list(spine.angle), abs=1e-9)
    assert _values(geometry, ("translation",)) == pytest.approx(list(spine.translation), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(spines, rotations, facings, offsets, spacings)
def test_every_measure_is_invariant_to_rotating_mirroring_and_moving_the_film(
    spine: Spine,
    rotation: float,
    facing: int,
    offset: tuple[float, float],
    spacing: tuple[float, float],
) -> None:
    reference = _measure(spine)
    moved = _measure(spine, facing=facing, rotation=rotation, offset=offset, spacing=spacing)
    measures = (*LENGTHS, *RATIOS, "segmental_angle")
    assert _values(moved, measures) == pytest.approx(_values(reference, measures), abs=1e-9)
    for name in ("anterior_height", "posterior_height"):
        assert moved.body[name].tolist() == pytest.approx(reference.body[name].tolist(), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(spines, rotations, st.floats(0.1, 10.0), spacings)
def test_mm_measures_scale_with_spacing_and_ratios_and_angles_do_not(
    spine: Spine, rotation: float, factor: float, spacing: tuple[float, float]
) -> None:
    base = _measure(spine, rotation=rotation, spacing=spacing)
    # The same pixel corners read with every pixel `factor` times larger.
    scaled_spacing = (spacing[0] * factor, spacing[1] * factor)
    scaled = _measure(spine, rotation=rotation, spacing=spacing, calibration_spacing=scaled_spacing)
    lengths = [v * factor for v in _values(base, LENGTHS)]
    assert _values(scaled, LENGTHS) == pytest.approx(lengths, rel=1e-9, abs=1e-9)
    unchanged = (*RATIOS, "segmental_angle")
    assert _values(scaled, unchanged) == pytest.approx(_values(base, unchanged), abs=1e-9)
    assert scaled.body["anterior_height"].tolist() == pytest.approx(
        (base.body["anterior_height"] * factor).tolist(), rel=1e-9
    )


SWAPS = {
    "anterior/posterior": (
        (Corner.ANTERIOR_SUPERIOR, Corner.POSTERIOR_SUPERIOR),
        (Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR),
    ),
    "superior/inferior": (
        (Corner.ANTERIOR_SUPERIOR, Corner.ANTERIOR_INFERIOR),
        (Corner.POSTERIOR_SUPERIOR, Corner.POSTERIOR_INFERIOR),
    ),
    "one endplate": ((Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR),),
    "diagonal": ((Corner.POSTERIOR_SUPERIOR, Corner.ANTERIOR_INFERIOR),),
}


@settings(max_examples=80, deadline=None)
@given(
    spines,
    rotations,
    facings,
    st.sampled_from([Vertebra.L1, Vertebra.L2, Vertebra.L3, Vertebra.L4, Vertebra.L5]),
    st.sampled_from(sorted(SWAPS)),
)
def test_swapped_landmarks_are_rejected(
    spine: Spine, rotation: float, facing: int, vertebra: Vertebra, swap: str
) -> None:
    corners = spine_corners(
        depth=spine.depth,
        body_height=spine.body_height,
        posterior_height=spine.posterior_height,
        angle=spine.angle,
        translation=spine.translation,
        start_tilt_deg=spine.start_tilt_deg,
        facing=facing,
        rotation_deg=rotation,
    )
    Landmarks(corners)  # valid as built
    placed = corners[vertebra]
    for a, b in SWAPS[swap]:
        placed[a], placed[b] = placed[b], placed[a]
    with pytest.raises(LandmarkError, match=vertebra.value):
        Landmarks(corners)


@settings(max_examples=40, deadline=None)
@given(
    spines,
    rotations,
    st.sampled_from(
        [(Vertebra.L1, Vertebra.L2), (Vertebra.L3, Vertebra.L4), (Vertebra.L4, Vertebra.L5)]
    ),
)
def test_swapped_vertebra_labels_are_rejected(
    spine: Spine, rotation: float, pair: tuple[Vertebra, Vertebra]
) -> None:
    corners = spine_corners(
        depth=spine.depth,
        body_height=spine.body_height,
        posterior_height=spine.posterior_height,
        angle=spine.angle,
        start_tilt_deg=spine.start_tilt_deg,
        rotation_deg=rotation,
    )
    upper, lower = pair
    corners[upper], corners[lower] = corners[lower], corners[upper]
    with pytest.raises(LandmarkError, match=f"{upper} is not cranial of {lower}"):
        Landmarks(corners)


def test_angle_of_a_nearly_flat_disc_keeps_its_sign() -> None:
    spine = Spine(40.0, 28.0, (9.0,) * 5, (0.001, -0.001, 0.0, 1e-6, 0.5), (0.0,) * 5, 0.0)
    angles = _values(_measure(spine, facing=-1, rotation=33.0), ("segmental_angle",))
    assert angles == pytest.approx([0.001, -0.001, 0.0, 1e-6, 0.5], abs=1e-9)
    assert math.copysign(1.0, angles[1]) == -1.0
