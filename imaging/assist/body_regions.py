"""The body region of each vertebra that tracking registers, from its corners (mm).

A lumbar vertebra's region is its four corners; S1's, its superior endplate extended caudally
(away from the vertebrae above) into a body 0.7 endplate depths high, and for the anchor search
lengthened over the sacrum (2.3 depths), which makes it unlike any lumbar body.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from imaging.anatomy import BODY_OUTLINE, Corner, Vertebra
from imaging.assist.corners import Point
from imaging.assist.registration import FloatArray


def body_polygons(
    clicks: Mapping[Vertebra, Mapping[Corner, Point]], spacing: tuple[float, float]
) -> tuple[dict[Vertebra, FloatArray], dict[Vertebra, str]]:
    """Each trackable vertebra's body outline in mm; the others with the reason."""
    scale = np.array(spacing)
    polygons: dict[Vertebra, FloatArray] = {}
    skipped: dict[Vertebra, str] = {}
    for vertebra, corners in clicks.items():
        if vertebra is Vertebra.S1:
            if len(corners) < 2:
                skipped[vertebra] = "S1 needs both superior corners to be tracked"
                continue
            polygons[vertebra] = _sacral_body(corners, clicks, scale)
            continue
        missing = [c.value for c in BODY_OUTLINE if c not in corners]
        if missing:
            skipped[vertebra] = (
                f"needs all four corners to be tracked; missing {', '.join(missing)}"
            )
            continue
        polygons[vertebra] = np.array([corners[c] for c in BODY_OUTLINE]) * scale
    return polygons, skipped


def _sacral_body(
    corners: Mapping[Corner, Point],
    clicks: Mapping[Vertebra, Mapping[Corner, Point]],
    scale: FloatArray,
) -> FloatArray:
    """S1's superior endplate extended caudally (away from the vertebrae above) into a body."""
    anterior = np.array(corners[Corner.ANTERIOR_SUPERIOR]) * scale
    posterior = np.array(corners[Corner.POSTERIOR_SUPERIOR]) * scale
    endplate = anterior - posterior
    depth = float(np.hypot(*endplate))
    normal = np.array([-endplate[1], endplate[0]]) / depth
    above = [
        np.array(p) * scale for v, cs in clicks.items() if v is not Vertebra.S1 for p in cs.values()
    ]
    middle = (anterior + posterior) / 2
    # Away from the vertebrae above; with none clicked, rows are taken to run caudally.
    pointing_up = (np.mean(above, axis=0) - middle) @ normal > 0 if above else normal[0] < 0
    if pointing_up:
        normal = -normal
    height = 0.7 * depth
    return np.array([anterior, posterior, posterior + height * normal, anterior + height * normal])


def sacral_context(s1: FloatArray) -> FloatArray:
    """S1's body outline lengthened caudally over the sacrum (2.3 endplate depths)."""
    anterior, posterior, posterior_low, anterior_low = s1
    stretch = 1.6 / 0.7
    return np.array(
        [
            anterior,
            posterior,
            posterior + (posterior_low - posterior) * stretch,
            anterior + (anterior_low - anterior) * stretch,
        ]
    )
