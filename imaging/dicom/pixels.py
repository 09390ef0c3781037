"""Pixel decoding: decoder checks that name the package to install, and the modality LUT.

Values come out as pydicom decodes them (colour YBR converted to RGB; MONOCHROME1 NOT inverted),
then through the modality LUT: (0028,3000) *Modality LUT Sequence*, or (0028,1053) *Rescale Slope*
and (0028,1052) *Rescale Intercept* when both are present, as
:func:`pydicom.pixels.apply_modality_lut` does. Never windowed. To stay fast and small, an
identity rescale keeps the stored integer array, an integral rescale gives int32 (exact), and any
other rescale gives float32 (within 1e-6 relative of pydicom's float64).
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut as pydicom_modality_lut
from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import (
    HTJ2K,
    JPEG2000,
    UID,
    ExplicitVRLittleEndian,
    HTJ2KLossless,
    HTJ2KLosslessRPCL,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)

from imaging.dicom.read import transfer_syntax_of
from imaging.errors import MissingDecoderError, PixelDecodeError, UnsupportedImageError

PathLike = str | os.PathLike[str]

_LIBJPEG = ("pylibjpeg-libjpeg", "libjpeg", "pip install pylibjpeg pylibjpeg-libjpeg")
_OPENJPEG = ("pylibjpeg-openjpeg", "openjpeg", "pip install pylibjpeg pylibjpeg-openjpeg")
_JPEGLS = ("pyjpegls", "jpeg_ls", "pip install pyjpegls (or pylibjpeg pylibjpeg-libjpeg)")
_RLE = ("pylibjpeg-rle", "rle", "pip install pylibjpeg pylibjpeg-rle (optional, for speed)")

#: Transfer syntax -> (package, its import name, install command) of the recommended decoder.
DECODER_PACKAGES: dict[UID, tuple[str, str, str]] = {
    JPEGBaseline8Bit: _LIBJPEG,
    JPEGExtended12Bit: _LIBJPEG,
    JPEGLossless: _LIBJPEG,
    JPEGLosslessSV1: _LIBJPEG,
    JPEGLSLossless: _JPEGLS,
    JPEGLSNearLossless: _JPEGLS,
    JPEG2000Lossless: _OPENJPEG,
    JPEG2000: _OPENJPEG,
    HTJ2KLossless: _OPENJPEG,
    HTJ2KLosslessRPCL: _OPENJPEG,
    HTJ2K: _OPENJPEG,
    RLELossless: _RLE,
}


def check_decoder(transfer_syntax: str, path: PathLike) -> None:
    """Raise unless an installed plugin can decode pixel data of ``transfer_syntax``.

    :class:`MissingDecoderError` names the package to install; :class:`UnsupportedImageError`
    for a transfer syntax pydicom has no decoder for at all (e.g. MPEG video).
    """
    uid = UID(transfer_syntax)
    try:
        decoder = get_decoder(uid)
    except NotImplementedError as error:
        raise UnsupportedImageError(
            f"the pixel data is encoded as {uid.name} ({uid}), which pydicom cannot decode",
            path=path,
            fix="Convert the file to an uncompressed, JPEG or JPEG 2000 transfer syntax "
            "(e.g. `gdcmconv --raw` or dcmtk's `dcmdjpeg`).",
        ) from error
    if not decoder.is_available:
        raise _missing_decoder(uid, path)


def decode_pixels(dataset: Dataset, path: PathLike, frame: int | None = None) -> np.ndarray:
    """Stored pixel values of ``dataset`` (read with :func:`imaging.dicom.read.read_dataset`).

    Shape (rows, cols) or (rows, cols, 3); (frames, rows, cols[, 3]) for a multi-frame file when
    ``frame`` is None, else the one 0-based ``frame``. No modality LUT, no windowing. The array
    may be a read-only view of the file's bytes (uncompressed little-endian greyscale): copy it
    before writing to it.
    """
    uid = transfer_syntax_of(dataset)
    check_decoder(uid, path)
    view = _native_monochrome(dataset, uid, frame)
    if view is not None:
        return view
    if frame is not None:
        dataset.pixel_array_options(index=frame)
    try:
        pixels: np.ndarray = dataset.pixel_array
    except RuntimeError as error:  # raised by pydicom when every available plugin failed
        package = DECODER_PACKAGES.get(uid)
        if package is not None and importlib.util.find_spec(package[1]) is None:
            raise _missing_decoder(uid, path) from error
        detail = " ".join(str(error).split())
        raise PixelDecodeError(
            f"the {uid.name} pixel data cannot be decoded ({detail})",
            path=path,
            fix="The compressed data is damaged or uses a variant the installed decoders do not "
            "support; export the image again, uncompressed if possible.",
        ) from error
    except (ValueError, AttributeError) as error:  # group 0028 missing or against the data
        raise PixelDecodeError(
            f"the pixel data does not match its header ({error})",
            path=path,
            fix="Check (0028,0010) Rows, (0028,0011) Columns and (0028,0100) Bits Allocated; "
            "export the image again.",
        ) from error
    return pixels


def apply_modality_lut(pixels: np.ndarray, dataset: Dataset) -> np.ndarray:
    """Modality LUT of ``dataset`` applied to stored ``pixels``; the same values as pydicom's.

    Colour (RGB) images are returned unchanged. See the module docstring for the dtypes.
    """
    if dataset.get("ModalityLUTSequence"):
        result: np.ndarray = pydicom_modality_lut(pixels, dataset)
        return result
    if not ("RescaleSlope" in dataset and "RescaleIntercept" in dataset):
        return pixels
    if int(dataset.get("SamplesPerPixel", 1) or 1) > 1:
        return pixels
    slope, intercept = float(dataset.RescaleSlope), float(dataset.RescaleIntercept)
    if slope == 1.0 and intercept == 0.0:
        return pixels
    if pixels.dtype.kind in "iu" and slope.is_integer() and intercept.is_integer():
        info = np.iinfo(pixels.dtype)
        reach = max(abs(int(info.min)), abs(int(info.max))) * abs(slope) + abs(intercept)
        if reach < 2**31:
            exact = pixels.astype(np.int32)
            if slope != 1.0:
                exact *= int(slope)
            if intercept != 0.0:
                exact += int(intercept)
            return exact
    rescaled = pixels.astype(np.float32)
    rescaled *= np.float32(slope)
    rescaled += np.float32(intercept)
    return rescaled


def _native_monochrome(dataset: Dataset, uid: UID, frame: int | None) -> np.ndarray | None:
    """Uncompressed little-endian greyscale as a view of the pixel bytes (no copy), else None.

    The values are pydicom's: when (0028,0101) *Bits Stored* is below *Bits Allocated*, the
    unused high bits are cleared (unsigned) or the sign extended (signed) on a copy, as pydicom
    does. Anything else (colour, big endian, compressed, 1-bit) is left to pydicom.
    """
    if uid not in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):
        return None
    if int(dataset.get("SamplesPerPixel", 1) or 1) != 1:
        return None
    allocated = int(dataset.get("BitsAllocated", 0) or 0)
    stored = int(dataset.get("BitsStored", allocated) or allocated)
    signed = int(dataset.get("PixelRepresentation", 0) or 0) == 1
    value = dataset.get("PixelData")
    if allocated not in (8, 16, 32) or not 0 < stored <= allocated or not isinstance(value, bytes):
        return None
    rows, cols = int(dataset.Rows), int(dataset.Columns)
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    dtype = np.dtype(f"<{'i' if signed else 'u'}{allocated // 8}")
    pixels = np.frombuffer(value, dtype=dtype, count=rows * cols * frames)
    pixels = pixels.reshape((frames, rows, cols) if frames > 1 else (rows, cols))
    if frames > 1 and frame is not None:
        pixels = pixels[frame]
    if stored == allocated:
        return pixels
    if not signed and int(pixels.max()) < 1 << stored:
        return pixels  # the unused bits are already clear
    shift = allocated - stored
    corrected = pixels.copy()
    np.left_shift(corrected, shift, out=corrected)
    np.right_shift(corrected, shift, out=corrected)
    return corrected


def rescale_of(dataset: Dataset) -> tuple[float, float]:
    """(slope, intercept) of the rescale in ``dataset``, (1, 0) when absent."""
    if "RescaleSlope" in dataset and "RescaleIntercept" in dataset:
        return float(dataset.RescaleSlope), float(dataset.RescaleIntercept)
    return 1.0, 0.0


def _missing_decoder(uid: UID, path: PathLike) -> MissingDecoderError:
    package, _, command = DECODER_PACKAGES.get(
        uid, ("a pydicom decoding plugin", "", "see pydicom's decoder documentation")
    )
    return MissingDecoderError(
        f"the pixel data is compressed as {uid.name} and no installed decoder can read it",
        path=path,
        fix=f"Install {package}: {command}.",
    )
