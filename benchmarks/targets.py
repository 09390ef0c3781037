"""One verdict for every benchmark target: a value meets its target or misses it, and a value that
is not a number (NaN, infinite) always misses. ``python -m benchmarks`` exits non-zero when any
script reports a miss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Verdicts:
    """The targets one benchmark script checked, and which it missed."""

    missed: list[str] = field(default_factory=list)

    def at_most(self, label: str, value: float, target: float) -> str:
        """``'meets'`` when ``value <= target`` (a finite number), else ``'MISSES'``, recorded."""
        return self._record(label, math.isfinite(value) and value <= target)

    def at_least(self, label: str, value: float, target: float) -> str:
        """``'meets'`` when ``value >= target`` (a finite number), else ``'MISSES'``, recorded."""
        return self._record(label, math.isfinite(value) and value >= target)

    def require(self, label: str, ok: bool) -> str:
        """A target that is a condition (results agree, memory flat): meets or MISSES."""
        return self._record(label, ok)

    def _record(self, label: str, ok: bool) -> str:
        if not ok:
            self.missed.append(label)
        return "meets" if ok else "MISSES"

    def exit_status(self) -> int:
        """0 when every target was met; 1, after listing the misses, otherwise."""
        if self.missed:
            print("targets missed: " + "; ".join(self.missed))
            return 1
        return 0
