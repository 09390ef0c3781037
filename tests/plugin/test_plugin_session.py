"""A read without a display: measures table from imaging.endpoints, validation, store round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from napari_spine_endpoints._layers import radiograph_info
from napari_spine_endpoints._model.measures import format_value
from napari_spine_endpoints._model.placement import CornerLabel
from napari_spine_endpoints._model.session import ReadingSession
from napari_spine_endpoints._model.store_content import split_note, to_draft, to_read_content
from napari_spine_endpoints._model.store_link import StoreLink

from imaging.anatomy import Corner, Film, Vertebra
from imaging.dicom.radiograph import load_radiograph
from imaging.endpoints import FilmCorners, Grade, MeasureRules, StudyRead, endpoint_rows
from imaging.protocol.loader import load_protocol
from imaging.store.reads import read_content
from imaging.store.schema import Read


def _session(study: Path, truth: dict[str, Any], films: tuple[Film, ...]) -> ReadingSession:
    session = ReadingSession(load_protocol(), "reader-a", "DLBP-001", "baseline")
    images = {Film(i["film"]): i for i in truth["images"] if i["modality"] == "DX"}
    for film in films:
        placement = session.add_film(
            radiograph_info(load_radiograph(study / f"DX_lateral_{film.value}.dcm"))
        )
        while placement.current is not None:
            label = placement.current
            corner = images[film]["corners"][label.vertebra.value][label.corner.value]
            placement.place(corner["row"], corner["col"])
    return session


def test_measures_table_shows_what_imaging_endpoints_computes(
    study: Path, truth: dict[str, Any]
) -> None:
    session = _session(study, truth, (Film.NEUTRAL,))
    # Before the discs are graded no disc is known normal: the loss waits, saying why.
    waiting = session.measures().films[Film.NEUTRAL].cell("L4-L5", "height_loss_vs_adjacent_pct")
    assert waiting.text == "-" and "pfirrmann not graded" in waiting.note
    assert session.grades is not None
    pfirrmann = {
        level: str(i["pfirrmann"]) for level, i in truth["grades"].items() if "pfirrmann" in i
    }
    for level, code in pfirrmann.items():
        session.grades.set_grade(level, "pfirrmann", code)
    measures = session.measures()
    grades = tuple(
        Grade(level, "pfirrmann", code, float(code)) for level, code in pfirrmann.items()
    )
    read = StudyRead(
        session.subject, session.visit, session.reader,
        films=(FilmCorners(session.landmarks(Film.NEUTRAL)),), grades=grades,
    )  # fmt: skip
    computed = endpoint_rows(read, MeasureRules.from_protocol(session.protocol))
    assert sorted(measures.rows, key=str) == sorted((r for r in computed if not r.grade), key=str)
    grid = measures.films[Film.NEUTRAL]
    expected = truth["images"][0]["levels"]["L4-L5"]
    cell = grid.cell("L4-L5", "disc_height_mean")
    assert cell.value == pytest.approx(expected["disc_height_mean_mm"], abs=1e-6)
    assert cell.text == format_value("disc_height_mean", cell.value)
    loss = grid.cell("L4-L5", "height_loss_vs_adjacent_pct")
    assert loss.value == pytest.approx(expected["height_loss_vs_adjacent_pct"], abs=1e-6)
    assert loss.note.startswith("references: L3-L4, L5-S1")
    assert grid.cell("L4-L5", "height_loss_flag").text == "yes"
    assert measures.pair is None


def test_rom_of_the_dynamic_films(study: Path, truth: dict[str, Any]) -> None:
    session = _session(study, truth, (Film.FLEXION, Film.EXTENSION))
    pair = session.measures().pair
    assert pair is not None
    for level, expected in truth["rom"].items():
        assert pair.cell(level, "angular_rom").value == pytest.approx(
            expected["angular_rom_deg"], abs=1e-6
        )
        assert pair.cell(level, "translation_rom").value == pytest.approx(
            expected["translation_rom_mm"], abs=1e-6
        )
        assert pair.cell(level, "unstable").text == "no"


def test_impossible_corners_are_reported_not_measured(study: Path, truth: dict[str, Any]) -> None:
    session = _session(study, truth, (Film.NEUTRAL,))
    placement = session.placements[Film.NEUTRAL]
    anterior = CornerLabel(Vertebra.L4, Corner.ANTERIOR_SUPERIOR)
    posterior = CornerLabel(Vertebra.L4, Corner.POSTERIOR_SUPERIOR)
    a, p = placement.positions[anterior], placement.positions[posterior]
    placement.move(anterior, *p)
    placement.move(posterior, *a)  # anterior and posterior swapped
    measures = session.measures()
    assert Film.NEUTRAL not in measures.films
    assert "L4" in measures.errors["neutral"]
    assert any("L4" in problem for problem in session.problems())
    assert session.grades is not None  # a grade re-measures, the corners stay impossible
    session.grades.set_grade("L4-L5", "pfirrmann", "3")
    assert any(x.startswith("neutral film: ") and "L4" in x for x in session.problems())
    assert "L4" in session.measures().errors["neutral"]
    placement.move(anterior, *a)  # put back: measured again, no problem left with the corners
    placement.move(posterior, *p)
    assert not any(x.startswith("neutral film: ") for x in session.problems())
    assert Film.NEUTRAL in session.measures().films


def test_submit_needs_every_corner_or_a_reason_and_every_grade(
    study: Path, truth: dict[str, Any]
) -> None:
    session = _session(study, truth, (Film.NEUTRAL,))
    placement = session.placements[Film.NEUTRAL]
    placement.remove(CornerLabel(Vertebra.S1, Corner.POSTERIOR_SUPERIOR))
    problems = session.problems()
    assert problems[0].startswith("neutral film: 1 corner(s) neither placed nor skipped")
    assert len(problems) == 1 + 6  # and five levels and the baseline findings without grades
    placement.skip("overlapped by the iliac crest")
    assert session.grades is not None
    for level, items in truth["grades"].items():
        for item, value in items.items():
            session.grades.set_grade(level, item, value)
    assert session.problems() == []


def test_store_round_trip_keeps_skips_reasons_and_comments(
    study: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    session = _session(study, truth, (Film.NEUTRAL,))
    placement = session.placements[Film.NEUTRAL]
    skipped = CornerLabel(Vertebra.L5, Corner.POSTERIOR_INFERIOR)
    placement.go_to(skipped)
    placement.skip("overlapped [iliac crest]")
    assert session.grades is not None
    session.grades.set_grade("L4-L5", "pfirrmann", "IV")
    session.grades.set_reason("L1-L2", "motion artefact")
    session.grades.set_comment("L5-S1", "transitional anatomy?")
    content = to_read_content(session)
    assert content.notes["L5-S1"] == (
        "transitional anatomy? [skipped neutral L5 posterior_inferior: overlapped (iliac crest)]"
    )
    assert split_note(content.notes["L1-L2"]) == (
        "",
        [("not graded", "", "", "", "motion artefact")],
    )

    link = StoreLink(f"sqlite:///{tmp_path / 'store.db'}")
    link.save_draft(session)
    assert link.state(session).status == "draft"
    again = ReadingSession(session.protocol, "reader-a", "DLBP-001", "baseline")
    again.add_film(session.films[Film.NEUTRAL])
    draft = link.load_draft(again)
    assert draft is not None
    again.restore(draft)
    again.restore_film(Film.NEUTRAL)
    restored = again.placements[Film.NEUTRAL]
    assert restored.positions == placement.positions
    assert restored.skipped == {skipped: "overlapped (iliac crest)"}
    assert again.grades is not None
    assert again.grades.values == {("L4-L5", "pfirrmann"): "4"}
    assert again.grades.reasons == {"L1-L2": "motion artefact"}
    assert again.grades.comments == {"L5-S1": "transitional anatomy?"}
    assert to_draft(content, session)["comments"] == {"L5-S1": "transitional anatomy?"}
    with link.store.reading() as db:
        read = db.query(Read).one()
        assert len(read_content(db, read).landmarks) == 21
    link.close()


def test_an_uncalibrated_film_withholds_millimetres_but_gives_angles(sample_root: Path) -> None:
    import json

    study = sample_root / "DLBP-003" / "month_12"  # its flexion film has no spacing at all
    truth = json.loads((study / "ground_truth.json").read_text())
    image = next(i for i in truth["images"] if i.get("film") == "flexion")
    session = ReadingSession(load_protocol(), "reader-a", "DLBP-003", "month_12")
    info = radiograph_info(load_radiograph(study / "DX_lateral_flexion.dcm"))
    assert info.units == "pixel" and info.calibration.source.value == "none"
    placement = session.add_film(info)
    while placement.current is not None:
        label = placement.current
        corner = image["corners"][label.vertebra.value][label.corner.value]
        placement.place(corner["row"], corner["col"])
    grid = session.measures().films[Film.FLEXION]
    # a dynamic film gives its angle and translation (heights come from the neutral film)
    assert "disc_height_mean" not in grid.measures
    shift = grid.cell("L4-L5", "translation")
    assert shift.text == "-" and shift.value is None and "uncalibrated" in shift.note
    angle = grid.cell("L4-L5", "segmental_angle")
    assert angle.value == pytest.approx(image["levels"]["L4-L5"]["segmental_angle_deg"], abs=1e-6)
    ratio = grid.cell("L4-L5", "translation_pct_depth")
    expected = image["levels"]["L4-L5"]["translation_pct_depth"]
    assert ratio.value == pytest.approx(expected, abs=1e-6)
