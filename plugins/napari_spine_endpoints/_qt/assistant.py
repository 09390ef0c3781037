"""Assisted measurement in the workstation: refinement, tracking and MR suggestions off the GUI
thread.

One :class:`Assistant` per :class:`ReadingContext`. Each job copies what it needs on the GUI
thread (the film's pixels and a snapshot of its corners), runs in a napari worker
(:func:`napari.qt.threading.create_worker`), and hands its result back on the GUI thread to the
model (:class:`ProposalSet`, :class:`Suggestions`), which drops anything made stale meanwhile
(a corner dragged, another case opened). The widgets and the keyboard shortcuts call the same
methods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from napari.layers import Image
from napari.qt.threading import create_worker
from napari.utils.notifications import show_warning
from qtpy.QtCore import QObject, QTimer, Signal

from imaging.anatomy import Film
from imaging.assist import ReferenceFilm
from imaging.errors import SpineEndpointsError
from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._model.placement import CornerLabel
from napari_spine_endpoints._model.refining import auto_refine_targets, refine, refinement_request
from napari_spine_endpoints._model.session import ReadingSession
from napari_spine_endpoints._model.suggestions import suggest, suggestion_request
from napari_spine_endpoints._model.tracking import (
    TrackingOutcome,
    default_target,
    dynamic_targets,
    track,
    tracking_request,
)

if TYPE_CHECKING:
    from napari_spine_endpoints._qt.context import ReadingContext


class Assistant(QObject):
    """Starts assist jobs and applies their results; ``busy`` while any runs."""

    tracked = Signal()
    """A tracking finished (see :attr:`tracking`)."""
    suggested = Signal()
    busy_changed = Signal(bool)
    films_finished = Signal()
    """After :meth:`track_dynamic`: every corner of every film is placed or accepted (the
    workstation moves on to the Grades step, if it is not there yet)."""
    dynamic_tracking_started = Signal()
    """:meth:`track_dynamic` started: the workstation goes on to the Grades step at once, the
    tracked corners land on their films when found (the reader grades meanwhile)."""

    def __init__(self, context: ReadingContext) -> None:
        super().__init__()
        self.context = context
        self.auto_refine = False
        """Refine each vertebra's clicks as soon as its corners are all placed."""
        self.tracking: TrackingOutcome | None = None
        self._finishing = False
        """:meth:`track_dynamic` ran for this read: announce when its films are all done."""
        self._workers: list[Any] = []
        self._in_flight: dict[Film, set[CornerLabel]] = {}
        self._when_idle: list[Callable[[], None]] = []
        context.changed.connect(self._maybe_auto_refine)
        context.changed.connect(self._maybe_finished)
        self.busy_changed.connect(self._maybe_finished)
        context.session_replaced.connect(self._forget)

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    # --- refinement --------------------------------------------------------------------------
    def refine(
        self,
        film: Film | None = None,
        labels: Iterable[CornerLabel] | None = None,
        *,
        apply_confident: bool = False,
    ) -> Any:
        """Refine the film's corners (default: the active film, every click not yet decided);
        the started worker, or None when there is nothing to refine."""
        session, film = self.context.session, film or self.context.active_film
        if session is None or film is None or film not in self.context.images:
            self.context.message.emit("Refine: open a film and place its corners first")
            return None
        waiting = set(session.proposals[film].pending) | self._in_flight.get(film, set())
        request = refinement_request(
            session.placements[film], session.films[film], labels, waiting=waiting
        )
        if request is None:
            if not apply_confident:
                self.context.message.emit(f"Refine: no click to refine on the {film.value} film")
            return None
        pixels = self.context.images[film].data
        flight = self._in_flight.setdefault(film, set())
        flight.update(request.targets)

        def done(proposals: Any) -> None:
            flight.difference_update(request.targets)
            if self._current(session, film):
                outcome = session.proposals[film].offer(proposals, apply_confident=apply_confident)
                self.context.message.emit(
                    f"Refined {len(request.targets)} corner(s) of the {film.value} film: "
                    f"{len(outcome.applied)} applied, {len(outcome.pending)} waiting for you, "
                    f"{len(outcome.not_offered)} without a proposal"
                )

        def failed() -> None:
            flight.difference_update(request.targets)

        return self._start(refine, (pixels, request), done, "Refinement", failed)

    def accept_confident(self, film: Film | None = None) -> None:
        session, film = self.context.session, film or self.context.active_film
        if session is None or film is None or film not in session.proposals:
            return
        applied, left = session.proposals[film].accept_confident()
        note = f"; {len(left)} low-confidence or poorly matched left to you" if left else ""
        self.context.message.emit(f"Accepted {len(applied)} proposal(s){note}")

    def reject_all(self, film: Film | None = None) -> None:
        session, film = self.context.session, film or self.context.active_film
        if session is not None and film is not None and film in session.proposals:
            session.proposals[film].reject_all()

    def _maybe_auto_refine(self) -> None:
        session, film = self.context.session, self.context.active_film
        if not self.auto_refine or session is None or film is None:
            return
        if film not in self.context.images:
            return
        flight = self._in_flight.get(film, set())
        targets = [x for x in auto_refine_targets(session.placements[film]) if x not in flight]
        if targets:
            self.refine(film, targets, apply_confident=True)

    # --- tracking ----------------------------------------------------------------------------
    def track(
        self,
        source: Film | None = None,
        target: Film | None = None,
        *,
        apply_confident: bool = False,
        reference: ReferenceFilm | None = None,
    ) -> Any:
        """Track the source film's vertebrae (default: the active film) onto ``target``
        (default: the other dynamic film); with ``apply_confident`` the well matched corners are
        applied at once (``tracked``), the poorly matched ones wait. ``reference``: the source
        film prepared once for several trackings (:meth:`track_dynamic`). The started worker,
        or None."""
        context, session = self.context, self.context.session
        source = source or context.active_film
        if session is None or source is None:
            context.message.emit("Track: open the films and place the corners on one of them")
            return None
        target = target or default_target(source, set(context.images))
        if target is None or target not in context.images or target is source:
            context.message.emit(f"Track: open another dynamic film than {source.value}")
            return None
        try:
            request = tracking_request(
                source, session.placements[source], session.films[source],
                target, session.placements[target], session.films[target],
            )  # fmt: skip
        except (SpineEndpointsError, ValueError) as error:
            context.message.emit(f"Track: {error}")
            return None
        pixels = context.images[source].data if reference is None else reference
        arguments = (pixels, context.images[target].data, request)

        def done(outcome: Any) -> None:
            if not self._current(session, target):
                return
            self.tracking = outcome
            offered = session.proposals[target].offer(
                outcome.proposals, apply_confident=apply_confident
            )
            poor = "; ".join(
                f"POOR MATCH {m.vertebra.value}: {m.reason}" for m in outcome.poor_matches
            )
            applied = f"{len(offered.applied)} applied, " if apply_confident else ""
            waiting = " waiting for you" if apply_confident else " offered"
            context.message.emit(
                f"Tracked {source.value} -> {target.value}: {applied}"
                f"{len(offered.pending)} corner(s){waiting}" + (f"; {poor}" if poor else "")
            )
            if apply_confident and offered.pending:  # the reader may be grading meanwhile
                show_warning(
                    f"{target.value} film: {len(offered.pending)} tracked corner(s) wait for "
                    "you on the Landmarks step" + (f" ({poor})" if poor else "")
                )
            self.tracked.emit()

        return self._start(track, arguments, done, "Tracking")

    def track_dynamic(self) -> list[Any]:
        """One action for the dynamic films: track the neutral film's corners onto flexion and
        onto extension (:meth:`track` each, confident corners applied, poor matches left to the
        reader with the reason); once every corner of every film is placed or accepted,
        :attr:`films_finished`. The started workers (empty when nothing could start)."""
        context, session = self.context, self.context.session
        targets = dynamic_targets(set(context.images))
        if session is None or Film.NEUTRAL not in context.images or not targets:
            context.message.emit(
                "Track flexion and extension: open the neutral film with a flexion or an "
                "extension film and place the neutral film's corners"
            )
            return []
        # The neutral film is prepared once for both (its edges, its bodies measured).
        spacing = session.films[Film.NEUTRAL].calibration.pixel_spacing
        neutral = context.images[Film.NEUTRAL].data
        reference = None if spacing is None else ReferenceFilm(neutral, spacing)
        workers = [
            self.track(Film.NEUTRAL, film, apply_confident=True, reference=reference)
            for film in targets
        ]
        started = [worker for worker in workers if worker is not None]
        self._finishing = bool(started)
        if started:
            self.dynamic_tracking_started.emit()
        return started

    def when_idle(self, callback: Callable[[], None]) -> bool:
        """Run ``callback`` now when no job runs, else once the last one has finished (its
        result applied); True when it ran now."""
        if not self.busy:
            callback()
            return True
        self._when_idle.append(callback)
        return False

    def _maybe_finished(self, *_args: Any) -> None:
        """Announce the films done on the next turn of the event loop: a change to the corners
        is still being drawn when it is reported (the step change hides the films' layers)."""
        if self._finishing and self._films_done():
            QTimer.singleShot(0, self._announce_finished)

    def _films_done(self) -> bool:
        session = self.context.session
        return not self.busy and session is not None and session.corners_done

    def _announce_finished(self) -> None:
        if self._finishing and self._films_done():
            self._finishing = False
            self.films_finished.emit()

    # --- MR suggestions ---------------------------------------------------------------------
    def suggest(self, t2: Image, t1: Image | None) -> Any:
        """Quantify the discs marked on ``t2`` (with ``t1`` when on the same grid)."""
        session = self.context.session
        if session is None or session.disc_centres is None or session.grades is None:
            self.context.message.emit("Suggest: no read is open")
            return None
        info = ImageInfo.from_metadata(t2.metadata)
        spacing = None if info is None else info.calibration.pixel_spacing
        try:
            request = suggestion_request(
                t2.data, None if t1 is None else t1.data, session.disc_centres, spacing
            )
        except ValueError as error:
            self.context.message.emit(f"Suggest: {error}")
            return None
        items = session.grades.items

        def done(result: Any) -> None:
            if self.context.session is session:
                session.suggestions.show(*result)
                self.context.message.emit(
                    f"Suggestions for {', '.join(result[0])}: shown, not set as grades"
                )
                self.suggested.emit()

        return self._start(suggest, (request, items), done, "MR quantification")

    # --- helpers ------------------------------------------------------------------------------
    def _current(self, session: ReadingSession, film: Film) -> bool:
        """The read (and film) a job started for is still the one open."""
        return self.context.session is session and film in session.placements

    def _start(
        self,
        function: Callable[..., Any],
        arguments: tuple[Any, ...],
        done: Callable[[Any], None],
        what: str,
        on_error: Callable[[], None] | None = None,
    ) -> Any:
        worker = create_worker(function, *arguments, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(done)

        def failed(error: Exception) -> None:
            if on_error is not None:
                on_error()
            self.context.message.emit(f"{what} failed: {error}")

        worker.errored.connect(failed)
        worker.finished.connect(lambda: self._finished(worker))
        self._workers.append(worker)
        self.busy_changed.emit(True)
        worker.start()
        return worker

    def _finished(self, worker: Any) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        self.busy_changed.emit(self.busy)
        if not self.busy and self._when_idle:
            waiting, self._when_idle = self._when_idle, []
            for callback in waiting:
                callback()

    def _forget(self) -> None:
        self.tracking = None
        self._when_idle = []
        self._finishing = False
        self._in_flight.clear()
