"""A closed read's layers refilled for the next read: each as napari would make it new."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from napari_spine_endpoints._qt.layer_pool import SPARE_NAME, LayerPool

pytestmark = pytest.mark.gui


def _corners(name: str, size: float, scale: tuple[float, float]) -> dict[str, Any]:
    """Settings of a corner layer (as FilmOverlay makes it), for a film of ``scale`` mm."""
    return {
        "ndim": 2, "name": name, "metadata": {"case": name},
        "features": {"label": np.array([], dtype=object)},
        "text": {"string": "{label}", "size": 9, "color": "white"},
        "size": size, "canvas_size_limits": (9.0, 9.0), "face_color": "#ff4040",
        "border_color": "white", "scale": scale, "units": ("mm", "mm"),
    }  # fmt: skip


def _film(name: str, limits: tuple[float, float], scale: tuple[float, ...]) -> dict[str, Any]:
    return {
        "name": name, "metadata": {"case": name}, "scale": scale, "units": ("mm",) * len(scale),
        "colormap": "gray", "contrast_limits": limits, "visible": True,
    }  # fmt: skip


def test_a_kept_points_layer_refilled_is_as_a_new_one(
    make_napari_viewer: Callable[..., Any],
) -> None:
    viewer = make_napari_viewer()
    refilled: list[Any] = []
    pool = LayerPool(viewer, refilled=refilled.append)
    first = pool.make("corners", "points", np.empty((0, 2)), _corners("A corners", 20, (0.1, 0.1)))
    first.mode = "add"
    first.add([[10.0, 20.0], [30.0, 40.0]])  # a read: two corners, one selected, recoloured
    first.features = {"label": np.array(["L1 AS", "L1 PS"], dtype=object)}
    first.face_color = ["#00ff00", "#ff0000"]
    viewer.layers.selection.active = first

    assert pool.keep([first]) == []
    assert first in viewer.layers and not first.visible and first.mode == "pan_zoom"
    assert first.name == SPARE_NAME and first.metadata == {}
    assert first not in viewer.layers.selection  # a stray click adds nothing to it

    settings = _corners("B corners", 25, (0.2, 0.2))
    second = pool.make("corners", "points", np.empty((0, 2)), settings)
    new = viewer.add_points(np.empty((0, 2)), **{**settings, "name": "C corners"})
    assert second is first and refilled == [first]
    assert second.name == "B corners" and second.metadata == {"case": "B corners"}
    for attribute in ("data", "size", "current_size", "scale", "visible", "mode",
                      "selected_data", "current_face_color", "canvas_size_limits"):  # fmt: skip
        got, expected = getattr(second, attribute), getattr(new, attribute)
        assert np.array_equal(np.asarray(got), np.asarray(expected)), attribute
    assert second.features.empty and second.units == new.units
    second.add([[5.0, 6.0]])
    new.add([[5.0, 6.0]])
    np.testing.assert_array_equal(second.size, [25.0])  # a click's point: this film's size
    np.testing.assert_allclose(second.face_color, new.face_color)


def test_a_kept_film_refilled_has_the_new_window_scale_and_extent(
    make_napari_viewer: Callable[..., Any],
) -> None:
    viewer = make_napari_viewer()
    pool = LayerPool(viewer)
    first = pool.make(
        "film", "image", np.zeros((300, 200), np.uint16), _film("A", (0, 1000), (0.1, 0.1))
    )
    pool.keep([first])
    assert first.data.shape == (1, 1)  # the case's pixels are not held while it waits
    np.testing.assert_allclose(viewer.layers.extent.world, [[0, 0], [0, 0]])  # nothing to fit
    pixels = np.full((400, 500), 3000, np.uint16)
    second = pool.make("film", "image", pixels, _film("B", (100, 4000), (0.2, 0.2)))
    new = viewer.add_image(pixels, **_film("C", (100, 4000), (0.2, 0.2)))
    assert second is first and second.visible and second.data is pixels
    assert list(second.contrast_limits) == [100, 4000]
    assert list(second.contrast_limits_range) == list(new.contrast_limits_range)
    np.testing.assert_allclose(second.extent.world, np.array([[0, 0], [79.8, 99.8]]))  # mm
    np.testing.assert_allclose(second.extent.world, new.extent.world)


def test_what_is_not_refilled_goes_with_the_next_read_and_volumes_are_never_kept(
    make_napari_viewer: Callable[..., Any],
) -> None:
    viewer = make_napari_viewer()
    pool = LayerPool(viewer)
    films = [
        pool.make("film", "image", np.zeros((30, 20)), _film(name, (0, 1), (0.1, 0.1)))
        for name in ("neutral", "flexion")
    ]
    volume = pool.make("film", "image", np.zeros((3, 30, 20)), _film("MR", (0, 1), (1, 1, 1)))
    other = viewer.add_points(np.empty((0, 2)))  # a layer the pool did not make
    assert pool.keep([*films, volume, other]) == [volume, other]  # the caller removes them
    viewer.layers.remove(volume)
    viewer.layers.remove(other)

    kept = pool.make("film", "image", np.ones((30, 20)), _film("next", (0, 1), (0.1, 0.1)))
    assert kept in films
    left = next(film for film in films if film is not kept)
    assert pool.keep([kept]) == [left]  # a read later, the spare film goes
    viewer.layers.remove(left)
    different = _film("other window", (0, 1), (0.1, 0.1)) | {"colormap": "gray_r"}
    assert pool.make("film", "image", np.ones((30, 20)), different) is kept  # refilled setting
    assert pool.make("film", "image", np.ones((30, 20)), different) is not kept


def test_a_kept_layer_the_reader_deleted_is_not_refilled(
    make_napari_viewer: Callable[..., Any],
) -> None:
    viewer = make_napari_viewer()
    pool = LayerPool(viewer)
    first = pool.make("corners", "points", np.empty((0, 2)), _corners("A", 20, (0.1, 0.1)))
    pool.keep([first])
    viewer.layers.remove(first)  # the reader deletes the spare layer
    second = pool.make("corners", "points", np.empty((0, 2)), _corners("B", 20, (0.1, 0.1)))
    assert second is not first and second in viewer.layers
