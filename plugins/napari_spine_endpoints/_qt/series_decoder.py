"""Decoding lazily opened MR/CT series in the background.

File > Open gives napari each series as a dask array decoded slice by slice when shown (see
:func:`imaging.dicom.load_series`). Once the film is on screen, :class:`SeriesDecoder` decodes
every slice off the GUI thread (each slice once, then kept), so scrolling is instant and a damaged
slice is reported at open, naming its file, rather than when the reader first reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from napari.layers import Image
from napari.qt.threading import create_worker


def decode_all(volume: Any) -> None:
    """Compute every slice of a lazily loaded series, one at a time (they stay decoded in its
    cache; no stacked copy of the whole volume is made)."""
    import dask

    with dask.config.set(scheduler="synchronous"):
        for index in range(volume.shape[0]):
            volume[index].compute()


class SeriesDecoder:
    """Starts one background decode per series layer; ``report(layer name, error)`` on failure."""

    def __init__(self, report: Callable[[str, BaseException], None]) -> None:
        self.report = report
        self._running: set[Any] = set()  # the workers, referenced while they run

    def decode(self, layer: Image) -> Any:
        """Start decoding ``layer.data``; the (started) worker."""
        worker = create_worker(decode_all, layer.data, _start_thread=False, _ignore_errors=True)
        worker.errored.connect(lambda error: self.report(layer.name, error))
        worker.finished.connect(lambda: self._running.discard(worker))
        self._running.add(worker)
        worker.start()
        return worker
