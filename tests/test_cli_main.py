"""The console script's one place for what every command shares: a reader of standard output
that goes away (``| head``) and SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from imaging.cli import main

SAMPLES = Path(__file__).resolve().parents[1] / "sample_dicom"


def closed_reader(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``spine-endpoints ARGV`` with its standard output a pipe whose reader is already
    gone, as after ``| head`` has read its lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "imaging", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, error = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, "", error)


def test_audit_into_a_closed_pipe_exits_141_quietly(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'reads.db'}"
    grades = (SAMPLES / "grades.csv").read_text(encoding="utf-8").splitlines()
    form = tmp_path / "grades.csv"
    form.write_text("\n".join(g for g in grades if g.startswith(("subject", "DLBP-003"))) + "\n")
    assert main(["register", str(SAMPLES / "DLBP-003"), "--store", store]) == 0
    assert main(["grades", "import", str(form), "--store", store]) == 0

    done = closed_reader("audit", "--store", store, cwd=tmp_path)

    assert (done.returncode, done.stderr) == (128 + signal.SIGPIPE, "")


def test_a_table_printed_into_a_closed_pipe_exits_141_quietly(tmp_path: Path) -> None:
    done = closed_reader("measures", cwd=tmp_path)

    assert (done.returncode, done.stderr) == (128 + signal.SIGPIPE, "")


def test_a_broken_pipe_that_is_not_standard_output_is_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import imaging.cli.measures

    def lost_worker(args: argparse.Namespace) -> int:
        raise BrokenPipeError(32, "a worker's pipe")

    monkeypatch.setattr(imaging.cli.measures, "run", lost_worker)
    with pytest.raises(BrokenPipeError, match="a worker's pipe"):
        main(["measures"])


def test_sigterm_stops_a_command_as_ctrl_c_does_and_the_handler_is_restored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import imaging.cli.measures

    def terminated(args: argparse.Namespace) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setattr(imaging.cli.measures, "run", terminated)
    before = signal.getsignal(signal.SIGTERM)

    assert main(["measures"]) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "spine-endpoints measures: interrupted\n"
    assert signal.getsignal(signal.SIGTERM) is before
