"""ROM too uncertain to give: refined corners' noise propagated through flexion minus extension.

A refined corner carries a covariance from the film's noise and edge contrast
(:attr:`imaging.assist.CornerRefinement.covariance_px`, kept by
:attr:`~imaging.endpoints.FilmCorners.covariances`). Each level's segmental angle and translation
get a standard uncertainty ``u`` on each film (:func:`imaging.geometry.uncertainty.
motion_uncertainty`); a ROM, the difference of the two films, has ``u = sqrt(u_flexion^2 +
u_extension^2)``. A ROM is given only when ``COVERAGE * u`` (99.7 %) stays within twice its
accuracy target (:data:`ROM_ACCURACY_TARGETS`): otherwise it could be off by more than twice its
target with nothing saying so, and it is empty with the reason. The translation in mm and in %
of depth are one measurement: both are empty when either is too uncertain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from imaging.anatomy import DiscLevel
from imaging.geometry.uncertainty import motion_uncertainty

if TYPE_CHECKING:
    from imaging.endpoints.compute import FilmCorners

ROM_ACCURACY_TARGETS: Mapping[str, float] = MappingProxyType(
    {"angular_rom": 0.5, "translation_rom": 0.3, "translation_rom_pct_depth": 1.0}
)
"""RMS error targets of assisted ROM (degrees, mm, % of depth; issue 7, measured by
``benchmarks/bench_assist.py``): 0.5 deg and 0.3 mm; 1 % of depth is 0.3 mm of a 30 mm endplate."""
COVERAGE = 3.0
"""Coverage factor of the uncertainty compared with twice the target (99.7 % for a normal
error; JCGM 100:2008 section 6)."""
_SOURCES = {
    "angular_rom": "segmental_angle",
    "translation_rom": "translation",
    "translation_rom_pct_depth": "translation_pct_depth",
}
_UNITS = {"angular_rom": "deg", "translation_rom": "mm", "translation_rom_pct_depth": "%"}


def uncertain_rom(
    flexion: FilmCorners, extension: FilmCorners, levels: Sequence[DiscLevel]
) -> dict[tuple[DiscLevel, str], str]:
    """``{(level, ROM measure): why it is not given}`` for ROM values too uncertain to give.

    Empty when neither film has refined corners with a covariance. Millimetres count only on a
    calibrated pair (an uncalibrated film's translation is judged in % of depth).
    """
    if not (flexion.covariances or extension.covariances):
        return {}
    per_film = [
        motion_uncertainty(film.landmarks, film.covariances, levels)
        for film in (flexion, extension)
    ]
    millimetres = all(f.landmarks.calibration.has_millimetres for f in (flexion, extension))
    out: dict[tuple[DiscLevel, str], str] = {}
    for i, level in enumerate(levels):
        reasons: dict[str, str] = {}
        for measure, source in _SOURCES.items():
            if measure == "translation_rom" and not millimetres:
                continue
            u = math.hypot(float(per_film[0][source][i]), float(per_film[1][source][i]))
            limit = 2.0 * ROM_ACCURACY_TARGETS[measure]
            if not COVERAGE * u <= limit:  # NaN (a corner missing) is empty for that already
                unit = _UNITS[measure]
                reasons[measure] = (
                    f"too uncertain: +-{COVERAGE * u:.2f} {unit} ({COVERAGE:g} standard "
                    f"uncertainties from the refined corners' film noise and edge contrast), "
                    f"more than {limit:g} {unit} (twice its {ROM_ACCURACY_TARGETS[measure]:g} "
                    f"{unit} accuracy target); place this level's corners by hand"
                )
        translation = reasons.get("translation_rom") or reasons.get("translation_rom_pct_depth")
        if translation:
            for measure in ("translation_rom", "translation_rom_pct_depth"):
                reasons.setdefault(measure, translation)
        out.update({(level, measure): why for measure, why in reasons.items()})
    return out
