"""An MR series' weighting from its headers: the sample's T2 is T2, its T1 is T1, never mixed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from imaging.dicom.mr_weighting import (
    Weighting,
    mr_contrast,
    mr_contrast_of,
    series_to_grade,
)
from imaging.dicom.series import load_series
from imaging.store.blinding import CaseImages, _CaseFile

SAMPLE = Path(__file__).resolve().parents[2] / "sample_dicom" / "DLBP-001" / "baseline"


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample_dicom/ not generated")
def test_the_sample_series_are_told_apart_from_their_headers() -> None:
    t2 = load_series(SAMPLE / "MR_sag_T2", lazy=True)[0]
    t1 = load_series(SAMPLE / "MR_sag_T1", lazy=True)[0]
    assert t2.contrast is not None and t1.contrast is not None
    assert t2.contrast.weighting is Weighting.T2
    assert t2.contrast.reason == "TR 3500 ms, TE 105 ms: long TR and TE (T2)"
    assert t1.contrast.weighting is Weighting.T1
    # a worklist case hands the weighting on (an acquisition parameter), not the description
    files = [
        _CaseFile(f"img-{n}", "uid", frozenset(), str(path), None, "MR")
        for n, path in enumerate(sorted((SAMPLE / "MR_sag_T1").iterdir())[:1])
    ]
    (blinded,) = CaseImages("R-1", files).series()
    assert blinded.weighting == "T1"


def _slice(**attributes: object) -> Dataset:
    dataset = Dataset()
    for keyword, value in attributes.items():
        setattr(dataset, keyword, value)
    return dataset


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"RepetitionTime": 600, "EchoTime": 12}, Weighting.T1),
        ({"RepetitionTime": 4000, "EchoTime": 90}, Weighting.T2),
        ({"RepetitionTime": 3000, "EchoTime": 15}, Weighting.PD),
        ({"RepetitionTime": 4000, "EchoTime": 40, "InversionTime": 160}, Weighting.STIR),
        # times in between: the description decides
        ({"RepetitionTime": 1200, "EchoTime": 40, "SeriesDescription": "SAG T2W"}, Weighting.T2),
        ({"SeriesDescription": "t1_tse_sag"}, Weighting.T1),
        ({"ProtocolName": "L-SPINE SAG STIR"}, Weighting.STIR),
    ],
)
def test_weighting_from_times_else_from_the_names(
    attributes: dict[str, object], expected: Weighting
) -> None:
    assert mr_contrast_of(_slice(**attributes)).weighting is expected


def test_times_and_a_name_that_disagree_give_no_weighting_with_the_reason() -> None:
    """A T1 acquisition described 'T2' (a mislabelled series) is never taken for a T2."""
    found = mr_contrast(560, 11, texts=["T2 TSE SAG"])
    assert found.weighting is Weighting.UNKNOWN
    assert found.reason == (
        "TR 560 ms, TE 11 ms: short TR and TE (T1) but named T2 in 'T2 TSE SAG': check the series"
    )
    nothing = mr_contrast_of(_slice(SeriesDescription="SAG LOCALIZER"))
    assert nothing.weighting is Weighting.UNKNOWN and "no weighting named" in nothing.reason


def test_an_enhanced_mr_gives_its_times_in_functional_groups() -> None:
    timing, echo = _slice(RepetitionTime=3800.0), _slice(EffectiveEchoTime=110.0)
    groups = _slice(MRTimingAndRelatedParametersSequence=[timing], MREchoSequence=[echo])
    assert mr_contrast_of(_slice(SharedFunctionalGroupsSequence=[groups])).weighting is (
        Weighting.T2
    )


def test_the_series_to_grade_is_the_sagittal_one_of_the_weighting() -> None:
    series = [("T1", "sagittal"), ("T2", "axial"), ("T2", "sagittal"), ("unknown", "sagittal")]
    assert series_to_grade(series) == 2
    assert series_to_grade(series, "T1") == 0
    assert series_to_grade(series[1:2]) == 0  # an axial T2 when there is no sagittal one
    assert series_to_grade(series, Weighting.STIR) is None
