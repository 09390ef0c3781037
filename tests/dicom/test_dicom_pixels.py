"""Decoded values equal pydicom's own decode + modality LUT, compressed syntaxes included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from dicom_helpers import bundled, dicomdirtests, dx_dataset, write
from pydicom.pixels import apply_modality_lut as pydicom_modality_lut
from pydicom.pixels.decoders.base import Decoder
from pydicom.uid import MPEG2MPML, JPEG2000Lossless

from imaging.dicom import apply_modality_lut, check_decoder, decode_pixels, read_dataset
from imaging.errors import MissingDecoderError, PixelDecodeError, UnsupportedImageError

# (file, transfer syntax it exercises)
REAL_FILES = [
    ("CT_small.dcm", "Explicit VR Little Endian, rescale -1024"),
    ("MR_small.dcm", "Explicit VR Little Endian"),
    ("MR_small_implicit.dcm", "Implicit VR Little Endian"),
    ("MR_small_bigendian.dcm", "Explicit VR Big Endian"),
    ("MR_small_RLE.dcm", "RLE Lossless"),
    ("MR_small_jpeg_ls_lossless.dcm", "JPEG-LS Lossless"),
    ("MR_small_jp2klossless.dcm", "JPEG 2000 Lossless"),
    ("JPEG2000.dcm", "JPEG 2000"),
    ("JPEG-LL.dcm", "JPEG Lossless SV1"),
    ("JPGExtended.dcm", "JPEG Extended 12-bit"),
    ("SC_rgb_jpeg_dcmtk.dcm", "JPEG Baseline, YBR_FULL to RGB"),
    ("RG1_UNCR.dcm", "CR MONOCHROME1"),
    ("RG1_J2KR.dcm", "CR MONOCHROME1, JPEG 2000 Lossless"),
    ("MR2_J2KR.dcm", "JPEG 2000 Lossless, float rescale"),
    ("mlut_18.dcm", "Modality LUT Sequence"),
    ("emri_small_jpeg_2k_lossless.dcm", "multi-frame JPEG 2000"),
]


@pytest.mark.parametrize(("name", "what"), REAL_FILES)
def test_values_equal_pydicom_decode_and_modality_lut(name: str, what: str) -> None:
    path = bundled(name)
    reference_dataset = pydicom.dcmread(path)
    reference = pydicom_modality_lut(reference_dataset.pixel_array, reference_dataset)
    dataset = read_dataset(path)
    values = apply_modality_lut(decode_pixels(dataset, path), dataset)
    assert values.shape == reference.shape, what
    if values.dtype.kind == "f":
        np.testing.assert_allclose(values, reference, rtol=1e-6, atol=1e-4, err_msg=what)
    else:
        np.testing.assert_array_equal(values, reference, err_msg=what)


def test_identity_rescale_keeps_the_stored_integers() -> None:
    path = bundled("MR_small.dcm")  # no rescale: int16 stored values, untouched
    dataset = read_dataset(path)
    values = apply_modality_lut(decode_pixels(dataset, path), dataset)
    assert values.dtype == np.int16
    assert int(values[0, 0]) == int(pydicom.dcmread(path).pixel_array[0, 0])


def test_integral_rescale_is_exact_int32_and_fractional_is_float32() -> None:
    ct = bundled("CT_small.dcm")  # slope 1, intercept -1024: Hounsfield units
    dataset = read_dataset(ct)
    hounsfield = apply_modality_lut(decode_pixels(dataset, ct), dataset)
    assert hounsfield.dtype == np.int32
    stored = pydicom.dcmread(ct).pixel_array
    assert int(hounsfield[64, 64]) == int(stored[64, 64]) - 1024
    cr = dicomdirtests() / "77654033" / "CR1" / "6154"
    dataset = read_dataset(cr)
    assert (float(dataset.RescaleSlope), float(dataset.RescaleIntercept)) == (0.684, 200.0)
    scaled = apply_modality_lut(decode_pixels(dataset, cr), dataset)
    assert scaled.dtype == np.float32
    stored = pydicom.dcmread(cr).pixel_array
    assert float(scaled[8, 8]) == pytest.approx(float(stored[8, 8]) * 0.684 + 200, rel=1e-6)


def test_one_frame_of_a_multi_frame_file() -> None:
    path = bundled("emri_small.dcm")
    dataset = read_dataset(path)
    frame = decode_pixels(dataset, path, frame=3)
    np.testing.assert_array_equal(frame, pydicom.dcmread(path).pixel_array[3])


def test_missing_decoder_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if no plugin were installed: compressed syntaxes lose their decoders.
    monkeypatch.setattr(Decoder, "is_available", property(lambda self: not self.is_encapsulated))
    path = bundled("MR_small_jp2klossless.dcm")
    with pytest.raises(MissingDecoderError) as caught:
        decode_pixels(read_dataset(path), path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert "JPEG 2000 Image Compression (Lossless Only)" in message
    assert "pip install pylibjpeg pylibjpeg-openjpeg" in message
    with pytest.raises(MissingDecoderError, match=r"pylibjpeg-libjpeg"):
        check_decoder("1.2.840.10008.1.2.4.70", "lossless.dcm")  # JPEG Lossless SV1
    with pytest.raises(MissingDecoderError, match=r"pyjpegls"):
        check_decoder("1.2.840.10008.1.2.4.80", "jls.dcm")
    check_decoder("1.2.840.10008.1.2.1", "native.dcm")  # native syntaxes need no plugin


def test_installed_decoder_passes() -> None:
    check_decoder(JPEG2000Lossless, "any.dcm")


def test_transfer_syntax_without_any_decoder(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedImageError, match=r"video.dcm: .*MPEG2.*cannot decode"):
        check_decoder(MPEG2MPML, tmp_path / "video.dcm")


def test_undecodable_compressed_data_is_a_decode_error() -> None:
    # 12-bit JPEG Extended with a misplaced marker: no installed decoder reads it.
    path = bundled("JPEG-lossy.dcm")
    with pytest.raises(PixelDecodeError, match=r"JPEG-lossy.dcm: the JPEG Extended"):
        decode_pixels(read_dataset(path), path)


def test_rescale_needs_both_slope_and_intercept(tmp_path: Path) -> None:
    path = write(dx_dataset(RescaleSlope=2), tmp_path / "slope_only.dcm")
    dataset = read_dataset(path)
    values = apply_modality_lut(decode_pixels(dataset, path), dataset)
    assert values.dtype == np.uint16  # pydicom ignores a lone slope; so do we
    path = write(dx_dataset(RescaleSlope=2, RescaleIntercept=-5), tmp_path / "both.dcm")
    dataset = read_dataset(path)
    values = apply_modality_lut(decode_pixels(dataset, path), dataset)
    assert values.dtype == np.int32
    assert int(values[1, 2]) == 32 * 2 - 5


@pytest.mark.parametrize(("signed", "raw", "expected"), [(0, 0xF123, 0x123), (1, 0x0FFF, -1)])
def test_unused_high_bits_are_handled_as_pydicom_does(
    tmp_path: Path, signed: int, raw: int, expected: int
) -> None:
    pixels = np.full((4, 6), 100, dtype=np.uint16)
    pixels[2, 3] = raw  # bits above Bits Stored (12) set, or a 12-bit negative number
    dataset = dx_dataset(pixels, BitsStored=12, HighBit=11, PixelRepresentation=signed)
    path = write(dataset, tmp_path / "twelve_bit.dcm")
    values = decode_pixels(read_dataset(path), path)
    reference = pydicom.dcmread(path).pixel_array
    assert values.dtype == reference.dtype
    np.testing.assert_array_equal(values, reference)
    assert int(values[2, 3]) == expected
    assert int(values[0, 0]) == 100
