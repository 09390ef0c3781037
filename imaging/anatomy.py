"""The closed vocabularies of lumbar radiograph reading: vertebrae, corners, disc levels, films.

Public functions accept ``str | Enum`` and normalise once: ``Vertebra("L4")``,
``Corner("anterior_inferior")``, ``DiscLevel("L4-L5")``, ``Film("flexion")``. Unknown names raise
``ValueError`` listing the valid ones.
"""

from __future__ import annotations

import itertools
from enum import EnumType, StrEnum
from typing import Any


class _VocabularyType(EnumType):
    """The vocabularies' metaclass: ``Vertebra(x)`` returns a member given that member or its
    exact value straight from the value map (``EnumType.__call__`` takes about three times as
    long, and the endpoint pipeline normalises hundreds of thousands of names a batch); any
    other value goes through ``EnumType`` and ``_missing_`` as before."""

    def __call__(cls, value: Any, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:
            if type(value) is cls:
                return value
            if type(value) is str:
                member = cls._value2member_map_.get(value)
                if member is not None:
                    return member
        return super().__call__(value, *args, **kwargs)


class _Vocabulary(StrEnum, metaclass=_VocabularyType):
    @classmethod
    def _missing_(cls, value: object) -> _Vocabulary | None:
        if isinstance(value, str):
            wanted = value.strip().replace(" ", "_").replace("/", "-")
            for member in cls:
                if member.value.lower() == wanted.lower() or member.name.lower() == wanted.lower():
                    return member
        valid = ", ".join(m.value for m in cls)
        raise ValueError(f"{value!r} is not a valid {cls.__name__}; valid: {valid}")


class Vertebra(_Vocabulary):
    """Vertebrae read on a lateral lumbar film, cranial to caudal."""

    T12 = "T12"
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"
    L5 = "L5"
    S1 = "S1"

    @property
    def position(self) -> int:
        """Position cranial to caudal (T12 = 0)."""
        return _POSITIONS[self]

    @property
    def corners(self) -> tuple[Corner, ...]:
        """The corners read on this vertebra: four, or the two superior ones on S1."""
        return _CORNERS[self]


class Corner(_Vocabulary):
    """Vertebral body corners on a lateral film."""

    ANTERIOR_SUPERIOR = "anterior_superior"
    POSTERIOR_SUPERIOR = "posterior_superior"
    ANTERIOR_INFERIOR = "anterior_inferior"
    POSTERIOR_INFERIOR = "posterior_inferior"

    @property
    def label(self) -> str:
        """Human label, e.g. 'posterior-inferior'."""
        return self.value.replace("_", "-")


_POSITIONS = {vertebra: index for index, vertebra in enumerate(Vertebra)}
_CORNERS = {
    vertebra: (Corner.ANTERIOR_SUPERIOR, Corner.POSTERIOR_SUPERIOR)
    if vertebra is Vertebra.S1
    else tuple(Corner)
    for vertebra in Vertebra
}

BODY_OUTLINE: tuple[Corner, ...] = (
    Corner.ANTERIOR_SUPERIOR,
    Corner.POSTERIOR_SUPERIOR,
    Corner.POSTERIOR_INFERIOR,
    Corner.ANTERIOR_INFERIOR,
)
"""The four corners in order around the vertebral body (a polygon without self-crossing)."""

ENDPLATES: tuple[tuple[str, Corner, Corner], ...] = (
    ("superior", Corner.ANTERIOR_SUPERIOR, Corner.POSTERIOR_SUPERIOR),
    ("inferior", Corner.ANTERIOR_INFERIOR, Corner.POSTERIOR_INFERIOR),
)
"""Each endplate of a vertebral body: its name and (anterior, posterior) corners, the two ends
of the endplate line angles are measured between."""

ROUNDED_CORNER_MM = 1.5
"""The corner definition (refinement and phantom truth follow it; docs/landmark-format.md).

A corner is the intersection of the endplate line and the anterior or posterior wall line (the
corner points of Dabbs and of Frobin's DCRA, spine-imaging.md section 4). Where that
intersection lies more than this many mm outside the bone (a rounded corner: at a right angle,
a rim radius above about 3.6 mm), the corner is the point of the bone outline nearest to it
instead. Closer than this, the two differ by less than two readers' point errors (about
0.8 mm each, Cina 2021) and the intersection is kept. An osteophyte is not part of the body: the
lines are those of the endplate and wall, and the intersection then lies inside bone. A double
endplate contour (an oblique beam) is read at the middle of its two contours."""


class DiscLevel(_Vocabulary):
    """Intervertebral disc levels, named by the upper and lower vertebra."""

    T12_L1 = "T12-L1"
    L1_L2 = "L1-L2"
    L2_L3 = "L2-L3"
    L3_L4 = "L3-L4"
    L4_L5 = "L4-L5"
    L5_S1 = "L5-S1"

    @property
    def upper_vertebra(self) -> Vertebra:
        return Vertebra(self.value.split("-")[0])

    @property
    def lower_vertebra(self) -> Vertebra:
        return Vertebra(self.value.split("-")[1])

    @classmethod
    def between(cls, upper: Vertebra | str, lower: Vertebra | str) -> DiscLevel:
        return cls(f"{Vertebra(upper).value}-{Vertebra(lower).value}")

    @classmethod
    def _missing_(cls, value: object) -> DiscLevel | None:
        # Accept the common spellings L4-5, L4/5, L4L5 and L4/L5.
        if isinstance(value, str):
            text = value.strip().upper().replace("/", "-").replace(" ", "")
            if "-" not in text and len(text) == 4:
                text = text[:2] + "-" + text[2:]
            upper, _, lower = text.partition("-")
            if upper and lower.isdigit():
                region = {"L5": "S", "T12": "L"}.get(upper, upper[:1])
                lower = region + lower
            for member in cls:
                if member.value == f"{upper}-{lower}":
                    return member
        valid = ", ".join(m.value for m in cls)
        raise ValueError(f"{value!r} is not a valid DiscLevel; valid: {valid}")


class Film(_Vocabulary):
    """Which lateral film: the neutral standing film or a dynamic (flexion/extension) one."""

    NEUTRAL = "neutral"
    FLEXION = "flexion"
    EXTENSION = "extension"


LUMBAR_LEVELS: tuple[DiscLevel, ...] = (
    DiscLevel.L1_L2,
    DiscLevel.L2_L3,
    DiscLevel.L3_L4,
    DiscLevel.L4_L5,
    DiscLevel.L5_S1,
)


MSASSS_SEGMENTS: dict[str, tuple[str, ...]] = {
    "cervical": ("C2", "C3", "C4", "C5", "C6", "C7", "T1"),
    "lumbar": ("T12", "L1", "L2", "L3", "L4", "L5", "S1"),
}
"""The vertebrae of each mSASSS segment, cranial to caudal, each on its own lateral film
(Creemers et al., Ann Rheum Dis 2005;64:127): the anterior corners from the lower one of the first
to the upper one of the last are scored."""


def msasss_sites(segment: str) -> tuple[str, ...]:
    """The 12 anterior corner sites of an mSASSS segment, cranial to caudal: ``C2-lower``,
    ``C3-upper``, ``C3-lower`` ... ``T1-upper`` (``cervical``) or ``T12-lower`` ... ``S1-upper``
    (``lumbar``)."""
    if segment not in MSASSS_SEGMENTS:
        raise ValueError(f"{segment!r} is not an mSASSS segment; valid: cervical, lumbar")
    sites = []
    for vertebra, lower in itertools.pairwise(MSASSS_SEGMENTS[segment]):
        sites += [f"{vertebra}-lower", f"{lower}-upper"]
    return tuple(sites)


MSASSS_SITES: tuple[str, ...] = msasss_sites("cervical") + msasss_sites("lumbar")
"""The 24 anterior vertebral corners of mSASSS, cervical then lumbar, cranial to caudal."""

SACROILIAC_JOINTS: tuple[str, ...] = ("SIJ-left", "SIJ-right")
"""The sites of the sacroiliitis grade (modified New York, van der Linden et al. 1984)."""


def msasss_segment(site: str) -> str:
    """``cervical`` or ``lumbar``: the segment of an mSASSS corner site."""
    for segment in MSASSS_SEGMENTS:
        if site in msasss_sites(segment):
            return segment
    raise ValueError(f"{site!r} is not an mSASSS site; valid: {', '.join(MSASSS_SITES)}")
