"""Size limits checked from the header, before any pixel data is read or decoded.

A header can claim any size (Rows and Columns up to 65535, thousands of frames); decoding such a
claim would exhaust memory. Images beyond these limits are refused with
:class:`~imaging.errors.ImageTooLargeError`. The limits are generous for spine imaging: a 43 x 43 cm
detector at 0.1 mm is about 4300 x 4300 = 18.5 million samples; a stitched long-cassette film about
7000 x 3000.

A Deflated Explicit VR Little Endian file (PS3.5 A.5) is limited by what it inflates to, counted
while inflating (:mod:`imaging.dicom.bounded`): a 1 MB file of deflated zeros would be 1 GB.

Each limit is a module attribute read when checked: raise it for a machine with the memory, e.g.
``imaging.dicom.limits.MAX_INFLATED_BYTES = 2**30`` before a scan.
"""

from __future__ import annotations

from os import PathLike

from imaging.errors import ImageTooLargeError

#: Most samples (Rows x Columns x frames x Samples per Pixel) one file may hold: 2**28, about
#: 268 million, i.e. 512 MiB of 16-bit data or 1 GiB once rescaled to float32.
MAX_IMAGE_SAMPLES = 2**28

#: Most samples one MR/CT series (all its slices together) may hold: 2**29, about 537 million.
MAX_SERIES_SAMPLES = 2**29

#: Largest file read at all, in bytes (2 GiB); checked from the file size before reading.
MAX_FILE_BYTES = 2 * 1024**3

#: Most bytes a deflated data set may inflate to (256 MiB, a 16-bit 11,000 x 11,000 film);
#: counted while inflating, so a deflate bomb is refused without being held in memory.
MAX_INFLATED_BYTES = 256 * 1024**2


def check_file_size(size: int, path: str | PathLike[str]) -> None:
    """Raise :class:`ImageTooLargeError` when ``size`` (bytes) exceeds ``MAX_FILE_BYTES``."""
    if size > MAX_FILE_BYTES:
        raise ImageTooLargeError(
            f"the file is {size / 1024**3:.1f} GiB, above the limit of "
            f"{MAX_FILE_BYTES / 1024**3:.0f} GiB (imaging.dicom.limits.MAX_FILE_BYTES)",
            path=path,
            fix="Split the data set, or raise imaging.dicom.limits.MAX_FILE_BYTES if the machine "
            "has the memory.",
        )


def check_inflated_size(inflated: int, compressed: int, path: str | PathLike[str]) -> None:
    """Raise :class:`ImageTooLargeError` when ``inflated`` bytes, inflated so far from
    ``compressed`` bytes of deflated data, exceed ``MAX_INFLATED_BYTES``."""
    if inflated > MAX_INFLATED_BYTES:
        raise ImageTooLargeError(
            f"the deflated data set inflates to more than {MAX_INFLATED_BYTES:,} bytes "
            f"({MAX_INFLATED_BYTES / 1024**2:,.0f} MiB, imaging.dicom.limits.MAX_INFLATED_BYTES) "
            f"from {compressed:,} bytes: a deflate bomb, or a data set too large to read; "
            "refused while inflating",
            path=path,
            fix="Check where the file came from; if the image really is that large, convert it "
            "to Explicit VR Little Endian (dcmtk `dcmconv +te`) or raise "
            "imaging.dicom.limits.MAX_INFLATED_BYTES.",
        )


def check_image_size(
    rows: int, cols: int, frames: int, samples_per_pixel: int, path: str | PathLike[str]
) -> None:
    """Raise :class:`ImageTooLargeError` when the header's image exceeds ``MAX_IMAGE_SAMPLES``."""
    total = rows * cols * frames * samples_per_pixel
    if total > MAX_IMAGE_SAMPLES:
        raise ImageTooLargeError(
            f"the header declares {rows} rows x {cols} columns x {frames} frame(s) x "
            f"{samples_per_pixel} sample(s) = {total:,} samples, above the limit of "
            f"{MAX_IMAGE_SAMPLES:,} (imaging.dicom.limits.MAX_IMAGE_SAMPLES)",
            path=path,
            fix="Check (0028,0010) Rows, (0028,0011) Columns and (0028,0008) Number of Frames; "
            "if the image really is that large, raise the limit.",
        )


def check_series_size(total_samples: int, path: str | PathLike[str]) -> None:
    """Raise :class:`ImageTooLargeError` when a series exceeds ``MAX_SERIES_SAMPLES``."""
    if total_samples > MAX_SERIES_SAMPLES:
        raise ImageTooLargeError(
            f"the series holds {total_samples:,} samples, above the limit of "
            f"{MAX_SERIES_SAMPLES:,} (imaging.dicom.limits.MAX_SERIES_SAMPLES)",
            path=path,
            fix="Load a smaller series, or raise imaging.dicom.limits.MAX_SERIES_SAMPLES.",
        )
