"""Window width/level widget: the file's presets, exact values, and adjustment by mouse drag.

With "Drag to adjust" on (key W), a left-drag on the canvas changes the window of the film being
read instead of panning: left-right the width, up-down the level (see
:mod:`napari_spine_endpoints._model.window`). Display only: the pixel values never change.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from napari.layers import Image
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from napari_spine_endpoints._layer_info import ImageInfo, landmark_image_name
from napari_spine_endpoints._model.shortcuts import SHORTCUT_BY_ACTION
from napari_spine_endpoints._model.window import (
    Window,
    drag_window,
    value_range,
    window_presets,
)
from napari_spine_endpoints._qt.context import ReadingContext, context_for


class WindowLevelWidget(QWidget):
    """Presets and center/width of the image being read; mouse-drag adjustment."""

    def __init__(self, napari_viewer: Any) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.context: ReadingContext = context_for(napari_viewer)
        self._layer: Image | None = None
        self._windows: list[Window] = []
        self._saved_modes: dict[Any, str] = {}
        self.layer_label = QLabel()
        self.presets = QComboBox()
        self.presets.activated.connect(self._on_preset)
        self.center_box = QDoubleSpinBox()
        self.width_box = QDoubleSpinBox()
        for box in (self.center_box, self.width_box):
            box.setRange(-1e9, 1e9)
            box.setDecimals(1)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(self._on_values)
        self.width_box.setMinimum(1.0)
        key = SHORTCUT_BY_ACTION["window_drag"].key
        self.drag = QPushButton(f"Drag to adjust ({key})")
        self.drag.setCheckable(True)
        self.drag.toggled.connect(self.context.set_window_drag)
        self.context.window_drag_toggled.connect(self._on_drag_toggled)
        hint = QLabel("Drag: left-right = width, up-down = level (up = brighter)")
        hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Preset", self.presets)
        form.addRow("Center", self.center_box)
        form.addRow("Width", self.width_box)
        layout = QVBoxLayout(self)
        layout.addWidget(self.layer_label)
        layout.addLayout(form)
        layout.addWidget(self.drag)
        layout.addWidget(hint)
        layout.addStretch(1)
        # One refresh once the active layer settles: opening a study makes each new layer active
        # in turn, and the Auto window of each would be computed over all its pixels.
        self._pending_refresh = QTimer(self)
        self._pending_refresh.setSingleShot(True)
        self._pending_refresh.setInterval(0)
        self._pending_refresh.timeout.connect(self.refresh)
        self.viewer.layers.selection.events.active.connect(lambda _: self._pending_refresh.start())
        self.viewer.mouse_drag_callbacks.append(self._on_mouse_drag)
        self.refresh()

    # --- which image -----------------------------------------------------------------------------
    def target_layer(self) -> Image | None:
        """The active image, or the film under the active corner/line layer, or the top image."""
        active = self.viewer.layers.selection.active
        if isinstance(active, Image):
            return active
        if active is not None:
            name = landmark_image_name(active.metadata)
            if name is not None and name in self.viewer.layers:
                layer = self.viewer.layers[name]
                return layer if isinstance(layer, Image) else None
        images = [x for x in self.viewer.layers if isinstance(x, Image) and x.visible]
        return images[-1] if images else None

    def refresh(self) -> None:
        """Show the target layer's presets and current window."""
        layer = self.target_layer()
        if layer is not self._layer:
            if self._layer is not None:
                self._layer.events.contrast_limits.disconnect(self._show_values)
            self._layer = layer
            if layer is not None:
                layer.events.contrast_limits.connect(self._show_values)
        if layer is None or layer.rgb:
            self.layer_label.setText("No greyscale image selected")
            self.presets.clear()
            return
        info = ImageInfo.from_metadata(layer.metadata)
        presets = info.window_presets if info is not None else ()
        self._windows = window_presets(presets, layer.data)
        self.presets.clear()
        self.presets.addItems([w.label for w in self._windows])
        inverted = " (MONOCHROME1, shown inverted)" if info is not None and info.inverted else ""
        self.layer_label.setText(f"{layer.name}{inverted}")
        self._show_values()

    def _show_values(self, _event: Any = None) -> None:
        if self._layer is None:
            return
        window = Window.from_contrast_limits(self._layer.contrast_limits)
        for box, value in ((self.center_box, window.center), (self.width_box, window.width)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)

    # --- actions -----------------------------------------------------------------------------
    def apply(self, window: Window) -> None:
        """Show the target image with ``window``."""
        if self._layer is not None:
            self._layer.contrast_limits = window.contrast_limits

    def _on_preset(self, index: int) -> None:
        if 0 <= index < len(self._windows):
            self.apply(self._windows[index])

    def _on_values(self, _value: float = 0.0) -> None:
        self.apply(Window(self.center_box.value(), max(self.width_box.value(), 1.0), "custom"))

    def _on_drag_toggled(self, enabled: bool) -> None:
        """Drag mode: the camera stops panning and layers stop taking clicks."""
        self.drag.blockSignals(True)
        self.drag.setChecked(enabled)
        self.drag.blockSignals(False)
        self.viewer.scene.camera.mouse_pan = not enabled
        if enabled:
            self._saved_modes = {}
            for layer in self.viewer.layers:
                if getattr(layer, "mode", None) not in (None, "pan_zoom"):
                    self._saved_modes[layer] = layer.mode
                    layer.mode = "pan_zoom"
        else:
            for layer, mode in self._saved_modes.items():
                if layer in self.viewer.layers:
                    layer.mode = mode
            self._saved_modes = {}

    def _on_mouse_drag(self, _viewer: Any, event: Any) -> Generator[None, None, None] | None:
        if not self.context.window_drag or getattr(event, "button", 1) != 1:
            return None
        self.refresh()
        return self._drag(event)

    def _drag(self, event: Any) -> Generator[None, None, None]:
        layer = self._layer
        if layer is None or layer.rgb:
            return
        info = ImageInfo.from_metadata(layer.metadata)
        inverted = info is not None and info.inverted
        start = Window.from_contrast_limits(layer.contrast_limits)
        data_range = value_range(layer.data)
        x0, y0 = event.pos[0], event.pos[1]
        yield
        while event.type == "mouse_move":
            dx, dy = event.pos[0] - x0, event.pos[1] - y0  # canvas pixels, y down
            self.apply(drag_window(start, dx, dy, data_range, inverted=inverted))
            yield
