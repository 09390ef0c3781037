"""A closed read's layers refilled for the next read: each as napari would make it new."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from napari_spine_endpoints._qt.layer_pool import SPARE_NAME, LayerPool
from real_input import slice_sliders

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


def test_what_is_not_refilled_goes_with_the_next_read(
    make_napari_viewer: Callable[..., Any],
) -> None:
    viewer = make_napari_viewer()
    pool = LayerPool(viewer)
    films = [
        pool.make("film", "image", np.zeros((30, 20)), _film(name, (0, 1), (0.1, 0.1)))
        for name in ("neutral", "flexion")
    ]
    other = viewer.add_points(np.empty((0, 2)))  # a layer the pool did not make
    assert pool.keep([*films, other]) == [other]  # the caller removes it
    viewer.layers.remove(other)

    kept = pool.make("film", "image", np.ones((30, 20)), _film("next", (0, 1), (0.1, 0.1)))
    assert kept in films
    left = next(film for film in films if film is not kept)
    assert pool.keep([kept]) == [left]  # a read later, the spare film goes
    viewer.layers.remove(left)
    different = _film("other window", (0, 1), (0.1, 0.1)) | {"colormap": "gray_r"}
    assert pool.make("film", "image", np.ones((30, 20)), different) is kept  # refilled setting
    assert pool.make("film", "image", np.ones((30, 20)), different) is not kept


def test_a_held_series_comes_in_as_the_last_reads_volume_refilled_and_a_kept_one_has_no_slider(
    make_napari_viewer: Callable[..., Any],
) -> None:
    viewer = make_napari_viewer()
    pool = LayerPool(viewer)
    film = pool.make("film", "image", np.zeros((300, 200)), _film("A", (0, 1), (0.1, 0.1)))
    first = pool.hold("series", "image", np.ones((9, 40, 30)), _film("A T2", (0, 1), (4, 1, 1)))
    assert first not in viewer.layers  # held until the Grades step
    assert pool.put_in(first) is first and viewer.layers[0] is first  # nothing kept: put in
    assert slice_sliders(viewer) == [0]
    centres = pool.make("centres", "points", np.array([[16.0, 5, 5]]), {"ndim": 3})
    first.visible = False  # the T1 shown instead (napari leaves a hidden layer's extent as is)

    assert pool.keep([film, first, centres]) == []
    assert first.data.shape == (1, 1, 1) and len(centres.data) == 0
    assert viewer.dims.ndim == 3 and slice_sliders(viewer) == []  # no slider under the films
    never_shown = pool.hold("series", "image", np.ones((5, 4, 3)), _film("A T1", (0, 1), (1,) * 3))
    forgotten = weakref.ref(never_shown)
    pool.keep([])  # its read closed: the pool holds it no more
    del never_shown
    gc.collect()
    assert forgotten() is None

    pixels = np.arange(11 * 50 * 20, dtype=np.uint16).reshape(11, 50, 20)
    held = pool.hold("series", "image", pixels, _film("B T2", (0, 900), (3, 0.5, 0.5)))
    held.visible = True  # as the Grades step shows it
    shown = pool.put_in(held)
    new = viewer.add_image(pixels, **_film("C", (0, 900), (3, 0.5, 0.5)))
    assert shown is first and shown.data is pixels and shown.name == "B T2" and shown.visible
    assert shown.metadata == {"case": "B T2"} and list(shown.contrast_limits) == [0, 900]
    np.testing.assert_allclose(shown.extent.world, new.extent.world)
    assert slice_sliders(viewer) == [0]
    assert pool.put_in(shown) is shown  # in already


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
