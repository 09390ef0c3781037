"""Autosave in the store: a draft saved again holds exactly the new content, whatever changed.

``save_draft`` writes only what differs from the stored draft (after one click, one landmark
row); these tests hold it to the content a reader sees after moves, removals, additions and
changed grades, suggestions and films, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from imaging.calibration import Calibration, CalibrationSource
from imaging.protocol import Protocol
from imaging.store.cases import get_case
from imaging.store.reads import (
    FilmRecord,
    GradeSuggestion,
    LandmarkPoint,
    ReadContent,
    read_content,
    save_draft,
    start_read,
)
from imaging.store.schema import Landmark, Read
from imaging.store.store import ReadStore

IMAGE = "film.dcm"


def _point(vertebra: str, corner: str, row: float, col: float) -> LandmarkPoint:
    return LandmarkPoint("neutral", IMAGE, vertebra, corner, row, col)


def _content(points: list[LandmarkPoint], **changes: object) -> ReadContent:
    film = FilmRecord(
        "neutral", IMAGE, Calibration((0.16, 0.16), CalibrationSource.CALIBRATED, "header")
    )
    content = ReadContent(
        {("L4-L5", "pfirrmann"): "3"},
        {"L4-L5": "osteophyte"},
        {p.key: p for p in points},
        {("L4-L5", "pfirrmann"): GradeSuggestion("4", "nucleus/CSF T2 0.22", "0.1")},
        {IMAGE: film},
    )
    return replace(content, **changes)  # type: ignore[arg-type]


def _landmark_ids(store: ReadStore) -> dict[tuple[str, str], int]:
    with store.reading() as session:
        rows = session.execute(select(Landmark.vertebra, Landmark.corner, Landmark.id))
        return {(vertebra, corner): pk for vertebra, corner, pk in rows}


def _save(store: ReadStore, protocol: Protocol, content: ReadContent) -> ReadContent:
    """Save ``content`` as the draft of S1's baseline read by R1; what the store then holds."""
    with store.writing() as session:
        read = session.scalars(select(Read)).first()
        if read is None:
            read = start_read(session, get_case(session, "S1", "baseline", actor="t"), "R1",
                              actor="t")  # fmt: skip
        save_draft(session, read, content, protocol)
    with store.reading() as session:
        return read_content(session, session.scalars(select(Read)).one())


def test_a_draft_saved_again_holds_the_moves_removals_and_additions(
    any_store_url: str, protocol: Protocol, landmark_writes: Callable[[], Any]
) -> None:
    first = [_point("L4", "anterior_superior", 100.0, 200.0),
             _point("L4", "posterior_superior", 101.0, 150.0),
             _point("L4", "anterior_inferior", 130.0, 201.0)]  # fmt: skip
    with ReadStore(any_store_url) as store:
        assert _save(store, protocol, _content(first)) == _content(first)
        before = _landmark_ids(store)
        moved = _point("L4", "anterior_superior", 100.5, 199.0)  # dragged half a pixel
        added = _point("L4", "posterior_inferior", 131.0, 149.0)
        second = [moved, first[2], added]  # posterior-superior removed
        changed = _content(
            second,
            grades={("L4-L5", "pfirrmann"): "4", ("L4-L5", "modic_cranial"): "0"},
            notes={},
            suggestions={},
            films={IMAGE: replace(_content([]).films[IMAGE], anterior_direction=(0.0, -1.0))},
        )
        with landmark_writes() as written:
            assert _save(store, protocol, changed) == changed
        # the moved and the removed corner deleted, the moved and the added one inserted; the
        # corner nobody touched is not written again
        assert sorted(written) == ["DELETE", "DELETE", "INSERT", "INSERT"]
        after = _landmark_ids(store)
        assert set(after) == {("L4", "anterior_superior"), ("L4", "anterior_inferior"),
                              ("L4", "posterior_inferior")}  # fmt: skip
        assert after[("L4", "anterior_inferior")] == before[("L4", "anterior_inferior")]


def test_a_draft_saved_unchanged_writes_no_landmark_row(
    store: ReadStore, protocol: Protocol, landmark_writes: Callable[[], Any]
) -> None:
    points = [_point("L1", "anterior_superior", 10.0, 20.0)]
    _save(store, protocol, _content(points))
    with landmark_writes() as written:
        assert _save(store, protocol, _content(points)) == _content(points)
    assert written == []
