"""Corner sets as the assist functions take them: nested or flat mappings of (row, col) pixels.

Callers hold corners as ``{Vertebra: {Corner: (row, col)}}`` (``Landmarks.corners``, the
phantom's ``corners_px``) or as ``{(Vertebra, Corner): (row, col)}``; both are accepted, with
names as strings or enums, and normalised once here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from imaging.anatomy import Corner, Vertebra

Point = tuple[float, float]
CornerKey = tuple[Vertebra, Corner]
CornerInput = Mapping[Any, Any]
"""``{vertebra: {corner: (row, col)}}`` or ``{(vertebra, corner): (row, col)}``."""

ENDPLATE_PARTNER: Mapping[Corner, Corner] = {
    Corner.ANTERIOR_SUPERIOR: Corner.POSTERIOR_SUPERIOR,
    Corner.POSTERIOR_SUPERIOR: Corner.ANTERIOR_SUPERIOR,
    Corner.ANTERIOR_INFERIOR: Corner.POSTERIOR_INFERIOR,
    Corner.POSTERIOR_INFERIOR: Corner.ANTERIOR_INFERIOR,
}
"""The other corner on the same endplate."""
WALL_PARTNER: Mapping[Corner, Corner] = {
    Corner.ANTERIOR_SUPERIOR: Corner.ANTERIOR_INFERIOR,
    Corner.ANTERIOR_INFERIOR: Corner.ANTERIOR_SUPERIOR,
    Corner.POSTERIOR_SUPERIOR: Corner.POSTERIOR_INFERIOR,
    Corner.POSTERIOR_INFERIOR: Corner.POSTERIOR_SUPERIOR,
}
"""The other corner on the same (anterior or posterior) wall."""


def flat_corners(corners: CornerInput) -> dict[CornerKey, Point]:
    """Normalise either corner layout to ``{(Vertebra, Corner): (row, col)}``, cranial first.

    Raises ``ValueError`` for unknown names, a corner a vertebra does not have (S1 has the two
    superior ones), or a point that is not two finite numbers.
    """
    out: dict[CornerKey, Point] = {}
    for key, value in corners.items():
        if isinstance(key, tuple):
            vertebra, corner = Vertebra(key[0]), Corner(key[1])
            _put(out, vertebra, corner, value)
        else:
            vertebra = Vertebra(key)
            for corner_name, point in value.items():
                _put(out, vertebra, Corner(corner_name), point)
    order = {corner: i for i, corner in enumerate(Corner)}
    return dict(sorted(out.items(), key=lambda item: (item[0][0].position, order[item[0][1]])))


def nested_corners(corners: Mapping[CornerKey, Point]) -> dict[Vertebra, dict[Corner, Point]]:
    """``{(Vertebra, Corner): p}`` -> ``{Vertebra: {Corner: p}}`` (the ``Landmarks`` layout)."""
    out: dict[Vertebra, dict[Corner, Point]] = {}
    for (vertebra, corner), point in corners.items():
        out.setdefault(vertebra, {})[corner] = point
    return out


def _put(out: dict[CornerKey, Point], vertebra: Vertebra, corner: Corner, raw: Any) -> None:
    if corner not in vertebra.corners:
        raise ValueError(f"{vertebra} has no {corner} corner")
    try:
        row, col = (float(x) for x in raw)
    except (TypeError, ValueError):
        raise ValueError(f"{vertebra} {corner} must be a (row, col) pair, got {raw!r}") from None
    if not (math.isfinite(row) and math.isfinite(col)):
        raise ValueError(f"{vertebra} {corner} has a non-finite coordinate ({row}, {col})")
    out[(vertebra, corner)] = (row, col)
