"""Natural order of identifiers and places in a file: numbers compare as numbers, letters without
case ('S2' < 'S10', 'line 9' < 'line 10'): subjects, readers, studies and a landmark's source lines
are listed in this order everywhere."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=65536)
def natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key with numbers compared as numbers ('S2' < 'S10')."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"(\d+)", text)
        if part
    )
