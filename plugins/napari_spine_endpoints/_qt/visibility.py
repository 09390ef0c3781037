"""Showing and hiding layers only when it changes anything.

napari's ``Layer.visible`` setter refreshes a shown layer and emits ``events.visible`` on every
set, equal or not (napari 0.6-0.9); every listener (the canvas, the layer list, our measure
labels) then works again. Hiding a case's layers for the Grades step set each one anyway.
"""

from __future__ import annotations

from napari.layers import Layer


def set_visible(layer: Layer, visible: bool) -> None:
    """Show or hide ``layer``; nothing happens when it already is."""
    if bool(layer.visible) != visible:
        layer.visible = visible
