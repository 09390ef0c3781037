"""Rendered phantoms are deterministic and show anatomy exactly where the ground truth says."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import ndimage

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.phantom import (
    MRSetup,
    PhantomSpec,
    RadiographSetup,
    RenderedRadiograph,
    render_mr_series,
    render_radiograph,
)

LUMBAR = (Vertebra.L1, Vertebra.L2, Vertebra.L3, Vertebra.L4, Vertebra.L5)


@pytest.fixture(scope="module")
def neutral() -> RenderedRadiograph:
    return render_radiograph(PhantomSpec.normal(), Film.NEUTRAL, rng=np.random.default_rng(11))


def _mean_around(image: NDArray[np.generic], centre: NDArray[np.float64], radius: int) -> float:
    r, c = (round(float(v)) for v in centre)
    return float(image[r - radius : r + radius + 1, c - radius : c + radius + 1].mean())


def test_same_seed_same_pixels_and_corners_other_seed_other_noise() -> None:
    spec = PhantomSpec.random(np.random.default_rng(4))
    setup = RadiographSetup(rows=400, columns=320, imager_pixel_spacing_mm=0.7)
    first = render_radiograph(spec, "flexion", setup, np.random.default_rng(5))
    again = render_radiograph(spec, "flexion", setup, np.random.default_rng(5))
    other = render_radiograph(spec, "flexion", setup, np.random.default_rng(6))
    assert np.array_equal(first.pixels, again.pixels)
    assert first.corners_px == again.corners_px
    assert not np.array_equal(first.pixels, other.pixels)
    assert first.pixels.dtype == np.uint16
    assert int(first.pixels.max()) < 2**setup.bits_stored


def test_vertebral_bodies_are_brighter_than_the_discs_between_them(
    neutral: RenderedRadiograph,
) -> None:
    corners = neutral.corners_px
    for upper, lower in zip(LUMBAR, (*LUMBAR[1:], Vertebra.S1), strict=True):
        body = np.mean(list(corners[upper].values()), axis=0)
        disc = np.mean(
            [
                corners[upper][Corner.ANTERIOR_INFERIOR],
                corners[upper][Corner.POSTERIOR_INFERIOR],
                corners[lower][Corner.ANTERIOR_SUPERIOR],
                corners[lower][Corner.POSTERIOR_SUPERIOR],
            ],
            axis=0,
        )
        # Bone attenuates: brighter on MONOCHROME2, by far more than the noise.
        assert _mean_around(neutral.pixels, body, 8) > _mean_around(neutral.pixels, disc, 2) + 150


@pytest.mark.parametrize("vertebra", LUMBAR)
def test_endplate_edges_lie_on_the_ground_truth_endplate_lines(
    neutral: RenderedRadiograph, vertebra: Vertebra
) -> None:
    """The bone edge found in the pixels is within a third of a pixel of the truth's line."""
    image = neutral.pixels.astype(np.float64)
    corners = {c: np.array(p) for c, p in neutral.corners_px[vertebra].items()}
    for anterior, posterior, inward in (
        (Corner.ANTERIOR_SUPERIOR, Corner.POSTERIOR_SUPERIOR, 1.0),
        (Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR, -1.0),
    ):
        a, p = corners[anterior], corners[posterior]
        along = (a - p) / np.linalg.norm(a - p)
        normal = np.array([along[1], -along[0]])
        if normal[0] * inward < 0:  # point into the body (down for superior, up for inferior)
            normal = -normal
        offsets = np.linspace(-6.0, 6.0, 121)
        profiles = []
        for t in np.linspace(0.25, 0.75, 40):
            start = p + t * (a - p)
            points = start[:, None] + normal[:, None] * offsets[None, :]
            profiles.append(ndimage.map_coordinates(image, points, order=1))
        profile = np.mean(profiles, axis=0)
        edge = offsets[int(np.argmax(np.gradient(profile)))]
        assert abs(edge) <= 0.35, f"{vertebra.value} {anterior.value}: edge at {edge:+.2f} px"


