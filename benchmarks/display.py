"""Benchmarks that show napari's window need a display: without one (a Linux server), run the
benchmark again under ``xvfb-run`` (a 1920 x 1080 virtual screen)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable


def with_display(run: Callable[[], int], module: str) -> int:
    """``run()`` when there is a display; else ``python -m module`` under ``xvfb-run``, its exit
    status (1, saying why, when Xvfb is not installed)."""
    if not os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            print("needs a display: install xvfb (xvfb-run) or run on a desktop; not measured")
            return 1
        command = [xvfb, "-a", "-s", "-screen 0 1920x1080x24", sys.executable, "-m", module]
        return subprocess.run(command, check=False).returncode
    return run()
