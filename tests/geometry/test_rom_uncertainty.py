"""Refined corners' uncertainty through segmental angle, translation and ROM (issue 14): a ROM
too uncertain to give is empty with the reason, and the instability flag is then undecided."""

from __future__ import annotations

import math

import numpy as np
import pytest
from geometry_spines import spine_corners

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.calibration import Calibration
from imaging.endpoints import (
    EndpointRow,
    FilmCorners,
    MeasureRules,
    StudyRead,
    endpoint_rows,
    rom_uncertainty,
)
from imaging.geometry import Landmarks
from imaging.geometry.uncertainty import MOTION_SOURCES, motion_uncertainty
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


def _film(
    film: Film, angle: list[float], calibration: Calibration = MM, posterior_height: float = 10.0
) -> Landmarks:
    """Rectangle bodies 40 px deep (8 mm at 0.2 mm per pixel), endplates along the columns."""
    corners = spine_corners(posterior_height=posterior_height, angle=angle)
    return Landmarks(corners, film, calibration, image=f"{film}.dcm", subject="S", visit="v")


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


def _rows(
    sd_px: float, calibration: Calibration = MM, *, on: Film = Film.EXTENSION
) -> dict[tuple[str, str], EndpointRow]:
    """L4-L5's corners refined with ``sd_px`` on the ``on`` film only (18 deg ROM at L4-L5)."""
    covariances = {key: (sd_px**2, 0.0, sd_px**2) for key in LEVEL_CORNERS}
    flexion = FilmCorners(
        _film(Film.FLEXION, [1, 2, 3, -2, 5], calibration),
        "refined",
        covariances=covariances if on is Film.FLEXION else {},
    )
    extension = FilmCorners(
        _film(Film.EXTENSION, [10, 12, 14, 16, 20], calibration),
        "refined",
        covariances=covariances if on is Film.EXTENSION else {},
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


def test_an_uncalibrated_films_uncertainty_is_in_pixels() -> None:
    landmarks = _film(Film.FLEXION, [0.0] * 5, Calibration.none())
    u = motion_uncertainty(
        landmarks, {(Vertebra.L4, Corner.POSTERIOR_INFERIOR): (4.0, 0.0, 1.0)}, (L4_L5,)
    )
    assert u["translation"][0] == pytest.approx(1.0)  # 1 px along the endplate
    assert u["translation_pct_depth"][0] == pytest.approx(100 * 1 / 40)  # of a 40 px depth
    assert u["segmental_angle"][0] == pytest.approx(math.degrees(2 / 40), rel=1e-4)


def test_a_collapsed_disc_takes_its_angle_sign_from_the_film_not_its_own_corners() -> None:
    # No disc height: the upper endplate lies on the lower one, so the disc's own corners cannot
    # say which way it faces; the film's facing still gives the angle's uncertainty.
    landmarks = _film(Film.FLEXION, [0.0] * 5, posterior_height=0.0)
    u = motion_uncertainty(
        landmarks, {(Vertebra.L4, Corner.POSTERIOR_INFERIOR): (4.0, 0.0, 1.0)}, (L4_L5,)
    )
    assert u["segmental_angle"][0] == pytest.approx(math.degrees(2 / 40), rel=1e-4)
    assert u["translation"][0] == pytest.approx(0.2)


def test_the_flexion_films_uncertainty_counts_as_much_as_the_extensions() -> None:
    rows = _rows(sd_px=1.0, on=Film.FLEXION)
    assert rows[("L4-L5", "angular_rom")].value is None
    assert "too uncertain: +-8.59 deg" in rows[("L4-L5", "angular_rom")].note


def test_an_uncalibrated_pair_judges_the_angle_and_the_translation_in_percent() -> None:
    rows = _rows(sd_px=1.0, calibration=Calibration.none())
    assert rows[("L4-L5", "angular_rom")].value is None
    assert "too uncertain: +-8.59 deg" in rows[("L4-L5", "angular_rom")].note
    percent = rows[("L4-L5", "translation_rom_pct_depth")]
    assert percent.value is None and percent.note.startswith("too uncertain: +-10.93 %")
    assert "uncalibrated" in rows[("L4-L5", "translation_rom")].note  # no mm, whatever the noise
    # 0.65 px of translation uncertainty is no "mm" limit: 1.63 % of depth is within its 2 %.
    within = _rows(sd_px=0.15, calibration=Calibration.none())
    assert within[("L4-L5", "translation_rom_pct_depth")].value == pytest.approx(0.0, abs=1e-9)
    assert within[("L4-L5", "translation_rom_pct_depth")].note == ""


def test_translation_in_mm_and_in_percent_are_empty_together_with_the_reason() -> None:
    # 0.2 mm per pixel, 8 mm deep: +-0.26 mm is within 0.6 mm but +-3.28 % exceeds 2 %.
    rows = _rows(sd_px=0.3)
    percent = rows[("L4-L5", "translation_rom_pct_depth")]
    assert percent.value is None and percent.note.startswith("too uncertain: +-3.28 %")
    assert rows[("L4-L5", "translation_rom")].value is None
    assert rows[("L4-L5", "translation_rom")].note == percent.note
    # 1 mm per pixel, 40 mm deep: +-1.74 % is within 2 % but +-0.70 mm exceeds 0.6 mm.
    deep = _rows(sd_px=0.16, calibration=Calibration.user_supplied_spacing(1.0))
    millimetres = deep[("L4-L5", "translation_rom")]
    assert millimetres.value is None and millimetres.note.startswith("too uncertain: +-0.70 mm")
    assert deep[("L4-L5", "translation_rom_pct_depth")].value is None
    assert deep[("L4-L5", "translation_rom_pct_depth")].note == millimetres.note


def test_a_rom_exactly_at_twice_its_target_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    # The films' angle uncertainties 1/3 and 0 deg: 3 x 1/3 = 1 deg, exactly twice 0.5 deg.
    per_film = iter([1 / 3, 0.0])

    def uncertainty(*_: object) -> dict[str, np.ndarray]:
        return {name: np.array([next(per_film) if name == "segmental_angle" else 0.0])
                for name in MOTION_SOURCES}  # fmt: skip

    monkeypatch.setattr(rom_uncertainty, "motion_uncertainty", uncertainty)
    flexion = FilmCorners(_film(Film.FLEXION, [0.0] * 5), "refined", covariances={})
    extension = FilmCorners(
        _film(Film.EXTENSION, [0.0] * 5), "refined", covariances={LEVEL_CORNERS[0]: (1, 0, 1)}
    )
    assert rom_uncertainty.uncertain_rom(flexion, extension, (L4_L5,)) == {}