def test_corners_are_inside_the_image_and_mm_follow_the_spacing(
    neutral: RenderedRadiograph,
) -> None:
    spacing = neutral.setup.imager_pixel_spacing_mm / neutral.setup.magnification
    assert neutral.pixel_spacing_mm == pytest.approx((spacing, spacing))
    rows, columns = neutral.pixels.shape
    for corners in neutral.corners_px.values():
        for row, col in corners.values():
            assert 0 < row < rows - 1 and 0 < col < columns - 1
    measures = neutral.measures()
    c = neutral.corners_px
    anterior_px = np.hypot(
        *np.subtract(
            c[Vertebra.L4][Corner.ANTERIOR_INFERIOR], c[Vertebra.L5][Corner.ANTERIOR_SUPERIOR]
        )
    )
    assert measures["levels"]["L4-L5"]["disc_height_anterior_mm"] == pytest.approx(
        anterior_px * spacing
    )


def _graded_spec() -> PhantomSpec:
    spec = PhantomSpec.normal()
    for grade, level in enumerate(
        (DiscLevel.L1_L2, DiscLevel.L2_L3, DiscLevel.L3_L4, DiscLevel.L4_L5, DiscLevel.L5_S1),
        start=1,
    ):
        spec = spec.with_disc(level, height_mm=10.0, angle_deg=6.0, pfirrmann=grade)
    spec = spec.with_disc("L1-L2", modic_cranial="I", modic_caudal="II")
    return spec.with_disc("L2-L3", modic_cranial="III")


def test_mr_nucleus_signal_falls_with_the_pfirrmann_grade() -> None:
    setup = MRSetup(slices=3)
    t2 = render_mr_series(_graded_spec(), "T2", setup, np.random.default_rng(3))
    middle = t2.volume[t2.mid_slice].astype(np.float64)
    centres = t2.disc_centres_px()
    signal = [
        _mean_around(middle, np.array(centres[level]), 1)
        for level in (DiscLevel.L1_L2, DiscLevel.L2_L3, DiscLevel.L3_L4, DiscLevel.L4_L5)
    ]
    signal.append(_mean_around(middle, np.array(centres[DiscLevel.L5_S1]), 1))
    assert signal == sorted(signal, reverse=True), signal
    assert signal[0] > 3 * signal[-1]
    # The spinal fluid behind grade I discs is about as bright (Pfirrmann: isointense to CSF).
    assert signal[0] > 0.6 * float(np.percentile(middle, 99.5))


def test_mr_marrow_next_to_endplates_follows_the_modic_type() -> None:
    spec = _graded_spec()
    setup = MRSetup(slices=3)
    images = {
        sequence: render_mr_series(spec, sequence, setup, np.random.default_rng(8))
        for sequence in ("T1", "T2")
    }
    corners = images["T2"].corners_px()

    def band_and_centre(vertebra: Vertebra, endplate: str, sequence: str) -> tuple[float, float]:
        c = {k: np.array(v) for k, v in corners[vertebra].items()}
        centre = np.mean(list(c.values()), axis=0)
        if endplate == "inferior":
            edge = (c[Corner.ANTERIOR_INFERIOR] + c[Corner.POSTERIOR_INFERIOR]) / 2
        else:
            edge = (c[Corner.ANTERIOR_SUPERIOR] + c[Corner.POSTERIOR_SUPERIOR]) / 2
        band = edge + (centre - edge) * 0.2  # about 3 mm inside the endplate
        image = images[sequence].volume[1].astype(np.float64)
        return _mean_around(image, band, 1), _mean_around(image, centre, 3)

    # L1-L2 cranial (L1 inferior endplate): Modic I, T1 hypo and T2 hyper.
    band, centre = band_and_centre(Vertebra.L1, "inferior", "T1")
    assert band < 0.75 * centre
    band, centre = band_and_centre(Vertebra.L1, "inferior", "T2")
    assert band > 1.4 * centre
    # L1-L2 caudal (L2 superior endplate): Modic II, T1 hyper.
    band, centre = band_and_centre(Vertebra.L2, "superior", "T1")
    assert band > 1.2 * centre
    # L2-L3 cranial (L2 inferior endplate): Modic III, hypo on both.
    for sequence in ("T1", "T2"):
        band, centre = band_and_centre(Vertebra.L2, "inferior", sequence)
        assert band < 0.7 * centre
    # L4 has no Modic change: its endplate marrow looks like its centre.
    band, centre = band_and_centre(Vertebra.L4, "inferior", "T1")
    assert band == pytest.approx(centre, rel=0.2)
