"""Render the reading workstation with a sample study, corners and measures: docs/workstation.png,
and the plugin README's steps: docs/plugin-landmarks.png, docs/plugin-grades.png and
docs/plugin-read-summary.png.

Run under a display (Xvfb on a server)::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/screenshot.py [OUT.png]

It opens DLBP-001 at baseline from sample_dicom/ through the plugin's reader, places the
ground-truth corners on the neutral, flexion and extension films as a reader's clicks would,
and captures the whole window (canvas and dock) with the neutral film and its measures table
(OUT.png, default docs/workstation.png). Beside OUT.png it then writes the Landmarks step zoomed
on the lumbar spine (each level's height, loss and angle on the film, the scale bar), the
Grades step with the sample's grades, and the read summary the "Read summary..." button writes,
rendered by headless Chromium (``chromium`` on the PATH; skipped, with a message, without it).
The read goes to a throw-away store in a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "workstation.png"


def main(out: Path = DEFAULT_OUT) -> Path:
    scratch = tempfile.mkdtemp(prefix="spine-endpoints-screenshot-")
    os.environ.setdefault("SPINE_ENDPOINTS_STORE", f"sqlite:///{scratch}/store.db")
    os.environ.setdefault("SPINE_ENDPOINTS_READER", "reader-1")
    os.environ.setdefault("SPINE_ENDPOINTS_SAMPLES", str(ROOT / "sample_dicom"))

    import napari
    from napari_spine_endpoints._qt.workstation import WorkstationWidget
    from napari_spine_endpoints._sample_data import study_folder
    from qtpy.QtWidgets import QApplication

    from imaging.anatomy import Film

    study = study_folder()
    truth = json.loads((study / "ground_truth.json").read_text())
    viewer = napari.Viewer(title="spine-endpoints reading workstation")
    viewer.window.resize(1880, 1040)
    workstation = WorkstationWidget(viewer)
    viewer.window.add_dock_widget(workstation, name="Reading workstation", area="right")
    viewer.open(str(study), plugin="spine-endpoints")  # the films, and the MR series hidden

    context = workstation.context
    assert context.session is not None
    for image in truth["images"]:
        if image["modality"] != "DX":
            continue
        film = Film(image["film"])
        context.select_film(film)
        overlay, placement = context.overlay(film), context.session.placements[film]
        while placement.current is not None:
            label = placement.current
            corner = image["corners"][label.vertebra.value][label.corner.value]
            overlay.points.add([corner["row"], corner["col"]])
    for film in (Film.FLEXION, Film.EXTENSION):
        overlay = context.overlay(film)
        for layer in (overlay.image, overlay.lines, overlay.points):
            layer.visible = False
    context.select_film(Film.NEUTRAL)
    workstation.tabs.setCurrentWidget(workstation.landmarks)
    viewer.reset_view()
    for _ in range(5):
        QApplication.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    viewer.screenshot(str(out), canvas_only=False)
    _steps(viewer, workstation, truth, out.parent, Path(scratch))
    viewer.close()
    return out


def _settle() -> None:
    from qtpy.QtWidgets import QApplication

    for _ in range(10):
        QApplication.processEvents()


def _steps(viewer: object, workstation: object, truth: dict, folder: Path, scratch: Path) -> None:
    """The Landmarks step zoomed on the spine, the Grades step and the read summary."""
    from napari_spine_endpoints._qt import summary_action

    from imaging.anatomy import Film

    context = workstation.context  # type: ignore[attr-defined]
    session = context.session
    neutral = next(i for i in truth["images"] if i.get("film") == "neutral")
    rows = [p["row"] for c in neutral["corners"].values() for p in c.values()]
    cols = [p["col"] for c in neutral["corners"].values() for p in c.values()]
    image = context.images[Film.NEUTRAL]
    centre = image.data_to_world(((min(rows) + max(rows)) / 2, (min(cols) + max(cols)) / 2))
    camera = viewer.scene.camera  # type: ignore[attr-defined]
    camera.center = tuple(centre[-2:])
    camera.zoom = 0.85 * camera.zoom * image.data.shape[0] / (max(rows) - min(rows) + 80)
    _settle()
    viewer.screenshot(str(folder / "plugin-landmarks.png"), canvas_only=False)  # type: ignore[attr-defined]

    for level, items in truth["grades"].items():
        for item, code in items.items():
            if session.grades is not None and level in session.grades.levels:
                try:
                    session.grades.set_grade(level, item, str(code))
                except ValueError:  # an item not graded at this visit
                    continue
    workstation.tabs.setCurrentWidget(workstation.grades)  # type: ignore[attr-defined]
    for _ in range(40):  # the series decode in the background
        _settle()
        time.sleep(0.05)
    viewer.screenshot(str(folder / "plugin-grades.png"), canvas_only=False)  # type: ignore[attr-defined]

    os.environ[summary_action.SUMMARIES_ENV_VAR] = str(scratch / "summaries")
    summary_action.OPEN_IN_BROWSER = False
    page = summary_action.write_read_summary(context)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if page is None or browser is None:
        print("no read summary screenshot: chromium is not on the PATH")
        return
    target = folder / "plugin-read-summary.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={target}", "--window-size=1000,1300", page.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    print(main(target))
