"""A reader's own baseline read beside a follow-up case: given only where the protocol unblinds
time order, only the reader's own, never at the baseline itself."""

from __future__ import annotations

import csv
import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from imaging.cli import main
from imaging.errors import StoreError
from imaging.protocol import load_protocol
from imaging.protocol.loader import DEFAULT_PROTOCOL
from imaging.store.baseline_view import own_baseline_of
from imaging.store.store import ReadStore
from imaging.store.worklist import unblinding_map

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"


def _cli(*argv: str) -> None:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        assert main(list(argv)) == 0, out.getvalue()


def stored_baseline(work: Path, reader: str) -> str:
    """A store with DLBP-001's neutral films at baseline and month 6, and ``reader``'s read of
    the baseline (its ground-truth corners); the store's URL."""
    archive = work / "archive"
    for visit in ("baseline", "month_6"):
        folder = archive / "DLBP-001" / visit
        folder.mkdir(parents=True)
        shutil.copy(SAMPLES / "DLBP-001" / visit / "DX_lateral_neutral.dcm", folder)
    with (SAMPLES / "landmarks.csv").open(newline="") as stream:
        rows = [
            {**r, "reader": reader, "image": str(archive / r["image"])}
            for r in csv.DictReader(stream)
            if (r["subject"], r["visit"], r["film"]) == ("DLBP-001", "baseline", "neutral")
        ]
    landmarks = work / "landmarks.csv"
    with landmarks.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    url = f"sqlite:///{work / 'reads.db'}"
    _cli("register", str(archive), "--store", url, "--actor", "test")
    _cli("landmarks", "import", str(landmarks), "--store", url, "--actor", "test")
    return url


def allowing_protocol(folder: Path) -> Path:
    """The DLBP protocol with ``show_own_baseline = true``."""
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    path = folder / "unblinded.toml"
    path.write_text(text.replace("[reading]\n", "[reading]\nshow_own_baseline = true\n", 1))
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str], Path]:
    if not (SAMPLES / "landmarks.csv").is_file():
        pytest.skip("sample_dicom/ is not generated")
    work = tmp_path_factory.mktemp("baseline")
    url = stored_baseline(work, "reader-a")
    with ReadStore(url) as opened, opened.reading() as db:
        ids = {visit: rid for rid, (_subject, visit) in unblinding_map(db).items()}
    return url, ids, allowing_protocol(work)


def test_the_readers_own_baseline_corners_come_with_the_follow_up_case(
    store: tuple[str, dict[str, str], Path],
) -> None:
    url, ids, protocol = store
    with ReadStore(url) as opened, opened.reading() as db:
        view = own_baseline_of(db, "reader-a", load_protocol(protocol), reading_id=ids["month_6"])
        (film,) = view.images.films()
    assert view.version == 1 and view.status == "submitted"
    assert len(view.content.landmarks) == 22
    assert {p.image for p in view.content.landmarks.values()} == {film.token}  # blinded tokens
    assert film.film is not None and film.film.value == "neutral"


@pytest.mark.parametrize(
    ("reader", "visit", "allowed", "reason"),
    [
        ("reader-a", "month_6", False, "keeps reads blinded to time order"),
        ("reader-b", "month_6", True, "reader reader-b has no baseline read of this case's"),
        ("reader-a", "baseline", True, "this case is the baseline"),
    ],
)
def test_the_baseline_is_refused_with_the_reason(
    store: tuple[str, dict[str, str], Path], reader: str, visit: str, allowed: bool, reason: str
) -> None:
    url, ids, protocol = store
    chosen = load_protocol(protocol if allowed else None)
    with ReadStore(url) as opened, opened.reading() as db, pytest.raises(StoreError) as refused:
        own_baseline_of(db, reader, chosen, reading_id=ids[visit])
    assert reason in str(refused.value)


@pytest.mark.gui
def test_baseline_beside_shows_the_readers_own_baseline_corners_at_the_same_level(
    make_napari_viewer: Any, store: tuple[str, dict[str, str], Path], qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A real click on "Baseline beside" in a month-6 case: the reader's baseline film and
    corners on the left, this visit's film on the right, the disc in view at the same place."""
    import json

    from napari_spine_endpoints._qt.baseline_panel import disc_centre
    from napari_spine_endpoints._qt.workstation import WorkstationWidget
    from real_input import click_widget

    from imaging.anatomy import DiscLevel, Film

    url, ids, protocol = store
    monkeypatch.setenv("SPINE_ENDPOINTS_STORE", url)
    monkeypatch.setenv("SPINE_ENDPOINTS_READER", "reader-a")
    monkeypatch.setenv("SPINE_ENDPOINTS_PROTOCOL", str(protocol))
    viewer = make_napari_viewer(show=True)
    widget = WorkstationWidget(viewer)
    viewer.window.add_dock_widget(widget)
    context = widget.context
    context.open_case(ids["month_6"])
    qtbot.waitUntil(lambda: Film.NEUTRAL in context.overlays, timeout=20000)
    truth = json.loads((SAMPLES / "DLBP-001" / "month_6" / "ground_truth.json").read_text())
    corners = next(i for i in truth["images"] if i.get("film") == "neutral")["corners"]
    session = context.session
    assert session is not None
    overlay, placement = context.overlay(Film.NEUTRAL), session.placements[Film.NEUTRAL]
    while placement.current is not None:  # this visit's corners, as clicks in add mode add them
        label = placement.current
        point = corners[label.vertebra.value][label.corner.value]
        overlay.points.add([point["row"], point["col"]])

    button = widget.landmarks.on_image.baseline
    click_widget(qtbot, button)
    assert button.isChecked(), widget.status.text()
    baseline, _lines, points = button.layers
    assert len(points.data) == 22 and not points.editable  # the baseline read, read-only
    assert viewer.canvas.grid.enabled
    level = DiscLevel(session.grades.current_level if session.grades else "L1-L2")
    here = disc_centre(placement.positions, level)
    there = disc_centre(button.corners, level)
    assert here is not None and there is not None
    image = context.images[Film.NEUTRAL]
    world_here = np.asarray(image.data_to_world(here))[-2:]
    world_there = np.asarray(baseline.data_to_world(there))[-2:]
    np.testing.assert_allclose(world_here, world_there, atol=1e-6)  # the same level, same place

    click_widget(qtbot, button)  # back to the follow-up alone
    assert not viewer.canvas.grid.enabled and baseline not in viewer.layers
    assert image.visible
