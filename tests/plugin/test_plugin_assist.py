"""Assisted reading without a display: refinement and tracking proposals, suggested grades.

Runs the assist functions on the DLBP-001 baseline sample study and checks what the reader's
decisions do to each corner (position and ``used``), what the store receives, and that a
suggested grade never becomes the reader's grade by itself.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from napari_spine_endpoints._layers import radiograph_info
from napari_spine_endpoints._model.placement import CornerLabel
from napari_spine_endpoints._model.proposals import CornerProposal
from napari_spine_endpoints._model.refining import (
    auto_refine_targets,
    refine,
    refinement_request,
)
from napari_spine_endpoints._model.session import ReadingSession
from napari_spine_endpoints._model.store_content import to_draft, to_read_content
from napari_spine_endpoints._model.store_link import StoreLink
from napari_spine_endpoints._model.suggestions import suggest, suggestion_request
from napari_spine_endpoints._model.tracking import (
    default_target,
    dynamic_targets,
    motion_rows,
    track,
    tracking_request,
)
from rough_clicks import perturbed

from imaging.anatomy import Corner, Film, Vertebra
from imaging.dicom.radiograph import Radiograph, load_radiograph
from imaging.dicom.series import load_series
from imaging.errors import CalibrationError
from imaging.protocol.loader import load_protocol
from imaging.store.reads import LandmarkUse, read_content
from imaging.store.schema import Read

Corners = dict[str, dict[str, dict[str, float]]]


def _truth_corners(truth: dict[str, Any], film: Film) -> Corners:
    image = next(i for i in truth["images"] if i.get("film") == film.value)
    corners: Corners = image["corners"]
    return corners


def _true(corners: Corners, label: CornerLabel) -> tuple[float, float]:
    point = corners[label.vertebra.value][label.corner.value]
    return (point["row"], point["col"])


def _film(study: Path, film: Film) -> Radiograph:
    return load_radiograph(study / f"DX_lateral_{film.value}.dcm")


def _session_with_clicks(
    study: Path, truth: dict[str, Any], films: dict[Film, Radiograph], rough: set[Film]
) -> ReadingSession:
    """Every corner of each film clicked: roughly (up to 2 mm off) on ``rough`` films."""
    session = ReadingSession(load_protocol(), "reader-a", "DLBP-001", "baseline")
    rng = np.random.default_rng(7)
    for film, radiograph in films.items():
        placement = session.add_film(radiograph_info(radiograph))
        spacing = radiograph.calibration.pixel_spacing
        assert spacing is not None
        corners = _truth_corners(truth, film)
        while placement.current is not None:
            point = _true(corners, placement.current)
            if film in rough:
                point = perturbed(point, spacing[0], rng)
            placement.place(*point)
    return session


@pytest.fixture(scope="module")
def films(study: Path) -> dict[Film, Radiograph]:
    return {film: _film(study, film) for film in (Film.NEUTRAL, Film.FLEXION, Film.EXTENSION)}


def test_refinement_proposals_accept_reject_and_move(
    study: Path, truth: dict[str, Any], films: dict[Film, Radiograph], tmp_path: Path
) -> None:
    neutral = films[Film.NEUTRAL]
    session = _session_with_clicks(study, truth, {Film.NEUTRAL: neutral}, {Film.NEUTRAL})
    placement, proposals = session.placements[Film.NEUTRAL], session.proposals[Film.NEUTRAL]
    clicks = dict(placement.positions)
    request = refinement_request(placement, session.films[Film.NEUTRAL])
    assert request is not None and len(request.targets) == 22
    offered = proposals.offer(refine(neutral.pixels, request))
    assert len(offered.pending) == 22 and not offered.applied and not offered.stale
    # offered, not applied: every corner is still the click, with the refinement recorded
    assert placement.positions == clicks
    l4_as = CornerLabel(Vertebra.L4, Corner.ANTERIOR_SUPERIOR)
    l4_ps = CornerLabel(Vertebra.L4, Corner.POSTERIOR_SUPERIOR)
    l5_as = CornerLabel(Vertebra.L5, Corner.ANTERIOR_SUPERIOR)
    record = placement.records[l4_as]
    assert record.used is LandmarkUse.CLICK and record.status == "refined"
    assert record.refined == proposals.pending[l4_as].point and record.confidence is not None
    assert all(p.confident and p.distance_mm is not None for p in proposals.ordered())
    assert max(p.distance_mm or 0.0 for p in proposals.ordered()) <= 4.0  # the documented radius

    refined_l4_as = proposals.pending[l4_as].point
    assert proposals.accept([l4_as]) == [l4_as]
    assert placement.positions[l4_as] == refined_l4_as
    assert placement.records[l4_as].used is LandmarkUse.REFINED
    assert placement.records[l4_as].click == clicks[l4_as]

    proposals.reject([l4_ps])
    assert placement.positions[l4_ps] == clicks[l4_ps]
    assert placement.records[l4_ps].used is LandmarkUse.CLICK
    assert placement.records[l4_ps].refined is not None  # what was offered stays on record

    offered_l5 = proposals.pending[l5_as].point
    assert offered_l5 is not None
    proposals.move(l5_as, offered_l5[0] + 1.0, offered_l5[1])
    assert placement.positions[l5_as] == (offered_l5[0] + 1.0, offered_l5[1])
    moved = placement.records[l5_as]
    assert (moved.used, moved.click, moved.refined) == (
        LandmarkUse.MOVED, clicks[l5_as], offered_l5,
    )  # fmt: skip

    applied, left = proposals.accept_confident()
    assert len(applied) == 19 and left == [] and not proposals.pending

    # the store keeps click, refined position and use; measures come from the used positions
    assert session.grades is not None
    for level, items in truth["grades"].items():
        for item, value in items.items():
            session.grades.set_grade(level, item, value)
    link = StoreLink(f"sqlite:///{tmp_path / 'store.db'}")
    link.submit(session)
    with link.store.reading() as db:
        stored = read_content(db, db.query(Read).one()).landmarks
    link.close()
    image = session.films[Film.NEUTRAL].source_image
    point = stored[(image, "L4", "anterior_superior")]
    assert (point.used, point.click, point.refined) == ("refined", clicks[l4_as], refined_l4_as)
    assert point.refinement_status == "refined" and point.confidence is not None
    assert stored[(image, "L4", "posterior_superior")].used == "click"
    assert stored[(image, "L5", "anterior_superior")].used == "moved"
    assert sorted(p.used for p in stored.values()).count("refined") == 20

    expected = next(i for i in truth["images"] if i.get("film") == "neutral")["levels"]
    grid = session.measures().films[Film.NEUTRAL]
    for level in ("L1-L2", "L2-L3", "L5-S1"):  # L3-L4 has the rejected, L4-L5 the moved one
        mean = grid.cell(level, "disc_height_mean").value
        angle = grid.cell(level, "segmental_angle").value
        assert mean == pytest.approx(expected[level]["disc_height_mean_mm"], abs=0.3), level
        assert angle == pytest.approx(expected[level]["segmental_angle_deg"], abs=0.5), level


def test_low_confidence_and_far_clicks_are_never_applied_by_themselves(
    study: Path, truth: dict[str, Any], films: dict[Film, Radiograph]
) -> None:
    neutral = films[Film.NEUTRAL]
    session = _session_with_clicks(study, truth, {Film.NEUTRAL: neutral}, set())
    placement, proposals = session.placements[Film.NEUTRAL], session.proposals[Film.NEUTRAL]
    spacing = neutral.calibration.pixel_spacing
    assert spacing is not None
    far = CornerLabel(Vertebra.L3, Corner.ANTERIOR_SUPERIOR)
    row, col = placement.positions[far]
    placement.move(far, row - 8.0 / spacing[0], col)  # 8 mm off, into the disc above
    request = refinement_request(placement, session.films[Film.NEUTRAL], [far])
    assert request is not None
    outcome = proposals.offer(refine(neutral.pixels, request), apply_confident=True)
    assert [p.label for p in outcome.not_offered] == [far] and not outcome.applied
    assert placement.records[far].used is LandmarkUse.CLICK
    assert placement.records[far].status in ("beyond_radius", "no_edges")
    assert placement.positions[far] == (row - 8.0 / spacing[0], col)

    weak = CornerLabel(Vertebra.L2, Corner.POSTERIOR_INFERIOR)
    origin = placement.positions[weak]
    low = CornerProposal(
        weak, LandmarkUse.REFINED, origin, (origin[0] + 2.0, origin[1]), confident=False,
        confidence=0.3, status="low_confidence", reason="endplate: weak edge",
    )  # fmt: skip
    outcome = proposals.offer([low], apply_confident=True)
    assert outcome.pending == (weak,) and not outcome.applied
    assert proposals.accept_confident() == ([], [weak])
    assert placement.positions[weak] == origin
    assert proposals.accept([weak]) == [weak]  # the reader's own decision
    record = placement.records[weak]
    assert (record.used, record.status, record.confidence) == (
        LandmarkUse.REFINED, "low_confidence", 0.3,
    )  # fmt: skip


def test_a_proposal_for_a_corner_moved_meanwhile_is_dropped_and_auto_refine_targets(
    study: Path, truth: dict[str, Any], films: dict[Film, Radiograph]
) -> None:
    session = ReadingSession(load_protocol(), "reader-a", "DLBP-001", "baseline")
    placement = session.add_film(radiograph_info(films[Film.NEUTRAL]))
    proposals = session.proposals[Film.NEUTRAL]
    corners = _truth_corners(truth, Film.NEUTRAL)
    for _ in range(3):
        assert placement.current is not None
        placement.place(*_true(corners, placement.current))
    assert auto_refine_targets(placement) == []  # L1 has 3 of its 4 corners
    assert placement.current is not None
    placement.place(*_true(corners, placement.current))
    l1 = [x for x in placement.labels if x.vertebra is Vertebra.L1]
    assert auto_refine_targets(placement) == l1
    request = refinement_request(placement, session.films[Film.NEUTRAL], l1)
    assert request is not None
    computed = refine(films[Film.NEUTRAL].pixels, request)
    placement.move(l1[0], 50.0, 60.0)  # the reader drags a corner while refinement runs
    outcome = proposals.offer(computed, apply_confident=True)
    assert outcome.stale == (l1[0],)
    assert set(outcome.applied) == set(l1[1:])
    assert placement.positions[l1[0]] == (50.0, 60.0)
    assert auto_refine_targets(placement) == [l1[0]]  # the dragged click is refined again
    placement.move(l1[1], 70.0, 80.0)  # a refined corner dragged by hand
    assert placement.records[l1[1]].used is LandmarkUse.MOVED


def test_tracking_offers_the_other_films_corners_with_rom(
    study: Path, truth: dict[str, Any], films: dict[Film, Radiograph]
) -> None:
    dynamic = {film: films[film] for film in (Film.FLEXION, Film.EXTENSION)}
    session = _session_with_clicks(study, truth, {Film.FLEXION: dynamic[Film.FLEXION]}, set())
    session.add_film(radiograph_info(dynamic[Film.EXTENSION]))
    assert default_target(Film.FLEXION, set(session.films)) is Film.EXTENSION
    assert default_target(Film.NEUTRAL, {Film.NEUTRAL, Film.EXTENSION}) is Film.EXTENSION
    request = tracking_request(
        Film.FLEXION, session.placements[Film.FLEXION], session.films[Film.FLEXION],
        Film.EXTENSION, session.placements[Film.EXTENSION], session.films[Film.EXTENSION],
    )  # fmt: skip
    outcome = track(dynamic[Film.FLEXION].pixels, dynamic[Film.EXTENSION].pixels, request)
    assert not outcome.poor_matches and len(outcome.proposals) == 22
    target = session.placements[Film.EXTENSION]
    offered = session.proposals[Film.EXTENSION].offer(outcome.proposals)
    assert len(offered.pending) == 22 and not target.positions  # proposals only
    applied, left = session.proposals[Film.EXTENSION].accept_confident()
    assert len(applied) == 22 and left == [] and target.is_complete
    assert {r.used for r in target.records.values()} == {LandmarkUse.TRACKED}
    assert all(r.click is None for r in target.records.values())
    spacing = dynamic[Film.EXTENSION].calibration.pixel_spacing
    assert spacing is not None
    extension = _truth_corners(truth, Film.EXTENSION)
    errors = [
        math.dist(p, _true(extension, label)) * spacing[0] for label, p in target.positions.items()
    ]
    assert float(np.median(errors)) < 0.5
    rows = motion_rows(outcome, session.measures().pair)
    assert [r.level for r in rows] == ["L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1"]
    for row in rows:
        expected = truth["rom"][row.level]
        assert row.angle_from_transforms == pytest.approx(expected["angular_rom_deg"], abs=0.5)
        assert row.translation_from_tracked_corners == pytest.approx(
            expected["translation_rom_mm"], abs=0.3
        )
        assert row.angle_from_placed_corners == pytest.approx(row.angle_from_tracked_corners)


def test_the_films_are_done_when_every_corner_is_placed_or_skipped_and_no_proposal_waits(
    study: Path, truth: dict[str, Any], films: dict[Film, Radiograph]
) -> None:
    """What moves the workstation on to the Grades step after tracking both dynamic films."""
    assert dynamic_targets({Film.EXTENSION, Film.NEUTRAL, Film.FLEXION}) == (
        Film.FLEXION, Film.EXTENSION
    )  # fmt: skip
    assert dynamic_targets({Film.NEUTRAL}) == ()
    session = _session_with_clicks(study, truth, {Film.NEUTRAL: films[Film.NEUTRAL]}, set())
    assert session.corners_done
    flexion = session.add_film(radiograph_info(films[Film.FLEXION]))
    assert not session.corners_done  # a film with no corner yet
    corners = _truth_corners(truth, Film.FLEXION)
    while flexion.current is not None and flexion.current.vertebra is not Vertebra.S1:
        flexion.place(*_true(corners, flexion.current))
    label = flexion.current
    assert label is not None and not session.corners_done
    session.proposals[Film.FLEXION].offer(
        [CornerProposal(label, LandmarkUse.TRACKED, None, _true(corners, label), confident=False,
                        reason="its body lies partly off the target film")]
    )  # fmt: skip
    flexion.next_corner()
    flexion.skip("outside the field of view")  # the other S1 corner
    assert flexion.missing() == [label] and not session.corners_done  # the proposal waits
    session.proposals[Film.FLEXION].accept([label])  # the reader's word
    assert flexion.is_complete and session.corners_done


def test_tracking_needs_calibrated_films(sample_root: Path) -> None:
    study = sample_root / "DLBP-003" / "month_12"  # its flexion film has no spacing
    session = ReadingSession(load_protocol(), "reader-a", "DLBP-003", "month_12")
    for film in (Film.FLEXION, Film.EXTENSION):
        session.add_film(radiograph_info(_film(study, film)))
    with pytest.raises(CalibrationError, match="flexion film has no pixel spacing"):
        tracking_request(
            Film.EXTENSION, session.placements[Film.EXTENSION], session.films[Film.EXTENSION],
            Film.FLEXION, session.placements[Film.FLEXION], session.films[Film.FLEXION],
        )  # fmt: skip


def test_tracking_measures_a_monochrome1_film_with_bone_dark(
    study: Path, truth: dict[str, Any], films: dict[Film, Radiograph]
) -> None:
    # Tracking compares the bodies' shapes by corner refinement on the target film: on a
    # MONOCHROME1 film (bone dark in the stored values) it must look for dark bone, as the
    # batch does (imaging/batch/assisted.py) and as the workstation's refinement does.
    session = _session_with_clicks(study, truth, {Film.FLEXION: films[Film.FLEXION]}, set())
    extension = radiograph_info(films[Film.EXTENSION])
    session.add_film(replace(extension, photometric_interpretation="MONOCHROME1"))
    request = tracking_request(
        Film.FLEXION, session.placements[Film.FLEXION], session.films[Film.FLEXION],
        Film.EXTENSION, session.placements[Film.EXTENSION], session.films[Film.EXTENSION],
    )  # fmt: skip
    assert request.bone_bright is False
    assert tracking_request(
        Film.FLEXION, session.placements[Film.FLEXION], session.films[Film.FLEXION],
        Film.EXTENSION, session.placements[Film.EXTENSION], extension,
    ).bone_bright  # fmt: skip


def test_a_suggested_grade_is_not_the_readers_until_used(
    study: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    t2 = load_series(study / "MR_sag_T2")[0]
    t1 = load_series(study / "MR_sag_T1")[0]
    image = next(i for i in truth["images"] if i.get("sequence") == "T2")
    session = ReadingSession(load_protocol(), "reader-a", "DLBP-001", "baseline")
    centres, form = session.disc_centres, session.grades
    assert centres is not None and form is not None
    middle = image["mid_sagittal_slice_index"]
    while centres.current is not None:
        point = image["disc_centres"][centres.current.value]
        centres.place(point["row"] + 2.0, point["col"] - 1.5, middle)  # a rough click
    with pytest.raises(ValueError, match="every disc centre is already marked"):
        centres.place(1.0, 1.0, middle)
    request = suggestion_request(t2.volume, t1.volume, centres, t2.calibration.pixel_spacing)
    discs, suggestions = suggest(request, form.items)
    session.suggestions.show(discs, suggestions)
    assert form.values == {}  # nothing set by the suggestion
    pfirrmann = session.suggestions.values[("L4-L5", "pfirrmann")]
    assert pfirrmann.code == str(truth["grades"]["L4-L5"]["pfirrmann"])
    assert pfirrmann.evidence[0].startswith("Is the disc a homogeneous, bright white structure?")
    assert "suggestion only" in pfirrmann.evidence[-1]
    cranial = session.suggestions.values[("L4-L5", "modic_cranial")]
    assert cranial.code == truth["grades"]["L4-L5"]["modic_cranial"]
    assert "L4 cranial endplate" in cranial.evidence[0]
    assert discs["L4-L5"].height_mm is not None

    assert session.suggestions.use("L4-L5", "pfirrmann", form).code == pfirrmann.code
    assert form.values == {("L4-L5", "pfirrmann"): pfirrmann.code}
    form.set_grade("L4-L5", "modic_cranial", "II")  # the reader disagrees
    content = to_read_content(session)
    assert dict(content.grades) == {
        ("L4-L5", "pfirrmann"): pfirrmann.code, ("L4-L5", "modic_cranial"): "II",
    }  # fmt: skip
    assert content.suggestions[("L4-L5", "modic_cranial")].code == cranial.code
    assert len(content.suggestions) == 15  # 5 levels x (Pfirrmann + 2 Modic)

    link = StoreLink(f"sqlite:///{tmp_path / 'store.db'}")
    link.save_draft(session)
    again = ReadingSession(session.protocol, "reader-a", "DLBP-001", "baseline")
    draft = link.load_draft(again)
    link.close()
    assert draft is not None
    again.restore(draft)
    assert again.suggestions.values[("L4-L5", "pfirrmann")].evidence == pfirrmann.evidence
    assert again.grades is not None and again.grades.values == form.values


def test_the_draft_keeps_where_each_corner_came_from(
    study: Path, truth: dict[str, Any], films: dict[Film, Radiograph]
) -> None:
    neutral = films[Film.NEUTRAL]
    session = _session_with_clicks(study, truth, {Film.NEUTRAL: neutral}, {Film.NEUTRAL})
    placement = session.placements[Film.NEUTRAL]
    request = refinement_request(placement, session.films[Film.NEUTRAL])
    assert request is not None
    session.proposals[Film.NEUTRAL].offer(refine(neutral.pixels, request), apply_confident=True)
    again = ReadingSession(session.protocol, "reader-a", "DLBP-001", "baseline")
    again.add_film(session.films[Film.NEUTRAL])
    again.restore(to_draft(to_read_content(session), again))
    again.restore_film(Film.NEUTRAL)
    assert again.placements[Film.NEUTRAL].positions == placement.positions
    assert again.placements[Film.NEUTRAL].records == placement.records
