"""The npe2 reader without a viewer: what is ours, layer scale/units/window, inverted display."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from napari_spine_endpoints._layer_info import ImageInfo
from napari_spine_endpoints._reader import napari_get_reader, read_dicom
from npe2 import PluginManifest
from pydicom.data import get_testdata_file
from pydicom.pixels import apply_modality_lut

from imaging.anatomy import Film
from imaging.dicom import load_series


def _testdata(name: str) -> Path:
    path = get_testdata_file(name)
    assert path is not None, name
    return Path(str(path))


def test_manifest_is_valid() -> None:
    # what `npe2 validate spine-endpoints` does: the installed entry point's manifest parses and
    # every python_name in it imports
    manifest = PluginManifest.from_distribution("spine-endpoints")
    manifest.validate_imports()
    assert {c.display_name for c in manifest.contributions.widgets or []} >= {
        "Reading workstation", "Landmarks", "Grades", "Window and level", "Worklist"
    }  # fmt: skip


def test_not_ours_gives_none_and_never_raises(tmp_path: Path) -> None:
    text = tmp_path / "report.txt"
    text.write_text("no image here")
    (tmp_path / "empty").mkdir()
    assert napari_get_reader(str(text)) is None
    assert napari_get_reader(str(tmp_path / "empty")) is None
    assert napari_get_reader(str(tmp_path / "missing")) is None
    assert napari_get_reader([str(_testdata("CT_small.dcm")), str(text)]) is None
    assert napari_get_reader([]) is None
    for other in ("rtplan.dcm", "rtstruct.dcm"):  # DICOM, but not an image we read
        assert napari_get_reader(str(_testdata(other))) is None


def test_monochrome1_without_spacing_is_inverted_by_display_and_in_pixels() -> None:
    path = _testdata("RG1_UNCR.dcm")  # CR, MONOCHROME1, no usable spacing
    reader = napari_get_reader(str(path))
    assert reader is not None
    [(data, kwargs, kind)] = reader(str(path))
    dataset = pydicom.dcmread(path)
    np.testing.assert_array_equal(data, apply_modality_lut(dataset.pixel_array, dataset))
    assert kind == "image"
    assert kwargs["colormap"] == "gray_r"  # inverted on screen, values untouched
    assert kwargs["scale"] == (1.0, 1.0) and kwargs["units"] == ("pixel", "pixel")
    info = ImageInfo.from_metadata(kwargs["metadata"])
    assert info is not None and info.calibration.source.value == "none" and info.units == "pixel"
    assert info.inverted and info.sop_instance_uid == dataset.SOPInstanceUID


def test_cross_sectional_file_is_a_volume_in_mm() -> None:
    [(data, kwargs, _)] = read_dicom(str(_testdata("CT_small.dcm")))
    assert data.shape == (1, 128, 128)
    assert kwargs["units"] == ("mm", "mm", "mm")
    np.testing.assert_allclose(kwargs["scale"][1:], (0.661468, 0.661468))


def test_study_folder_with_a_bad_file(study: Path, tmp_path: Path) -> None:
    copy = tmp_path / "study"
    shutil.copytree(study, copy)
    broken = copy / "DX_lateral_neutral.dcm"
    broken.write_bytes(broken.read_bytes()[:2000])  # truncated
    layers = read_dicom(str(copy))
    films = [ImageInfo.from_metadata(kwargs["metadata"]) for _, kwargs, _ in layers]
    kinds = [(info.kind, info.film) for info in films if info is not None]
    series, flexion, extension = (
        ("series", None), ("radiograph", Film.FLEXION), ("radiograph", Film.EXTENSION)
    )  # fmt: skip
    assert kinds == [series, series, flexion, extension]
    assert [kwargs["visible"] for _, kwargs, _ in layers] == [False, False, True, False]


def test_nothing_loadable_raises_the_files_error(tmp_path: Path) -> None:
    broken = tmp_path / "IM0001"
    broken.write_bytes(_testdata("CT_small.dcm").read_bytes()[:3000])
    with pytest.raises(Exception, match="IM0001"):
        read_dicom(str(tmp_path))


def test_sample_data_opens_the_dlbp_study(
    monkeypatch: pytest.MonkeyPatch, sample_root: Path
) -> None:
    import napari_spine_endpoints._sample_data as _sample_data

    monkeypatch.setenv(_sample_data.SAMPLES_ENV_VAR, str(sample_root))
    [(_, kwargs, _)] = _sample_data.neutral_film()
    assert kwargs["metadata"]["spine_endpoints"]["film"] == "neutral"
    films = [
        kwargs["metadata"]["spine_endpoints"]["film"]
        for _, kwargs, _ in _sample_data.dynamic_films()
    ]
    assert films == ["flexion", "extension"]
    [(volume, kwargs, _)] = _sample_data.sagittal_t2()
    assert volume.ndim == 3 and "T2" in kwargs["name"]
    with pytest.raises(_sample_data.SampleDataMissingError, match="no sample study DLBP-999"):
        _sample_data.study_folder("DLBP-999")


def test_study_series_load_lazily_with_the_eager_values(study: Path) -> None:
    """File > Open decodes no MR slice until napari shows one; the values are load_series'."""
    layers = read_dicom(str(study))
    volumes = [(data, kwargs) for data, kwargs, _ in layers if data.ndim == 3]
    assert len(volumes) == 2 and all(not isinstance(d, np.ndarray) for d, _ in volumes)
    for (data, kwargs), folder in zip(volumes, ("MR_sag_T1", "MR_sag_T2"), strict=True):
        (eager,) = load_series(study / folder)
        assert data.shape == eager.shape and data.dtype == eager.volume.dtype
        middle = eager.shape[0] // 2
        np.testing.assert_array_equal(np.asarray(data[middle]), eager.volume[middle])
        assert not kwargs["visible"]


def test_background_decoding_decodes_each_slice_once(
    study: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from napari_spine_endpoints._qt.series_decoder import decode_all

    from imaging.dicom import series as series_module

    decoded: list[str] = []
    real_decode = series_module.decode_pixels

    def counting_decode(dataset: pydicom.Dataset, name: str) -> np.ndarray:
        decoded.append(name)
        return real_decode(dataset, name)

    monkeypatch.setattr(series_module, "decode_pixels", counting_decode)
    (volume, _, _), *_ = read_dicom(str(study / "MR_sag_T2"))
    decode_all(volume)
    assert len(decoded) == len(set(decoded)) == volume.shape[0]
    (eager,) = load_series(study / "MR_sag_T2")
    del decoded[:]
    np.testing.assert_array_equal(np.asarray(volume), eager.volume)
    assert decoded == []  # the display reads the kept slices
