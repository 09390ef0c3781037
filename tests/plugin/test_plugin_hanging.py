"""Hanging protocols decided without a display: the series to grade on, the first step."""

from __future__ import annotations

from napari_spine_endpoints._model.hanging import MrHanging, Step, first_step, mr_hanging


def test_the_grades_step_shows_the_sagittal_t2_with_t1_one_key_away() -> None:
    # the order a worklist case gives them in: T1 first (the "T2" combo showed T1)
    hanging = mr_hanging([("T1", "sagittal"), ("T2", "axial"), ("T2", "sagittal")])
    assert hanging == MrHanging(t2=2, t1=0) and hanging.shown == 2
    assert hanging.toggled().shown == 0 and hanging.toggled().toggled().shown == 2
    assert mr_hanging([("T1", "sagittal"), ("T2", "sagittal")], chosen_t2=0).t1 is None
    only_t2 = mr_hanging([("T2", "sagittal")])
    assert only_t2.toggled().shown == 0  # no T1: stays on T2
    assert mr_hanging([("unknown", "sagittal")]).shown is None  # never a guess


def test_a_case_starts_on_its_corners_when_it_has_any() -> None:
    assert first_step(places_corners=True, has_films=True) is Step.LANDMARKS
    assert first_step(places_corners=False, has_films=True) is Step.GRADES
    assert first_step(places_corners=True, has_films=False) is Step.GRADES
