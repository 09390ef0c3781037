"""Assisted reading in the store: each corner's click, refined position and use; suggestions.

Migration 0003 turns ``landmarks.method`` into ``used`` and adds the refinement's record; the
corners of older reads were the reader's own, so their click is their position. Submitted reads
stay immutable, new columns and the new ``grade_suggestions`` table included.
"""

from __future__ import annotations

import pytest
from alembic import command
from old_stores import OLD_CORNERS, old_store_with_a_submitted_read
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DatabaseError

from imaging.assist import RefinementStatus
from imaging.errors import StoreError
from imaging.protocol import Protocol
from imaging.store.audit import audit_entries
from imaging.store.cases import get_case
from imaging.store.corrections import correct
from imaging.store.export import stored_rows
from imaging.store.migrate import alembic_config, current_revision, head_revision
from imaging.store.reads import (
    REFINEMENT_STATUSES,
    GradeSuggestion,
    LandmarkPoint,
    LandmarkUse,
    ReadContent,
    latest_version,
    read_content,
    save_draft,
    start_read,
    submit,
)
from imaging.store.schema import GradeValue, Read, SuggestedGrade
from imaging.store.store import ReadStore

AS = ("neutral", "film.dcm", "L4", "anterior_superior")
PS = ("neutral", "film.dcm", "L4", "posterior_superior")
AI = ("neutral", "film.dcm", "L4", "anterior_inferior")
PI = ("neutral", "film.dcm", "L4", "posterior_inferior")


def assisted_content() -> ReadContent:
    """One corner of each kind: a click, a refined one, a tracked one, a moved one."""
    points = [
        LandmarkPoint(*AS, 100.0, 200.0),
        LandmarkPoint(*PS, 101.5, 150.25, 102.0, 151.0, "refined", 101.5, 150.25, 0.93, "refined"),
        LandmarkPoint(*AI, 130.0, 201.0, used=LandmarkUse.TRACKED),
        LandmarkPoint(
            *PI, 131.0, 149.0, 133.0, 148.0, "moved", 132.0, 148.5, 0.31, "low_confidence"
        ),
    ]
    return ReadContent(
        {("L4-L5", "pfirrmann"): "3"},
        {},
        {p.key: p for p in points},
        {("L4-L5", "pfirrmann"): GradeSuggestion("4", "nucleus/CSF T2 0.22", "0.1")},
    )


def submitted(store: ReadStore, protocol: Protocol, content: ReadContent) -> int:
    with store.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        read = start_read(session, case, "R1", actor="t")
        save_draft(session, read, content, protocol)
        submit(session, read, actor="t")
        return read.id


def test_landmarks_keep_click_refined_position_and_use(
    store: ReadStore, protocol: Protocol
) -> None:
    read_id = submitted(store, protocol, assisted_content())
    with store.reading() as session:
        rows = session.execute(
            text(
                "SELECT corner, row, col, click_row, click_col, used, refined_row, refined_col, "
                "confidence, refinement_status FROM landmarks WHERE read_pk = :read "
                "ORDER BY corner"
            ),
            {"read": read_id},
        ).all()
    assert [tuple(r) for r in rows] == [
        ("anterior_inferior", 130.0, 201.0, None, None, "tracked", None, None, None, None),
        ("anterior_superior", 100.0, 200.0, 100.0, 200.0, "click", None, None, None, None),
        ("posterior_inferior", 131.0, 149.0, 133.0, 148.0, "moved", 132.0, 148.5, 0.31,
         "low_confidence"),
        ("posterior_superior", 101.5, 150.25, 102.0, 151.0, "refined", 101.5, 150.25, 0.93,
         "refined"),
    ]  # fmt: skip
    with store.reading() as session:
        read = session.scalars(select(GradeValue.read_pk)).first()
        assert read == read_id
        back = read_content(session, session.get_one(Read, read_id))
    assert back.landmarks == assisted_content().landmarks
    assert back.suggestions == assisted_content().suggestions


