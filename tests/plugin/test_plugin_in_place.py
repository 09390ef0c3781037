"""Overlay layers written in place (endplate lines, measure labels): napari draws what a new
layer with the same rows would draw, without a data event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from napari_spine_endpoints._qt.in_place import padded, write_in_place

pytestmark = pytest.mark.gui


def test_padded_rows_are_zero_after_the_rows_in_use() -> None:
    rows = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    out = padded(rows, 3)
    assert out.shape == (3, 2, 2) and np.array_equal(out[0], rows[0]) and not out[1:].any()
    assert padded(np.ones((4, 2)), 2).shape == (4, 2)  # never fewer rows than given


def test_lines_written_in_place_draw_as_a_new_layer_and_emit_no_data_event(
    make_napari_viewer: Callable[..., Any],
) -> None:
    viewer = make_napari_viewer(show=True)
    viewer.add_image(np.zeros((120, 160)), colormap="gray", contrast_limits=(0, 1))
    settings = {"vector_style": "line", "edge_width": 3.0, "edge_color": "red"}
    first = np.array([[[10.0, 10.0], [0.0, 60.0]], [[50.0, 20.0], [40.0, 0.0]]])
    lines = viewer.add_vectors(padded(first, 4), **settings)
    events: list[Any] = []
    lines.events.data.connect(events.append)
    moved = padded(np.array([[[80.0, 30.0], [0.0, 100.0]], [[20.0, 120.0], [60.0, 10.0]]]), 4)

    write_in_place(lines, moved)
    assert events == [] and lines.data is not moved and np.array_equal(lines.data, moved)
    drawn = viewer.screenshot(canvas_only=True, flash=False)
    viewer.layers.remove(lines)
    viewer.add_vectors(moved, **settings)
    expected = viewer.screenshot(canvas_only=True, flash=False)
    assert (drawn[..., 0] > 128).sum() > 200  # red lines are on the canvas
    np.testing.assert_array_equal(drawn, expected)

    write_in_place(viewer.layers[-1], padded(moved[:1], 5))  # another number of rows: set
    assert len(viewer.layers[-1].data) == 5
