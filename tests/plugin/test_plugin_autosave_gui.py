"""When the workstation writes the draft, driven by real clicks and keys (run under Xvfb).

The draft is written once the reader has paused for ``AUTOSAVE_DELAY_MS`` after the last
change (on the draft writer's thread), and at once when the reader changes film or step, submits,
or closes the case (after the write in flight): a crash loses at most the changes of the last
pause (0.7 s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from napari_spine_endpoints._model.store_link import StoreLink
from napari_spine_endpoints._qt.context import AUTOSAVE_DELAY_MS
from qtpy.QtWidgets import QApplication
from real_input import canvas, click_pixel, click_widget, look_at, press, shown_workstation
from sqlalchemy import select

from imaging.anatomy import Film
from imaging.store.reads import read_content
from imaging.store.schema import Landmark, Read
from imaging.store.store import ReadStore
from imaging.store.vocabulary import ReadStatus

pytestmark = pytest.mark.gui


@pytest.fixture
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pause the reader never reaches (one minute): what these tests say is written at once
    is then written by that action, never by the pause elapsing on a slow or busy machine (a
    click under load, with ``make test``'s two workers, can take longer than 0.7 s)."""
    monkeypatch.setattr("napari_spine_endpoints._qt.context.AUTOSAVE_DELAY_MS", 60_000)


def _neutral(truth: dict[str, Any]) -> dict[str, Any]:
    return dict(next(i for i in truth["images"] if i.get("film") == "neutral"))


def _stored(url: str) -> tuple[str, list[tuple[str, str, float, float]]]:
    """The status and the (vertebra, corner, row, col) of the store's only read."""
    with ReadStore(url) as store, store.reading() as db:
        read = db.scalars(select(Read)).one()
        content = read_content(db, read)
        points = [(p.vertebra, p.corner, p.row, p.col) for p in content.landmarks.values()]
        return str(read.status), sorted(points)


def _click_current(
    qtbot: Any, viewer: Any, widget: Any, image: dict[str, Any]
) -> tuple[float, ...]:
    """A real click where the truth has the corner the workstation asks for; (row, col) placed."""
    context = widget.context
    layer = context.images[Film.NEUTRAL]
    label = context.session.placements[Film.NEUTRAL].current
    corner = image["corners"][label.vertebra.value][label.corner.value]
    pixel = (float(corner["row"]), float(corner["col"]))
    look_at(viewer, layer, pixel, 2.0, (0.0, 0.0))
    click_pixel(qtbot, viewer, layer, pixel)
    return context.session.placements[Film.NEUTRAL].positions[label]


def _opened(make_napari_viewer: Callable[..., Any], study: Path, films: tuple[str, ...]) -> Any:
    viewer, widget = shown_workstation(make_napari_viewer)
    paths = [str(study / f"DX_lateral_{film}.dcm") for film in films]
    viewer.open(paths, plugin="spine-endpoints", stack=False)
    context = widget.context
    widget.tabs.setCurrentWidget(widget.landmarks)
    context.select_film(Film.NEUTRAL)
    QApplication.processEvents()
    return viewer, widget


def _all_but_the_last_corner(context: Any, truth: dict[str, Any]) -> Any:
    """Every neutral corner but the last one and every grade set, and saved; the placement."""
    image, session = _neutral(truth), context.session
    placement = session.placements[Film.NEUTRAL]
    while len(placement.missing()) > 1:
        label = placement.current
        corner = image["corners"][label.vertebra.value][label.corner.value]
        placement.place(float(corner["row"]), float(corner["col"]))
    for level, items in truth["grades"].items():
        for item in (i for i in session.grades.items_at(level) if i.name in items):
            session.grades.set_grade(level, item.name, str(items[item.name]))
    context.flush()
    return placement


