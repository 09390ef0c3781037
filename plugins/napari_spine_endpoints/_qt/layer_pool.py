"""A closed read's layers refilled for the next read, instead of removed and made again.

napari takes 0.05-0.1 s of the GUI thread to add a layer (its controls, its visual, a few
thousand event connections) and about 0.03 s to remove one (disconnecting them all); refilling
a layer already in the viewer with the next case's data takes a few milliseconds. A layer made
through :meth:`LayerPool.make` under a role ('film', 'corners', 'lines', 'proposals',
'measures', 'centres') is kept when its read closes (:meth:`LayerPool.keep`): hidden,
unselected, renamed, its metadata emptied (no widget takes it for an image of a case), an
image's pixels dropped (one pixel left: no memory held, nothing of it in the extent napari fits
the view to). The next layer asked for under that role, with the same fixed settings, is that
one refilled (:data:`REFILLED`, in that order); a kept layer no read took by the time the next
read closes goes with that read's layers, in the same batch.

A read's MR series wait out of the viewer until the Grades step (:meth:`LayerPool.hold`, then
:meth:`LayerPool.put_in`): put in, a held series refills a kept volume (napari takes about
0.25 s to add a volume, 0.17 s to remove it, mostly making and removing the slice slider). A
kept volume holds one voxel and a kept 3-D points layer no point: one slice, so napari shows
no slice slider under the films.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from napari.layers import Image, Layer

from napari_spine_endpoints._qt.visibility import set_visible

REFILLED = (
    "visible", "data", "features", "scale", "translate", "units", "colormap", "contrast_limits",
    "size", "name", "metadata",
)  # fmt: skip
"""Layer settings that change from case to case, set on a kept layer in this order (shown first:
napari slices a hidden layer only when shown again; then data: napari fits features, sizes and
colours to it); any other setting must be the same to reuse it."""
SPARE_NAME = "spare layer (spine-endpoints)"


class LayerPool:
    """The viewer's kept layers by role, and the roles of the layers it made."""

    def __init__(self, viewer: Any, refilled: Callable[[Layer], None] | None = None) -> None:
        """``refilled``: called with each layer refilled, as napari's ``layers.events.inserted``
        is for each layer put in the viewer."""
        self.viewer = viewer
        self._refilled = refilled
        self._made: dict[int, tuple[Layer, tuple[str, str]]] = {}
        """id(layer) -> (layer, its role and fixed settings) for the layers made here."""
        self._kept: dict[tuple[str, str], list[Layer]] = {}
        self._held: dict[int, tuple[Layer, tuple[str, str], dict[str, Any]]] = {}
        """id(layer) -> (layer, its role and fixed settings, its settings) for the layers
        made out of the viewer (:meth:`hold`)."""
        viewer.layers.events.removed.connect(self._forget)

    def make(self, role: str, kind: str, data: Any, kwargs: dict[str, Any]) -> Layer:
        """A ``kind`` layer ('image', 'points', 'vectors') of ``data`` with ``kwargs`` (as
        :meth:`napari.layers.Layer.create` takes them) in the viewer: a kept one refilled, else
        a new one added."""
        key = (role, _fixed(kind, data, kwargs))
        kept = self._refill_kept(key, data, kwargs)
        if kept is not None:
            return kept
        layer = Layer.create(data, kwargs, kind)
        self._made[id(layer)] = (layer, key)
        self.viewer.add_layer(layer)
        return layer

    def hold(self, role: str, kind: str, data: Any, kwargs: dict[str, Any]) -> Layer:
        """A ``kind`` layer of ``data`` with ``kwargs``, made out of the viewer: it comes in
        through :meth:`put_in`."""
        layer = Layer.create(data, kwargs, kind)
        self._held[id(layer)] = (layer, (role, _fixed(kind, data, kwargs)), dict(kwargs))
        return layer

    def put_in(self, layer: Layer) -> Layer:
        """The layer in the viewer standing for ``layer``: itself if it is in already; for a
        layer made by :meth:`hold`, a kept one refilled with its data and settings (the
        caller uses the layer returned from now on); else ``layer`` put at the bottom."""
        if layer in self.viewer.layers:
            return layer
        held = self._held.pop(id(layer), None)
        if held is None or held[0] is not layer:
            self.viewer.layers.insert(0, layer)
            return layer
        _, key, kwargs = held
        kept = self._refill_kept(key, layer.data, {**kwargs, "visible": layer.visible})
        if kept is not None:
            return kept
        self._made[id(layer)] = (layer, key)
        self.viewer.layers.insert(0, layer)
        return layer

    def _refill_kept(self, key: tuple[str, str], data: Any, kwargs: dict[str, Any]) -> Layer | None:
        """A layer kept under ``key``, still in the viewer, refilled (None when there is none)."""
        kept = self._kept.get(key)
        while kept:
            layer = kept.pop()
            if layer in self.viewer.layers:
                _refill(layer, data, kwargs)
                self._made[id(layer)] = (layer, key)
                if self._refilled is not None:
                    self._refilled(layer)
                return layer
        return None

    def keep(self, layers: Sequence[Layer]) -> list[Layer]:
        """Keep those of ``layers`` made here (in the viewer) for the next read; the rest,
        with the layers kept before and not taken since, are the caller's to remove (none when
        ``layers`` is empty: closing no read leaves the kept layers for the next one). The
        held layers never put in are forgotten (their read is over)."""
        self._held = {}
        if not layers:
            return []
        left = [layer for kept in self._kept.values() for layer in kept]
        self._kept = {}
        keeping: list[Layer] = []
        for layer in layers:
            made = self._made.pop(id(layer), None)
            if made is None or made[0] is not layer or layer.ndim not in (2, 3):
                left.append(layer)
            elif layer in self.viewer.layers:
                keeping.append(layer)
                self._kept.setdefault(made[1], []).append(layer)
        selection = self.viewer.layers.selection
        if any(layer in selection for layer in keeping):
            selection.difference_update(keeping)
        for layer in keeping:
            if isinstance(layer, Image):
                # the case's pixels go: no memory held, nothing to fit the view to
                rgb = (layer.data.shape[-1],) if layer.rgb else ()
                _empty(layer, np.zeros((1,) * layer.ndim + rgb, dtype=layer.data.dtype))
            elif layer.ndim == 3 and len(layer.data):  # points on slices: a slice slider
                _empty(layer, np.empty((0, 3)))
            set_visible(layer, False)  # napari puts a hidden layer in pan/zoom mode
            layer.metadata = {}
            layer.name = SPARE_NAME
        return left

    def _forget(self, event: Any) -> None:
        """A layer out of the viewer (by us or by the reader) is neither kept nor held here."""
        layer = event.value
        made = self._made.get(id(layer))
        if made is not None and made[0] is layer:
            del self._made[id(layer)]
        for kept in self._kept.values():
            if layer in kept:
                kept.remove(layer)


