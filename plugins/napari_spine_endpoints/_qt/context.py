"""The workstation's shared state for one napari viewer, used by every widget of the plugin.

One :class:`ReadingContext` per viewer (:func:`context_for`) holds the protocol, the reader id,
the store, the read in progress (:class:`ReadingSession`) and its life in the store
(:class:`ReadLifecycle`: draft, submitted, correction - the rules live there, without Qt), the
corner/line/proposal layers of each film and the :class:`Assistant` that runs refinement,
tracking and MR suggestions. Its :class:`ReaderActions` bind the keyboard shortcuts once; its
:class:`LayerArrivals` attach every radiograph layer of the open case; it autosaves the draft
once the reader pauses (``AUTOSAVE_DELAY_MS`` after the last change) and at once on a change of
film or step, submit, closing the case or napari: a crash loses at most the changes of the last
0.7 s.
"""

from __future__ import annotations

import getpass
import os
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from napari.layers import Image, Layer
from qtpy.QtCore import QObject, QTimer, Signal
from qtpy.QtWidgets import QApplication, QWidget

from imaging.anatomy import Film
from imaging.errors import SpineEndpointsError
from imaging.protocol.loader import load_protocol
from imaging.protocol.model import Protocol
from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._model.read_lifecycle import ReadLifecycle
from napari_spine_endpoints._model.session import ReadingSession
from napari_spine_endpoints._model.store_link import ReadState, StoreLink
from napari_spine_endpoints._qt.assistant import Assistant
from napari_spine_endpoints._qt.case_loader import CaseLoader
from napari_spine_endpoints._qt.draft_writer import DraftWriter
from napari_spine_endpoints._qt.film_overlay import FilmOverlay
from napari_spine_endpoints._qt.frames import after_next_frame
from napari_spine_endpoints._qt.gc_freeze import freeze_startup_objects
from napari_spine_endpoints._qt.hanging import Hanging
from napari_spine_endpoints._qt.layer_arrivals import LayerArrivals
from napari_spine_endpoints._qt.layer_pool import LayerPool
from napari_spine_endpoints._qt.reader_actions import ReaderActions
from napari_spine_endpoints._qt.visibility import set_visible

AUTOSAVE_DELAY_MS = 700
"""Quiet time after the last change before the draft is written."""
READER_ENV_VAR = "SPINE_ENDPOINTS_READER"
PROTOCOL_ENV_VAR = "SPINE_ENDPOINTS_PROTOCOL"

_CONTEXTS: dict[int, ReadingContext] = {}


def default_reader() -> str:
    """``$SPINE_ENDPOINTS_READER``, else the login name."""
    return os.environ.get(READER_ENV_VAR) or getpass.getuser()


def context_for(viewer: Any) -> ReadingContext:
    """The viewer's context, created on first use."""
    key = id(viewer)
    if key not in _CONTEXTS:
        _CONTEXTS[key] = ReadingContext(viewer)
        weakref.finalize(viewer, _CONTEXTS.pop, key, None)
    return _CONTEXTS[key]