def test_only_the_readers_grade_is_an_endpoint(store: ReadStore, protocol: Protocol) -> None:
    submitted(store, protocol, assisted_content())
    with store.reading() as session:
        grades = session.execute(select(GradeValue.level, GradeValue.item, GradeValue.code)).all()
        suggested = session.execute(
            select(SuggestedGrade.item, SuggestedGrade.code, SuggestedGrade.evidence)
        ).all()
        rows = stored_rows(session, protocol)
    assert [tuple(g) for g in grades] == [("L4-L5", "pfirrmann", "3")]
    assert [tuple(s) for s in suggested] == [("pfirrmann", "4", "nucleus/CSF T2 0.22")]
    graded = [(r.level, r.measure, r.grade, r.value) for r in rows if r.grade]
    assert graded == [("L4-L5", "pfirrmann", "3", 3.0)]


def test_impossible_landmark_records_are_refused() -> None:
    with pytest.raises(StoreError, match="'used' is 'guessed'"):
        LandmarkPoint(*AS, 1.0, 2.0, used="guessed")
    with pytest.raises(StoreError, match="'used' is 'refined' but the position is not"):
        LandmarkPoint(*AS, 1.0, 2.0, 1.0, 2.0, "refined")
    with pytest.raises(StoreError, match="'used' is 'click' but the position is not the click"):
        LandmarkPoint(*AS, 1.0, 2.0, 3.0, 4.0, "click")
    with pytest.raises(StoreError, match="refined_row and refined_col go together"):
        LandmarkPoint(*AS, 1.0, 2.0, used="moved", refined_row=1.0)
    with pytest.raises(StoreError, match=r"confidence 1\.5 is not between 0 and 1"):
        LandmarkPoint(*AS, 1.0, 2.0, confidence=1.5)
    with pytest.raises(StoreError, match="unknown refinement status 'great'"):
        LandmarkPoint(*AS, 1.0, 2.0, refinement_status="great")
    clicked = LandmarkPoint(*AS, 1.0, 2.0)
    assert (clicked.used, clicked.click) == (LandmarkUse.CLICK, (1.0, 2.0))


def test_refinement_statuses_are_those_of_imaging_assist() -> None:
    assert set(REFINEMENT_STATUSES) == {s.value for s in RefinementStatus}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE landmarks SET used = 'click', row = click_row, col = click_col "
        "WHERE used = 'refined'",
        "UPDATE landmarks SET refined_row = NULL, refined_col = NULL WHERE used = 'moved'",
        "UPDATE landmarks SET confidence = 0.99",
        "UPDATE landmarks SET refinement_status = 'refined'",
        "UPDATE grade_suggestions SET code = '3'",
        "DELETE FROM grade_suggestions",
        "INSERT INTO grade_suggestions (read_pk, level, item, scale, code, evidence, "
        "software_version) VALUES (:read, 'L3-L4', 'pfirrmann', 'pfirrmann', '2', '', '')",
    ],
)
def test_the_database_refuses_changes_to_the_assisted_record_of_a_submitted_read(
    store: ReadStore, protocol: Protocol, statement: str
) -> None:
    read_id = submitted(store, protocol, assisted_content())
    with pytest.raises(DatabaseError, match="immutable"), store.writing() as session:
        session.execute(text(statement), {"read": read_id})
    with store.reading() as session:
        back = read_content(session, session.get_one(Read, read_id))
    assert back == assisted_content()


def test_the_database_refuses_an_impossible_landmark_record(
    store: ReadStore, protocol: Protocol
) -> None:
    with store.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        read = start_read(session, case, "R1", actor="t")
        save_draft(session, read, assisted_content(), protocol)
    for statement in (
        "UPDATE landmarks SET used = 'guessed'",
        "UPDATE landmarks SET used = 'refined', refined_row = NULL, refined_col = NULL",
        "UPDATE landmarks SET click_row = NULL WHERE used = 'click'",
        "UPDATE landmarks SET confidence = -0.1",
    ):
        with pytest.raises(DatabaseError, match="CHECK constraint"), store.writing() as session:
            session.execute(text(statement))


