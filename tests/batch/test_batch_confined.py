"""A batch over hostile inputs writes into its --out folder and nowhere else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from batch_helpers import failures, keep_subject


def tree(root: Path) -> dict[str, tuple[int, int] | None]:
    """Every entry under ``root`` (files, folders, links, FIFOs; links not followed): its
    relative path -> (size, modification time in ns), None for a folder (whose time changes
    when something is created and removed in it)."""
    entries: dict[str, tuple[int, int] | None] = {}
    for folder, names, files in os.walk(root):
        for name in names:
            entries[Path(folder, name).relative_to(root).as_posix()] = None
        for name in files:
            path = Path(folder, name)
            status = path.lstat()
            entries[path.relative_to(root).as_posix()] = (status.st_size, status.st_mtime_ns)
    return entries


def test_a_batch_over_hostile_inputs_writes_only_into_its_out_folder(
    sample_archive: Path, tmp_path: Path
) -> None:
    archive = keep_subject(shutil.copytree(sample_archive, tmp_path / "archive"), "DLBP-003")
    study = archive / "DLBP-003" / "baseline"
    (study / "corrupt.dcm").write_bytes(bytes(range(256)) * 12)
    os.mkfifo(study / "pipe.dcm")
    (study / "dangling.dcm").symlink_to(tmp_path / "gone" / "IM0001.dcm")
    (study / "loop_a.dcm").symlink_to(study / "loop_b.dcm")
    (study / "loop_b.dcm").symlink_to(study / "loop_a.dcm")
    for folder in ("tmp", "home"):
        (tmp_path / folder).mkdir()
    before = tree(tmp_path)
    # TMPDIR names tmp_path/tmp by a short link: multiprocessing's forkserver binds a Unix
    # socket under TMPDIR, whose path may not exceed 107 bytes, and pytest-xdist's worker
    # folders (make test) make tmp_path longer.
    short = Path(tempfile.mkdtemp(prefix="confined-"))
    (short / "t").symlink_to(tmp_path / "tmp")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "imaging", "batch", "archive", "--out", "out", "--jobs", "2"],
            cwd=tmp_path,
            env={**os.environ, "TMPDIR": str(short / "t"), "HOME": str(tmp_path / "home")},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        shutil.rmtree(short)

    assert done.returncode == 1, done.stderr  # failures listed
    after = tree(tmp_path)
    outside = {path: entry for path, entry in after.items() if not path.startswith("out/")}
    assert outside == {**before, "out": None}, "written or changed outside --out"
    assert not list((tmp_path / "tmp").iterdir()), "the temporary folder is left with files"
    assert (tmp_path / "out" / "failures.csv").is_file(), done.stdout + done.stderr
    reasons = {file: reason for file, _, _, reason in failures(tmp_path / "out")}
    base = "DLBP-003/baseline"
    assert reasons[f"{base}/corrupt.dcm"] == "not-dicom"
    assert reasons[f"{base}/pipe.dcm"] == "unreadable"
    assert reasons[f"{base}/dangling.dcm"] == "unreadable"
    assert reasons[f"{base}/loop_a.dcm"] == reasons[f"{base}/loop_b.dcm"] == "unreadable"
    hidden = [path for path in after if Path(path).name.startswith(".")]
    assert hidden == [], "temporary files or a lock left in --out"
