"""The Orthanc the DICOMweb tests talk to, and entering its network namespace: imported by name
(``from orthanc_namespace import ...``), not from ``conftest``, whose module name every test
folder shares."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
HTTP_PORT = 18042
USER, PASSWORD = "reader", "pw-Xq7-never-shown"
CLONE_NEWNET = 0x40000000


@dataclass(frozen=True)
class Orthanc:
    pid: int
    url: str  # the DICOMweb root, without credentials
    rest: str  # Orthanc's own REST root (uploads in the tests, independent of push)


@contextmanager
def inside(pid: int) -> Iterator[None]:
    """Run the block in the network namespace of process ``pid`` (this thread only)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with Path("/proc/self/ns/net").open() as home, Path(f"/proc/{pid}/ns/net").open() as target:
        if libc.setns(target.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns into Orthanc's network namespace")
        try:
            yield
        finally:
            libc.setns(home.fileno(), CLONE_NEWNET)
