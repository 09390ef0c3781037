"""One action tracks the neutral read to flexion and extension (run under Xvfb, real events).

After the 22 neutral corners are clicked on the canvas, Shift-D tracks them onto both dynamic
films in the background and uses the confident corners (each labelled ``tracked``); the
workstation goes to the Grades step at once, the reader grades while tracking runs, and a submit
pressed meanwhile waits for it. A dynamic film that does not show the spine leaves its corners
waiting for the reader with the reason, named in the status; once the reader has decided them,
the Grades step follows again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QLabel, QPushButton
from real_input import canvas, click_pixel, click_widget, look_at, press, shown_workstation

from imaging.anatomy import Film
from imaging.assist import ReferenceFilm
from imaging.store.vocabulary import LandmarkUse

pytestmark = pytest.mark.gui


def _open_case(qtbot: Any, widget: Any, study: Path) -> Any:
    """Register the three-film study, open it from the worklist; the context once every film
    is attached."""
    context, worklist = widget.context, widget.worklist
    assert worklist.register_folder(study) > 0  # its images
    opener = next(
        b for b in worklist.findChildren(QPushButton) if b.text().startswith("Open next case")
    )
    click_widget(qtbot, opener)
    qtbot.waitUntil(lambda: len(context.images) == 3 and Film.NEUTRAL in context.overlays,
                    timeout=30000)  # fmt: skip
    assert widget.tabs.currentWidget() is widget.landmarks
    return context


def _truth_pixel(truth: dict[str, Any], film: Film, label: Any) -> tuple[float, float]:
    """Where the ground truth has ``label`` on ``film`` (row, col pixels)."""
    image = next(i for i in truth["images"] if i.get("film") == film.value)
    corner = image["corners"][label.vertebra.value][label.corner.value]
    return (float(corner["row"]), float(corner["col"]))


@pytest.fixture(scope="module")
def month_6(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DLBP-001 at month 6 (the reader-effort benchmark's case): every vertebra of both dynamic
    films well matched from the neutral read. Generated when the samples are not committed."""
    folder = sample_root / "DLBP-001" / "month_6"
    if (folder / "ground_truth.json").is_file():
        return folder
    from imaging.phantom import sample_studies, write_study

    root = tmp_path_factory.mktemp("month_6")
    write_study(next(s for s in sample_studies() if str(s.folder) == "DLBP-001/month_6"), root)
    return root / "DLBP-001" / "month_6"


def test_shift_d_tracks_both_dynamic_films_uses_them_and_shows_grades_at_once(
    make_napari_viewer: Callable[..., Any], workstation_env: str, month_6: Path, qtbot: Any
) -> None:
    viewer, widget = shown_workstation(make_napari_viewer)
    context = _open_case(qtbot, widget, month_6)
    truth = json.loads((month_6 / "ground_truth.json").read_text())
    session = context.session
    image, placement = context.images[Film.NEUTRAL], session.placements[Film.NEUTRAL]
    while placement.current is not None:  # the 22 neutral corners, clicked on the canvas
        pixel = _truth_pixel(truth, Film.NEUTRAL, placement.current)
        look_at(viewer, image, pixel, 2.0, (0.0, 0.0))
        click_pixel(qtbot, viewer, image, pixel)
    assert placement.is_complete and widget.tabs.currentWidget() is widget.landmarks

    press(qtbot, canvas(viewer), "Shift-D")
    assert widget.tabs.currentWidget() is widget.grades  # the reader grades meanwhile
    qtbot.waitUntil(lambda: not context.assistant.busy, timeout=60000)

    for film in (Film.FLEXION, Film.EXTENSION):
        tracked = session.placements[film]
        assert tracked.is_complete, (film, tracked.missing())
        assert {tracked.records[x].used for x in tracked.labels} == {LandmarkUse.TRACKED}
        assert not session.proposals[film].pending
        spacing = session.films[film].calibration.pixel_spacing
        for label, (row, col) in tracked.positions.items():
            want = _truth_pixel(truth, film, label)
            error_mm = np.hypot((row - want[0]) * spacing[0], (col - want[1]) * spacing[1])
            assert error_mm < 1.0, (film, label.text, error_mm)
    assert widget.tabs.currentWidget() is widget.grades
    shown = context.hanging.shown_mr
    assert shown is not None and shown.visible
    assert not any(i.visible for i in context.images.values())  # no film over the MR
    assert not [p for p in session.problems() if "corner" in p]  # only the grades are left
    shortcuts = widget.landmarks.findChildren(QLabel)
    assert any("Shift-D" in label.text() and "flexion and extension" in label.text()
               for label in shortcuts)  # fmt: skip


