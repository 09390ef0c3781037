"""Number options, checked as argparse reads them: finite and within their range, or a usage
error saying what was expected (exit status 2)."""

from __future__ import annotations

import argparse
import math


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive(text: str) -> float:
    """A finite number > 0 (a radius, a spacing)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def non_negative(text: str) -> float:
    """A finite number >= 0 (thresholds)."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def fraction(text: str) -> float:
    """A number from 0 to 1 (a confidence)."""
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}")
    return value


def count(text: str) -> int:
    """A whole number >= 1 (processes)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def spacing(text: str) -> float | tuple[float, float]:
    """``MM`` or ``ROW_MM,COL_MM`` (pixel spacing, mm): one or two positive numbers."""
    parts = text.split(",")
    if len(parts) not in (1, 2):
        raise argparse.ArgumentTypeError(f"expected MM or ROW_MM,COL_MM, got {text!r}")
    values = [positive(part) for part in parts]
    return values[0] if len(values) == 1 else (values[0], values[1])
