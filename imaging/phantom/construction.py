"""Where every vertebra sits on one film: the phantom's corners in patient mm, built from its spec.

Frame: the mid-sagittal plane in mm, points as (row_mm, col_mm) with rows running caudally and
columns posteriorly, i.e. the patient faces the image's left as on a lateral film. The chain is
built from the sacrum up: S1's superior endplate is set at the film's sacral slope, then each disc
places the vertebra above it so that the disc's segmental angle, translation and mean height are
exactly those of the spec. Corners are the vertices of each body's trapezoid (the intersection of
the endplate and wall lines; the rendered body has rounded corners inside them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra
from imaging.phantom.spec import PHANTOM_VERTEBRAE, PhantomSpec, VertebraShape

Point = tuple[float, float]


def endplate_direction(tilt_deg: float) -> NDArray[np.float64]:
    """Unit (row, col) vector along an endplate from posterior to anterior.

    ``tilt_deg`` is the angle to the horizontal, positive when the anterior end is lower.
    """
    t = math.radians(tilt_deg)
    return np.array([math.sin(t), -math.cos(t)])


def caudal_normal(tilt_deg: float) -> NDArray[np.float64]:
    """Unit (row, col) vector perpendicular to an endplate of that tilt, pointing caudally."""
    t = math.radians(tilt_deg)
    return np.array([math.cos(t), math.sin(t)])


@dataclass(frozen=True)
class PlacedVertebra:
    """A vertebral body placed on a film: its shape, centre and axis tilt, in patient mm.

    Local coordinates ``(a, c)``: ``a`` anterior and ``c`` caudal, in mm from the body centre,
    along the body's axes (the bisector of its endplates is the ``a`` axis).
    """

    vertebra: Vertebra
    shape: VertebraShape
    centre_mm: Point
    tilt_deg: float

    @property
    def half_wedge_deg(self) -> float:
        return self.shape.wedge_deg / 2.0

    @property
    def superior_tilt_deg(self) -> float:
        return self.tilt_deg - self.half_wedge_deg

    @property
    def inferior_tilt_deg(self) -> float:
        return self.tilt_deg + self.half_wedge_deg

    def local_corners(self) -> dict[Corner, Point]:
        d, ha, hp = (
            self.shape.depth_mm,
            self.shape.anterior_height_mm,
            self.shape.posterior_height_mm,
        )
        return {
            Corner.ANTERIOR_SUPERIOR: (d / 2, -ha / 2),
            Corner.POSTERIOR_SUPERIOR: (-d / 2, -hp / 2),
            Corner.ANTERIOR_INFERIOR: (d / 2, ha / 2),
            Corner.POSTERIOR_INFERIOR: (-d / 2, hp / 2),
        }

    def to_patient(self, a: ArrayLike, c: ArrayLike) -> tuple[NDArray[np.float64], ...]:
        """(row_mm, col_mm) of local points ``(a, c)``; works on arrays."""
        a_arr = np.asarray(a, dtype=np.float64)
        c_arr = np.asarray(c, dtype=np.float64)
        ea, ec = endplate_direction(self.tilt_deg), caudal_normal(self.tilt_deg)
        row = self.centre_mm[0] + a_arr * ea[0] + c_arr * ec[0]
        col = self.centre_mm[1] + a_arr * ea[1] + c_arr * ec[1]
        return row, col

    def to_local(self, row_mm: ArrayLike, col_mm: ArrayLike) -> tuple[NDArray[np.float64], ...]:
        """Local ``(a, c)`` of patient points; works on arrays."""
        dr = np.asarray(row_mm, dtype=np.float64) - self.centre_mm[0]
        dc = np.asarray(col_mm, dtype=np.float64) - self.centre_mm[1]
        ea, ec = endplate_direction(self.tilt_deg), caudal_normal(self.tilt_deg)
        return dr * ea[0] + dc * ea[1], dr * ec[0] + dc * ec[1]

    @property
    def corners_mm(self) -> dict[Corner, Point]:
        """The four trapezoid vertices in patient (row_mm, col_mm)."""
        out: dict[Corner, Point] = {}
        for corner, (a, c) in self.local_corners().items():
            row, col = self.to_patient(a, c)
            out[corner] = (float(row), float(col))
        return out


@dataclass(frozen=True)
class SpinePose:
    """All vertebrae T12-S1 placed for one film, cranial to caudal."""

    film: Film
    vertebrae: Mapping[Vertebra, PlacedVertebra]

    def corners_mm(self) -> dict[Vertebra, dict[Corner, Point]]:
        """Every corner in patient mm; S1 has its two superior corners only."""
        out: dict[Vertebra, dict[Corner, Point]] = {}
        for vertebra, placed in self.vertebrae.items():
            corners = placed.corners_mm
            out[vertebra] = {c: corners[c] for c in vertebra.corners}
        return out


def build_pose(spec: PhantomSpec, film: Film | str) -> SpinePose:
    """Place the phantom's vertebrae for one film (neutral, flexion or extension)."""
    film = Film(film)
    s1_shape = spec.vertebrae[Vertebra.S1]
    s1_tilt = spec.sacral_slope_on(film) + s1_shape.wedge_deg / 2.0
    # S1's posterior-superior corner sits at the origin of the patient frame.
    ea, ec = endplate_direction(s1_tilt), caudal_normal(s1_tilt)
    centre = ea * s1_shape.depth_mm / 2 + ec * s1_shape.posterior_height_mm / 2
    placed = {Vertebra.S1: PlacedVertebra(Vertebra.S1, s1_shape, (centre[0], centre[1]), s1_tilt)}
    lower = placed[Vertebra.S1]
    for upper_vertebra in reversed(PHANTOM_VERTEBRAE[:-1]):
        level = DiscLevel.between(upper_vertebra, lower.vertebra)
        disc = spec.discs[level]
        angle = disc.angle_deg + disc.motion.angle_change(film)
        translation = disc.translation_mm + disc.motion.translation_change(film)
        upper = _place_upper(
            lower, upper_vertebra, spec.vertebrae[upper_vertebra], angle, translation,
            disc.height_mm, level,
        )  # fmt: skip
        placed[upper_vertebra] = upper
        lower = upper
    ordered = {v: placed[v] for v in PHANTOM_VERTEBRAE}
    return SpinePose(film, MappingProxyType(ordered))


