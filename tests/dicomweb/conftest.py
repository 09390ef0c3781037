"""A real Orthanc with its DICOMweb plugin, alone in a private network namespace.

Orthanc 1.10 cannot choose its bind address, so it runs under ``unshare -n`` (only a loopback
interface: nothing outside the machine can reach it) on non-default ports, with remote access off
and basic auth on. The test enters that namespace with setns(2) around each client call
(:func:`inside`), so the CLI runs in-process. Skipped, with the reason, when Orthanc, its plugin
or network namespaces are not available (``make test`` installs the Debian packages as root).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from orthanc_namespace import HTTP_PORT, PASSWORD, PLUGIN, USER, Orthanc, inside


def _unavailable() -> str:
    if shutil.which("Orthanc") is None or not PLUGIN.exists():
        return "Orthanc or its DICOMweb plugin is not installed (scripts/system-deps.sh as root)"
    if shutil.which("unshare") is None:
        return "unshare is not available"
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        return "cannot create a network namespace here (unshare -n needs root)"
    return ""


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("orthanc")
    config = {
        "Name": "spine-endpoints-test",
        "StorageDirectory": str(folder / "db"),
        "IndexDirectory": str(folder / "db"),
        "HttpPort": HTTP_PORT,
        "DicomPort": 14242,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": True,
        "RegisteredUsers": {USER: PASSWORD},
        "Plugins": [str(PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
    }
    (folder / "config.json").write_text(json.dumps(config))
    log = (folder / "orthanc.log").open("wb")
    # unshare and bash exec in place: the process id is Orthanc's, inside the new namespace.
    process = subprocess.Popen(
        ["unshare", "-n", "bash", "-c", f"ip link set lo up && exec Orthanc {folder}/config.json"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_listening(process, folder / "orthanc.log")
        yield Orthanc(
            pid=process.pid,
            url=f"http://127.0.0.1:{HTTP_PORT}/dicom-web",
            rest=f"http://127.0.0.1:{HTTP_PORT}",
        )
    finally:
        process.terminate()  # by its process id
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    assert process.poll() is not None  # nothing left running


def _wait_until_listening(process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once Orthanc accepts connections (it is ready well under a second)."""
    for _ in range(200):
        if process.poll() is not None:
            pytest.fail(f"Orthanc exited with status {process.returncode}:\n{log.read_text()}")
        try:
            with inside(process.pid), socket.create_connection(("127.0.0.1", HTTP_PORT), 0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"Orthanc did not listen on port {HTTP_PORT}:\n{log.read_text()}")