class ReadingContext(QObject):
    """Protocol, reader, store, the open read and its film layers; emits when any of it changes."""

    changed = Signal()
    """Corners or grades of the open read changed."""
    session_replaced = Signal()
    """Another case was opened (or the read was closed)."""
    films_changed = Signal()
    """A film was put in the viewer (or a kept layer refilled with one), or an attached film
    went away."""
    message = Signal(str)
    """Something to tell the reader (saved, submitted, refused ...)."""
    window_drag_toggled = Signal(bool)

    def __init__(self, viewer: Any) -> None:
        super().__init__()
        self.viewer = viewer
        self.protocol: Protocol = load_protocol(os.environ.get(PROTOCOL_ENV_VAR) or None)
        self.reader_id = default_reader()
        self.store = StoreLink()
        self.lifecycle = ReadLifecycle(self.store, self.message.emit)
        """The open read and its status in the store."""
        self.images: dict[Film, Image] = {}
        """The radiograph layer of each film of the open read."""
        self.overlays: dict[Film, FilmOverlay] = {}
        """Corner and line layers, made when a film is first shown (see :meth:`overlay`)."""
        self.case_id: str | None = None
        self.window_drag = False
        self.skip_reason = "not visible on the film"
        self._retiring: list[Layer] | None = None
        """While a read closes: its layers, removed in one batch (see :meth:`retire`)."""
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_DELAY_MS)
        self.drafts = DraftWriter(self.lifecycle)
        """The autosave's writes, off the GUI thread."""
        self._autosave.timeout.connect(self.drafts.write_later)
        self.arrivals = LayerArrivals(self)
        """What is done with each layer coming into the viewer (films attached, series held)."""
        self.pool = LayerPool(viewer, refilled=self.arrivals.layer_in)
        """A closed read's layers, refilled for the next read's (napari adds and removes a
        layer in 0.05-0.1 s; refilling one takes milliseconds)."""
        self.cases = CaseLoader(self)
        self.assistant = Assistant(self)
        """Refinement, tracking and MR suggestions, run off the GUI thread."""
        self.hanging = Hanging(self)
        """What the canvas shows at each step (film to read; MR to grade) and the series held."""
        self.actions = ReaderActions(self)
        """What the reader's keys and buttons do (bound on the viewer here)."""
        application = QApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.flush)
        viewer.layers.events.inserted.connect(self.arrivals.on_inserted)
        viewer.layers.events.removed.connect(self._on_layer_removed)
        for layer in list(viewer.layers):
            self.arrivals.attach(layer)
        freeze_startup_objects()  # napari's objects out of every full collection

    # --- the read -----------------------------------------------------------------------------
    @property
    def session(self) -> ReadingSession | None:
        """The read in progress (None when no case is open)."""
        return self.lifecycle.session

    @property
    def read_state(self) -> ReadState:
        """The open read's status and version in the store."""
        return self.lifecycle.state

    def new_session(
        self,
        subject: str = "",
        visit: str = "",
        label: str = "",
        case_id: str | None = None,
        items: tuple[str, ...] | None = None,
        repeat: int = 0,
    ) -> ReadingSession:
        """Start (or resume from the store's draft) the read of ``subject`` at ``visit`` (a file
        opened with File > Open) or, blinded, of the worklist case ``case_id`` (its reading id)
        with the grading ``items`` the store gave for it."""
        self.close_session()
        session = ReadingSession(
            self.protocol, self.reader_id, subject, visit, label,
            reading_id=case_id or "", items=items, repeat=repeat,
        )  # fmt: skip
        self.case_id = case_id
        self.lifecycle.open(session)
        session.subscribe(self._on_session_changed)
        self.session_replaced.emit()
        return session

    def close_session(self, and_remove: Sequence[Layer] = ()) -> None:
        """Save the draft and take its corner layers away, with the layers ``and_remove``.

        One batch, with the layers the widgets made for the read (:meth:`retire`): napari
        collects garbage after removing layers (0.1-0.2 s here), once per batch. The layers
        made through :attr:`pool` stay for the next read, hidden (:meth:`LayerPool.keep`).
        """
        if self.session is not None:
            self.flush()
        retired = [layer for overlay in self.overlays.values() for layer in overlay.detach()]
        retired += and_remove
        self.overlays.clear()
        for image in self.images.values():
            image.events.visible.disconnect(self._on_film_visibility)
        self.images.clear()
        self.lifecycle.close()
        self.case_id = None
        self.hanging.clear()
        self._retiring = retired
        try:
            self.session_replaced.emit()  # the widgets retire the layers they made for it
        finally:
            retiring, self._retiring = self._retiring, None
        self.remove_layers(self.pool.keep(retiring))

    def retire(self, layers: Sequence[Layer]) -> None:
        """Take a read's layers away: while :meth:`close_session` closes it, with the rest of
        the read in its one batch (each batch ends in a full garbage collection); else now."""
        if self._retiring is None:
            self.remove_layers(layers)
        else:
            self._retiring += layers

    def remove_layers(self, layers: Sequence[Layer]) -> None:
        """Take those of ``layers`` still in the viewer away, in one batch."""
        present = {id(layer): layer for layer in layers if layer in self.viewer.layers}
        if present:
            with self.viewer.layers.batched_update():
                for layer in present.values():
                    self.viewer.layers.remove(layer)

    def attach_film(self, image: Image) -> Film:
        """Read corners on this radiograph layer (starting a read for its subject and visit).

        The film's corner and line layers are made when it is shown (now, if it is visible),
        a moment later, so that the film itself is on screen first.
        """
        info = ImageInfo.from_metadata(image.metadata)
        if info is None or info.kind != "radiograph":
            raise SpineEndpointsError(
                f"layer {image.name!r} is not a radiograph opened by spine-endpoints",
                fix="Open the film with File > Open (plugin spine-endpoints) or the worklist.",
            )
        if not self.same_case(info):
            if info.reading_id:
                raise SpineEndpointsError(
                    f"layer {image.name!r} is a film of case {info.reading_id}, not of the read "
                    "open", fix="Open the case from the worklist.",
                )  # fmt: skip
            self.new_session(info.subject, self.visit_id(info.visit))
        session = self.session
        assert session is not None
        film = info.film or Film.NEUTRAL
        if self.images.get(film) is image:
            return film
        session.add_film(info)
        session.restore_film(film)
        self.images[film] = image
        image.events.visible.connect(self._on_film_visibility)
        if image.visible:
            self.after_next_frame(lambda: self._overlay_if_open(film, image))
        self.changed.emit()
        return film

    def hold_film(self, image: Image) -> None:
        """Attach a film of the open case without adding it to the viewer: it comes in when
        the reader shows it (:meth:`put_in_film`)."""
        self.arrivals.attach_or_say(image)

    def put_in_film(self, film: Film) -> Image:
        """The film's layer, added on top of the viewer's layers if it was held out of it."""
        image = self.images[film]
        if image not in self.viewer.layers:
            self.viewer.add_layer(image)
        return image

    def overlay(self, film: Film) -> FilmOverlay:
        """The corner and line layers of an attached film (made on first use, the film put in
        the viewer first)."""
        if film not in self.overlays:
            if self.session is None or film not in self.images:
                raise KeyError(f"no {film.value} film is open in this read")
            placement = self.session.placements[film]
            image = self.put_in_film(film)
            self.overlays[film] = FilmOverlay(
                self.viewer, image, placement, self.session.disc_levels,
                self.session.proposals[film], pool=self.pool,
            )  # fmt: skip
            self.changed.emit()
        return self.overlays[film]

    def after_next_frame(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the window has put its next frame on screen (see
        :func:`~napari_spine_endpoints._qt.frames.after_next_frame`)."""
        after_next_frame(self.viewer, callback)

    @property
    def places_corners(self) -> bool:
        """The open read has corners to place (a protocol with disc levels), not grades only."""
        return self.session is not None and bool(self.session.disc_levels)

    def _overlay_if_open(self, film: Film, image: Image) -> None:
        shown = self.images.get(film) is image and image in self.viewer.layers
        if shown and self.places_corners and film not in self.overlays:
            self.overlay(film)  # the film's first frame: its corners, active
            self.hanging.reassert()

    def _on_film_visibility(self, event: Any) -> None:
        for film, image in self.images.items():
            if image is event.source and image.visible and self.places_corners:
                self.overlay(film)

    def same_case(self, info: ImageInfo) -> bool:
        """The image belongs to the open read: the same worklist case (reading id), or, for a
        file opened with File > Open, the same subject and visit."""
        session = self.session
        if session is None:
            return False
        if session.reading_id or info.reading_id:
            return session.reading_id == info.reading_id
        return (session.subject, session.visit) == (info.subject, self.visit_id(info.visit))

    def visit_id(self, time_point: str) -> str:
        """The protocol's visit id for a (0012,0050) value (:meth:`Protocol.visit_id`: 'Month 6'
        -> 'month_6'); the value itself when none matches."""
        return self.protocol.visit_id(time_point) or time_point

    @property
    def active_film(self) -> Film | None:
        """The film whose image, lines or corners layer is selected (else the first attached)."""
        layer = self.viewer.layers.selection.active
        for film, overlay in self.overlays.items():
            if layer in (overlay.points, overlay.lines, overlay.proposals.layer):
                return film
        for film, image in self.images.items():
            if layer is image:
                return film
        return next(iter(self.overlays), next(iter(self.images), None))

    def select_film(self, film: Film) -> None:
        """Make the film's corner layer active (in add mode), so clicks place corners; with no
        corners to place, the film itself. A draft waiting for the autosave is written first."""
        self.flush()
        if not self.places_corners:
            set_visible(self.put_in_film(film), True)
            self.viewer.layers.selection.active = self.images[film]
            self.changed.emit()
            return
        overlay = self.overlay(film)
        self._show_only(film)
        self.viewer.layers.selection.active = overlay.points
        overlay.points.mode = "add"
        self.changed.emit()

    def _show_only(self, film: Film) -> None:
        """One film on screen at the Landmarks step: the chosen film with its corner, line and
        proposal layers; the other films and theirs hidden (flexion and extension side by side
        in napari's grid stay as the grid shows them)."""
        if self.viewer.canvas.grid.enabled:
            set_visible(self.images[film], True)
            return
        for each, image in self.images.items():
            overlay = self.overlays.get(each)
            for layer in [image, *([] if overlay is None else overlay.layers)]:
                if layer in self.viewer.layers:
                    set_visible(layer, each is film)

    # --- saving -------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write a pending draft now (napari closing, a widget going away, a change of film or
        step), after the autosave's write in flight."""
        self.drafts.wait()
        if self._autosave.isActive():
            self._autosave.stop()
            self.save_draft()

    def pause_elapsed(self) -> None:
        """What the reader's pause does (the autosave timer's end): the draft written on the
        draft writer's thread."""
        if self._autosave.isActive():
            self._autosave.stop()
            self.drafts.write_later()

    def watch(self, widget: QWidget) -> None:
        """Flush the draft when ``widget`` is destroyed (its napari window closed)."""
        widget.destroyed.connect(self.flush)

    def save_draft(self) -> None:
        """Write the draft now; see :meth:`ReadLifecycle.save_draft`."""
        self.drafts.wait()
        self.lifecycle.save_draft()

    def submit(self) -> list[str]:
        """Submit the read; returns the problems that block it (empty when submitted)."""
        self.drafts.wait()
        problems = self.lifecycle.submit()
        if not problems:
            self._autosave.stop()  # a pending draft of a submitted read is not saved
            self.changed.emit()
        return problems

    def start_correction(self, reason: str) -> list[str]:
        """Reopen the submitted read as a correction (version n + 1, a draft) with ``reason``;
        returns what prevents it (empty when started). The edits since then are kept in it."""
        self.drafts.wait()
        problems = self.lifecycle.start_correction(reason)
        if not problems:
            self.changed.emit()
        return problems

    def set_window_drag(self, enabled: bool) -> None:
        """Window/level by dragging the mouse (instead of panning), or back."""
        self.window_drag = enabled
        self.window_drag_toggled.emit(enabled)

    # --- worklist cases --------------------------------------------------------------------------
    def open_next_case(self) -> str | None:
        """Open the first case of the worklist still to read (or in draft); its reading id."""
        return self.cases.open_next()

    def open_case(self, reading_id: str, repeat: int = 0) -> Any:
        """Open a worklist case (``repeat`` 1: the reader's repeat read of it) off the GUI thread
        (see :class:`CaseLoader`); the worker."""
        return self.cases.open(reading_id, repeat)

    # --- layers ------------------------------------------------------------------------------
    def _on_layer_removed(self, event: Any) -> None:
        for film, image in list(self.images.items()):
            if event.value is image:
                image.events.visible.disconnect(self._on_film_visibility)
                del self.images[film]
                if film in self.overlays:
                    self.overlays.pop(film).remove()
                self.films_changed.emit()
                self.changed.emit()

    def _on_session_changed(self) -> None:
        self._autosave.start()
        self.changed.emit()
