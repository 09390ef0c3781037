"""pull and push against hostile or broken servers (a small fake on a loopback port) and bad
arguments: one line per failing study naming the server and the study, the others still pulled;
paths from the server never leave the archive folder; credentials never shown."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pydicom
import pytest

from imaging.cli import main
from imaging.dicomweb import pull as pull_module

FILM = (
    Path(__file__).parents[2] / "sample_dicom" / "DLBP-001" / "baseline" / "DX_lateral_neutral.dcm"
)
TOKEN = "tok-Secret-81x"
GOOD = pydicom.dcmread(FILM)
# Study 1: answers HTML; study 2: the real film; study 3: HTTP 500; study 4: a path as SOP UID.
HTML, BROKEN, ESCAPING = "1.2.3.1", "1.2.3.3", "1.2.3.4"
SERIES = {HTML: "1.2.3.1.1", GOOD.StudyInstanceUID: GOOD.SeriesInstanceUID, BROKEN: "1.2.3.3.1"}
SOP = {HTML: "1.2.3.1.1.1", GOOD.StudyInstanceUID: GOOD.SOPInstanceUID, BROKEN: "1.2.3.3.1.1"}


def _uid(tag: str, value: str) -> dict[str, dict[str, object]]:
    return {tag: {"vr": "UI", "Value": [value]}}


class FakePacs(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return None

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, "text/plain", b"who are you?")
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["dicom-web", "studies"]:  # offset ignored: pull must not ask forever
            studies = [HTML, GOOD.StudyInstanceUID, BROKEN, ESCAPING]
            found = [
                {**_uid("0020000D", s), "00120040": {"vr": "LO", "Value": ["S-1"]}} for s in studies
            ]
            return self._send(200, "application/dicom+json", json.dumps(found).encode())
        if len(parts) == 4 and parts[3] == "instances":
            study = parts[2]
            series, sop = (
                (SERIES[study], SOP[study]) if study in SOP else ("1.2.3.4.1", "../../evil")
            )
            found = [{**_uid("0020000E", series), **_uid("00080018", sop)}]
            return self._send(200, "application/dicom+json", json.dumps(found).encode())
        study = parts[2]
        if study == HTML:
            return self._send(200, "text/html", b"<html>Please sign in</html>")
        if study == BROKEN:
            return self._send(500, "text/plain", b"internal error " + TOKEN.encode())
        body = b"--XyZ\r\nContent-Type: application/dicom\r\n\r\n" + FILM.read_bytes()
        body += b"\r\n--XyZ--\r\n"
        self._send(200, 'multipart/related; type="application/dicom"; boundary=XyZ', body)


@pytest.fixture
def fake_pacs(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("SPINE_ENDPOINTS_DICOMWEB_USER", raising=False)
    monkeypatch.delenv("SPINE_ENDPOINTS_DICOMWEB_PASSWORD", raising=False)
    monkeypatch.setenv("SPINE_ENDPOINTS_DICOMWEB_TOKEN", TOKEN)
    monkeypatch.setattr(pull_module, "PAGE_SIZE", 4)  # a full page: a second one is asked
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePacs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/dicom-web"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_each_failing_study_is_one_line_and_the_good_one_is_pulled(
    fake_pacs: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "archive"
    status = main(["pull", "--dicomweb", fake_pacs, "--subject", "S-1", "--out", str(out)])
    shown = capsys.readouterr()
    assert status == 1
    assert "4 studies" in shown.out and "1 instances retrieved" in shown.out
    errors = [line for line in shown.err.splitlines() if "error:" in line]
    assert errors == [
        f"spine-endpoints pull: error: DICOMweb server {fake_pacs} did not answer DICOM while "
        f"retrieving instance {SOP[HTML]} of study {HTML} (ValueError). Check that the URL is "
        "the DICOMweb root (e.g. ending in /dicom-web)",
        f"spine-endpoints pull: error: DICOMweb server {fake_pacs} failed retrieving instance "
        f"{SOP[BROKEN]} of study {BROKEN}: HTTP 500 Internal Server Error",
        f"spine-endpoints pull: error: an instance of study {ESCAPING} is '../../evil', not a "
        "DICOM UID (digits and dots, at most 64 characters, PS3.5 9.1); nothing written for it",
    ]
    pulled = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert pulled == [
        out / "S-1" / GOOD.StudyInstanceUID / GOOD.SeriesInstanceUID / f"{GOOD.SOPInstanceUID}.dcm"
    ]
    assert pydicom.dcmread(pulled[0]) == GOOD
    assert TOKEN not in shown.out + shown.err


def test_a_wrong_token_is_refused_without_showing_it(
    fake_pacs: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SPINE_ENDPOINTS_DICOMWEB_TOKEN", "tok-Wrong-22")
    assert main(["pull", "--dicomweb", fake_pacs, "--patient", "P", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert f"DICOMweb server {fake_pacs} refused searching for patient P: HTTP 401" in error
    assert "tok-Wrong-22" not in error
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["pull", "push"])
def test_a_url_with_credentials_is_refused_without_echoing_them(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://alice:hunter2-pw@pacs.example.org/dicom-web"
    argv = [command, "--dicomweb", url]
    argv += ["--study", "1.2.3", "--out", str(tmp_path)] if command == "pull" else [str(tmp_path)]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "--dicomweb https://pacs.example.org/dicom-web was given with credentials" in error
    assert "hunter2-pw" not in error and "alice" not in error


def test_an_unreachable_server_names_it_and_the_query(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/dicom-web"
    assert main(["pull", "--dicomweb", url, "--study", "1.2.3", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(
        f"spine-endpoints pull: error: cannot reach DICOMweb server {url} while searching for "
        "study 1.2.3"
    )


@pytest.mark.parametrize(
    ("value", "folder"),
    [("DLBP-001", "DLBP-001"), ("../x", "%2E.%2Fx"), (".hidden", "%2Ehidden"), ("a/b", "a%2Fb")],
)
def test_a_person_folder_is_one_safe_path_component(value: str, folder: str) -> None:
    from imaging.dicomweb import person_folder

    assert person_folder(value) == folder


def test_push_without_reports_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "film.dcm").write_bytes(FILM.read_bytes())
    assert main(["push", "--dicomweb", "http://127.0.0.1:9/dicom-web", str(tmp_path)]) == 2
    assert "nothing to push (no SR report found)" in capsys.readouterr().err
