"""What a phantom spine is made of: anatomy, disc state, grades and segmental motion, in patient mm.

A :class:`PhantomSpec` describes one subject at one visit; it knows nothing of pixels or DICOM.
Angles are in degrees, lengths in mm in the mid-sagittal plane. Sign conventions follow the
measure definitions (issue 3): a segmental angle is positive when the disc opens anteriorly
(lordosis); a translation is positive when the upper vertebra sits forward (anterior) of the lower.

Every constructor validates its values, so a spec that exists can be rendered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

from imaging.anatomy import DiscLevel, Film, Vertebra

MODIC_TYPES: tuple[str, ...] = ("0", "I", "II", "III", "I/II", "II/III")
"""Modic types per endplate (shared/reference/spine-imaging.md section 3); mixed types allowed."""

PFIRRMANN_GRADES: tuple[int, ...] = (1, 2, 3, 4, 5)

PHANTOM_VERTEBRAE: tuple[Vertebra, ...] = (
    Vertebra.T12,
    Vertebra.L1,
    Vertebra.L2,
    Vertebra.L3,
    Vertebra.L4,
    Vertebra.L5,
    Vertebra.S1,
)
"""Every vertebra the phantom builds, cranial to caudal (T12 is rendered; landmarked on request)."""

PHANTOM_LEVELS: tuple[DiscLevel, ...] = (
    DiscLevel.T12_L1,
    DiscLevel.L1_L2,
    DiscLevel.L2_L3,
    DiscLevel.L3_L4,
    DiscLevel.L4_L5,
    DiscLevel.L5_S1,
)


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number of mm, got {value!r}")
    return value


def _finite(name: str, value: float, limit: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and abs(value) <= limit):
        raise ValueError(f"{name} must be a finite number within +/-{limit:g}, got {value!r}")
    return value


@dataclass(frozen=True)
class VertebraShape:
    """A vertebral body seen from the side: a trapezoid (before its corners are rounded).

    ``depth_mm`` is the anteroposterior depth of the body, ``anterior_height_mm`` and
    ``posterior_height_mm`` the heights of its anterior and posterior walls. Unequal heights make
    a wedge: anterior taller than posterior is lordotic (as L5 usually is). ``width_mm`` is the
    left-right width, used by the MR rendering only.
    """

    depth_mm: float
    anterior_height_mm: float
    posterior_height_mm: float
    width_mm: float = 46.0

    def __post_init__(self) -> None:
        for name in ("depth_mm", "anterior_height_mm", "posterior_height_mm", "width_mm"):
            object.__setattr__(self, name, _positive(name, getattr(self, name)))
        ratio = self.anterior_height_mm / self.posterior_height_mm
        if not 0.6 <= ratio <= 1.6:
            raise ValueError(
                f"anterior/posterior height ratio {ratio:.2f} is not a vertebral body "
                "(expected 0.6-1.6); check anterior_height_mm and posterior_height_mm"
            )

    @property
    def wedge_deg(self) -> float:
        """Angle between the superior and inferior endplates, lordotic positive."""
        half = (self.anterior_height_mm - self.posterior_height_mm) / 2.0
        return math.degrees(2.0 * math.atan2(half, self.depth_mm))


@dataclass(frozen=True)
class SegmentMotion:
    """Change of a segment from the neutral film on the flexion and extension films.

    Flexion normally reduces lordosis (negative angle change) and moves the upper vertebra
    forward (positive translation change); extension the opposite. Angular range of motion is
    ``|flexion_angle_deg - extension_angle_deg|``; translation likewise.
    """

    flexion_angle_deg: float = -4.0
    extension_angle_deg: float = 3.0
    flexion_translation_mm: float = 0.6
    extension_translation_mm: float = -0.4

    def __post_init__(self) -> None:
        for name in ("flexion_angle_deg", "extension_angle_deg"):
            object.__setattr__(self, name, _finite(name, getattr(self, name), 40.0))
        for name in ("flexion_translation_mm", "extension_translation_mm"):
            object.__setattr__(self, name, _finite(name, getattr(self, name), 20.0))

    def angle_change(self, film: Film | str) -> float:
        film = Film(film)
        return {
            Film.NEUTRAL: 0.0,
            Film.FLEXION: self.flexion_angle_deg,
            Film.EXTENSION: self.extension_angle_deg,
        }[film]

    def translation_change(self, film: Film | str) -> float:
        film = Film(film)
        return {
            Film.NEUTRAL: 0.0,
            Film.FLEXION: self.flexion_translation_mm,
            Film.EXTENSION: self.extension_translation_mm,
        }[film]


@dataclass(frozen=True)
class DiscSpec:
    """One intervertebral disc at one visit.

    ``height_mm`` is the disc_height_mean (mean of the anterior and posterior corner distances,
    issue 3) that the construction reproduces exactly on every film. ``angle_deg`` and
    ``translation_mm`` are the neutral segmental angle and translation; ``motion`` their change on
    the dynamic films. ``pfirrmann`` (1-5) sets the nucleus signal on T2; ``modic_cranial`` (the
    inferior endplate of the upper vertebra) and ``modic_caudal`` (the superior endplate of the
    lower vertebra) set the marrow signal next to each endplate.
    """

    height_mm: float
    angle_deg: float
    translation_mm: float = 0.0
    pfirrmann: int = 2
    modic_cranial: str = "0"
    modic_caudal: str = "0"
    motion: SegmentMotion = field(default_factory=SegmentMotion)

    def __post_init__(self) -> None:
        object.__setattr__(self, "height_mm", _positive("height_mm", self.height_mm))
        object.__setattr__(self, "angle_deg", _finite("angle_deg", self.angle_deg, 30.0))
        object.__setattr__(
            self, "translation_mm", _finite("translation_mm", self.translation_mm, 20.0)
        )
        if self.pfirrmann not in PFIRRMANN_GRADES:
            raise ValueError(f"pfirrmann must be one of 1-5, got {self.pfirrmann!r}")
        for name in ("modic_cranial", "modic_caudal"):
            value = str(getattr(self, name)).strip().upper()
            if value not in MODIC_TYPES:
                raise ValueError(
                    f"{name} must be one of {', '.join(MODIC_TYPES)}, got {getattr(self, name)!r}"
                )
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class PhantomSpec:
    """A lumbar spine T12-S1 for one subject at one visit.

    ``vertebrae`` maps every vertebra of :data:`PHANTOM_VERTEBRAE` to its shape (S1's shape is the
    first sacral segment); ``discs`` maps every level of :data:`PHANTOM_LEVELS` to its state.
    ``sacral_slope_deg`` is the neutral angle of the S1 superior endplate to the horizontal
    (anterior end lower); ``pelvic_tilt_flexion_deg`` and ``pelvic_tilt_extension_deg`` change it on
    the dynamic films. ``landmark_t12`` adds T12's corners (and level T12-L1) to the ground truth.
    """

    vertebrae: Mapping[Vertebra, VertebraShape]
    discs: Mapping[DiscLevel, DiscSpec]
    sacral_slope_deg: float = 38.0
    pelvic_tilt_flexion_deg: float = -6.0
    pelvic_tilt_extension_deg: float = 4.0
    landmark_t12: bool = False

    def __post_init__(self) -> None:
        vertebrae = {Vertebra(k): v for k, v in self.vertebrae.items()}
        discs = {DiscLevel(k): v for k, v in self.discs.items()}
        missing = [v.value for v in PHANTOM_VERTEBRAE if v not in vertebrae]
        missing += [level.value for level in PHANTOM_LEVELS if level not in discs]
        if missing:
            raise ValueError(f"a phantom needs every vertebra and disc T12-S1; missing {missing}")
        object.__setattr__(self, "vertebrae", MappingProxyType(vertebrae))
        object.__setattr__(self, "discs", MappingProxyType(discs))
        object.__setattr__(
            self, "sacral_slope_deg", _finite("sacral_slope_deg", self.sacral_slope_deg, 70.0)
        )
        for name in ("pelvic_tilt_flexion_deg", "pelvic_tilt_extension_deg"):
            object.__setattr__(self, name, _finite(name, getattr(self, name), 30.0))

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def normal(cls) -> PhantomSpec:
        """An average healthy adult lumbar spine (L1-S1 lordosis about 45 degrees)."""
        shapes = {
            Vertebra.T12: VertebraShape(31.0, 23.5, 25.0, 42.0),
            Vertebra.L1: VertebraShape(33.0, 25.0, 27.0, 44.0),
            Vertebra.L2: VertebraShape(34.5, 26.0, 27.5, 46.0),
            Vertebra.L3: VertebraShape(36.0, 27.0, 27.5, 48.0),
            Vertebra.L4: VertebraShape(37.0, 27.5, 27.0, 50.0),
            Vertebra.L5: VertebraShape(37.0, 28.0, 24.5, 50.0),
            Vertebra.S1: VertebraShape(36.0, 27.0, 25.0, 48.0),
        }
        discs = {
            DiscLevel.T12_L1: DiscSpec(
                7.0, 2.0, 0.3, 1, motion=SegmentMotion(-2.5, 2.0, 0.4, -0.3)
            ),
            DiscLevel.L1_L2: DiscSpec(8.5, 5.0, 0.4, 1, motion=SegmentMotion(-4.0, 3.0, 0.6, -0.5)),
            DiscLevel.L2_L3: DiscSpec(9.5, 7.0, 0.3, 1, motion=SegmentMotion(-4.5, 3.5, 0.7, -0.5)),
            DiscLevel.L3_L4: DiscSpec(
                10.5, 9.0, 0.2, 2, motion=SegmentMotion(-5.0, 4.0, 0.8, -0.6)
            ),
            DiscLevel.L4_L5: DiscSpec(
                11.0, 11.0, 0.2, 2, motion=SegmentMotion(-4.5, 3.5, 0.8, -0.6)
            ),
            DiscLevel.L5_S1: DiscSpec(
                10.5, 14.0, 0.0, 2, motion=SegmentMotion(-3.5, 3.0, 0.5, -0.3)
            ),
        }
        return cls(shapes, discs)

    @classmethod
    def random(cls, rng: np.random.Generator, *, landmark_t12: bool = False) -> PhantomSpec:
        """A random plausible spine: for accuracy benchmarks over many phantoms.

        Draws body sizes (+/-8%), disc heights (one level may be degenerated, down to 45% of
        normal, with Pfirrmann and Modic to match), segmental angles (L1-S1 lordosis mostly 30-60
        degrees), sacral slope (28-50 degrees) and segmental motion (occasionally unstable).
        Draws that cannot be built (a disc left without posterior space on some film) are
        drawn again, so the result always renders.
        """
        from imaging.phantom.construction import build_pose  # construction imports this module

        for _ in range(100):
            spec = cls._draw(rng, landmark_t12)
            try:
                for film in Film:
                    build_pose(spec, film)
            except ValueError:
                continue
            return spec
        raise RuntimeError("no constructible random phantom in 100 draws")  # pragma: no cover

    @classmethod
    def _draw(cls, rng: np.random.Generator, landmark_t12: bool) -> PhantomSpec:
        base = cls.normal()
        size = rng.uniform(0.92, 1.08)
        shapes = {
            v: replace(
                s,
                depth_mm=s.depth_mm * size * rng.uniform(0.96, 1.04),
                anterior_height_mm=s.anterior_height_mm * size * rng.uniform(0.95, 1.05),
                posterior_height_mm=s.posterior_height_mm * size * rng.uniform(0.95, 1.05),
            )
            for v, s in base.vertebrae.items()
        }
        lordosis_scale = rng.uniform(0.7, 1.3)
        degenerated = rng.choice(len(PHANTOM_LEVELS) + 2)  # sometimes none
        discs: dict[DiscLevel, DiscSpec] = {}
        for index, (level, disc) in enumerate(base.discs.items()):
            motion_scale = rng.uniform(0.6, 1.4)
            motion = SegmentMotion(
                disc.motion.flexion_angle_deg * motion_scale,
                disc.motion.extension_angle_deg * motion_scale,
                disc.motion.flexion_translation_mm * rng.uniform(0.5, 1.5),
                disc.motion.extension_translation_mm * rng.uniform(0.5, 1.5),
            )
            if rng.uniform() < 0.08:  # an unstable segment now and then
                motion = replace(
                    motion,
                    flexion_translation_mm=rng.uniform(2.0, 3.5),
                    extension_translation_mm=-rng.uniform(1.0, 2.5),
                )
            height = disc.height_mm * size * rng.uniform(0.9, 1.1)
            pfirrmann, modic = int(rng.choice([1, 2])), "0"
            if index == degenerated:
                loss = rng.uniform(0.15, 0.55)
                height *= 1.0 - loss
                pfirrmann = 3 if loss < 0.25 else (4 if loss < 0.45 else 5)
                modic = str(rng.choice(["0", "I", "II", "I/II"]))
            angle = disc.angle_deg * lordosis_scale + rng.normal(0.0, 1.0)
            # Keep at least 1.5 mm of posterior disc space on the extension film.
            depth = shapes[level.lower_vertebra].depth_mm
            limit = math.degrees(math.asin(min(2 * (height - 1.5) / depth, 1.0)))
            angle = min(angle, limit - max(motion.extension_angle_deg, 0.0) - 1.0)
            discs[level] = DiscSpec(
                height_mm=height,
                angle_deg=angle,
                translation_mm=rng.normal(0.0, 0.5),
                pfirrmann=pfirrmann,
                modic_cranial=modic,
                modic_caudal=modic,
                motion=motion,
            )
        return cls(
            shapes,
            discs,
            sacral_slope_deg=rng.uniform(28.0, 50.0),
            pelvic_tilt_flexion_deg=-rng.uniform(2.0, 10.0),
            pelvic_tilt_extension_deg=rng.uniform(1.0, 6.0),
            landmark_t12=landmark_t12,
        )

    def with_disc(self, level: DiscLevel | str, **changes: object) -> PhantomSpec:
        """A copy with one disc's fields changed, e.g. ``spec.with_disc("L4-L5", height_mm=7)``."""
        discs = dict(self.discs)
        level = DiscLevel(level)
        discs[level] = replace(discs[level], **changes)  # type: ignore[arg-type]
        return replace(self, discs=discs)

    # --- per film ----------------------------------------------------------------------------
    def sacral_slope_on(self, film: Film | str) -> float:
        """Sacral slope in degrees on the given film."""
        film = Film(film)
        change = {
            Film.NEUTRAL: 0.0,
            Film.FLEXION: self.pelvic_tilt_flexion_deg,
            Film.EXTENSION: self.pelvic_tilt_extension_deg,
        }[film]
        return self.sacral_slope_deg + change

    @property
    def landmarked_vertebrae(self) -> tuple[Vertebra, ...]:
        """The vertebrae whose corners go into the ground truth, cranial to caudal."""
        return PHANTOM_VERTEBRAE if self.landmark_t12 else PHANTOM_VERTEBRAE[1:]

    @property
    def landmarked_levels(self) -> tuple[DiscLevel, ...]:
        return PHANTOM_LEVELS if self.landmark_t12 else PHANTOM_LEVELS[1:]