def _empty(layer: Layer, data: Any) -> None:
    """Set a layer's ``data`` (a pixel, no point) so that napari's extent and dims follow it:
    napari updates a layer's extent only when its data is set while it is shown. A hidden
    layer gets it twice: once hidden, so that showing it draws no old pixels, then shown."""
    if not layer.visible:
        layer.data = data
        set_visible(layer, True)
    layer.data = data


def _fixed(kind: str, data: Any, kwargs: dict[str, Any]) -> str:
    """The settings a kept layer must share to be refilled: its kind, dimensions and the
    settings not refilled."""
    fixed = {key: value for key, value in kwargs.items() if key not in REFILLED}
    return repr((kind, getattr(data, "ndim", None), sorted(fixed.items())))


def _refill(layer: Layer, data: Any, kwargs: dict[str, Any]) -> None:
    """Set the changing settings of a kept layer, as a new one would have them."""
    settings = {"data": data, **{key: kwargs[key] for key in REFILLED if key in kwargs}}
    settings.setdefault("visible", True)
    if hasattr(layer, "selected_data"):
        layer.selected_data = set()
    for key in REFILLED:
        if key not in settings:
            continue
        value = settings[key]
        if key == "size":
            layer.current_size = value  # the size of the points clicked from now on
        if key == "contrast_limits":
            layer.contrast_limits_range = value  # as napari sets it for given limits
        if key == "visible":
            set_visible(layer, bool(value))
            if getattr(layer, "mode", "pan_zoom") != "pan_zoom":
                layer.mode = "pan_zoom"  # napari gives a layer shown again its mode back
        else:
            setattr(layer, key, value)
