"""A case's other images wait for its first film to be on screen, and never for longer than
FIRST_FILM_WAIT_S; a case whose first stage brought no film waits for nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from napari_spine_endpoints._qt import case_loader
from napari_spine_endpoints._qt.case_loader import layers_in_stages


class _Images:
    """CaseImages' stages, without files."""

    def __init__(self, *stages: list[Any]) -> None:
        self._stages = stages

    def stages(self) -> Iterator[list[Any]]:
        yield from self._stages


def _next_in_thread(stages: Iterator[Any]) -> threading.Thread:
    thread = threading.Thread(target=next, args=(stages,), daemon=True)
    thread.start()
    return thread


def test_the_other_images_decode_once_the_first_film_is_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(case_loader, "blinded_layer", lambda image, reading_id: image)
    shown = threading.Event()
    stages = layers_in_stages(_Images(["neutral"], ["flexion"], ["T2"]), "R-1", shown)  # type: ignore[arg-type]
    assert next(stages) == ["neutral"]
    waiting = _next_in_thread(stages)
    waiting.join(0.3)
    assert waiting.is_alive()  # the flexion film waits for the neutral one's frame
    shown.set()
    waiting.join(5)
    assert not waiting.is_alive() and list(stages) == [["T2"]]


def test_the_wait_ends_by_itself_and_a_case_without_a_first_film_never_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(case_loader, "blinded_layer", lambda image, reading_id: image)
    monkeypatch.setattr(case_loader, "FIRST_FILM_WAIT_S", 0.2)
    never = threading.Event()
    stages = layers_in_stages(_Images(["neutral"], ["flexion"]), "R-1", never)  # type: ignore[arg-type]
    start = time.perf_counter()
    assert list(stages) == [["neutral"], ["flexion"]]
    assert time.perf_counter() - start >= 0.2
    monkeypatch.setattr(case_loader, "FIRST_FILM_WAIT_S", 60.0)
    stages = layers_in_stages(_Images([], ["flexion"], ["T2"]), "R-1", never)  # type: ignore[arg-type]
    assert list(stages) == [[], ["flexion"], ["T2"]]  # at once: no film to wait for
