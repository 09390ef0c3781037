"""What vertebra tracking gives back: each vertebra's rigid transform, mapped corners and match.

Made by :func:`imaging.assist.track_vertebrae`; read by :func:`imaging.assist.rom_from_tracking`,
the batch and the workstation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from imaging.anatomy import Corner, Film, Vertebra
from imaging.assist.corners import Point
from imaging.assist.registration import FloatArray, Rigid


@dataclass(frozen=True)
class RigidTransform:
    """Where one vertebra went: source (row, col) pixels -> target (row, col) pixels.

    In millimetres, a source point ``x`` goes to ``R(angle_deg) (x - centre_mm) + centre_mm +
    translation_mm``; ``angle_deg`` is counter-clockwise on the displayed films (rows down),
    ``centre_mm`` the body centre on the source film, ``translation_mm`` (row, col) how far the
    centre moved. Each film's pixels convert to mm with its own spacing.
    """

    angle_deg: float
    translation_mm: tuple[float, float]
    centre_mm: tuple[float, float]
    source_spacing: tuple[float, float]
    target_spacing: tuple[float, float]

    def map_points(self, points: ArrayLike) -> FloatArray:
        """Source pixels, shape (..., 2) -> target pixels."""
        array = np.asarray(points, dtype=np.float64) * np.array(self.source_spacing)
        return self.rigid.apply(array) / np.array(self.target_spacing)

    @property
    def rigid(self) -> Rigid:
        """The same motion between millimetre frames."""
        return Rigid(self.angle_deg, np.array(self.centre_mm), np.array(self.translation_mm))

    def map_point(self, point: Point) -> Point:
        mapped = self.map_points(point)
        return (float(mapped[0]), float(mapped[1]))


@dataclass(frozen=True)
class VertebraTrack:
    """One vertebra found on the target film.

    ``correlation`` is the normalised correlation of the body region after registration (1 is
    identical); ``poor_match`` says the corners should not be trusted, ``reason`` why (or
    ``"matched"``). ``corners`` are the source corners mapped onto the target film (pixels).
    """

    vertebra: Vertebra
    transform: RigidTransform | None
    corners: Mapping[Corner, Point]
    correlation: float
    poor_match: bool
    reason: str


@dataclass(frozen=True)
class TrackingResult:
    """Every tracked vertebra, cranial to caudal, with the films it went between."""

    vertebrae: Mapping[Vertebra, VertebraTrack]
    source_film: Film | None
    target_film: Film | None
    min_correlation: float
    anchor: str = ""
    """How the vertebrae's identity on the target film was established."""
    identity: str = ""
    """Why the target film is not this spine (another subject's, another part of the spine):
    every vertebra is then a poor match; empty when it is."""
    shapes: str = ""
    """How the bodies' shapes on the two films compared (:mod:`imaging.assist.body_shape`)."""

    def __iter__(self) -> Iterator[VertebraTrack]:
        return iter(self.vertebrae.values())

    def __getitem__(self, vertebra: Vertebra | str) -> VertebraTrack:
        return self.vertebrae[Vertebra(vertebra)]

    def mapped_corners(self, include_poor: bool = False) -> dict[Vertebra, dict[Corner, Point]]:
        """Corners on the target film (pixels); poor matches left out unless asked for."""
        return {
            track.vertebra: dict(track.corners)
            for track in self.vertebrae.values()
            if track.corners and (include_poor or not track.poor_match)
        }

    @property
    def poor_matches(self) -> tuple[Vertebra, ...]:
        return tuple(v for v, t in self.vertebrae.items() if t.poor_match)
