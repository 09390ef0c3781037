"""Tissues of the sagittal MR phantom: what each tissue looks like on T1 and T2, and where it is.

Signals are in stored units (12-bit range), as (T2, T1) pairs. The nucleus follows the Pfirrmann
grade (signal, blur of its boundary with the annulus, inhomogeneity, the grade II cleft); the
marrow next to each endplate follows its Modic type. Planes are painted tissue over tissue with
anti-aliased coverage.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from imaging.anatomy import Corner, DiscLevel, Vertebra
from imaging.phantom.construction import (
    PlacedVertebra,
    SpinePose,
    posterior_elements,
    sacral_segments,
)
from imaging.phantom.raster import Array, Grid, coverage, ellipse_sdf, rounded_sdf
from imaging.phantom.spec import PhantomSpec

# Signal of each tissue on (T2, T1), in stored units (12-bit range).
_SIGNAL: dict[str, tuple[float, float]] = {
    "air": (6.0, 6.0),
    "fat": (1050.0, 1400.0),
    "muscle": (330.0, 520.0),
    "abdomen": (520.0, 620.0),
    "csf": (1500.0, 250.0),
    "cord": (620.0, 500.0),
    "marrow": (560.0, 900.0),
    "cortex": (70.0, 80.0),
    "annulus": (230.0, 420.0),
    "flow_void": (60.0, 90.0),
}
# Pfirrmann grade -> (nucleus T2 signal, nucleus T1 signal, boundary blur mm, inhomogeneity).
_NUCLEUS: dict[int, tuple[float, float, float, float]] = {
    1: (1450.0, 470.0, 0.8, 0.02),
    2: (1250.0, 470.0, 1.0, 0.10),
    3: (780.0, 450.0, 2.5, 0.18),
    4: (420.0, 420.0, 3.5, 0.22),
    5: (170.0, 380.0, 3.5, 0.25),
}
# Modic type -> (T2, T1 signal of the marrow band, band depth mm).
_MODIC: dict[str, tuple[float, float, float]] = {
    "I": (1100.0, 480.0, 6.0),
    "II": (820.0, 1350.0, 8.0),
    "III": (220.0, 300.0, 4.0),
}


class SagittalPainter:
    """Paints one sagittal plane at a given left-right offset, tissue over tissue."""

    def __init__(
        self,
        spec: PhantomSpec,
        pose: SpinePose,
        grid: Grid,
        weighting: int,
        textures: dict[str, Array],
    ) -> None:
        self.spec, self.pose, self.grid, self.w, self.tex = spec, pose, grid, weighting, textures
        self.row_mm = grid.origin_mm[0] + np.arange(grid.rows) * grid.spacing_mm
        self.col_mm = grid.origin_mm[1] + np.arange(grid.columns) * grid.spacing_mm
        self.posterior_wall = self._wall_line(Corner.POSTERIOR_SUPERIOR, Corner.POSTERIOR_INFERIOR)
        self.anterior_wall = self._wall_line(Corner.ANTERIOR_SUPERIOR, Corner.ANTERIOR_INFERIOR)
        conus = pose.vertebrae[Vertebra.L2].corners_mm[Corner.POSTERIOR_SUPERIOR]
        self.conus_row_mm = conus[0]
        s2 = sacral_segments(pose.vertebrae[Vertebra.S1], 1)[0]
        self.sac_end_row_mm = s2.corners_mm[Corner.POSTERIOR_INFERIOR][0]

    def _wall_line(self, superior: Corner, inferior: Corner) -> Array:
        points = np.array(
            [self.pose.vertebrae[v].corners_mm[c] for v in self.pose.vertebrae
             for c in (superior, inferior)]
        )  # fmt: skip
        order = np.argsort(points[:, 0])
        wall = np.interp(self.row_mm, points[order, 0], points[order, 1])
        smooth = ndimage.gaussian_filter1d(wall, 6.0 / self.grid.spacing_mm, mode="nearest")
        return np.asarray(smooth, dtype=np.float64)

    def signal(self, tissue: str) -> float:
        return _SIGNAL[tissue][self.w]

    def plane(self, x_mm: float) -> Array:
        image = self._background()
        self._canal(image, x_mm)
        self._aorta(image, x_mm)
        self._posterior_elements(image, x_mm)
        vertebrae = list(self.pose.vertebrae.items())
        for index, (_, lower) in enumerate(vertebrae[1:], start=1):
            self._disc(image, vertebrae[index - 1][1], lower, x_mm, annulus=True)
        for vertebra, placed in vertebrae:
            self._body(image, placed, vertebra, x_mm)
        for segment in sacral_segments(self.pose.vertebrae[Vertebra.S1]):
            self._body(image, segment, None, x_mm)
        for index, (_, lower) in enumerate(vertebrae[1:], start=1):
            self._disc(image, vertebrae[index - 1][1], lower, x_mm, annulus=False)
        return image

    # --- tissues -----------------------------------------------------------------------------
    def _background(self) -> Array:
        behind = self.col_mm[None, :] - self.posterior_wall[:, None]  # mm posterior of the wall
        skin = 92.0
        image = np.full(behind.shape, self.signal("abdomen")) * (1 + 0.25 * self.tex["abdomen"])
        muscle = np.clip((behind - 2.0) / 3.0, 0.0, 1.0)
        image = _blend(image, self.signal("muscle") * (1 + 0.08 * self.tex["muscle"]), muscle)
        streaks = np.clip(self.tex["muscle"] - 1.3, 0.0, 1.0) * muscle
        image = _blend(image, self.signal("fat"), streaks)
        image = _blend(image, self.signal("fat"), np.clip((behind - (skin - 18.0)) / 2.0, 0, 1))
        return _blend(image, self.signal("air"), np.clip((behind - skin) / 1.0, 0.0, 1.0))

    def _canal(self, image: Array, x_mm: float) -> None:
        behind = self.col_mm[None, :] - self.posterior_wall[:, None]
        above_end = np.clip((self.sac_end_row_mm - self.row_mm[:, None]) / 3.0, 0.0, 1.0)
        # Epidural and foraminal fat around the sac, the sac itself near the midline.
        fat = np.clip(np.minimum(behind - 1.0, 16.0 - behind), 0.0, 1.0) * above_end
        if abs(x_mm) < 22.0:
            _blend(image, self.signal("fat"), fat, out=image)
        half_ap = 7.0 * np.sqrt(max(1.0 - (x_mm / 9.0) ** 2, 0.0))
        if half_ap > 0:
            sac = np.clip((half_ap - np.abs(behind - 8.5)) / self.grid.spacing_mm, 0.0, 1.0)
            _blend(image, self.signal("csf"), sac * above_end, out=image)
            if abs(x_mm) < 4.0:
                cord = np.clip((2.5 - np.abs(behind - 8.0)) / self.grid.spacing_mm, 0.0, 1.0)
                cord *= np.clip((self.conus_row_mm - self.row_mm[:, None]) / 4.0, 0.0, 1.0)
                _blend(image, self.signal("cord"), cord, out=image)

    def _aorta(self, image: Array, x_mm: float) -> None:
        radius, centre_x = 10.0, 16.0
        if abs(x_mm - centre_x) >= radius:
            return
        half = np.sqrt(radius**2 - (x_mm - centre_x) ** 2)
        ahead = self.anterior_wall[:, None] - self.col_mm[None, :]  # mm anterior of the bodies
        tube = np.clip((half - np.abs(ahead - 13.0)) / self.grid.spacing_mm, 0.0, 1.0)
        l4 = self.pose.vertebrae[Vertebra.L4].corners_mm[Corner.ANTERIOR_INFERIOR][0]
        tube *= np.clip((l4 - self.row_mm[:, None]) / 4.0, 0.0, 1.0)
        _blend(image, self.signal("flow_void"), tube, out=image)

    def _posterior_elements(self, image: Array, x_mm: float) -> None:
        lateral = abs(x_mm)
        for vertebra, placed in self.pose.vertebrae.items():
            if vertebra is Vertebra.S1:
                continue
            for name, outline in posterior_elements(placed).items():
                visible = {
                    "pedicle": 8.0 < lateral < 18.0,
                    "articular": 6.0 < lateral < 22.0,
                    "spinous": lateral < 4.0,
                }[name]
                if visible:
                    self._bone(image, outline, 1.0)

    def _bone(self, image: Array, outline: list[tuple[float, float]], cortex_mm: float) -> None:
        window = self.grid.window(outline, 2.0)
        if window is None:
            return
        block, rr, cc = window
        sdf = rounded_sdf(rr, cc, outline, 1.5)
        px = self.grid.spacing_mm
        marrow = self.signal("marrow") * (1 + 0.12 * self.tex["marrow"][block])
        image[block] = _blend(image[block], self.signal("cortex"), coverage(sdf, px))
        image[block] = _blend(image[block], marrow, coverage(sdf + cortex_mm, px))

    def _body(
        self, image: Array, placed: PlacedVertebra, vertebra: Vertebra | None, x_mm: float
    ) -> None:
        shape = placed.shape
        fraction = 1.0 - (2.0 * x_mm / shape.width_mm) ** 2
        if fraction <= 0.05:
            return
        d, ha, hp = shape.depth_mm, shape.anterior_height_mm, shape.posterior_height_mm
        front = -d / 2 + d * np.sqrt(fraction)

        def endplates(a: float) -> tuple[float, float]:
            h = hp + (ha - hp) * (a + d / 2) / d
            return -h / 2, h / 2

        (s0, i0), (s1, i1) = endplates(-d / 2), endplates(front)
        local = [(-d / 2, s0), (front, s1), (front, i1), (-d / 2, i0)]
        row, col = placed.to_patient([p[0] for p in local], [p[1] for p in local])
        outline = [(float(r), float(c)) for r, c in zip(row, col, strict=True)]
        window = self.grid.window(outline, 2.0)
        if window is None:
            return
        block, rr, cc = window
        sdf = rounded_sdf(rr, cc, outline, 1.8)
        px = self.grid.spacing_mm
        marrow = self.signal("marrow") * (1 + 0.10 * self.tex["marrow"][block])
        if vertebra is not None:
            marrow = self._modic(marrow, placed, vertebra, x_mm, block, rr, cc)
        image[block] = _blend(image[block], self.signal("cortex"), coverage(sdf, px))
        image[block] = _blend(image[block], marrow, coverage(sdf + 1.0, px))

    def _modic(
        self,
        marrow: Array,
        placed: PlacedVertebra,
        vertebra: Vertebra,
        x_mm: float,
        block: tuple[slice, slice],
        rr: Array,
        cc: Array,
    ) -> Array:
        """Blend the marrow next to each endplate with its Modic signal."""
        if abs(x_mm) > 0.36 * placed.shape.width_mm:
            return marrow
        a, c = placed.to_local(rr, cc)
        d = placed.shape.depth_mm
        ha, hp = placed.shape.anterior_height_mm, placed.shape.posterior_height_mm
        half_height = (hp + (ha - hp) * (a + d / 2) / d) / 2
        along = np.clip((d / 2 - 3.0 - np.abs(a)) / 1.5, 0.0, 1.0)
        for endplate, level in self._endplates(vertebra):
            modic = (
                self.spec.discs[level].modic_cranial
                if endplate == "inferior"
                else self.spec.discs[level].modic_caudal
            )
            if modic == "0":
                continue
            distance = half_height - c if endplate == "inferior" else c + half_height
            types = modic.split("/")
            depth = max(_MODIC[t][2] for t in types)
            band = np.clip((depth - distance) / 1.5, 0.0, 1.0) * along
            if len(types) == 1:
                value: Array | float = _MODIC[types[0]][self.w]
            else:
                mix = np.clip(0.5 + self.tex["modic_mix"][block], 0.0, 1.0)
                value = _MODIC[types[0]][self.w] * mix + _MODIC[types[1]][self.w] * (1 - mix)
            marrow = _blend(marrow, value, band)
        return marrow

    def _endplates(self, vertebra: Vertebra) -> list[tuple[str, DiscLevel]]:
        order = list(self.pose.vertebrae)
        index = order.index(vertebra)
        out: list[tuple[str, DiscLevel]] = []
        if index + 1 < len(order):
            out.append(("inferior", DiscLevel.between(vertebra, order[index + 1])))
        if index > 0:
            out.append(("superior", DiscLevel.between(order[index - 1], vertebra)))
        return out

    def _disc(
        self,
        image: Array,
        upper: PlacedVertebra,
        lower: PlacedVertebra,
        x_mm: float,
        annulus: bool,
    ) -> None:
        width = (upper.shape.width_mm + lower.shape.width_mm) / 2
        fraction = 1.0 - (2.0 * x_mm / width) ** 2
        if fraction <= 0.05:
            return
        u, w = upper.corners_mm, lower.corners_mm
        pi, ai = np.array(u[Corner.POSTERIOR_INFERIOR]), np.array(u[Corner.ANTERIOR_INFERIOR])
        ps, as_ = np.array(w[Corner.POSTERIOR_SUPERIOR]), np.array(w[Corner.ANTERIOR_SUPERIOR])
        scale = np.sqrt(fraction)
        ai_x, as_x = pi + (ai - pi) * scale, ps + (as_ - ps) * scale
        level = DiscLevel.between(upper.vertebra, lower.vertebra)
        if annulus:
            outline = [tuple(p) for p in (pi, ai_x, as_x, ps)]
            window = self.grid.window(outline, 4.0)
            if window is None:
                return
            block, rr, cc = window
            sdf = rounded_sdf(rr, cc, outline, 1.0) - 1.2  # the annulus bulges a little
            image[block] = _blend(
                image[block], self.signal("annulus"), coverage(sdf, self.grid.spacing_mm)
            )
            return
        t2, t1, blur_mm, inhomogeneity = _NUCLEUS[self.spec.discs[level].pfirrmann]
        centre = (pi + ai + ps + as_) / 4
        direction = (ai - pi) / np.hypot(*(ai - pi)) + (as_ - ps) / np.hypot(*(as_ - ps))
        direction /= np.hypot(*direction)
        depth = (np.hypot(*(ai - pi)) + np.hypot(*(as_ - ps))) / 2
        height = (np.hypot(*(ai - as_)) + np.hypot(*(pi - ps))) / 2
        centre = centre - 0.06 * depth * direction
        nucleus_fraction = 1.0 - (x_mm / (0.3 * width)) ** 2
        if nucleus_fraction <= 0.05:
            return
        semi = (0.30 * depth * np.sqrt(nucleus_fraction), 0.34 * height * np.sqrt(nucleus_fraction))
        window = self.grid.window([centre - max(semi) - 4, centre + max(semi) + 4], 1.0)
        if window is None:
            return
        block, rr, cc = window
        along = (rr - centre[0]) * direction[0] + (cc - centre[1]) * direction[1]
        normal = np.array([-direction[1], direction[0]])
        across = (rr - centre[0]) * normal[0] + (cc - centre[1]) * normal[1]
        sdf = ellipse_sdf(along, across, (0.0, 0.0), semi)
        weight = np.clip(0.5 - sdf / max(blur_mm, self.grid.spacing_mm), 0.0, 1.0)
        value = (t2, t1)[self.w] * (1 + inhomogeneity * self.tex["nucleus"][block])
        if self.spec.discs[level].pfirrmann == 2 and self.w == 0:
            cleft = np.clip(1.0 - np.abs(across) / 0.8, 0.0, 1.0)
            value = value * (1 - 0.45 * cleft)
        image[block] = _blend(image[block], value, weight)


def _blend(base: Array, value: Array | float, weight: Array, out: Array | None = None) -> Array:
    result = base * (1.0 - weight) + value * weight
    if out is not None:
        out[...] = result
        return out
    return np.asarray(result)
