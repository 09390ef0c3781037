"""Number options (``imaging.cli._numbers``): a value outside its range, infinite or not a
number is a usage error saying what was expected; every command checks them alike."""

from __future__ import annotations

import argparse

import pytest

from imaging.cli import main
from imaging.cli._numbers import count, fraction, non_negative, positive, spacing


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (positive, "0", "expected a positive number, got '0'"),
        (positive, "-2", "expected a positive number, got '-2'"),
        (positive, "inf", "expected a finite number, got 'inf'"),
        (positive, "nan", "expected a finite number, got 'nan'"),
        (positive, "4 mm", "expected a number, got '4 mm'"),
        (non_negative, "-0.5", "expected a finite number >= 0, got '-0.5'"),
        (fraction, "1.5", "expected a number from 0 to 1, got '1.5'"),
        (fraction, "-0.1", "expected a number from 0 to 1, got '-0.1'"),
        (count, "2.5", "expected a whole number, got '2.5'"),
        (count, "0", "must be 1 or more, got 0"),
        (spacing, "0.1,0.1,0.1", "expected MM or ROW_MM,COL_MM, got '0.1,0.1,0.1'"),
        (spacing, "0.1,0", "expected a positive number, got '0'"),
        (spacing, "0.1,nan", "expected a finite number, got 'nan'"),
    ],
)
def test_a_bad_number_is_refused_saying_what_was_expected(
    parse: object, text: str, message: str
) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        parse(text)  # type: ignore[operator]
    assert str(caught.value) == message


def test_good_numbers_are_read() -> None:
    assert positive("0.16") == 0.16
    assert non_negative("0") == 0.0
    assert [fraction(t) for t in ("0", "0.00", "1")] == [0.0, 0.0, 1.0]  # "0.00" was refused
    assert count("3") == 3
    assert spacing("0.2") == 0.2 and spacing("0.2,0.25") == (0.2, 0.25)


def test_a_command_refuses_a_bad_number_as_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["refine", "corners.csv", "--min-confidence", "1.5"])
    assert info.value.code == 2
    assert "argument --min-confidence: expected a number from 0 to 1, got '1.5'" in (
        capsys.readouterr().err
    )
