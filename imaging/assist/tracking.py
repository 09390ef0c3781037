"""Track each vertebra from one lateral film to another by rigid registration of its body.

From the corners placed on the source film (e.g. flexion), each vertebral body's region (its
corner polygon widened by ``margin_mm``; S1's two superior corners are extended caudally into a
body) is found on the target film (e.g. extension) in three steps:

1. an anchor is found on the whole target film by a coarse search over rotations (edge maps on
   a 2 mm grid, masked normalised cross-correlation): S1 with the sacrum below it, which looks
   like no lumbar body; without S1, the whole landmarked spine (less safe: a spine shifted by
   one vertebra can look alike, and the result says so in ``anchor``);
2. from the anchor upward, each vertebra is searched (1 mm grid) near where its tracked
   neighbour below puts it, within ``search_window_mm`` and ``vertebra_rotation_deg`` of that
   neighbour's motion (times the number of levels when one was skipped), so that
   similar-looking neighbours are not confused;
3. SimpleITK refines each vertebra's rigid transform (Euler2D, correlation metric masked to the
   body, two resolution levels) on the full-resolution films.

The corners are mapped across with each vertebra's transform. A match is ``poor`` (reported,
never hidden) when the correlation inside the body after registration is below
``min_correlation``, when the fine stage ran away from the coarse result, or when it failed;
and when it fails the identity checks (:mod:`imaging.assist.identity`: order, spacing, turn,
off the film) or the rigid-body shape check (:mod:`imaging.assist.body_shape`: the same body
keeps its shape between films). A target film that is not this spine (another subject's,
another part of the spine) makes every vertebra a poor match, with the reason in ``identity``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from imaging.anatomy import Corner, Film, Vertebra
from imaging.assist.body_regions import body_polygons, sacral_context
from imaging.assist.body_shape import compare_bodies
from imaging.assist.corners import CornerInput, Point, flat_corners, nested_corners
from imaging.assist.identity import (
    IdentityLimits,
    Match,
    check_neighbours,
    film_identity,
    off_film,
)
from imaging.assist.reference import ReferenceFilm
from imaging.assist.registration import (
    COARSE_MM,
    EdgeMap,
    FloatArray,
    Rigid,
    coarse_search,
    fine_registration,
)
from imaging.assist.tracking_result import RigidTransform, TrackingResult, VertebraTrack
from imaging.errors import CalibrationError

__all__ = ["ReferenceFilm", "RigidTransform", "TrackingResult", "VertebraTrack", "track_vertebrae"]

SPINE_GRID_MM = 2.0
"""Grid of the whole-spine search, mm per pixel (vertebrae are searched on a 1 mm grid)."""


def track_vertebrae(
    source_image: ArrayLike | ReferenceFilm,
    source_corners: CornerInput,
    target_image: ArrayLike,
    spacing_mm: tuple[float, float] | None,
    *,
    target_spacing_mm: tuple[float, float] | None = None,
    source_film: Film | str | None = None,
    target_film: Film | str | None = None,
    margin_mm: float = 2.0,
    max_spine_rotation_deg: float = 30.0,
    vertebra_rotation_deg: float = 16.0,
    search_window_mm: float = 12.0,
    min_correlation: float = 0.5,
    bone_bright: bool = True,
) -> TrackingResult:
    """Find each source vertebra on the target film and map its corners across.

    Parameters
    ----------
    source_image, target_image : ndarray, shape (rows, cols)
        The two films (measurement values; either polarity, the search uses edges and
        correlation). A source film tracked onto several films (neutral onto flexion and
        extension) may be given as one :class:`ReferenceFilm` for all of them: what is computed
        from it is computed once, with the same results.
    source_corners : mapping
        Corners on the source film, ``{vertebra: {corner: (row, col)}}`` or flat; a vertebra
        needs its four corners (S1 its two superior ones) to be tracked.
    spacing_mm, target_spacing_mm : (row, col) mm per pixel
        Of the source and the target film (the target defaults to the source's). Required:
        rigid motion is defined in millimetres, and a film of another magnification must be
        scaled first. Films of one session share a calibration.
    max_spine_rotation_deg : float
        Largest rotation of the whole landmarked spine between the films.
    vertebra_rotation_deg, search_window_mm : float
        How far one vertebra may turn and move relative to the whole spine's motion.
    min_correlation : float
        Below this correlation of the body region after registration, a match is poor.
    bone_bright : bool
        Bone is bright (False for MONOCHROME1 stored values): the bodies' shapes are measured
        on both films by corner refinement (:mod:`imaging.assist.body_shape`).
    """
    if spacing_mm is None:
        raise CalibrationError(
            "vertebra tracking needs the films' pixel spacing (rigid motion is in millimetres)",
            fix="Give the films' pixel spacing (from the header or --mm-per-pixel).",
        )
    source_spacing = (float(spacing_mm[0]), float(spacing_mm[1]))
    target_spacing = (
        source_spacing
        if target_spacing_mm is None
        else (float(target_spacing_mm[0]), float(target_spacing_mm[1]))
    )
    target = np.asarray(target_image, dtype=np.float64)
    prepared = source_image if isinstance(source_image, ReferenceFilm) else None
    source = np.asarray(source_image if prepared is None else prepared.image, dtype=np.float64)
    if source.ndim != 2 or target.ndim != 2:
        raise ValueError("both films must be 2-D images (rows, cols)")
    if prepared is not None and prepared.spacing != source_spacing:
        raise CalibrationError(
            f"the prepared source film has pixel spacing {prepared.spacing} mm, the tracking "
            f"was given {source_spacing} mm",
            fix="Prepare the source film with the spacing it is tracked with.",
        )
    reference = prepared if prepared is not None else ReferenceFilm(source, source_spacing)
    clicks = nested_corners(flat_corners(source_corners))
    polygons, skipped = body_polygons(clicks, source_spacing)
    tracks: dict[Vertebra, VertebraTrack] = {
        v: VertebraTrack(v, None, MappingProxyType({}), math.nan, True, reason)
        for v, reason in skipped.items()
    }
    anchor_note, identity, shape_note = "no vertebra could be tracked", "", ""
    if polygons:
        films = _Films(
            reference, target, target_spacing, EdgeMap(target, target_spacing),
            EdgeMap(target, target_spacing, SPINE_GRID_MM), margin_mm, min_correlation,
        )  # fmt: skip
        limits = IdentityLimits()
        spin = np.arange(-max_spine_rotation_deg, max_spine_rotation_deg + 1e-9, 2.0)
        steps = (vertebra_rotation_deg, search_window_mm)
        found, anchor_note = _track_chain(polygons, clicks, films, spin, steps, use_s1=True)
        checked = _checked(found, polygons, films, limits)
        anchored = Vertebra.S1 in polygons and _anchor_holds(checked, limits)
        if Vertebra.S1 in polygons and not anchored and len(polygons) > 2:
            # S1 was not found with confidence (cut off, shifted, hidden): anchor on the rest.
            again, note = _track_chain(polygons, clicks, films, spin, steps, use_s1=False)
            rechecked = _checked(again, polygons, films, limits)
            if _score(rechecked) > _score(checked):
                checked = rechecked
                anchor_note = f"S1 not found with confidence; {note}"
        identity = film_identity(
            {v: m for v, (_, m) in checked.items()}, anchored or Vertebra.S1 not in polygons,
            limits,
        )  # fmt: skip
        if not identity:
            good = {v: t.corners for v, (t, m) in checked.items() if not m.poor}
            shapes = compare_bodies(
                reference, {v: clicks[v] for v in good}, source_spacing, target, good,
                target_spacing, bone_bright=bone_bright,
            )  # fmt: skip
            shape_note = shapes.note
            if shapes.film:
                identity = (
                    f"the target film does not show this spine ({shapes.film}): another "
                    "subject's film, or another part of the spine"
                )
            for vertebra, why in shapes.vertebrae.items():
                track, match = checked[vertebra]
                checked[vertebra] = (track, match.flagged(why))
        for vertebra, (track, match) in checked.items():
            reasons = match.reasons if not identity else (*match.reasons, identity)
            tracks[vertebra] = replace(
                track, poor_match=bool(reasons), reason="; ".join(reasons) or "matched"
            )
    ordered = {v: tracks[v] for v in Vertebra if v in tracks}
    return TrackingResult(
        MappingProxyType(ordered),
        None if source_film is None else Film(source_film),
        None if target_film is None else Film(target_film),
        min_correlation,
        anchor_note,
        identity,
        shape_note,
    )


def _track_chain(
    polygons: Mapping[Vertebra, FloatArray],
    clicks: Mapping[Vertebra, Mapping[Corner, Point]],
    films: _Films,
    spin: FloatArray,
    steps: tuple[float, float],
    use_s1: bool,
) -> tuple[dict[Vertebra, VertebraTrack], str]:
    """Anchor (S1 and the sacrum, or the whole landmarked spine without S1), then each vertebra
    from the anchor upward (S1 last when it is not the anchor)."""
    order = sorted(polygons, key=lambda v: v.position, reverse=True)  # caudal first
    if not use_s1 and Vertebra.S1 in polygons:
        order = [*order[1:2], Vertebra.S1, *order[2:]]  # S1 searched from the vertebra above
    anchor = order[0]
    coarse_source = films.reference.edge_map(SPINE_GRID_MM)
    coarse_target = films.target_coarse
    if anchor is Vertebra.S1:
        # The sacrum below S1 makes it unlike any lumbar body: search the whole film.
        context = sacral_context(polygons[anchor])
        start = coarse_search(
            coarse_source, coarse_target, [context], polygons[anchor].mean(axis=0),
            films.margin + 1.0, spin,
        ).transform  # fmt: skip
        note = "S1 and the sacrum found on the whole film, then each vertebra above"
    else:
        everything = [p for v, p in polygons.items() if v is not Vertebra.S1]
        start = coarse_search(
            coarse_source, coarse_target, everything, np.concatenate(everything).mean(axis=0),
            films.margin + 2.0, spin,
        ).transform  # fmt: skip
        note = (
            f"no S1 to anchor on: {anchor} placed by a whole-spine match, then each vertebra "
            "above; check that no vertebra is taken for its neighbour"
        )
    tracks: dict[Vertebra, VertebraTrack] = {}
    reference, reference_position = start, anchor.position + 1
    for vertebra in order:
        # Each level between this vertebra and its reference adds to how far it may move.
        levels = max(abs(reference_position - vertebra.position), 1)
        track = _track_one(
            vertebra, polygons[vertebra], clicks[vertebra], reference, films,
            steps[0] * levels, steps[1] * levels,
        )  # fmt: skip
        tracks[vertebra] = track
        if not track.poor_match and track.transform is not None:
            reference, reference_position = track.transform.rigid, vertebra.position
    return tracks, note


def _checked(
    tracks: Mapping[Vertebra, VertebraTrack],
    polygons: Mapping[Vertebra, FloatArray],
    films: _Films,
    limits: IdentityLimits,
) -> dict[Vertebra, tuple[VertebraTrack, Match]]:
    """Each track with its identity checks (:mod:`imaging.assist.identity`) applied."""
    matches: dict[Vertebra, Match] = {}
    for vertebra, track in tracks.items():
        centre = polygons[vertebra].mean(axis=0)
        reasons = () if not track.poor_match else (track.reason,)
        if track.transform is None:
            matches[vertebra] = Match(vertebra, centre, centre, math.nan, math.nan, reasons)
            continue
        rigid = track.transform.rigid
        if off_film(rigid.apply(polygons[vertebra]), films.target.shape, films.target_spacing):
            reasons = (*reasons, "its body lies partly off the target film")
        matches[vertebra] = Match(
            vertebra, centre, rigid.apply(centre), rigid.angle_deg, track.correlation, reasons
        )
    matches = check_neighbours(matches, limits)
    return {v: (tracks[v], matches[v]) for v in tracks}


def _anchor_holds(
    checked: Mapping[Vertebra, tuple[VertebraTrack, Match]], limits: IdentityLimits
) -> bool:
    """S1 found with confidence: matched, passing the checks, at the film-level correlation."""
    _, s1 = checked[Vertebra.S1]
    return not s1.poor and s1.correlation >= limits.min_film_correlation


def _score(checked: Mapping[Vertebra, tuple[VertebraTrack, Match]]) -> float:
    """How much of the spine a tracking found: the summed correlation of its good matches."""
    return float(sum(m.correlation for _, m in checked.values() if not m.poor))


@dataclass(frozen=True)
class _Films:
    reference: ReferenceFilm
    target: FloatArray
    target_spacing: tuple[float, float]
    target_edges: EdgeMap
    target_coarse: EdgeMap
    """The target's edges on the whole-spine grid (:data:`SPINE_GRID_MM`)."""
    margin: float
    min_correlation: float

    @property
    def source(self) -> FloatArray:
        return self.reference.image

    @property
    def source_spacing(self) -> tuple[float, float]:
        return self.reference.spacing

    @property
    def source_edges(self) -> EdgeMap:
        return self.reference.edge_map(COARSE_MM)


def _track_one(
    vertebra: Vertebra,
    polygon: FloatArray,
    corners: Mapping[Corner, Point],
    reference: Rigid,
    films: _Films,
    rotation_range: float,
    window: float,
) -> VertebraTrack:
    """Search near where ``reference`` (a tracked neighbour, or the anchor) puts the body."""
    centre = polygon.mean(axis=0)
    predicted = reference.apply(centre)
    angles = reference.angle_deg + np.arange(-rotation_range, rotation_range + 1e-9, 2.0)
    coarse = coarse_search(
        films.source_edges, films.target_edges, [polygon], centre, films.margin, angles,
        window=(predicted - window, predicted + window),
    )  # fmt: skip
    fine = fine_registration(
        films.source, films.source_spacing, films.target, films.target_spacing, [polygon],
        films.margin, coarse.transform,
    )  # fmt: skip
    transform = RigidTransform(
        fine.transform.angle_deg,
        (float(fine.transform.translation[0]), float(fine.transform.translation[1])),
        (float(centre[0]), float(centre[1])),
        films.source_spacing,
        films.target_spacing,
    )
    mapped = {c: transform.map_point(p) for c, p in corners.items()}
    drift = float(np.hypot(*(fine.transform.translation - coarse.transform.translation)))
    turn = abs(fine.transform.angle_deg - coarse.transform.angle_deg)
    reasons: list[str] = []
    if fine.correlation < films.min_correlation:
        reasons.append(
            f"correlation {fine.correlation:.2f} after registration is below "
            f"{films.min_correlation:g}"
        )
    if drift > 4.0 or turn > 4.0:
        reasons.append(
            f"the fine registration moved {drift:.1f} mm and {turn:.1f} degrees away from the "
            "coarse match"
        )
    if fine.iterations == 0:
        reasons.append(fine.stop)
    elif "Maximum number of iterations" in fine.stop:
        reasons.append("the registration did not converge")
    return VertebraTrack(
        vertebra,
        transform,
        MappingProxyType(mapped),
        fine.correlation,
        bool(reasons),
        "; ".join(reasons) or "matched",
    )
