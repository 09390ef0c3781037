"""The read's life in the workstation without a viewer: draft, submit, correction, next case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from napari_spine_endpoints._layers import radiograph_info
from napari_spine_endpoints._model.placement import CornerLabel
from napari_spine_endpoints._model.provenance import CornerRecord, corners_obtained
from napari_spine_endpoints._model.read_lifecycle import NOT_STORED, ReadLifecycle, next_case
from napari_spine_endpoints._model.session import ReadingSession
from napari_spine_endpoints._model.store_link import StoreLink

import imaging
from imaging.anatomy import Corner, Film, Vertebra
from imaging.dicom.radiograph import load_radiograph
from imaging.protocol.loader import load_protocol
from imaging.store.measures import read_measures
from imaging.store.reads import read_content, versions
from imaging.store.vocabulary import LandmarkUse, ReadStatus
from imaging.store.worklist import WorklistItem
from imaging.store.workstation import ReadKey, case_to_open, read_state

L5_AS = CornerLabel(Vertebra.L5, Corner.ANTERIOR_SUPERIOR)


def _session(study: Path, truth: dict[str, Any], subject: str = "DLBP-001") -> ReadingSession:
    """A complete read of the neutral film: every corner at its truth, every grade given."""
    session = ReadingSession(load_protocol(), "reader-a", subject, "baseline" if subject else "")
    image = next(i for i in truth["images"] if i.get("film") == Film.NEUTRAL.value)
    placement = session.add_film(radiograph_info(load_radiograph(study / "DX_lateral_neutral.dcm")))
    while placement.current is not None:
        label = placement.current
        corner = image["corners"][label.vertebra.value][label.corner.value]
        placement.place(corner["row"], corner["col"])
    assert session.grades is not None
    asked = {
        (level, i.name) for level in session.grades.levels for i in session.grades.items_at(level)
    }
    for level, items in truth["grades"].items():
        for item, value in items.items():
            if (level, item) in asked:  # no visit: no baseline findings
                session.grades.set_grade(level, item, value)
    return session


@pytest.fixture
def link(tmp_path: Path) -> Any:
    store = StoreLink(f"sqlite:///{tmp_path / 'store.db'}")
    yield store
    store.close()


def test_draft_submit_then_a_correction_with_a_reason(
    study: Path, truth: dict[str, Any], link: StoreLink
) -> None:
    told: list[str] = []
    lifecycle = ReadLifecycle(link, told.append)
    session = _session(study, truth)
    assert session.grades is not None
    session.grades.set_grade("L4-L5", "pfirrmann", "")  # not complete yet
    lifecycle.open(session)
    assert (lifecycle.state.status, lifecycle.status_text) == (ReadStatus.TO_READ, "to read")
    assert lifecycle.editable and not lifecycle.correctable

    assert lifecycle.save_draft()
    assert (lifecycle.state.status, lifecycle.state.version) == (ReadStatus.DRAFT, 1)
    assert told[-1] == "Draft saved (DLBP-001 baseline)"
    assert lifecycle.submit()[0].startswith("L4-L5")  # a missing grade blocks the submit
    assert lifecycle.state.status is ReadStatus.DRAFT

    session.grades.set_grade("L4-L5", "pfirrmann", truth["grades"]["L4-L5"]["pfirrmann"])
    assert lifecycle.submit() == []
    assert lifecycle.status_text == "submitted v1"
    assert told[-1] == "Submitted DLBP-001 baseline as reader reader-a"
    assert lifecycle.correctable and not lifecycle.editable

    # an edit to a submitted read is not saved, and the reader is told so ...
    row, col = session.placements[Film.NEUTRAL].positions[L5_AS]
    session.placements[Film.NEUTRAL].move(L5_AS, row + 10.0, col)
    assert not lifecycle.save_draft()
    assert told[-1].startswith("Not saved: this read is submitted (v1). To change it, start")
    assert lifecycle.submit()[0].startswith("this read is already submitted (version 1)")
    # ... until a correction, which needs a reason and keeps the edit
    assert lifecycle.start_correction(" ")[0].startswith("a correction needs a reason")
    assert lifecycle.start_correction("L5 corner on the osteophyte tip") == []
    assert (lifecycle.state.status, lifecycle.state.version) == (ReadStatus.DRAFT, 2)
    assert told[-2].startswith("Correcting DLBP-001 baseline: version 2 is a draft")
    assert lifecycle.submit() == []

    with link.store.reading() as db:
        first, second = versions(db, _case(db))
        assert (first.status, second.status, second.reason) == (
            "submitted", "submitted", "L5 corner on the osteophyte tip",
        )  # fmt: skip
        moved = read_content(db, second).landmarks
        key = (session.films[Film.NEUTRAL].source_image, "L5", "anterior_superior")
        assert moved[key].row == pytest.approx(row + 10.0)
        assert read_content(db, first).landmarks[key].row == pytest.approx(row)


def test_measures_submitted_from_the_workstation_carry_the_software_version(
    study: Path, truth: dict[str, Any], link: StoreLink
) -> None:
    lifecycle = ReadLifecycle(link)
    session = _session(study, truth)
    lifecycle.open(session)
    assert lifecycle.submit() == []
    shown = {(r.level, r.measure, r.film): r.value for r in session.measures().rows}
    with link.store.reading() as db:
        (read,) = versions(db, _case(db))
        stored = read_measures(db, read)
    assert {(m.level, m.measure, m.film): m.value for m in stored} == shown
    assert {m.software_version for m in stored} == {imaging.__version__}
    assert {m.corners for m in stored} == {LandmarkUse.CLICK}
    assert {m.reader for m in stored} == {"reader-a"}


def test_a_read_the_store_cannot_keep_is_read_but_never_saved(
    study: Path, truth: dict[str, Any], link: StoreLink
) -> None:
    told: list[str] = []
    lifecycle = ReadLifecycle(link, told.append)
    lifecycle.open(_session(study, truth, subject=""))
    assert not lifecycle.stored and lifecycle.status_text == NOT_STORED
    assert told[0].startswith("Nothing of this read will be saved: the film names no subject")
    assert not lifecycle.save_draft()
    assert lifecycle.submit() == ["this read cannot be stored (see the message when it was opened)"]
    assert lifecycle.start_correction("why") == [
        "only a submitted read can be corrected; this one is not stored"
    ]
    lifecycle.close()
    assert lifecycle.session is None and lifecycle.stored
    assert lifecycle.submit()[0].startswith("no read is open")


def test_reopening_a_case_resumes_its_draft(
    study: Path, truth: dict[str, Any], link: StoreLink
) -> None:
    first = ReadLifecycle(link)
    session = _session(study, truth)
    assert session.grades is not None
    session.grades.set_comment("L5-S1", "transitional anatomy?")
    first.open(session)
    assert first.save_draft()

    again = ReadingSession(session.protocol, "reader-a", "DLBP-001", "baseline")
    again.add_film(session.films[Film.NEUTRAL])
    second = ReadLifecycle(link)
    second.open(again)
    again.restore_film(Film.NEUTRAL)
    assert (second.state.status, second.state.version) == (ReadStatus.DRAFT, 1)
    assert again.placements[Film.NEUTRAL].positions == session.placements[Film.NEUTRAL].positions
    assert again.grades is not None and again.grades.comments == {"L5-S1": "transitional anatomy?"}


def test_the_next_case_is_the_first_still_to_read_or_in_draft() -> None:
    def item(reading_id: str, status: ReadStatus) -> WorklistItem:
        return WorklistItem(0, reading_id, status, None, None, 2)

    items = [
        item("R-1", ReadStatus.SUBMITTED),
        item("R-2", ReadStatus.DRAFT),
        item("R-3", ReadStatus.TO_READ),
        item("R-4", ReadStatus.LOCKED),
    ]
    assert next_case(items) == "R-2"
    assert next_case(items, current="R-2") == "R-3"  # the case just submitted is not reopened
    assert next_case(items[:2], current="R-2") is None


def test_stored_measures_say_how_their_corners_were_obtained(
    study: Path, truth: dict[str, Any]
) -> None:
    session = _session(study, truth)
    placement = session.placements[Film.NEUTRAL]
    point = placement.positions[L5_AS]
    assert corners_obtained(placement.records.values()) == "click"
    placement.update({L5_AS: (point, CornerRecord(LandmarkUse.REFINED, point, point, 0.9))})
    assert {row.corners for row in session.measures().rows} == {"refined 1/22, click 21"}
    moved = CornerRecord(LandmarkUse.MOVED, point)
    assert corners_obtained([moved, CornerRecord.clicked(point)]) == "click"
    tracked = CornerRecord(LandmarkUse.TRACKED, None)
    assert corners_obtained([tracked, moved]) == "tracked 1/2, click 1"


def test_workstation_store_steps_take_plain_values(
    study: Path, truth: dict[str, Any], link: StoreLink
) -> None:
    with pytest.raises(imaging.errors.StoreError, match="a read needs a visit"):
        ReadKey("DLBP-001", " ", "reader-a")
    key = ReadKey("DLBP-001", "baseline", "reader-a")
    with link.store.reading() as db:
        assert read_state(db, key).status is ReadStatus.TO_READ  # no case yet: nothing read
    lifecycle = ReadLifecycle(link)
    lifecycle.open(_session(study, truth))
    with pytest.raises(imaging.errors.StoreError, match="has no read of DLBP-001 baseline"):
        link.start_correction(_session(study, truth), "why")
    assert lifecycle.save_draft()
    with link.store.reading() as db:
        case = _case(db)
        opened = case_to_open(db, case.reading_id, "reader-a", load_protocol())
    assert (opened.reading_id, opened.status) == (case.reading_id, "draft")
    # the baseline's items, the screening findings with them, without naming the visit
    assert opened.items[:3] == ("pfirrmann", "modic_cranial", "modic_caudal")
    assert "discography_single_painful_disc" in opened.items
    assert opened.image_count == 0  # the film was opened from a file, not registered


def _case(db: Any) -> Any:
    from imaging.store.cases import get_case

    return get_case(db, "DLBP-001", "baseline", actor="test", create=False)
