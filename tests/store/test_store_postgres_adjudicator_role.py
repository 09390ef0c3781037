"""PostgreSQL: an adjudicator connected as their own database role adjudicates a double-read case
(issue 16, migration 0012): two reader roles disagree on DLBP-001's baseline beyond a trigger, a
manager keeps the triggered case, the adjudicator's role gets it on their worklist, sees both
reads and the films (tokens and pixels, never the subject), takes one read with a reason and
submits; the owner's endpoint table uses it (origin ``adjudication``). The database refuses an
adjudicator's read or adjudication of a case that is not kept as triggered.

Runs only with ``SPINE_ENDPOINTS_TEST_POSTGRES_URL`` (a scratch database, emptied; its user may
create roles). The roles are dropped afterwards.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from scratch_postgres import POSTGRES_URL, reader_roles, registered, role_url
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from imaging.cli import main
from imaging.errors import StoreError
from imaging.protocol import Protocol
from imaging.protocol.adjudication import grade_key
from imaging.store.adjudication import choose, submit_adjudication
from imaging.store.imports import ImportSummary, ReadImport, import_reads
from imaging.store.reads import ReadContent
from imaging.store.store import ReadStore
from imaging.store.triggered import KEEP_FIX, NOT_KEPT
from imaging.store.worklist import adjudication_worklist, unblinding_map
from imaging.store.workstation import CaseKey, submit_read

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SPINE_ENDPOINTS_TEST_POSTGRES_URL to run"
)
FILMS = ("DLBP-001/baseline/DX_lateral_neutral.dcm", "DLBP-002/baseline/DX_lateral_neutral.dcm")
PFIRRMANN = grade_key("L4-L5", "pfirrmann")
ADJUDICATOR_READ = (
    "INSERT INTO reads (case_pk, reader, role, version, status, protocol_id, source, started_at) "
    "SELECT case_pk, :reader, 'adjudicator', 1, 'draft', :protocol, '', now() FROM reading_cases "
    "WHERE reading_id = :rid"
)
"""An adjudicator's read inserted in SQL, bypassing the tool."""


@pytest.fixture
def owner(protocol: Protocol) -> Iterator[ReadStore]:
    """A store with DLBP-001's and DLBP-002's baseline cases, one neutral film each."""
    with registered(protocol, FILMS) as store:
        yield store


@pytest.fixture
def people(owner: ReadStore) -> Iterator[tuple[str, ...]]:
    """Reader A, reader B and an adjudicator, each with their own role."""
    with reader_roles(owner, adjudicators=1) as logins:
        yield logins


def as_role(owner: ReadStore, role: str) -> ReadStore:
    return ReadStore(role_url(owner, role))


def double_read(owner: ReadStore, people: tuple[str, ...], protocol: Protocol) -> dict[str, str]:
    """Both readers' reads as their own roles: DLBP-001 Pfirrmann 3 (A) and 4 (B) at L4-L5,
    DLBP-002 3 by both. Returns subject -> reading id."""
    with owner.reading() as db:
        ids = {subject: rid for rid, (subject, _) in unblinding_map(db).items()}
    for reader, code in zip(people[:2], ("3", "4"), strict=True):
        with as_role(owner, reader) as store, store.writing() as db:
            for subject, grade in (("DLBP-001", code), ("DLBP-002", "3")):
                content = ReadContent({("L4-L5", "pfirrmann"): grade})
                submit_read(db, CaseKey(ids[subject], reader), content, protocol)
    return ids


