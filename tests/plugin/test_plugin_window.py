"""Window width/level math, without a display."""

from __future__ import annotations

import numpy as np
import pytest
from napari_spine_endpoints._model.window import (
    DRAG_PIXELS_FOR_FULL_RANGE,
    Window,
    drag_window,
    percentile_window,
    window_presets,
)


def test_dicom_linear_limits() -> None:
    # PS3.3 C.11.2.1.2.1: limits c - 0.5 -/+ (w - 1) / 2; centre 2048, width 4096 spans 12 bits
    assert Window(2048, 4096).contrast_limits == (0.0, 4095.0)
    assert Window(40, 400).contrast_limits == (-160.0, 239.0)


def test_contrast_limits_round_trip() -> None:
    window = Window(1234.5, 777)
    back = Window.from_contrast_limits(window.contrast_limits)
    assert back.center == pytest.approx(1234.5)
    assert back.width == pytest.approx(777)


def test_width_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Window(100, 0.5)
    lower, upper = Window(100, 1).contrast_limits
    assert lower < upper


def test_presets_keep_the_file_windows_first() -> None:
    data = np.arange(4096, dtype=np.uint16).reshape(64, 64)
    presets = window_presets([(2000.0, 3000.0, "BONE"), (10.0, 0.0, "broken")], data)
    assert [p.explanation for p in presets] == ["BONE", "Auto (1-99%)", "Full range"]
    assert presets[2].contrast_limits == (0.0, 4095.0)


def test_percentile_window_ignores_outliers() -> None:
    data = np.full((100, 100), 500.0)
    data[:50] = 1500.0
    data[0, 0] = 1e9
    lower, upper = percentile_window(data).contrast_limits
    assert (lower, upper) == (500.0, 1500.0)


def test_drag_right_widens_and_drag_up_brightens() -> None:
    start = Window(300, 200)
    span = DRAG_PIXELS_FOR_FULL_RANGE  # data range 0..512: one value per screen pixel
    wider = drag_window(start, drag_right=100, drag_down=0, data_range=(0.0, span))
    assert (wider.center, wider.width) == (300.0, 300.0)
    brighter = drag_window(start, drag_right=0, drag_down=-50, data_range=(0.0, span))
    assert brighter.center == 250.0  # lower center: more values above it, image brighter
    inverted = drag_window(
        start, drag_right=0, drag_down=-50, data_range=(0.0, span), inverted=True
    )
    assert inverted.center == 350.0  # MONOCHROME1 shown with gray_r: higher center is brighter


def test_drag_is_clamped() -> None:
    narrow = drag_window(Window(100, 50), drag_right=-10_000, drag_down=0, data_range=(0.0, 512.0))
    assert narrow.width == 1.0
    wide = drag_window(
        Window(100, 50), drag_right=10_000, drag_down=10_000, data_range=(0.0, 512.0)
    )
    assert wide.width == 1024.0
    assert wide.center == 768.0