def test_a_clicked_corner_is_in_the_store_once_the_reader_pauses(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer, widget = _opened(make_napari_viewer, study, ("neutral",))
    pause_ms = AUTOSAVE_DELAY_MS * 4  # longer than a click takes on a loaded machine
    widget.context._autosave.setInterval(pause_ms)
    row, col = _click_current(qtbot, viewer, widget, _neutral(truth))
    assert widget.context._autosave.isActive()  # the pause has not elapsed: nothing written
    context = widget.context
    qtbot.waitUntil(
        lambda: not context._autosave.isActive() and context.drafts.idle, timeout=pause_ms * 5
    )
    assert _stored(workstation_env) == ("draft", [("L1", "anterior_superior", row, col)])
    assert context.lifecycle.state.status == ReadStatus.DRAFT


def test_the_autosave_writes_off_the_gui_thread_and_a_submit_waits_for_it(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
    monkeypatch: Any,
) -> None:
    """The pause's write runs on the draft writer's thread; a submit sent while it is still
    writing waits for it, and the read ends submitted (the late outcome does not undo that)."""
    viewer, widget = _opened(make_napari_viewer, study, ("neutral",))
    context = widget.context
    image = _neutral(truth)
    placement = _all_but_the_last_corner(context, truth)
    threads: list[str] = []
    draft_writer = StoreLink.draft_writer

    def slow_writer(self: StoreLink, session: Any) -> Any:
        write = draft_writer(self, session)

        def slow() -> Any:
            threads.append(threading.current_thread().name)
            time.sleep(0.5)  # a write still in flight when the reader submits
            return write()

        return slow

    monkeypatch.setattr(StoreLink, "draft_writer", slow_writer)
    context._autosave.setInterval(0)  # the pause elapses at once
    last = placement.current
    row, col = _click_current(qtbot, viewer, widget, image)  # the last corner
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert not context.drafts.idle  # writing on its thread
    press(qtbot, canvas(viewer), "Control-Shift-Enter")
    QApplication.processEvents()
    assert threads[0].startswith("draft-writer")
    status, points = _stored(workstation_env)
    assert status == ReadStatus.SUBMITTED and len(points) == len(placement.labels)
    assert (last.vertebra.value, last.corner.value, row, col) in points
    assert context.drafts.idle


def test_a_corner_clicked_then_submitted_at_once_is_in_the_submitted_read(
    no_pause: None,
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer, widget = _opened(make_napari_viewer, study, ("neutral",))
    context = widget.context
    image = _neutral(truth)
    placement = _all_but_the_last_corner(context, truth)
    last = placement.current
    row, col = _click_current(qtbot, viewer, widget, image)
    assert context._autosave.isActive()  # the last corner is not in the stored draft yet
    press(qtbot, canvas(viewer), "Control-Shift-Enter")  # submit before the pause elapses
    status, points = _stored(workstation_env)
    assert status == ReadStatus.SUBMITTED
    assert (last.vertebra.value, last.corner.value, row, col) in points
    assert len(points) == len(placement.labels)


def test_changing_film_or_step_writes_the_draft_at_once(
    no_pause: None,
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer, widget = _opened(make_napari_viewer, study, ("neutral", "flexion"))
    context = widget.context
    image = _neutral(truth)
    first = _click_current(qtbot, viewer, widget, image)
    assert context._autosave.isActive()
    context.select_film(Film.FLEXION)  # another film: the pending draft is written first
    assert not context._autosave.isActive()
    assert _stored(workstation_env)[1] == [("L1", "anterior_superior", *first)]

    context.select_film(Film.NEUTRAL)
    second = _click_current(qtbot, viewer, widget, image)
    assert context._autosave.isActive()
    bar = widget.tabs.tabBar()
    click_widget(qtbot, bar, bar.tabRect(widget.tabs.indexOf(widget.grades)).center())
    assert widget.tabs.currentWidget() is widget.grades
    assert not context._autosave.isActive()  # the Grades step: written at once
    assert _stored(workstation_env)[1] == sorted(
        [("L1", "anterior_superior", *first), ("L1", "posterior_superior", *second)]
    )


def test_closing_the_case_writes_the_draft(
    no_pause: None,
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
) -> None:
    viewer, widget = _opened(make_napari_viewer, study, ("neutral",))
    row, col = _click_current(qtbot, viewer, widget, _neutral(truth))
    assert widget.context._autosave.isActive()
    widget.context.close_session()
    assert _stored(workstation_env) == ("draft", [("L1", "anterior_superior", row, col)])


def test_a_worklist_case_autosave_writes_the_new_corner_only(
    no_pause: None,
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
    landmark_writes: Callable[[], Any],
) -> None:
    """A blinded case names its films by tokens; the store keeps their UIDs: the draft saved
    after the second click keeps the first corner's row and adds one."""
    viewer, widget = shown_workstation(make_napari_viewer)
    context = widget.context
    assert widget.worklist.register_folder(study) > 0
    assert context.open_next_case() is not None
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)
    # the case fully loaded: the series arriving re-hang the step, which writes a pending draft
    qtbot.waitUntil(lambda: len(context.hanging.series) == 2, timeout=20000)
    context.select_film(Film.NEUTRAL)
    image = _neutral(truth)
    _click_current(qtbot, viewer, widget, image)
    context.flush()  # the reader pauses
    _click_current(qtbot, viewer, widget, image)
    with landmark_writes() as written:
        context.flush()
    assert written == ["INSERT"]  # the second corner, nothing rewritten
    with ReadStore(workstation_env) as store, store.reading() as db:
        corners = db.scalars(select(Landmark.corner)).all()
    assert sorted(corners) == ["anterior_superior", "posterior_superior"]
