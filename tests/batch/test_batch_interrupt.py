"""Ctrl-C, SIGTERM, a killed batch and a second batch into the same folder.

Each batch that is stopped runs in a subprocess (``blocking_batch.py``: the baseline study is
computed, the others wait), and gets its signal once the baseline study is reported done.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from batch_helpers import keep_subject

from imaging.cli import main

HERE = Path(__file__).resolve().parent
TABLES = ("endpoints.csv", "failures.csv", "eligibility.csv")


@pytest.fixture(scope="module")
def archive(sample_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Subject DLBP-003 of the samples: three studies (baseline, month_6, month_12)."""
    copy = tmp_path_factory.mktemp("interrupt") / "archive"
    shutil.copytree(sample_archive, copy)
    return keep_subject(copy, "DLBP-003")


@pytest.fixture(scope="module")
def clean(archive: Path) -> Path:
    """The tables of an uninterrupted batch over ``archive``."""
    out = archive.parent / "clean"
    assert main(["batch", str(archive), "--out", str(out)]) == 1  # the uncalibrated film
    return out


@contextmanager
def blocked_batch(archive: Path, out: Path, *options: str) -> Iterator[subprocess.Popen[str]]:
    """A batch subprocess, yielded once its baseline study is done (the others are waiting)."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "blocking_batch.py"), "batch", str(archive),
         "--out", str(out), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE)},
    )  # fmt: skip
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # progress lines: "[1/3] DLBP-003 baseline: ok, ..."
            seen.append(line)
            if line.startswith("[1/3] DLBP-003 baseline: "):
                break
        else:
            pytest.fail(f"the batch ended before its first study: {''.join(seen)}")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def stop(process: subprocess.Popen[str], number: int) -> tuple[int, list[str]]:
    """Send signal ``number``; the exit status and the remaining lines of standard error."""
    process.send_signal(number)
    _, error = process.communicate(timeout=120)  # a batch that ignores the signal fails here
    return process.returncode, error.splitlines()


def files_in(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*"))


STOPPED = (
    "spine-endpoints batch: stopped after 1 of 3 studies; finished studies are kept in {studies} "
    "and the tables were not written{previous}. Run the same command again (same --out) to "
    "resume."
)


@pytest.mark.parametrize(
    ("options", "number"),
    [
        pytest.param((), signal.SIGINT, id="in-process-ctrl-c"),
        pytest.param(("--jobs", "2"), signal.SIGINT, id="processes-ctrl-c"),
        pytest.param(("--dask",), signal.SIGINT, id="dask-ctrl-c"),
        pytest.param((), signal.SIGTERM, id="in-process-sigterm"),
    ],
)
def test_a_signal_stops_the_batch_keeps_finished_studies_and_the_rerun_resumes(
    archive: Path, clean: Path, tmp_path: Path, options: tuple[str, ...], number: int
) -> None:
    if "--dask" in options:
        pytest.importorskip("distributed")
    out = tmp_path / "out"
    with blocked_batch(archive, out, *options) as process:
        status, error = stop(process, number)

    assert status == 128 + number  # 130 for Ctrl-C, 143 for SIGTERM
    assert STOPPED.format(studies=out / "studies", previous="") in error
    # Only the finished study, whole: no table, no temporary file, no lock left behind.
    assert files_in(out) == ["studies", "studies/DLBP-003__baseline.json"]
    record = json.loads((out / "studies/DLBP-003__baseline.json").read_text(encoding="utf-8"))
    assert record["visit"] == "baseline" and record["rows"]

    assert main(["batch", str(archive), "--out", str(out)]) == 1
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["counts"]["computed"] == 2 and provenance["counts"]["skipped"] == 1
    for name in TABLES:
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def test_an_interrupted_rerun_leaves_the_previous_tables_whole(
    archive: Path, clean: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    shutil.copytree(clean, out)
    before = {name: (out / name).read_bytes() for name in (*TABLES, "provenance.json")}

    with blocked_batch(archive, out, "--force") as process:
        status, error = stop(process, signal.SIGINT)

    assert status == 130
    previous = " (those in the folder are the previous run's)"
    assert STOPPED.format(studies=out / "studies", previous=previous) in error
    assert {name: (out / name).read_bytes() for name in before} == before
    assert not [name for name in files_in(out) if name.endswith(".tmp") or "/." in f"/{name}"]


def test_a_second_batch_into_the_same_folder_is_refused_naming_the_first(
    archive: Path, clean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with blocked_batch(archive, out) as first:
        second = main(["batch", str(archive), "--out", str(out)])
        message = capsys.readouterr().err
        assert second == 2
        assert re.fullmatch(
            rf"spine-endpoints batch: error: {re.escape(str(out))}: another batch \(pid "
            rf"{first.pid}, started \d{{4}}-\d\d-\d\dT[0-9:]+\+00:00\) is writing to this folder\. "
            r"Wait for it to finish, or choose another --out\.\n",
            message,
        ), message
        assert files_in(out) == [".batch.lock", "studies", "studies/DLBP-003__baseline.json"]
        stop(first, signal.SIGINT)

    assert main(["batch", str(archive), "--out", str(out)]) == 1
    for name in TABLES:
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def test_the_lock_of_a_killed_batch_is_taken_over_with_a_note(
    archive: Path, clean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with blocked_batch(archive, out) as killed:
        status, _ = stop(killed, signal.SIGKILL)
    assert status == -signal.SIGKILL
    assert json.loads((out / ".batch.lock").read_text(encoding="utf-8"))["pid"] == killed.pid

    assert main(["batch", str(archive), "--out", str(out)]) == 1
    note = capsys.readouterr().err.splitlines()[0]
    assert note.startswith(
        f"{out}: taking over the lock of a batch that did not finish (pid {killed.pid}, started "
    )
    assert note.endswith("no longer running); its completed studies are kept")
    assert ".batch.lock" not in files_in(out)
    for name in TABLES:
        assert (out / name).read_bytes() == (clean / name).read_bytes(), name


def test_a_lock_naming_another_machine_is_refused_until_a_person_deletes_it(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = {"pid": 4321, "host": f"not-{socket.gethostname()}", "started": "2025-01-02T03:04:05"}
    (out / ".batch.lock").write_text(json.dumps(holder), encoding="utf-8")

    assert main(["batch", str(archive), "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"spine-endpoints batch: error: {out}: the batch lock names a batch on another machine "
        f"(pid 4321 on not-{socket.gethostname()}, started 2025-01-02T03:04:05). If no batch "
        f"runs there any more, delete {out / '.batch.lock'}; otherwise wait for it, or choose "
        "another --out.\n"
    )
    assert files_in(out) == [".batch.lock"]