def test_a_correction_copies_the_assisted_record_and_audits_how_corners_came(
    store: ReadStore, protocol: Protocol
) -> None:
    submitted(store, protocol, assisted_content())
    with store.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        first = latest_version(session, case, "R1")
        assert first is not None
        content = assisted_content()
        changed = ReadContent(
            {("L4-L5", "pfirrmann"): "4"}, {}, content.landmarks, content.suggestions
        )
        second = correct(session, first, changed, protocol, reason="adjudication", actor="lead")
        copied = read_content(session, second)
        entries = audit_entries(session, subject="S1")
    assert copied.landmarks == content.landmarks and copied.suggestions == content.suggestions
    values = {e.field: e.new_value for e in entries if e.action == "set"}
    assert values["neutral L4 posterior_superior"] == (
        "(101.500, 150.250) refined, click (102.000, 151.000), refinement confidence 0.93"
    )
    assert values["neutral L4 anterior_inferior"] == "(130.000, 201.000) tracked"
    assert values["neutral L4 anterior_superior"] == "(100.000, 200.000)"
    assert values["L4-L5 pfirrmann suggestion"] == "4"
    corrected = [e.field for e in entries if e.action == "corrected"]
    assert corrected == ["L4-L5 pfirrmann"]  # the suggestion and the corners did not change


def test_a_suggestion_off_the_scale_is_refused(store: ReadStore, protocol: Protocol) -> None:
    content = ReadContent(suggestions={("L4-L5", "pfirrmann"): GradeSuggestion("9")})
    with store.writing() as session:
        read = start_read(session, get_case(session, "S1", "baseline", actor="t"), "R", actor="t")
        with pytest.raises(StoreError, match="suggested pfirrmann: '9' is not a grade"):
            save_draft(session, read, content, protocol)


def test_upgrade_from_0002_records_the_old_corners_as_clicks_and_keeps_them_immutable(
    store_url: str,
) -> None:
    read_id = old_store_with_a_submitted_read(store_url, "0002")
    with ReadStore(store_url) as store:
        assert current_revision(store._writer) == head_revision() == "0016"
        with store.reading() as session:
            rows = session.execute(
                text(
                    "SELECT vertebra, corner, row, col, click_row, click_col, used, refined_row, "
                    "confidence, refinement_status FROM landmarks ORDER BY vertebra"
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            (v, c, row, col, row, col, "click", None, None, None)
            for (v, c), (row, col) in sorted(OLD_CORNERS.items())
        ]
        for statement in (
            "UPDATE landmarks SET used = 'moved'",
            "UPDATE landmarks SET refined_row = 1, refined_col = 2",
            "DELETE FROM landmarks",
            "INSERT INTO grade_suggestions (read_pk, level, item, scale, code, evidence, "
            "software_version) VALUES (:read, 'L4-L5', 'pfirrmann', 'pfirrmann', '2', '', '')",
        ):
            with pytest.raises(DatabaseError, match="immutable"), store.writing() as session:
                session.execute(text(statement), {"read": read_id})
        with store.reading() as session:
            content = read_content(session, session.get_one(Read, read_id))
        assert {(p.vertebra, p.corner): p.click for p in content.landmarks.values()} == OLD_CORNERS


def test_downgrade_to_0002_and_back_keeps_positions_clicks_and_uses(
    store_url: str, protocol: Protocol
) -> None:
    old_store_with_a_submitted_read(store_url, "0002")
    with ReadStore(store_url) as store, store.writing() as session:
        read = start_read(session, get_case(session, "S2", "baseline", actor="t"), "R", actor="t")
        save_draft(session, read, assisted_content(), protocol)
    engine = create_engine(store_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    with engine.connect() as connection:
        methods = connection.execute(text("SELECT DISTINCT method FROM landmarks")).all()
        triggers = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'landm%'")
        ).all()
    engine.dispose()
    assert {m[0] for m in methods} == {"manual", "refined", "tracked", "moved"}
    assert len(triggers) == 3
    with ReadStore(store_url) as store, store.reading() as session:
        back = read_content(session, session.get_one(Read, read.id)).landmarks
    for key, point in assisted_content().landmarks.items():
        assert (back[key].row, back[key].col, back[key].used) == (point.row, point.col, point.used)
        assert back[key].click == point.click
    assert back[PS[1:]].refined == (101.5, 150.25)  # a refined corner is at its refined position
    assert back[PS[1:]].confidence is None  # lost by the downgrade
