"""The batch's output tables, written as they stream in: endpoints (CSV and Parquet), the
corners measured, failures.

The endpoint table is the one table of every path (:mod:`imaging.endpoints`, columns
docs/endpoint-table.md). Studies are appended in a fixed order (subject, then visit in protocol
order), so the same inputs give byte-identical CSV files however the work was executed; change
from baseline is filled as they pass (:class:`imaging.endpoints.ChangeFromBaseline`), holding one
subject's baseline at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from imaging.atomic import replace_atomically
from imaging.batch.model import (
    CORNER_COLUMNS,
    ENDPOINTS_CSV,
    ENDPOINTS_PARQUET,
    FAILURE_COLUMNS,
    Failure,
)
from imaging.endpoints import ChangeFromBaseline, EndpointRow, EndpointTableWriter
from imaging.protocol.adjudication import Resolution, resolve_study
from imaging.protocol.model import Protocol
from imaging.spreadsheet import SafeWriter


class EndpointWriter(EndpointTableWriter):
    """``endpoints.csv`` and ``endpoints.parquet`` of a batch output folder.

    :meth:`add_study` takes the rows of one study at a time (tuples in
    :data:`~imaging.batch.model.ENDPOINT_COLUMNS` order), subjects contiguous and each subject's
    visits in protocol order, and returns them completed. With ``resolutions`` (``batch --store``
    under a double-reading protocol) each study's rows become its endpoint rows first
    (:func:`imaging.protocol.adjudication.resolve_study`), compared with baseline per item.
    """

    def __init__(
        self,
        folder: Path,
        protocol: Protocol,
        resolutions: Mapping[tuple[str, str], Resolution] | None = None,
    ) -> None:
        super().__init__(folder / ENDPOINTS_CSV, folder / ENDPOINTS_PARQUET)
        self._protocol = protocol
        self._resolutions = resolutions
        self._change = ChangeFromBaseline(protocol, by_reader=resolutions is None)

    def add_study(self, rows: Iterable[Sequence[Any]]) -> list[EndpointRow]:
        study = [EndpointRow.from_cells(row) for row in rows]
        if self._resolutions is not None and study:
            key = (study[0].subject, study[0].visit)
            study = resolve_study(self._protocol, study, self._resolutions.get(key))
        completed = self._change.add(study)
        self.add(completed)
        return completed


def write_failures(failures: Iterable[Failure], path: Path) -> int:
    """Write the failures table (sorted by subject, visit, file, reason); returns the count."""
    ordered = sorted(set(failures), key=lambda f: (f.subject, f.visit, f.file, f.reason))

    def write(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            writer = SafeWriter(handle)
            writer.writerow(FAILURE_COLUMNS)
            writer.writerows([f.file, f.subject, f.visit, f.reason] for f in ordered)

    replace_atomically(path, write)
    return len(ordered)


class CornerWriter:
    """``corners.csv``: every corner the endpoint rows were measured from (after ``--refine`` or
    ``--track``), one row per corner, in the landmark file format plus ``corners`` (how the
    film's corners were obtained). ``image`` is relative to the archive: ``batch .
    --landmarks OUT/corners.csv`` run in the archive folder measures the same corners again.
    Written into the batch's staging folder (:func:`imaging.batch.outdir.staged`), which is moved
    into the output only when the run finishes."""

    def __init__(self, stream: TextIO) -> None:
        self._writer = SafeWriter(stream)
        self._writer.writerow(CORNER_COLUMNS)

    def add_study(self, subject: str, visit: str, corners: Iterable[Sequence[Any]]) -> None:
        """Rows of one study: (film, image, reader, vertebra, corner, row, col, corners)."""
        for film, image, reader, vertebra, corner, row, col, how in corners:
            self._writer.writerow(
                [subject, visit, film, image, vertebra, corner, repr(row), repr(col), reader, how]
            )
