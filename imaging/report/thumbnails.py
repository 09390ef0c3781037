"""Small film thumbnails with the read corners and endplate lines, for pages that embed them.

:func:`film_thumbnail` turns a (row, col) film and its corners into a JPEG a few tens of kB
(longest side :data:`MAX_SIDE` px): block-mean downsampling (anti-aliased, no interpolation
between corners and pixels), a 0.5-99.5 percentile grey window, MONOCHROME1 inverted so bone is
white, the endplate lines (anterior to posterior corner of each endplate,
:data:`imaging.anatomy.ENDPLATES`) in yellow and each corner as a red dot. Pure numpy and
scikit-image; no figure, no Qt. JPEG, not PNG: a radiograph's noise makes a PNG of the same
size 3-5 times larger (chroma is not subsampled, so the one-pixel lines keep their colour).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib.image import imsave
from numpy.typing import NDArray
from skimage.draw import disk, line_aa
from skimage.transform import downscale_local_mean

from imaging.anatomy import ENDPLATES, Corner, Vertebra

MAX_SIDE = 256
"""Longest side of a thumbnail in pixels (a 2,000 px film is shrunk 8 times)."""
JPEG_QUALITY = 80
ENDPLATE_RGB = (255, 210, 77)  # the workstation's endplate yellow
CORNER_RGB = (230, 40, 40)

Point = tuple[float, float]
CornerMap = Mapping[Vertebra | str, Mapping[Corner | str, Point]]
"""vertebra -> corner -> (row, col) pixels of the full-size film."""


@dataclass(frozen=True)
class Thumbnail:
    """A JPEG thumbnail; ``scale`` is thumbnail pixels per film pixel (e.g. 0.125)."""

    jpeg: bytes
    shape: tuple[int, int]
    """(rows, cols) of the thumbnail."""
    scale: float

    @property
    def data_uri(self) -> str:
        """``data:image/jpeg;base64,...`` for an ``<img src>`` of a self-contained page."""
        return "data:image/jpeg;base64," + base64.b64encode(self.jpeg).decode("ascii")


def film_thumbnail(
    pixels: NDArray[np.generic],
    corners: CornerMap | None = None,
    *,
    bone_bright: bool = True,
    max_side: int = MAX_SIDE,
    quality: int = JPEG_QUALITY,
) -> Thumbnail:
    """The thumbnail of a greyscale (row, col) film with ``corners`` drawn on it.

    ``bone_bright`` is False for MONOCHROME1 films (stored values make bone dark): they are
    inverted for display. A corner off the film is not drawn. Raises ValueError for an image
    that is not 2-D or is empty.
    """
    image = np.asarray(pixels, dtype=np.float32)
    if image.ndim != 2 or 0 in image.shape:
        raise ValueError(f"a film thumbnail needs a 2-D (row, col) image, got shape {image.shape}")
    factor = max(1, math.ceil(max(image.shape) / max_side))
    small = downscale_local_mean(image, (factor, factor)) if factor > 1 else image
    # downscale_local_mean pads the last block: crop to the whole blocks' extent.
    rows, cols = (math.ceil(n / factor) for n in image.shape)
    grey = _window(small[:rows, :cols], invert=not bone_bright)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    scale = 1.0 / factor
    for vertebra_corners in (corners or {}).values():
        named = {Corner(name): point for name, point in vertebra_corners.items()}
        for _, anterior, posterior in ENDPLATES:
            if anterior in named and posterior in named:
                _line(rgb, _scaled(named[anterior], factor), _scaled(named[posterior], factor))
        for point in named.values():
            row, col = _scaled(point, factor)
            spots = disk((row, col), 1.6, shape=rgb.shape[:2])
            rgb[spots] = CORNER_RGB
    buffer = io.BytesIO()
    imsave(
        buffer,
        rgb,
        format="jpeg",
        pil_kwargs={"quality": quality, "optimize": True, "subsampling": 0},
    )
    return Thumbnail(buffer.getvalue(), (rows, cols), scale)


def _window(image: NDArray[np.floating], invert: bool) -> NDArray[np.uint8]:
    """0-255 grey between the 0.5th and 99.5th percentiles (a flat image is mid-grey)."""
    low, high = np.percentile(image, (0.5, 99.5))
    if not high > low:
        return np.full(image.shape, 128, dtype=np.uint8)
    scaled = np.clip((image - low) / (high - low), 0.0, 1.0)
    if invert:
        scaled = 1.0 - scaled
    return np.asarray(np.round(scaled * 255), dtype=np.uint8)


def _scaled(point: Point, factor: int) -> Point:
    """A full-size (row, col) pixel centre in thumbnail pixels (block means of ``factor``)."""
    return ((point[0] + 0.5) / factor - 0.5, (point[1] + 0.5) / factor - 0.5)


def _line(rgb: NDArray[np.uint8], start: Point, end: Point) -> None:
    """An anti-aliased line blended into ``rgb`` (clipped to the image)."""
    rr, cc, weight = line_aa(round(start[0]), round(start[1]), round(end[0]), round(end[1]))
    inside = (rr >= 0) & (rr < rgb.shape[0]) & (cc >= 0) & (cc < rgb.shape[1])
    rr, cc, weight = rr[inside], cc[inside], weight[inside, None]
    colour = np.array(ENDPLATE_RGB, dtype=np.float64)
    rgb[rr, cc] = np.round(rgb[rr, cc] * (1 - weight) + colour * weight).astype(np.uint8)
