"""Film thumbnails with corners and endplate lines (imaging/report/thumbnails.py)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from matplotlib.image import imread

from imaging.report.thumbnails import MAX_SIDE, film_thumbnail


def _decoded(jpeg: bytes) -> np.ndarray:
    return np.asarray(imread(io.BytesIO(jpeg), format="jpeg"), dtype=float)


def _film(rows: int = 2000, cols: int = 1600) -> np.ndarray:
    """A noisy film (a radiograph's quantum noise) with a bright body in the middle."""
    film = np.random.default_rng(0).normal(1000, 60, (rows, cols))
    film[800:1200, 600:1000] += 2000
    return film


CORNERS = {
    "L4": {
        "anterior_superior": (800.0, 600.0),
        "posterior_superior": (800.0, 999.0),
        "anterior_inferior": (1199.0, 600.0),
        "posterior_inferior": (1199.0, 999.0),
    }
}


def test_a_large_noisy_film_becomes_a_small_jpeg_with_its_longest_side_capped() -> None:
    thumbnail = film_thumbnail(_film(), CORNERS)

    assert thumbnail.shape == (250, 200)  # 2000 x 1600 shrunk 8 times: longest side <= 256
    assert max(thumbnail.shape) <= MAX_SIDE and thumbnail.scale == 1 / 8
    assert thumbnail.jpeg.startswith(b"\xff\xd8")  # a JPEG
    assert len(thumbnail.jpeg) < 30_000
    assert _decoded(thumbnail.jpeg).shape == (250, 200, 3)
    assert base64.b64decode(thumbnail.data_uri.split(",", 1)[1]) == thumbnail.jpeg


def test_corners_are_red_dots_and_endplates_yellow_lines_where_the_film_has_them() -> None:
    image = _decoded(film_thumbnail(_film(), CORNERS).jpeg)

    # L4 anterior-superior corner (800, 600) is (99.6, 74.6) in the 1/8 thumbnail.
    red, green, blue = image[100, 75]
    assert red > 180 and green < 110 and blue < 110
    # The superior endplate line: from (800, 600) to (800, 999), its middle (99.6, 99.6).
    red, green, blue = image[100, 100]
    assert red > 180 and green > 150 and blue < 140
    # Inside the body, away from the lines: grey (the three channels equal), bright.
    red, green, blue = image[125, 100]
    assert abs(red - blue) < 20 and red > 180


def test_a_monochrome1_film_is_inverted_so_bone_stays_white() -> None:
    film = _film()
    stored = film.max() - film  # MONOCHROME1: bone has the low stored values

    image = _decoded(film_thumbnail(stored, bone_bright=False).jpeg)

    assert image[125, 100].mean() > 180  # the body
    assert image[20, 20].mean() < 120  # the background


def test_a_corner_off_the_film_is_left_out_and_a_flat_film_is_mid_grey() -> None:
    corners = {"L4": {"anterior_superior": (-50.0, 5000.0), "posterior_superior": (10.0, 10.0)}}

    image = _decoded(film_thumbnail(np.zeros((300, 200)), corners).jpeg)

    assert image.shape == (150, 100, 3)
    assert abs(image[100, 50].mean() - 128) < 10


@pytest.mark.parametrize("shape", [(10, 10, 3), (0, 5), (5,)])
def test_an_image_that_is_not_a_2d_film_is_refused_with_its_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"2-D \(row, col\) image, got shape"):
        film_thumbnail(np.zeros(shape))
