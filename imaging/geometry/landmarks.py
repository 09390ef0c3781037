"""Corner landmarks of one lateral film: valid once constructed.

A :class:`Landmarks` holds, for one subject x visit x film x reader, the (row, col) pixel position
of each vertebral corner that was placed, with the film's image and calibration.
Corners may be missing (measures needing them are then reported missing); what is present is
checked by the rules of :mod:`imaging.geometry.corner_order` (anterior on one side for the whole
spine, superior cranial of inferior, a non-crossing outline per body, vertebrae in anatomical
order). Every check failure raises :class:`~imaging.errors.LandmarkError` naming the subject,
visit, film, vertebra, corner and, when read from a file, the file and its lines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import NoReturn, TypeVar

import numpy as np
from numpy.typing import NDArray

from imaging.anatomy import Corner, Film, Vertebra
from imaging.calibration import Calibration
from imaging.errors import LandmarkError
from imaging.geometry.corner_order import SpineOrientation, check_corner_order
from imaging.natural_order import natural

Point = tuple[float, float]
MAX_COORDINATE = 2 * 65_535
"""Largest |row| or |col| of a corner (px): two image sizes of the largest image DICOM can hold
(Rows and Columns are 16-bit, PS3.3 C.7.6.3.1), leaving a corner a whole film past the edge of a
cut film. Beyond, it is a coordinate in another unit and would overflow the measures."""
CornerKey = tuple[Vertebra, Corner]
_Term = TypeVar("_Term", Vertebra, Corner, Film)


@dataclass(frozen=True)
class LandmarkPoint:
    """One placed corner: (row, col) in pixels, and where it was read (e.g. ``"line 12"``)."""

    vertebra: Vertebra
    corner: Corner
    row: float
    col: float
    source: str = ""


def _no_sources() -> Mapping[CornerKey, str]:
    return MappingProxyType({})


def _no_calibration() -> Calibration:
    return Calibration.none("no calibration given with the landmarks")


@dataclass(frozen=True)
class Landmarks:
    """The corners placed on one film, with the film's identity and calibration.

    ``corners`` maps vertebra -> corner -> (row, col) pixels (strings such as ``"L4"`` and
    ``"anterior_inferior"`` are accepted and normalised). ``anterior_direction`` is an optional
    (row, col) vector pointing anterior on the image, e.g. from (0020,0020) *Patient Orientation*;
    when given it decides which side is anterior, otherwise the corners' own majority does.
    ``sources`` says where each corner was read; ``origin`` is the landmark file, if any.
    """

    corners: Mapping[Vertebra, Mapping[Corner, Point]]
    film: Film = Film.NEUTRAL
    calibration: Calibration = field(default_factory=_no_calibration)
    image: str = ""
    subject: str = ""
    visit: str = ""
    reader: str = ""
    anterior_direction: Point | None = None
    sources: Mapping[CornerKey, str] = field(default_factory=_no_sources)
    origin: str | None = None
    orientation: SpineOrientation = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "film", self._vocabulary(Film, self.film, "film"))
        corners: dict[Vertebra, dict[Corner, Point]] = {}
        for raw_vertebra, raw_corners in self.corners.items():
            vertebra = self._vocabulary(Vertebra, raw_vertebra, "vertebra")
            for raw_corner, raw_point in raw_corners.items():
                corner = self._vocabulary(Corner, raw_corner, f"{vertebra} corner")
                corners.setdefault(vertebra, {})[corner] = self._point(vertebra, corner, raw_point)
        ordered = {
            v: MappingProxyType({c: corners[v][c] for c in Corner if c in corners[v]})
            for v in Vertebra
            if v in corners
        }
        object.__setattr__(self, "corners", MappingProxyType(ordered))
        sources = {self._source_key(key): text for key, text in self.sources.items()}
        object.__setattr__(self, "sources", MappingProxyType(sources))
        if self.anterior_direction is not None:
            direction = tuple(float(x) for x in self.anterior_direction)
            if len(direction) != 2 or not all(math.isfinite(x) for x in direction):
                self._fail(f"anterior_direction must be a (row, col) vector, got {direction!r}")
            object.__setattr__(self, "anterior_direction", direction)
        spacing = self.calibration.pixel_spacing or (1.0, 1.0)
        physical = {
            v: {c: (p[0] * spacing[0], p[1] * spacing[1]) for c, p in cs.items()}
            for v, cs in ordered.items()
        }
        orientation = check_corner_order(
            physical,
            anterior_direction=self.anterior_direction,
            unit="mm" if self.calibration.pixel_spacing else "px",
            fail=self._fail_at,
        )
        object.__setattr__(self, "orientation", orientation)

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def from_points(
        cls,
        points: Iterable[LandmarkPoint],
        *,
        film: Film | str = Film.NEUTRAL,
        calibration: Calibration | None = None,
        image: str = "",
        subject: str = "",
        visit: str = "",
        reader: str = "",
        anterior_direction: Point | None = None,
        origin: str | None = None,
    ) -> Landmarks:
        """Build from individual points, refusing a corner placed twice."""
        corners: dict[Vertebra, dict[Corner, Point]] = {}
        sources: dict[CornerKey, str] = {}
        for point in points:
            key = (Vertebra(point.vertebra), Corner(point.corner))
            if key[1] in corners.get(key[0], {}):
                first = sources.get(key) or "an earlier row"
                here = point.source or "a later row"
                label = _label(subject, visit, Film(film).value, reader)
                raise LandmarkError(
                    f"{label}: {key[0]} {key[1]} is given twice ({first} and {here})",
                    path=origin,
                    fix="Keep one position per corner and delete the other row.",
                )
            corners.setdefault(key[0], {})[key[1]] = (point.row, point.col)
            if point.source:
                sources[key] = point.source
        return cls(
            corners,
            Film(film),
            calibration or _no_calibration(),
            image,
            subject,
            visit,
            reader,
            anterior_direction,
            sources,
            origin,
        )

    def with_calibration(self, calibration: Calibration) -> Landmarks:
        """The same corners with another calibration (checked again in physical space)."""
        return replace(self, calibration=calibration)

    def with_study(self, *, visit: str) -> Landmarks:
        """The same corners filed under another visit name (e.g. the protocol's visit id)."""
        return self if visit == self.visit else replace(self, visit=visit)

    # --- access ------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """``"subject S, visit V, film F, reader R"`` (parts that are empty left out; the film
        too while it is not yet checked to be one)."""
        film = self.film.value if isinstance(self.film, Film) else ""
        return _label(self.subject, self.visit, film, self.reader)

    @property
    def vertebrae(self) -> tuple[Vertebra, ...]:
        """Vertebrae with at least one corner, cranial to caudal."""
        return tuple(self.corners)

    @property
    def facing(self) -> int | None:
        """+1: anterior toward increasing col (head up); -1: the other way; None: unknown."""
        return self.orientation.facing

    def point(self, vertebra: Vertebra | str, corner: Corner | str) -> Point | None:
        """(row, col) of one corner, or None when it was not placed."""
        return self.corners.get(Vertebra(vertebra), {}).get(Corner(corner))

    def missing(self, vertebra: Vertebra | str) -> tuple[Corner, ...]:
        """The corners of ``vertebra`` that were not placed."""
        placed = self.corners.get(Vertebra(vertebra), {})
        return tuple(c for c in Vertebra(vertebra).corners if c not in placed)

    def array(self, vertebrae: Sequence[Vertebra], corner: Corner) -> NDArray[np.float64]:
        """(row, col) of one corner of each vertebra, shape ``(n, 2)``, NaN where not placed."""
        out = np.full((len(vertebrae), 2), np.nan)
        for i, vertebra in enumerate(vertebrae):
            point = self.point(vertebra, corner)
            if point is not None:
                out[i] = point
        return out

    def points(self) -> Iterator[LandmarkPoint]:
        """Every placed corner, cranial to caudal."""
        for vertebra, corners in self.corners.items():
            for corner, (row, col) in corners.items():
                yield LandmarkPoint(
                    vertebra, corner, row, col, self.sources.get((vertebra, corner), "")
                )

    # --- errors ------------------------------------------------------------------------------
    def _fail(self, message: str, fix: str = "") -> NoReturn:
        raise LandmarkError(f"{self.label}: {message}", path=self.origin, fix=fix)

    def _fail_at(self, message: str, keys: Sequence[CornerKey], fix: str = "") -> NoReturn:
        sources = sorted({self.sources[k] for k in keys if k in self.sources}, key=natural)
        where = f" ({', '.join(sources)})" if sources else ""
        self._fail(f"{message}{where}", fix)

    def _vocabulary(self, kind: type[_Term], value: object, what: str, where: str = "") -> _Term:
        try:
            return kind(str(value))
        except ValueError:
            raise LandmarkError(
                f"{self.label or 'landmarks'}: unknown {what} {value!r}{where}",
                path=self.origin,
                fix=f"Use one of: {', '.join(m.value for m in kind)}.",
            ) from None

    def _source_key(self, key: object) -> CornerKey:
        """A ``sources`` key as (vertebra, corner); LandmarkError naming the key otherwise."""
        if not (isinstance(key, tuple) and len(key) == 2):
            self._fail(
                f"sources key {key!r} is not a (vertebra, corner) pair",
                "Key each source by its corner, e.g. ('L4', 'anterior_superior').",
            )
        where = f" in sources key {key!r}"
        vertebra = self._vocabulary(Vertebra, key[0], "vertebra", where)
        return (vertebra, self._vocabulary(Corner, key[1], "corner", where))

    def _point(self, vertebra: Vertebra, corner: Corner, raw: object) -> Point:
        if corner not in vertebra.corners:
            self._fail_at(
                f"{vertebra} has no {corner} corner",
                [(vertebra, corner)],
                f"Only {' and '.join(c.value for c in vertebra.corners)} are read on {vertebra}.",
            )
        try:
            row, col = (float(x) for x in raw)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            self._fail_at(
                f"{vertebra} {corner} must be a (row, col) pair of numbers, got {raw!r}",
                [(vertebra, corner)],
            )
        if not (math.isfinite(row) and math.isfinite(col)):
            self._fail_at(
                f"{vertebra} {corner} has a non-finite coordinate (row {row}, col {col})",
                [(vertebra, corner)],
                "Give finite pixel coordinates, or leave the corner out.",
            )
        if max(abs(row), abs(col)) > MAX_COORDINATE:
            self._fail_at(
                f"{vertebra} {corner} at (row {row:g}, col {col:g}) is more than "
                f"{MAX_COORDINATE:,} px from the image's origin, outside any DICOM image",
                [(vertebra, corner)],
                "Give the corner's (row, col) in pixels of the image, not in another unit.",
            )
        return (row, col)


def _label(subject: str, visit: str, film: str, reader: str) -> str:
    parts = [("subject", subject), ("visit", visit), ("film", film), ("reader", reader)]
    return ", ".join(f"{name} {value}" for name, value in parts if value)
