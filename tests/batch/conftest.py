"""Fixtures of the batch tests: a batch output folder without images, and the sample archive."""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from batch_output import write_batch_output


@pytest.fixture
def fake_batch_output(tmp_path: Path) -> Path:
    """A batch output folder written from :func:`endpoint_rows`, with failures and eligibility."""
    return write_batch_output(tmp_path / "out")


REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def sample_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample archive (``sample_dicom/``), generated once if the tree lacks it."""
    bundled = REPOSITORY / "sample_dicom"
    if (bundled / "landmarks.csv").is_file():
        return bundled
    from imaging.phantom.samples import write_samples

    generated = tmp_path_factory.mktemp("sample_dicom")
    write_samples(generated)
    return generated


@pytest.fixture
def archive_copy(sample_archive: Path, tmp_path: Path) -> Path:
    """A private copy of the sample archive that a test may damage."""
    copy = tmp_path / "archive"
    shutil.copytree(sample_archive, copy)
    return copy


@pytest.fixture(scope="session")
def clean_run(sample_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """One in-process batch over the untouched samples, through the command line (tests only
    read its output, or rewrite the report, which gives the same files)."""
    from imaging.cli import main

    out = tmp_path_factory.mktemp("clean") / "out"
    status = main(["batch", str(sample_archive), "--out", str(out)])
    return out, status


@pytest.fixture(scope="session")
def clean_report(clean_run: tuple[Path, int]) -> tuple[Path, int, list[str]]:
    """``spine-endpoints report`` over :func:`clean_run`'s folder, run once (the report over the
    samples takes seconds): (folder, exit status, lines printed)."""
    from imaging.cli import main

    out, _ = clean_run
    printed = io.StringIO()
    with redirect_stdout(printed):
        status = main(["report", str(out)])
    return out, status, printed.getvalue().splitlines()
