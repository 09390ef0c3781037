"""Python's full garbage collections leave out the objects napari holds for good (``gc.freeze``).

A napari window with the workstation holds about 400,000 Python objects (Qt wrappers, vispy
visuals, event connections, modules). Every full (generation 2) collection walks all of them:
about 180 ms here, started by Python itself whenever enough new objects have survived, e.g. in
the middle of a corner click that makes a layer. Frozen once, when the first workstation widget
starts (after one full collection, so no garbage is frozen with them), they are left out of every
later collection, which then walks only what was made since (about 25 ms: a case's layers, the
read). Objects made after that, such as each case's layers, are collected as usual; a frozen
object that becomes garbage later (a window closed) is not (``gc.unfreeze`` gives them back).
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_objects() -> None:
    """Collect, then freeze every object alive now (once per process)."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()
