"""PostgreSQL: a command given no --actor acts as the database role it connects as, the login the
store checks, not the operating-system user running it (``imaging.cli._trial.acting``).

Runs only with ``SPINE_ENDPOINTS_TEST_POSTGRES_URL`` (a scratch database, emptied; its user may
create roles), whose role differs from the user running the tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from scratch_postgres import POSTGRES_URL, SAMPLES, reader_roles, registered

from imaging.cli import main
from imaging.protocol import Protocol
from imaging.store.audit import audit_entries, login_name
from imaging.store.people import identity

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SPINE_ENDPOINTS_TEST_POSTGRES_URL to run"
)
FILM = "DLBP-001/baseline/DX_lateral_neutral.dcm"


def test_register_and_archive_roots_move_are_audited_as_the_database_role(
    protocol: Protocol, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPINE_ENDPOINTS_ACTOR", raising=False)
    moved = tmp_path / "moved"
    (moved / FILM).parent.mkdir(parents=True)
    shutil.copy(SAMPLES / FILM, moved / FILM)
    later = tmp_path / "later" / "DLBP-001"
    later.mkdir(parents=True)
    shutil.copy(SAMPLES / "DLBP-001/month_6/DX_lateral_neutral.dcm", later)
    with registered(protocol, (FILM,)) as owner, reader_roles(owner, 1):
        url = owner.url.render_as_string(hide_password=False)
        with owner.reading() as db:
            role, first = identity(db), len(audit_entries(db))
        assert role != login_name(), "the scratch database's role must not be the login"

        assert main(["archive-roots", "move", str(SAMPLES), str(moved), "--store", url]) == 0
        assert main(["register", str(later.parent), "--store", url]) == 0

        with owner.reading() as db:
            entries = audit_entries(db)[first:]
    actions = {(e.entity, e.action) for e in entries}
    assert {("archive_root", "changed"), ("image", "assigned")} <= actions
    assert {e.actor for e in entries} == {role}
