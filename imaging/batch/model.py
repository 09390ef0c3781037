"""The records the batch passes around: failures, file digests, one study's result.

All are plain frozen dataclasses of strings and numbers, so they pickle to worker processes and
dask workers and back, and serialise to JSON for the per-study result files. Endpoint rows are
tuples in the order of :data:`ENDPOINT_COLUMNS` (:meth:`imaging.endpoints.EndpointRow.cells`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from imaging.digests import FileDigest
from imaging.endpoints.rows import COLUMNS
from imaging.output_folder import (
    CORNERS_CSV,
    ELIGIBILITY_CSV,
    ENDPOINTS_CSV,
    ENDPOINTS_PARQUET,
    FAILURE_COLUMNS,
    FAILURES_CSV,
    PROVENANCE_JSON,
)

__all__ = [
    "CORNERS_CSV",
    "CORNER_COLUMNS",
    "ELIGIBILITY_CSV",
    "ENDPOINTS_CSV",
    "ENDPOINTS_PARQUET",
    "ENDPOINT_COLUMNS",
    "FAILURES_CSV",
    "FAILURE_COLUMNS",
    "PROVENANCE_JSON",
    "CornerRow",
    "Failure",
    "FileDigest",
    "StudyResult",
]

ENDPOINT_COLUMNS: tuple[str, ...] = COLUMNS
"""The endpoint table's columns (:mod:`imaging.endpoints.rows`, docs/endpoint-table.md)."""
Row = tuple[Any, ...]
Point = tuple[str, str, float, float, str]
"""A placed corner: (vertebra, corner, row, col, where it was read, e.g. ``"line 12"``)."""
CORNER_COLUMNS: tuple[str, ...] = (
    "subject", "visit", "film", "image", "vertebra", "corner", "row", "col", "reader", "corners",
)  # fmt: skip
"""``corners.csv``: the landmark file format (docs/landmark-format.md) plus ``corners``."""
CornerRow = tuple[str, str, str, str, str, float, float, str]
"""A corner measured: (film, image, reader, vertebra, corner, row, col, how the film's corners
were obtained: ``click``, ``refined``, ``tracked`` or a mixed film's counts)."""


@dataclass(frozen=True, order=True)
class Failure:
    """One thing the batch could not compute, and why.

    ``file`` is the image (or landmark file) concerned, empty when the whole study is; ``reason``
    starts with a short kind (``not-dicom``, ``no landmarks``, ``uncalibrated``, ...), a colon and
    the explanation with its fix.
    """

    file: str
    subject: str
    visit: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Failure:
        return cls(**{name: str(data.get(name) or "") for name in FAILURE_COLUMNS})


@dataclass(frozen=True)
class StudyResult:
    """What one study's task returns: endpoint rows, failures, and the digests of its files."""

    study_id: str
    subject: str
    visit: str
    rows: tuple[Row, ...]
    """Endpoint rows, columns :data:`ENDPOINT_COLUMNS`."""
    failures: tuple[Failure, ...] = ()
    files: tuple[FileDigest, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)
    corners: tuple[CornerRow, ...] = ()
    """The corners every row was measured from (after refinement or tracking), ``image``
    relative to the archive."""

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame."""
        return pd.DataFrame.from_records(list(self.rows), columns=list(ENDPOINT_COLUMNS))

    @property
    def status(self) -> str:
        """``ok``, ``partial`` (some rows and some failures) or ``failed`` (no rows)."""
        if not self.failures:
            return "ok"
        return "partial" if len(self.rows) else "failed"
