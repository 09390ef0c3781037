"""What the reader's keys and buttons do in the workstation, bound once per viewer.

:class:`ReaderActions` binds every shortcut of :data:`SHORTCUT_BY_ACTION` on the viewer (the
keys the Shortcuts list shows) and holds the actions the widgets' buttons call too: move through
the corners, skip one with the reason chosen, undo and redo on the active film, a grade key on
the MR, the next or previous level, submit and open the next case (once tracking or refinement
has finished: their corners are part of the read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from napari.utils.notifications import show_info

from napari_spine_endpoints._model.session import ReadingSession
from napari_spine_endpoints._model.shortcuts import SHORTCUT_BY_ACTION

if TYPE_CHECKING:
    from napari_spine_endpoints._qt.context import ReadingContext


def key_handler(action: Callable[[], object]) -> Callable[[Any], None]:
    """A napari key binding (called with the viewer or a layer) that runs ``action``."""

    def handler(_viewer: Any) -> None:
        action()

    return handler


class ReaderActions:
    """The reader's actions on one context; installs its shortcuts on the viewer."""

    def __init__(self, context: ReadingContext) -> None:
        self.context = context
        self._submit_waiting: ReadingSession | None = None
        """The read whose submit waits for an assist job (see :meth:`submit_and_next`)."""
        assistant, hanging = context.assistant, context.hanging
        self.bound: dict[str, Callable[[], object]] = {
            "next_corner": lambda: self.placement_action("next_corner"),
            "previous_corner": lambda: self.placement_action("previous_corner"),
            "skip_corner": self.skip_corner,
            "next_level": self.next_level,
            "previous_level": self.previous_level,
            "window_drag": lambda: context.set_window_drag(not context.window_drag),
            "submit_next": self.submit_and_next,
            "refine": lambda: assistant.refine(),
            "accept_proposals": lambda: assistant.accept_confident(),
            "reject_proposals": lambda: assistant.reject_all(),
            "track": lambda: assistant.track(),
            "track_dynamic": lambda: assistant.track_dynamic(),
            "undo": lambda: self.undo(redo=False),
            "redo": lambda: self.undo(redo=True),
            "show_t1": lambda: hanging.toggle_t1(),
        }
        """Each shortcut's action, by its name in :data:`SHORTCUT_BY_ACTION`."""
        for name, action in self.bound.items():
            key = SHORTCUT_BY_ACTION[name].key
            context.viewer.bind_key(key, key_handler(action), overwrite=True)

    def placement_action(self, method: str) -> None:
        """Call ``next_corner``, ``previous_corner`` or ``next_level`` on the active film."""
        film, session = self.context.active_film, self.context.session
        if film is not None and session is not None:
            getattr(session.placements[film], method)()

    def undo(self, redo: bool = False) -> None:
        """Undo (or redo) the last change to the active film's corners."""
        film, session = self.context.active_film, self.context.session
        if film is None or session is None:
            return
        placement = session.placements[film]
        if not (placement.redo() if redo else placement.undo()):
            what = "redo" if redo else "undo"
            self.context.message.emit(f"Nothing to {what} on the {film.value} film")

    def grade_key(self, key: str) -> None:
        """A grade key pressed on the MR: the current item's grade, then the next item."""
        session = self.context.session
        form = None if session is None else session.grades
        if form is None:
            return
        item = form.current_item
        try:
            level, name, grade = form.grade_by_key(key)
        except ValueError as error:
            self.context.message.emit(f"{form.current_level} {item.name}: {error}")
            return
        self.context.message.emit(f"{level} {name}: {grade.code} ({grade.label})")

    def skip_corner(self) -> None:
        """Skip the corner asked for on the active film, with the reason chosen."""
        film, session = self.context.active_film, self.context.session
        if film is None or session is None:
            return
        placement = session.placements[film]
        if placement.current is not None:
            placement.skip(self.context.skip_reason)

    def next_level(self) -> None:
        self.placement_action("next_level")
        session = self.context.session
        if session is not None and session.grades is not None:
            session.grades.next_level()

    def previous_level(self) -> None:
        session = self.context.session
        if session is not None and session.grades is not None:
            session.grades.previous_level()

    def submit_and_next(self) -> None:
        """Submit; when it worked, open the next case of the worklist. While tracking or
        refinement runs (their corners are part of the read), once it has finished."""
        context = self.context
        session = context.session
        if session is not None and context.assistant.busy:
            context.message.emit(
                "Submitting once tracking has finished (its corners are in the read)"
            )
            if self._submit_waiting is not session:
                self._submit_waiting = session
                context.assistant.when_idle(lambda: self._submit_when_done(session))
            return
        problems = context.submit()
        if problems:
            context.message.emit("Not submitted:\n" + "\n".join(problems))
            show_info("Not submitted: " + problems[0])
            return
        context.open_next_case()

    def _submit_when_done(self, session: ReadingSession) -> None:
        if self._submit_waiting is session:
            self._submit_waiting = None
            if self.context.session is session:  # not another case meanwhile
                self.submit_and_next()
