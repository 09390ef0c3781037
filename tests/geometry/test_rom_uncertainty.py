"""Refined corners' uncertainty through segmental angle, translation and ROM (issue 14): a ROM
too uncertain to give is empty with the reason, and the instability flag is then undecided."""

from __future__ import annotations

import math

import pytest
from geometry_spines import spine_corners

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.calibration import Calibration
from imaging.endpoints import EndpointRow, FilmCorners, MeasureRules, StudyRead, endpoint_rows
from imaging.geometry import Landmarks
from imaging.geometry.uncertainty import motion_uncertainty
from imaging.protocol.loader import load_protocol

MM = Calibration.user_supplied_spacing(0.2)
DLBP = MeasureRules.from_protocol(load_protocol())
L4_L5 = DiscLevel("L4-L5")
LEVEL_CORNERS = [
    (Vertebra.L4, Corner.ANTERIOR_INFERIOR),
    (Vertebra.L4, Corner.POSTERIOR_INFERIOR),
    (Vertebra.L5, Corner.ANTERIOR_SUPERIOR),
    (Vertebra.L5, Corner.POSTERIOR_SUPERIOR),
]


def _film(film: Film, angle: list[float]) -> Landmarks:
    """Rectangle bodies 40 px deep at 0.2 mm per pixel, endplates along the columns."""
    corners = spine_corners(posterior_height=10.0, angle=angle)
    return Landmarks(corners, film, MM, image=f"{film}.dcm", subject="S", visit="v")


def test_one_corner_uncertainty_propagates_by_hand() -> None:
    landmarks = _film(Film.FLEXION, [0.0] * 5)
    # L4's posterior-inferior corner: 1 px along the endplate (columns), 2 px across it (rows).
    u = motion_uncertainty(
        landmarks, {(Vertebra.L4, Corner.POSTERIOR_INFERIOR): (4.0, 0.0, 1.0)}, (L4_L5,)
    )
    assert u["translation"][0] == pytest.approx(0.2)  # 1 px x 0.2 mm, along the lower endplate
    assert u["translation_pct_depth"][0] == pytest.approx(100 * 0.2 / 8.0)  # of an 8 mm depth
    assert u["segmental_angle"][0] == pytest.approx(math.degrees(2 / 40), rel=1e-4)
    assert motion_uncertainty(landmarks, {}, (L4_L5,))["translation"][0] == 0.0  # clicks only


def _rows(sd_px: float) -> dict[tuple[str, str], EndpointRow]:
    flexion = FilmCorners(_film(Film.FLEXION, [1, 2, 3, -2, 5]), "refined")
    extension = FilmCorners(
        _film(Film.EXTENSION, [10, 12, 14, 16, 20]),
        "refined",
        covariances={key: (sd_px**2, 0.0, sd_px**2) for key in LEVEL_CORNERS},
    )
    rows = endpoint_rows(StudyRead("S", "v", "R", films=(flexion, extension)), DLBP)
    return {(r.level, r.measure): r for r in rows if r.film == "flexion-extension"}


def test_a_rom_too_uncertain_is_empty_with_the_reason_and_decides_no_instability() -> None:
    rows = _rows(sd_px=1.0)  # 0.2 mm on each of L4-L5's corners of the extension film
    angular = rows[("L4-L5", "angular_rom")]
    assert angular.value is None
    assert angular.note.startswith(
        "too uncertain: +-8.59 deg (3 standard uncertainties from the refined corners' film "
        "noise and edge contrast), more than 1 deg (twice its 0.5 deg accuracy target); place "
        "this level's corners by hand"
    )
    # 3 x sqrt(2) x 0.2 = 0.85 mm from the two posterior corners, the rest from the lower
    # endplate's direction (its anterior corner) on this 16-degree disc.
    translation = rows[("L4-L5", "translation_rom")]
    assert translation.value is None and "too uncertain: +-0.87 mm" in translation.note
    percent = rows[("L4-L5", "translation_rom_pct_depth")]
    assert percent.value is None and "too uncertain: +-10.93 %" in percent.note  # of 8 mm
    unstable = rows[("L4-L5", "unstable")]
    assert unstable.value is None and "not decidable" in unstable.note
    # The other levels' corners carry no uncertainty: measured as ever (18 deg at L4-L5 before).
    assert rows[("L3-L4", "angular_rom")].value == pytest.approx(11.0)


def test_a_rom_within_its_uncertainty_limit_is_given() -> None:
    rows = _rows(sd_px=0.02)
    assert rows[("L4-L5", "angular_rom")].value == pytest.approx(18.0)
    assert rows[("L4-L5", "unstable")].value == 1.0
    assert rows[("L4-L5", "translation_rom")].note == ""
