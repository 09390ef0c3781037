"""Guided AS scoring without a viewer: the steps the protocol asks for, keys, reasons, rings."""

from __future__ import annotations

import numpy as np
import pytest
from napari_spine_endpoints._model.grading import GradeForm
from napari_spine_endpoints._model.scoring import (
    FilmShape,
    GuidedScoring,
    assign_views,
    has_guided_scoring,
    rigidity_preview,
)

from imaging.anatomy import MSASSS_SITES
from imaging.protocol.loader import load_protocol


def _scoring(visit: str = "baseline") -> GuidedScoring:
    protocol = load_protocol("as-ucmsc")
    return GuidedScoring(GradeForm(protocol.items_at_visit(visit), protocol.sites))


def test_steps_go_joint_by_joint_then_corner_by_corner_then_the_confirmation() -> None:
    scoring = _scoring()
    sites = [step.site for step in scoring.steps]
    assert sites == ["SIJ-left", "SIJ-right", *MSASSS_SITES, "spine"]
    assert {s.view for s in scoring.steps[2:14]} == {"lateral_cervical"}
    assert {s.view for s in scoring.steps[14:26]} == {"lateral_lumbar"}
    assert scoring.steps[-1].item == "complete_spinal_rigidity" and scoring.steps[-1].view is None
    assert [s.site for s in _scoring("month_24").steps] == list(MSASSS_SITES)  # SIJ at baseline


def test_a_joint_grade_records_its_modality_and_moves_on() -> None:
    scoring = _scoring()
    assert scoring.keys() == {k: k for k in "01234"}
    scoring.modality = "ct"
    scoring.score("3")
    assert scoring.form.values[("SIJ-left", "sacroiliitis")] == "3"
    assert scoring.form.values[("SIJ-left", "sacroiliitis_modality")] == "ct"
    assert scoring.current.site == "SIJ-right"
    with pytest.raises(ValueError, match="5"):
        scoring.score("5")  # not on the scale: nothing set, still on SIJ-right
    assert scoring.current.site == "SIJ-right"


def test_a_hidden_corner_needs_the_reason_and_counts_as_done() -> None:
    scoring = _scoring("month_24")
    with pytest.raises(ValueError, match="say why"):
        scoring.cannot_score("  ")
    scoring.cannot_score("hidden by the shoulders")
    assert scoring.form.reasons == {"C2-lower": "hidden by the shoulders"}
    assert ("C2-lower", "msasss") not in scoring.form.values
    for _ in MSASSS_SITES[1:]:
        scoring.score("0")
    assert scoring.done and scoring.form.is_complete


def test_scoring_moves_on_to_the_next_site_left_wrapping_round() -> None:
    scoring = _scoring("month_24")
    scoring.score("1")
    scoring.go_to(5)
    scoring.score("2")
    assert scoring.current.site == MSASSS_SITES[6]
    scoring.go_to(len(scoring.steps) - 1)
    scoring.score("0")
    assert scoring.current.site == MSASSS_SITES[1]  # the first one still without a score


def test_the_confirmation_keys_number_the_codes() -> None:
    scoring = _scoring()
    scoring.go_to(len(scoring.steps) - 1)
    assert scoring.keys() == {"1": "yes", "2": "no", "3": "not_assessable"}


def test_a_site_not_clicked_is_ringed_from_the_three_before_it() -> None:
    scoring = _scoring("month_24")
    # alternating steps across a disc (5 rows) and across a body (15 rows), drifting 1 col each
    for row, col in ((100.0, 50.0), (105.0, 51.0), (120.0, 52.0)):
        scoring.place((row, col))
        scoring.score("0")
    assert scoring.position() == (125.0, 53.0)  # the next step is across a disc
    assert scoring.position(scoring.steps[4]) == (140.0, 54.0)  # then across a body
    assert scoring.position(scoring.steps[12]) is None  # another film: not clicked there


def test_films_are_told_apart_by_orientation_and_field_height() -> None:
    films = [
        FilmShape("a", ("P", "F"), 270.0),
        FilmShape("b", ("L", "F"), 240.0),
        FilmShape("c", ("P", "F"), 183.0),
    ]
    assert assign_views(films) == {
        "ap_pelvis": "b", "lateral_cervical": "c", "lateral_lumbar": "a",
    }  # fmt: skip
    # one lateral film, or two of one height: which is which is the reader's to say
    assert assign_views(films[:2]) == {"ap_pelvis": "b"}
    assert "lateral_cervical" not in assign_views([films[0], FilmShape("d", ("A", "F"), 270.0)])


def test_the_dlbp_protocol_has_no_guided_scoring() -> None:
    protocol = load_protocol(None)
    assert not has_guided_scoring(GradeForm(protocol.items_at_visit("baseline"), protocol.sites))


def test_the_confirmation_step_shows_what_the_scores_say_by_the_protocols_rule() -> None:
    protocol = load_protocol("as-ucmsc")
    scoring = _scoring()
    scoring.score("2")
    scoring.score("2")
    for _ in MSASSS_SITES[:-1]:
        scoring.score("3")
    scoring.cannot_score("hidden by the shoulders")  # S1-upper
    assert rigidity_preview(protocol, scoring.form) == (
        "all 23 scored corners msasss 3: undecided (spine complete_spinal_rigidity: not recorded)"
    )
    scoring.form.set_grade("L5-lower", "msasss", "2")
    preview = rigidity_preview(protocol, scoring.form)
    assert preview is not None and preview.startswith("1 of 23 scored corners below bridging")


def test_the_ring_turns_as_the_spine_turns() -> None:
    scoring = _scoring("month_24")
    turn = complex(np.cos(0.1), np.sin(0.1))  # the spine turns 0.1 rad per vertebra
    disc, body = complex(5.0, 1.0), complex(15.0, -2.0)
    points, here = [], complex(100.0, 50.0)
    for index in range(7):
        points.append(here)
        here += (disc if index % 2 == 0 else body) * turn ** (index // 2)
    for point in points[:5]:
        scoring.place((point.real, point.imag))
        scoring.score("0")
    predicted = scoring.position()
    assert predicted is not None
    assert predicted == pytest.approx((points[5].real, points[5].imag))
