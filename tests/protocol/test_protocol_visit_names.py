"""One rule for what a visit name stands for (``Protocol.visit_id``): its id or a time point id,
case, spaces, ``_`` and ``-`` ignored; a name of no visit is None, never passed on as a visit."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from imaging.errors import ProtocolError
from imaging.protocol import assign_visit, load_protocol
from imaging.protocol.loader import DEFAULT_PROTOCOL


@pytest.mark.parametrize(
    ("name", "visit"),
    [
        ("month_6", "month_6"),
        ("Month 6", "month_6"),
        ("MONTH-6", "month_6"),
        ("  month   6 ", "month_6"),
        ("M06", "month_6"),
        ("m6", "month_6"),
        ("BL", "baseline"),
        ("Screening", "baseline"),
        ("week 1", "week_1"),
    ],
)
def test_a_visit_name_gives_the_protocols_visit_id(name: str, visit: str) -> None:
    assert load_protocol().visit_id(name) == visit


@pytest.mark.parametrize("name", ["month 7", "month6x", "6 months", "", "nan", None, math.nan])
def test_a_name_of_no_visit_is_none_and_refused_with_the_visits(name: object) -> None:
    protocol = load_protocol()
    assert protocol.visit_id(name) is None
    with pytest.raises(ValueError) as caught:
        protocol.visit(name)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"{name!r} is not a visit of protocol DLBP-ChiCTR2200058291; visits: baseline, week_1, "
        "month_1, month_3, month_6, month_12, month_18, month_24"
    )


def test_a_dicom_time_point_id_spelled_with_a_space_is_assigned() -> None:
    """(0012,0050) "Month 6" is the month_6 visit, not an unknown time point."""
    result = assign_visit(load_protocol(), time_point_id="Month 6")
    assert result.visit is not None and result.visit.id == "month_6"


def test_a_name_given_to_two_visits_is_refused_with_its_line(tmp_path: Path) -> None:
    """With spacing ignored, month_3's "MONTH-6" would name month_6 too: the file is refused
    rather than one of them chosen."""
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    old = 'time_point_ids = ["M3", "M03", "MONTH3"]'
    assert old in text
    path = tmp_path / "protocol.toml"
    path.write_text(text.replace(old, 'time_point_ids = ["M3", "MONTH-6"]'), encoding="utf-8")

    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)

    lines = text.splitlines()
    month_6 = lines.index('id = "month_6"') + 1
    assert str(caught.value).startswith(f"{path}: line {month_6} (visits[4].id): ")
    assert (
        "visit 'month_6': 'month_6' names visit 'month_3' too (as 'MONTH-6'; case, spaces, '_' "
        "and '-' are ignored in visit names). Give each name to one visit only."
    ) in str(caught.value)