def _place_upper(
    lower: PlacedVertebra,
    vertebra: Vertebra,
    shape: VertebraShape,
    angle_deg: float,
    translation_mm: float,
    mean_height_mm: float,
    level: DiscLevel,
) -> PlacedVertebra:
    """Place the vertebra above ``lower`` so the disc has exactly the given angle, translation
    and mean height (Newton's method on the perpendicular gap at the posterior corner)."""
    lower_corners = lower.corners_mm
    ps = np.array(lower_corners[Corner.POSTERIOR_SUPERIOR])
    as_ = np.array(lower_corners[Corner.ANTERIOR_SUPERIOR])
    lower_tilt = lower.superior_tilt_deg
    d_lower, k_lower = endplate_direction(lower_tilt), caudal_normal(lower_tilt)
    upper_inferior_tilt = lower_tilt - angle_deg
    half = (shape.anterior_height_mm - shape.posterior_height_mm) / 2
    endplate = math.hypot(shape.depth_mm, half) * endplate_direction(upper_inferior_tilt)

    base_posterior = ps + translation_mm * d_lower  # PI at zero gap
    base_anterior = base_posterior + endplate  # AI at zero gap

    def mean_height(gap: float) -> tuple[float, float]:
        vp = base_posterior - gap * k_lower - ps
        va = base_anterior - gap * k_lower - as_
        lp, la = float(np.hypot(*vp)), float(np.hypot(*va))
        slope = -(float(vp @ k_lower) / lp + float(va @ k_lower) / la) / 2
        return (lp + la) / 2, slope

    gap = mean_height_mm
    for _ in range(60):
        value, slope = mean_height(gap)
        if slope <= 0:  # the upper vertebra would sink into the lower one
            break
        step = (value - mean_height_mm) / slope
        gap -= step
        if abs(step) < 1e-13:
            break
    if not (gap > 0.3 and abs(mean_height(gap)[0] - mean_height_mm) < 1e-9):
        raise ValueError(
            f"{level.value}: a mean disc height of {mean_height_mm:g} mm at a segmental angle of "
            f"{angle_deg:g} degrees leaves no posterior disc space; raise the height or lower "
            "the angle"
        )
    posterior_inferior = base_posterior - gap * k_lower
    tilt = upper_inferior_tilt - shape.wedge_deg / 2
    ea, ec = endplate_direction(tilt), caudal_normal(tilt)
    centre = posterior_inferior + ea * shape.depth_mm / 2 - ec * shape.posterior_height_mm / 2
    return PlacedVertebra(vertebra, shape, (float(centre[0]), float(centre[1])), tilt)


def sacral_segments(s1: PlacedVertebra, count: int = 3) -> list[PlacedVertebra]:
    """The fused segments below S1 (S2, S3, ...), smaller and curving posteriorly, for drawing."""
    segments: list[PlacedVertebra] = []
    upper = s1
    for index in range(count):
        scale = 0.82 - 0.16 * index
        shape = VertebraShape(
            s1.shape.depth_mm * scale,
            s1.shape.anterior_height_mm * scale,
            s1.shape.posterior_height_mm * scale,
            s1.shape.width_mm * scale,
        )
        corners = upper.corners_mm
        posterior = np.array(corners[Corner.POSTERIOR_INFERIOR])
        tilt = upper.inferior_tilt_deg + 14.0 + shape.wedge_deg / 2
        ea, ec = endplate_direction(tilt), caudal_normal(tilt)
        centre = posterior + ea * shape.depth_mm / 2 + ec * shape.posterior_height_mm / 2
        upper = PlacedVertebra(Vertebra.S1, shape, (float(centre[0]), float(centre[1])), tilt)
        segments.append(upper)
    return segments


def posterior_elements(placed: PlacedVertebra) -> dict[str, list[Point]]:
    """Simple lateral outlines of the pedicle, articular mass and spinous process (patient mm).

    Convex polygons in the vertebra's local frame, attached to the posterior wall; S1 has none
    (the sacrum's dorsal plate is drawn with the sacral segments).
    """
    d, hp = placed.shape.depth_mm, placed.shape.posterior_height_mm
    w = -d / 2  # posterior wall
    local = {
        "pedicle": [(w + 1, -hp / 2 + 2), (w - 17, -hp / 2 + 3), (w - 17, -hp / 2 + 14),
                    (w + 1, -hp / 2 + 14)],
        "articular": [(w - 14, -hp / 2 - 3), (w - 30, -hp / 2 - 1), (w - 30, hp / 2 + 5),
                      (w - 14, hp / 2 + 3)],
        "spinous": [(w - 27, -hp / 2 + 4), (w - 60, -hp / 2 + 9), (w - 62, hp / 2 - 3),
                    (w - 27, hp / 2 + 1)],
    }  # fmt: skip
    out: dict[str, list[Point]] = {}
    for name, points in local.items():
        a = np.array([p[0] for p in points])
        c = np.array([p[1] for p in points])
        row, col = placed.to_patient(a, c)
        out[name] = [(float(r), float(k)) for r, k in zip(row, col, strict=True)]
    return out