def test_a_film_without_the_spine_leaves_its_corners_waiting_then_the_grades_step_follows(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    study: Path,
    truth: dict[str, Any],
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An extension film that does not show the spine (noise): its corners wait, each with the
    reason, named in the status; the flexion film's are used. The reader, sent to the Grades
    step while tracking ran, goes back to Landmarks, decides them, and the Grades step follows."""
    from napari_spine_endpoints._qt import assistant

    _viewer, widget = shown_workstation(make_napari_viewer)
    context = _open_case(qtbot, widget, study)
    session, assist = context.session, widget.landmarks.assist
    extension = context.images[Film.EXTENSION]
    noise = np.random.default_rng(4).normal(1000.0, 50.0, extension.data.shape)
    extension.data = noise.astype(extension.data.dtype)
    points, placement = context.overlay(Film.NEUTRAL).points, session.placements[Film.NEUTRAL]
    while placement.current is not None:  # the neutral corners (setting up, not under test)
        points.add(list(_truth_pixel(truth, Film.NEUTRAL, placement.current)))
    told: list[str] = []
    context.message.connect(told.append)
    warned: list[str] = []
    monkeypatch.setattr(assistant, "show_warning", warned.append)

    click_widget(qtbot, assist.track_dynamic)  # the button, this time
    qtbot.waitUntil(lambda: not context.assistant.busy, timeout=60000)

    assert session.placements[Film.FLEXION].is_complete
    waiting = session.proposals[Film.EXTENSION].pending
    assert len(waiting) == 22 and not session.placements[Film.EXTENSION].positions
    assert all(not p.confident and "correlation" in p.reason for p in waiting.values())
    told_extension = [m for m in told if m.startswith("Tracked neutral -> extension")]
    assert len(told_extension) == 1
    assert "0 applied, 22 corner(s) waiting for you; POOR MATCH L1:" in told_extension[0]
    assert len(warned) == 1  # on screen whatever the reader looks at
    assert warned[0].startswith("extension film: 22 tracked corner(s) wait for you on the "
                                "Landmarks step (POOR MATCH L1:")  # fmt: skip
    assert widget.tabs.currentWidget() is widget.grades
    bar = widget.tabs.tabBar()  # back to the corners still to decide
    click_widget(qtbot, bar, bar.tabRect(widget.tabs.indexOf(widget.landmarks)).center())
    assert widget.tabs.currentWidget() is widget.landmarks

    films = widget.landmarks.films  # the reader picks the extension film in the list ...
    click_widget(qtbot, films)
    for _ in range(films.findData(Film.EXTENSION) - films.currentIndex()):
        qtbot.keyClick(films.view(), Qt.Key.Key_Down)
    press(qtbot, films.view(), "Enter")
    assert context.active_film is Film.EXTENSION and assist.proposals.count() == 22
    assist.proposals.selectAll()  # ... and, having looked, accepts every proposal
    click_widget(qtbot, assist.accept_selected)
    extension_corners = session.placements[Film.EXTENSION]
    assert extension_corners.is_complete
    assert {extension_corners.records[x].used for x in extension_corners.labels} == {
        LandmarkUse.TRACKED
    }
    qtbot.waitUntil(lambda: widget.tabs.currentWidget() is widget.grades, timeout=5000)


def test_while_tracking_runs_the_reader_grades_and_a_submit_waits_for_its_corners(
    make_napari_viewer: Callable[..., Any],
    workstation_env: str,
    month_6: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tracking held back (its worker waits until the test lets it go): the Grades step is on
    screen, a grade key sets the grade, and Control-Shift-Enter says the submit waits; once
    tracking lands, each dynamic film gets its own corners and the read is submitted; both
    trackings get the one neutral film, prepared once for both."""
    from napari_spine_endpoints._qt import assistant

    release, real_track = threading.Event(), assistant.track
    sources: list[Any] = []

    def held_track(*args: Any) -> Any:
        sources.append(args[0])
        assert release.wait(60), "the test never let tracking go"
        return real_track(*args)

    monkeypatch.setattr(assistant, "track", held_track)
    viewer, widget = shown_workstation(make_napari_viewer)
    context = _open_case(qtbot, widget, month_6)
    truth = json.loads((month_6 / "ground_truth.json").read_text())
    session = context.session
    points, placement = context.overlay(Film.NEUTRAL).points, session.placements[Film.NEUTRAL]
    while placement.current is not None:  # the neutral corners (setting up, not under test)
        points.add(list(_truth_pixel(truth, Film.NEUTRAL, placement.current)))
    told: list[str] = []
    context.message.connect(told.append)

    qtbot.waitUntil(lambda: context.hanging.t2 is not None, timeout=30000)  # the MR is in
    try:
        press(qtbot, canvas(viewer), "Shift-D")
        assert context.assistant.busy and widget.tabs.currentWidget() is widget.grades
        form = session.grades
        level, item = form.current_level, form.current_item
        code = str(truth["grades"][level][item.name])
        press(qtbot, canvas(viewer), {"I": "1", "II": "2", "III": "3"}.get(code, code))
        assert form.values[(level, item.name)] == code  # graded while tracking runs
        for each_level in form.levels:  # the other grades (setting up, not under test)
            for each in form.items_at(each_level):
                if (each_level, each.name) not in form.values:
                    form.set_grade(
                        each_level, each.name, str(truth["grades"][each_level][each.name])
                    )
        press(qtbot, canvas(viewer), "Control-Shift-Enter")
        assert "Submitting once tracking has finished (its corners are in the read)" in told
        assert not any(m.startswith("Submitted") for m in told)
        assert not session.placements[Film.FLEXION].positions  # nothing tracked yet
    finally:
        release.set()  # never leave the worker waiting
        qtbot.waitUntil(lambda: not context.assistant.busy, timeout=60000)
    qtbot.waitUntil(lambda: any(m.startswith("Submitted") for m in told), timeout=60000)
    for film in (Film.FLEXION, Film.EXTENSION):  # each film its own corners
        tracked = session.placements[film]
        assert tracked.is_complete, (film, tracked.missing())
        spacing = session.films[film].calibration.pixel_spacing
        for label, (row, col) in tracked.positions.items():
            want = _truth_pixel(truth, film, label)
            error_mm = np.hypot((row - want[0]) * spacing[0], (col - want[1]) * spacing[1])
            assert error_mm < 1.0, (film, label.text, error_mm)
    neutral = context.images[Film.NEUTRAL].data
    assert len(sources) == 2 and sources[0] is sources[1]  # one preparation for both films
    assert isinstance(sources[0], ReferenceFilm) and np.array_equal(sources[0].image, neutral)
