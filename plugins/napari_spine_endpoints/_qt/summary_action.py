""" "Read summary...": the open read as a printable HTML page, written and opened in the browser.

The page is :func:`imaging.report.read_summary.read_summary_html` of
:func:`._model.summary.read_summary` (the films on screen with their corners and endplate
lines, the measures table's rows, the grades, reader, date, version and signature). It is written
to ``$SPINE_ENDPOINTS_SUMMARIES`` (else ``read-summaries`` in the current folder) as
``<case>-v<version>.html`` and opened with the desktop's browser, to print or save as PDF.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from qtpy.QtCore import QUrl
from qtpy.QtGui import QDesktopServices

from imaging.atomic import write_text_atomically
from imaging.errors import SpineEndpointsError
from imaging.report.read_summary import read_summary_html
from napari_spine_endpoints._model.summary import read_summary
from napari_spine_endpoints._qt.context import ReadingContext

SUMMARIES_ENV_VAR = "SPINE_ENDPOINTS_SUMMARIES"
OPEN_IN_BROWSER = True
"""Open the written page with the desktop's browser (tests turn it off)."""


def summary_folder() -> Path:
    """``$SPINE_ENDPOINTS_SUMMARIES``, else ``read-summaries`` in the current folder."""
    return Path(os.environ.get(SUMMARIES_ENV_VAR) or "read-summaries")


def write_read_summary(context: ReadingContext) -> Path | None:
    """Write (and open) the open read's summary; its path, or None with the reason told."""
    session = context.session
    if session is None:
        context.message.emit("Open a case first: the summary is of the read open")
        return None
    context.flush()  # the summary shows what the store has
    state = context.read_state
    try:
        signature = context.store.signature(session, state.version) if state.version else ""
    except SpineEndpointsError as error:  # e.g. a film naming no subject: not stored
        context.message.emit(f"Read summary without the store's signature: {error}")
        signature = ""
    pixels = {film: np.asarray(image.data) for film, image in context.images.items()}
    summary = read_summary(session, pixels, str(state.status), state.version, signature)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", session.label) or "read"
    path = summary_folder() / f"{name}-v{state.version or 0}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, read_summary_html(summary))
    context.message.emit(f"Read summary written: {path.resolve()}")
    if OPEN_IN_BROWSER:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.resolve())))
    return path