def test_an_adjudicator_role_adjudicates_a_kept_triggered_case_and_the_endpoint_uses_it(
    owner: ReadStore, people: tuple[str, str, str], protocol: Protocol, tmp_path: Path
) -> None:
    from napari_spine_endpoints._model.adjudication import load_case

    a, b, adj = people
    ids = double_read(owner, people, protocol)
    triggered = ids["DLBP-001"]
    owner_url = role_url(owner, str(owner.url.username))
    with as_role(owner, adj) as store, store.reading() as db:
        assert adjudication_worklist(db, protocol, adj) == []  # nothing kept yet
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["adjudication", "triggers", "--store", owner_url]) == 0
    reason = f"L4-L5 pfirrmann differs by >= 1 grade ({a}: 3, {b}: 4)"
    assert f"{triggered}  DLBP-001 baseline  to adjudicate\n  {reason}\n" in out.getvalue()

    with as_role(owner, adj) as store:
        with store.reading() as db:
            (item,) = adjudication_worklist(db, protocol, adj)
        for hidden in ("subjects", "visits", "images", "triggered_cases"):
            with pytest.raises(DatabaseError, match="permission denied"), store.reading() as db:
                db.execute(text(f"SELECT * FROM {hidden}"))
        assert (item.reading_id, item.readers, item.status) == (triggered, (a, b), "to adjudicate")
        assert reason in item.reasons
        shown = load_case(role_url(owner, adj), protocol, triggered)
        assert shown.readers == (a, b)
        (row,) = [r for r in shown.grades if r.key == PFIRRMANN]
        assert (row.codes, row.triggered) == (("3", "4"), True)
        (film,) = shown.images.values()
        assert film.token.startswith("img-") and film.pixels.size > 0
        with store.writing() as db:
            choose(db, protocol, triggered, adj, PFIRRMANN, b, "annulus and nucleus blurred")
            taken = submit_adjudication(db, protocol, triggered, adj)
        assert taken == [f"L4-L5 pfirrmann: {b}"]
    with as_role(owner, a) as store, store.reading() as db:  # a reader's role: nothing
        assert db.execute(text("SELECT count(*) FROM spine_adjudication_cases()")).scalar() == 0

    table = tmp_path / "endpoints.csv"
    with redirect_stdout(io.StringIO()):
        assert main(["export", "--store", owner_url, "--out", str(table)]) == 0
    with table.open(encoding="utf-8", newline="") as handle:
        rows = {(r["subject"], r["level"], r["measure"]): r for r in csv.DictReader(handle)}
    grade = rows[("DLBP-001", "L4-L5", "pfirrmann")]
    assert (grade["grade"], grade["origin"], grade["reader"]) == ("4", "adjudication", b)
    assert f"adjudicated by {adj}: annulus and nucleus blurred" in grade["note"]
    assert rows[("DLBP-002", "L4-L5", "pfirrmann")]["origin"] == "agreeing reads"
    with owner.reading() as db:
        trail = db.execute(
            text("SELECT actor, action, subject_id, visit_id FROM audit_log "
                 "WHERE entity = 'adjudication' ORDER BY id")
        ).all()  # fmt: skip
    assert [tuple(r) for r in trail] == [
        (adj, action, "DLBP-001", "baseline") for action in ("started", "adjudicated", "submitted")
    ]


def test_the_database_refuses_an_adjudicator_role_a_case_not_kept_as_triggered(
    owner: ReadStore, people: tuple[str, str, str], protocol: Protocol
) -> None:
    """The adjudicator bypassing the tool: an adjudicator's read or an adjudication of the
    agreeing case, or of the triggered case before a manager kept it, is refused; so is an
    adjudication in another adjudicator's name. Through the tool, an import of the adjudicator's
    third reads stores the kept case's and refuses the other's with the reason."""
    a, _, adj = people
    ids = double_read(owner, people, protocol)
    kept = "is not a triggered case kept for adjudication"
    as_other = (
        "INSERT INTO adjudications (case_pk, adjudicator, first_read_pk, second_read_pk, "
        "reasons, status, started_at) SELECT case_pk, 'owner', first_read_pk, second_read_pk, "
        "'', 'draft', now() FROM spine_adjudication_cases()"
    )
    with as_role(owner, adj) as store:

        def refused(match: str, statement: str, rid: str = "") -> None:
            values = {"reader": adj, "protocol": protocol.id, "rid": rid}
            with pytest.raises(DatabaseError, match=match), store.writing() as db:
                db.execute(text(statement), values)

        for rid in ids.values():
            refused(f"case {rid}: it {kept}", ADJUDICATOR_READ, rid)
        unkept = f"case {ids['DLBP-001']} is not a triggered case"
        with pytest.raises(StoreError, match=unkept), store.writing() as db:
            choose(db, protocol, ids["DLBP-001"], adj, PFIRRMANN, a, "reason")
        with redirect_stdout(io.StringIO()):
            owner_url = role_url(owner, str(owner.url.username))
            assert main(["adjudication", "triggers", "--store", owner_url]) == 0
        refused(f"case {ids['DLBP-002']}: it {kept}", ADJUDICATOR_READ, ids["DLBP-002"])
        third = [ReadImport(s, "baseline", adj, lambda _: ReadContent({PFIRRMANN[1:]: "4"}), n)
                 for n, s in enumerate(("DLBP-001", "DLBP-002"), start=2)]  # fmt: skip
        summary = ImportSummary()
        with store.writing() as db:  # a third read from the adjudicator's file
            problems = import_reads(db, protocol, third, summary, actor=adj, role="adjudicator")
        assert summary.created == [("DLBP-001", "baseline", adj)]
        unkept = f"DLBP-002 baseline: case {ids['DLBP-002']} {NOT_KEPT}. {KEEP_FIX}"
        assert problems == [(3, unkept)]
        refused(f"adjudications: {adj} adjudicates as itself only, not as owner", as_other)
        with store.reading() as db:  # the kept case, read: its visit is the adjudicator's too
            visit = db.execute(text("SELECT spine_case_visit(:r)"), {"r": ids["DLBP-001"]})
            assert visit.scalar() == "baseline"
