"""The batch spares the objects alive at its start from full garbage collections, and leaves the
process's own frozen objects (the napari plugin's) as they were."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from imaging.batch import BatchOptions, run_batch


class _FrozenWhileComputing:
    """A Progress that notes how many objects were frozen when the computing started."""

    def __init__(self) -> None:
        self.frozen: int | None = None

    def start(self, total: int, description: str) -> None:
        self.frozen = gc.get_freeze_count()

    def advance(self, label: str, status: str) -> None:
        return None

    def close(self) -> None:
        return None


@pytest.fixture
def empty_archive(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "archive").mkdir()
    yield tmp_path / "archive"
    gc.unfreeze()


def test_objects_alive_at_the_start_are_frozen_during_the_batch_only(
    empty_archive: Path, tmp_path: Path
) -> None:
    gc.unfreeze()
    progress = _FrozenWhileComputing()

    run_batch(BatchOptions(empty_archive, tmp_path / "out"), progress=progress)

    assert progress.frozen is not None and progress.frozen > 1000  # the modules at least
    assert gc.get_freeze_count() == 0


def test_a_process_that_froze_its_own_objects_keeps_them_frozen(
    empty_archive: Path, tmp_path: Path
) -> None:
    gc.freeze()
    before = gc.get_freeze_count()
    progress = _FrozenWhileComputing()

    run_batch(BatchOptions(empty_archive, tmp_path / "out"), progress=progress)

    # Frozen objects freed meanwhile leave the count; none is unfrozen or frozen anew.
    assert progress.frozen is not None and before - 100 < progress.frozen <= before
    assert before - 100 < gc.get_freeze_count() <= before
