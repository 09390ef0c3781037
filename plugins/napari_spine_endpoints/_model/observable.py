"""The one change-notification mechanism of the reading models (no Qt: plain callbacks)."""

from __future__ import annotations

from collections.abc import Callable


class Observable:
    """Listeners registered with :meth:`subscribe` are called, without arguments, after every
    change the subclass announces with :meth:`_changed`."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()
