"""A worklist case's images as the workstation loads them: the film read first alone (on screen
before the others decode), the other films, then the series; a film that does not load is named
by its token and holds nothing back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from imaging.anatomy import Film
from imaging.protocol import Protocol
from imaging.store.blinding import case_images
from imaging.store.cases import ImageRecord, register_images
from imaging.store.store import ReadStore
from imaging.store.worklist import unblinding_map

SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
STUDY = SAMPLES / "DLBP-001" / "month_6"
pytestmark = pytest.mark.skipif(not STUDY.exists(), reason="sample_dicom/ has not been generated")


def _register(store: ReadStore, protocol: Protocol, folder: Path) -> str:
    files = sorted(path for path in folder.rglob("*.dcm"))
    with store.writing() as db:
        register_images(db, protocol, [ImageRecord.from_file(f) for f in files], actor="t")
        (reading_id,) = unblinding_map(db)
    return reading_id


def test_the_neutral_film_loads_alone_first_then_the_other_films_then_the_series(
    store: ReadStore, protocol: Protocol, tmp_path: Path
) -> None:
    folder = tmp_path / "DLBP-001" / "month_6"
    shutil.copytree(STUDY, folder)
    (folder / "DX_lateral_extension.dcm").rename(folder / "a_first_by_name.dcm")  # not by name
    reading_id = _register(store, protocol, folder)
    with store.reading() as db:
        images = case_images(db, reading_id)
    first, others, series = list(images.stages())
    assert [image.film for image in first] == [Film.NEUTRAL]
    assert [image.film for image in others] == [Film.FLEXION, Film.EXTENSION]
    assert sorted(image.weighting for image in series) == ["T1", "T2"]
    assert all(image.kind == "series" and image.pixels.ndim == 3 for image in series)
    assert images.problems == []


def test_a_neutral_film_cut_short_is_named_and_the_flexion_film_comes_first(
    store: ReadStore, protocol: Protocol, tmp_path: Path
) -> None:
    folder = tmp_path / "DLBP-001" / "month_6"
    shutil.copytree(STUDY, folder)
    reading_id = _register(store, protocol, folder)
    neutral = folder / "DX_lateral_neutral.dcm"
    neutral.write_bytes(neutral.read_bytes()[: neutral.stat().st_size // 2])  # cut in half
    with store.reading() as db:
        images = case_images(db, reading_id)
    first, others, _ = list(images.stages())
    assert [image.film for image in first] == [Film.FLEXION]  # the first film that loads
    assert [image.film for image in others] == [Film.EXTENSION]
    (problem,) = images.problems
    assert problem.startswith(f"case {reading_id}: img-") and "truncated" in problem
    assert str(folder) not in problem and "neutral.dcm" not in problem
