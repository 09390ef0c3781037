"""PostgreSQL: an adjudicator connected as their own database role adjudicates a double-read case
(issue 16, migration 0012): two reader roles disagree on DLBP-001's baseline beyond a trigger, a
manager keeps the triggered case, the adjudicator's role gets it on their worklist, sees both
reads and the films (tokens and pixels, never the subject), takes one read with a reason and
submits, which signs the adjudication as the adjudicator's role; the owner's endpoint table uses
it (origin ``adjudication``). The database refuses an adjudicator's read or adjudication of a
case that is not kept as triggered, and any change of a signed adjudication or its signature.

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
from imaging.store.people import identity
from imaging.store.reads import ReadContent
from imaging.store.signatures import signature_frame, verify
from imaging.store.store import ReadStore
from imaging.store.triggered import KEEP_FIX, NOT_KEPT, empty_worklist_reason
from imaging.store.worklist import adjudication_worklist, unblinding_map
from imaging.store.workstation import CaseKey, start_read_correction, submit_read

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
        (adj, action, "DLBP-001", "baseline")
        for action in ("started", "adjudicated", "submitted", "signed")
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


def test_the_adjudication_is_signed_as_the_adjudicators_role_and_cannot_change_after(
    owner: ReadStore, people: tuple[str, str, str], protocol: Protocol, tmp_path: Path
) -> None:
    """The signature names the adjudicator's own role (login and printed name) and is bound to
    the decision; the role cannot change the signed decision, sign as someone else, or alter
    the signature; a reader's role sees no adjudication signature; the owner's export and
    verify have it."""
    a, b, adj = people
    ids = double_read(owner, people, protocol)
    owner_url = role_url(owner, str(owner.url.username))
    with redirect_stdout(io.StringIO()):
        assert main(["adjudication", "triggers", "--store", owner_url]) == 0
    with as_role(owner, adj) as store:
        with store.writing() as db:
            choose(db, protocol, ids["DLBP-001"], adj, PFIRRMANN, a, "nucleus still distinct")
            submit_adjudication(db, protocol, ids["DLBP-001"], adj)
        with store.reading() as db:  # the adjudicator's own role sees its signature
            (signed,) = signature_frame(db).query("signs == 'adjudication'").to_dict("records")
        assert (signed["signer"], signed["signer_name"], signed["meaning"]) == (
            adj, adj.title(), "adjudicated"
        )  # fmt: skip
        assert (signed["subject"], signed["reading_id"], signed["reader"]) == (
            "", ids["DLBP-001"], f"{a};{b}"
        )  # fmt: skip
        forged = (
            "INSERT INTO adjudication_signatures (adjudication_pk, signer, signer_name, meaning, "
            "signed_at, content_sha256, canonical) SELECT id, 'owner', 'Store Owner', "
            "'adjudicated', now(), repeat('0', 64), 'v1' FROM adjudications"
        )
        for statement, refusal in (
            ("DELETE FROM adjudication_choices", "submitted adjudication is final"),
            ("UPDATE adjudications SET reasons = 'edited'", "submitted adjudication is final"),
            ("UPDATE adjudication_signatures SET signer = 'x'", "permission denied"),
            (forged, f"adjudication_signatures: {adj} writes as itself only, not as owner"),
        ):
            with pytest.raises(DatabaseError, match=refusal), store.writing() as db:
                db.execute(text(statement))
    with as_role(owner, a) as store, store.reading() as db:  # a reader's role: none of them
        assert db.execute(text("SELECT count(*) FROM adjudication_signatures")).scalar() == 0
        assert "adjudication" not in set(signature_frame(db)["signs"])
    with owner.reading() as db:
        assert all(check.matches for check in verify(db))
        assert db.execute(text("SELECT signer FROM adjudication_signatures")).scalars().all() == [
            adj
        ]
    table = tmp_path / "endpoints.csv"
    with redirect_stdout(io.StringIO()):
        assert main(["export", "--store", owner_url, "--out", str(table)]) == 0
    with (tmp_path / "endpoints.signatures.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["signs"] == "adjudication"]
    assert [(r["subject"], r["signer"], r["content_sha256"]) for r in rows] == [
        ("DLBP-001", adj, signed["content_sha256"])
    ]


def test_a_reader_roles_correction_leaves_the_worklist_saying_why_until_a_manager_keeps_it(
    owner: ReadStore, people: tuple[str, str, str], protocol: Protocol
) -> None:
    """The adjudicator's empty worklist says why: nothing kept yet, then a kept case whose read
    a reader's role corrected (named); a manager's import keeps the cases again in the same
    transaction: the case back with the new version, then dropped once the reads agree, the
    ``dropped`` entry naming its subject, visit and the reads it had."""
    a, b, adj = people

    def reason() -> str:
        with as_role(owner, adj) as store, store.reading() as db:
            return empty_worklist_reason(db)

    def listed() -> list[tuple[str, tuple[str, ...]]]:
        with as_role(owner, adj) as store, store.reading() as db:
            return [(i.reading_id, i.reasons) for i in adjudication_worklist(db, protocol, adj)]

    def manager_imports(code: str) -> None:
        content = ReadContent({PFIRRMANN[1:]: code})
        with owner.writing() as db:
            group = ReadImport("DLBP-001", "baseline", a, lambda _: content, 2)
            summary = ImportSummary()
            actor = identity(db)
            assert (
                import_reads(db, protocol, [group], summary, actor=actor, reason="site form") == []
            )
            assert summary.corrected

    assert reason() == (
        "No case kept for adjudication yet: a manager runs spine-endpoints adjudication "
        "triggers after reads are submitted or corrected"
    )
    ids = double_read(owner, people, protocol)
    rid = ids["DLBP-001"]
    owner_url = role_url(owner, identity_of(owner))
    with redirect_stdout(io.StringIO()):
        assert main(["adjudication", "triggers", "--store", owner_url]) == 0
    assert [r for r, _ in listed()] == [rid]
    with as_role(owner, a) as store, store.writing() as db:  # reader A's own role corrects: 2
        start_read_correction(db, CaseKey(rid, a), "second look at the T2")
        submit_read(db, CaseKey(rid, a), ReadContent({PFIRRMANN[1:]: "2"}), protocol)
    assert listed() == []
    assert reason() == (
        f"No case to adjudicate now: a read of {rid} was corrected since a manager kept it for "
        "adjudication; it returns once a manager runs spine-endpoints adjudication triggers again"
    )
    manager_imports("1")  # the site's paper form: still disagreeing, kept again at once
    ((back, reasons),) = listed()
    assert back == rid and f"L4-L5 pfirrmann differs by >= 1 grade ({a}: 1, {b}: 4)" in reasons
    manager_imports("4")  # now the reads agree: dropped
    assert listed() == [] and reason().startswith("No case kept for adjudication yet")
    with owner.reading() as db:
        kept_reads = db.execute(
            text("SELECT new_value FROM audit_log WHERE action = 'kept' ORDER BY id DESC LIMIT 1")
        ).scalar_one()
        dropped = db.execute(
            text("SELECT actor, subject_id, visit_id, field, old_value, reason FROM audit_log "
                 "WHERE action = 'dropped'")
        ).one()  # fmt: skip
    assert tuple(dropped) == (
        identity_of(owner), "DLBP-001", "baseline", rid, kept_reads,
        "its current reads set off no trigger",
    )  # fmt: skip


def identity_of(owner: ReadStore) -> str:
    return str(owner.url.username)
