"""The one endpoint pipeline: reads in, endpoint rows out, one table schema for every path.

- :mod:`~imaging.endpoints.compute`: :func:`endpoint_rows`, one reader's read of one study ->
  rows (every measure of :data:`imaging.measures.MEASURES`, and the grades);
- :mod:`~imaging.endpoints.rules`: the protocol's thresholds and reference discs;
- :mod:`~imaging.endpoints.baseline`: change from baseline and the visit's nominal day;
- :mod:`~imaging.endpoints.rows`: the row and its columns (docs/endpoint-table.md);
- :mod:`~imaging.endpoints.table`: DataFrame, CSV (rounded) and Parquet (full precision).
"""

from imaging.endpoints.baseline import ChangeFromBaseline, complete_rows
from imaging.endpoints.compute import (
    FilmCorners,
    Grade,
    StudyRead,
    endpoint_rows,
    measure_film,
    measure_pair,
    reads_from_landmarks,
)
from imaging.endpoints.corner_labels import (
    CLICK,
    REFINED,
    TRACKED,
    corners_label,
    kept_click_note,
    pair_label,
)
from imaging.endpoints.rows import COLUMNS, GRADE_UNIT, EndpointRow, visit_sort_key
from imaging.endpoints.rules import MeasureRules
from imaging.endpoints.table import EndpointTableWriter, endpoint_table, write_endpoint_rows
from imaging.measures import PAIR_FILM

__all__ = [
    "CLICK",
    "COLUMNS",
    "GRADE_UNIT",
    "PAIR_FILM",
    "REFINED",
    "TRACKED",
    "ChangeFromBaseline",
    "EndpointRow",
    "EndpointTableWriter",
    "FilmCorners",
    "Grade",
    "MeasureRules",
    "StudyRead",
    "complete_rows",
    "corners_label",
    "endpoint_rows",
    "endpoint_table",
    "kept_click_note",
    "measure_film",
    "measure_pair",
    "pair_label",
    "reads_from_landmarks",
    "visit_sort_key",
    "write_endpoint_rows",
]
