"""Render the reading workstation with a sample study, corners and measures: docs/workstation.png.

Run under a display (Xvfb on a server)::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/screenshot.py [OUT.png]

It opens DLBP-001 at baseline from sample_dicom/ through the plugin's reader, places the
ground-truth corners on the neutral, flexion and extension films as a reader's clicks would,
and captures the whole window (canvas and dock) with the neutral film and its measures table.
The read goes to a throw-away store in a temporary folder.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
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
    films = [str(study / f"DX_lateral_{film}.dcm") for film in ("neutral", "flexion", "extension")]
    viewer.open(films, plugin="spine-endpoints", stack=False)

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
    viewer.close()
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    print(main(target))
