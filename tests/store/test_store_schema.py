"""Opening the store: migrations, SQLite settings, and the database's own guards."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from old_stores import old_store_with_a_submitted_read
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from imaging.errors import ReadImmutableError, StoreError
from imaging.protocol import Protocol
from imaging.store.cases import get_case
from imaging.store.corrections import correct, start_correction
from imaging.store.migrate import current_revision, head_revision
from imaging.store.reads import ReadContent, lock, read_content, save_draft, start_read, submit
from imaging.store.schema import metadata
from imaging.store.store import STORE_ENV_VAR, ReadStore, store_url


def test_opening_applies_the_migrations_and_matches_the_schema(store: ReadStore) -> None:
    assert current_revision(store._writer) == head_revision() == "0016"
    with store._writer.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_an_older_store_is_upgraded_on_open_and_keeps_its_data(store_url: str) -> None:
    old_store_with_a_submitted_read(store_url, "0001")
    with ReadStore(store_url, migrate=False) as old:
        assert current_revision(old._writer) == "0001"
    with ReadStore(store_url) as store:
        assert current_revision(store._writer) == head_revision()
        with store.reading() as session:
            assert session.execute(text("SELECT code FROM grades")).scalars().all() == ["4"]


def test_sqlite_runs_in_wal_mode_with_full_sync_and_foreign_keys(store: ReadStore) -> None:
    with store.reading() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA synchronous")).scalar() == 2
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 60000


def test_store_url_comes_from_the_option_the_environment_or_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(STORE_ENV_VAR, raising=False)
    assert store_url(None) == "sqlite:///spine-endpoints.db"
    monkeypatch.setenv(STORE_ENV_VAR, "sqlite:///env.db")
    assert store_url(None) == "sqlite:///env.db"
    assert store_url("sqlite:///given.db") == "sqlite:///given.db"


def test_a_store_in_a_missing_folder_or_a_bad_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        ReadStore(f"sqlite:///{tmp_path / 'no' / 'such.db'}")
    with pytest.raises(StoreError, match="is not a database URL"):
        ReadStore("not a url")


def submitted_read(store: ReadStore, protocol: Protocol) -> int:
    with store.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        read = start_read(session, case, "R1", actor="t")
        save_draft(session, read, ReadContent({("L4-L5", "pfirrmann"): "4"}), protocol)
        submit(session, read, actor="t")
        return read.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE grades SET code = '5'",
        "DELETE FROM grades",
        "INSERT INTO grades (read_pk, level, item, scale, code) VALUES (:read, 'L3-L4', "
        "'pfirrmann', 'pfirrmann', '2')",
        "UPDATE reads SET reader = 'R2'",
        "UPDATE reads SET status = 'draft'",
        "DELETE FROM reads",
        "INSERT INTO measurements (case_pk, read_pk, level, measure, value, unit, calibration, "
        "film, reader, reference_levels, source_image, note, software_version, computed_at) "
        "VALUES (1, :read, 'L4-L5', 'disc_height_mean', 7.0, 'mm', '', '', 'R1', '', '', '', "
        "'', '2024-01-01')",
    ],
)
def test_the_database_refuses_changes_to_a_submitted_read(
    store: ReadStore, protocol: Protocol, statement: str
) -> None:
    read_id = submitted_read(store, protocol)
    with pytest.raises(DatabaseError, match="immutable"), store.writing() as session:
        session.execute(text(statement), {"read": read_id})
    with store.reading() as session:
        assert session.execute(text("SELECT code FROM grades")).scalars().all() == ["4"]


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_the_audit_log_is_append_only(store: ReadStore, protocol: Protocol, statement: str) -> None:
    submitted_read(store, protocol)
    with pytest.raises(DatabaseError, match="append-only"), store.writing() as session:
        session.execute(text(statement))


def test_locking_is_the_one_change_a_submitted_read_allows(
    store: ReadStore, protocol: Protocol
) -> None:
    read_id = submitted_read(store, protocol)
    with store.writing() as session:
        session.execute(text("UPDATE reads SET status = 'locked', locked_at = submitted_at"))
    with store.reading() as session:
        assert session.execute(text("SELECT status FROM reads")).scalar() == "locked"
    with pytest.raises(DatabaseError, match="immutable"), store.writing() as session:
        session.execute(
            text("UPDATE reads SET status = 'submitted' WHERE id = :id"), {"id": read_id}
        )


def test_the_code_refuses_in_place_changes_and_corrections_without_reason(
    store: ReadStore, protocol: Protocol
) -> None:
    submitted_read(store, protocol)
    with store.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        from imaging.store.reads import latest_version

        read = latest_version(session, case, "R1")
        assert read is not None
        with pytest.raises(ReadImmutableError, match="is submitted"):
            save_draft(session, read, ReadContent({("L4-L5", "pfirrmann"): "5"}), protocol)
        with pytest.raises(StoreError, match="a correction needs a reason"):
            start_correction(session, read, reason="  ", actor="t")
        with pytest.raises(StoreError, match="'9' is not a grade of Pfirrmann"):
            correct(session, read, ReadContent({("L4-L5", "pfirrmann"): "9"}), protocol,
                    reason="typo", actor="t")  # fmt: skip


def test_a_correction_is_a_new_version_and_history_stays(
    store: ReadStore, protocol: Protocol
) -> None:
    submitted_read(store, protocol)
    with store.writing() as session:
        case = get_case(session, "S1", "baseline", actor="t")
        from imaging.store.reads import latest_version, versions

        first = latest_version(session, case, "R1")
        assert first is not None
        second = correct(session, first, ReadContent({("L4-L5", "pfirrmann"): "5"}), protocol,
                         reason="adjudication", actor="lead")  # fmt: skip
        with pytest.raises(StoreError, match="already superseded by version 2"):
            start_correction(session, first, reason="again", actor="t")
        lock(session, second, actor="lead")
        with pytest.raises(ReadImmutableError, match="is locked"):
            start_correction(session, second, reason="again", actor="t")
        history = versions(session, case, "R1")
        assert [(r.version, r.status, r.supersedes_id) for r in history] == [
            (1, "submitted", None), (2, "locked", first.id),
        ]  # fmt: skip
        assert read_content(session, history[0]).grades == {("L4-L5", "pfirrmann"): "4"}
        assert read_content(session, history[1]).grades == {("L4-L5", "pfirrmann"): "5"}
        assert history[1].reason == "adjudication"
