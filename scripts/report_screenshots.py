"""Screenshots of the report on the sample archive, for the README: docs/report.png (continuous
endpoints), docs/report-cohort.png (the cohort's change-from-baseline plots),
docs/report-subject.png (a subject page: visits and films with their corners) and
docs/report-subject-measures.png (its measures over visits).

Runs ``spine-endpoints batch sample_dicom --report`` into a temporary folder, then headless
Chromium (``chromium`` on the PATH; ``apt-get install chromium``)::

    .venv/bin/python scripts/report_screenshots.py [DOCS_FOLDER]

No display is needed. Tests do not need Chromium.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = (
    # (file, page, fragment, window width x height in CSS pixels)
    ("report.png", "report.html", "continuous", (1200, 1400)),
    ("report-cohort.png", "report.html", "cohort-L4-L5", (1200, 640)),
    ("report-subject-measures.png", "subjects/DLBP-003.html", "measures", (1200, 1000)),
    ("report-subject.png", "subjects/DLBP-003.html", "", (1200, 1500)),
)


def main(docs: Path = ROOT / "docs") -> list[Path]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is not on the PATH: apt-get install chromium")
    from imaging.cli import main as cli

    out = Path(tempfile.mkdtemp(prefix="spine-endpoints-report-")) / "out"
    with redirect_stdout(StringIO()):
        cli(["batch", str(ROOT / "sample_dicom"), "--out", str(out), "--report"])
    written = []
    for name, page, fragment, (width, height) in SHOTS:
        target = docs / name
        # Headless Chromium paints a page scrolled to its #fragment blank: frame it instead.
        frame = out / f"_{name}.html"
        source = page + (f"#{fragment}" if fragment else "")
        frame.write_text(
            f'<!DOCTYPE html><body style="margin:0"><iframe src="{source}" '
            f'style="border:0;width:{width}px;height:{height}px"></iframe></body>'
        )
        url = frame.resolve().as_uri()
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--virtual-time-budget=10000", f"--screenshot={target}",
             f"--window-size={width},{height}", url],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        written.append(target)
    shutil.rmtree(out.parent, ignore_errors=True)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"):
        print(path)
